package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"mediadigest/jalali"
	"mediadigest/scrape"
)

// newProgress shows a progress bar when w is a terminal, log lines
// otherwise (a bar's carriage returns make a mess of log files).
func newProgress(w io.Writer, log *slog.Logger) progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{w: w}
	}
	return &logProgress{log: log}
}

type progress interface {
	Start(total int)
	Day(day jalali.Date, st scrape.Stats, skipped bool)
	Done()
}

type barProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (b *barProgress) Start(total int) {
	b.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(b.w),
		progressbar.OptionSetDescription("backfill"), progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true))
}

func (b *barProgress) Day(day jalali.Date, st scrape.Stats, skipped bool) {
	b.bar.Describe(fmt.Sprintf("backfill %s: %d new", day, st.New))
	_ = b.bar.Add(1)
}

func (b *barProgress) Done() { _ = b.bar.Finish(); fmt.Fprintln(b.w) }

type logProgress struct {
	log      *slog.Logger
	total, n int
}

func (l *logProgress) Start(total int) { l.total = total }

func (l *logProgress) Day(day jalali.Date, st scrape.Stats, skipped bool) {
	l.n++
	if skipped {
		l.log.Info("backfill day already done", "day", day.String(), "progress", fmt.Sprintf("%d/%d", l.n, l.total))
		return
	}
	l.log.Info("backfill day", "day", day.String(), "progress", fmt.Sprintf("%d/%d", l.n, l.total),
		"fetched", st.Fetched, "new", st.New, "failed", st.Failed)
}

func (l *logProgress) Done() {}

// printStats prints one line per outlet: the crawl summary of docs/operations.md, and
// one line per failure reason.
func printStats(w io.Writer, stats []scrape.Stats) {
	for _, s := range stats {
		fmt.Fprintf(w, "%-12s new %d, updated %d, unchanged %d, failed %d", s.Outlet, s.New, s.Updated, s.Unchanged, s.Failed)
		if s.Skipped > 0 {
			fmt.Fprintf(w, " (%d already stored, not fetched)", s.Skipped)
		}
		if s.Blocked {
			fmt.Fprint(w, " — BLOCKED by a challenge page")
		}
		fmt.Fprintln(w)
		for _, e := range s.Errors {
			if s.Blocked && e.Reason == scrape.ReasonBlocked {
				continue // the outlet's line says it
			}
			fmt.Fprintf(w, "  %s %s: %s\n", e.Reason, e.URL, e.Message)
		}
	}
}

// pageFailures is the error of a crawl whose outlets answered
// but some of whose pages failed (listed by printStats): the work is not
// all done, though what was fetched is stored.
func pageFailures(stats []scrape.Stats) error {
	failed := 0
	for _, s := range stats {
		failed += s.Failed
	}
	if failed == 0 {
		return nil
	}
	return fmt.Errorf("%d page(s) failed (listed above); what was fetched is stored, and a failed page is tried again when its feed lists it next", failed)
}
