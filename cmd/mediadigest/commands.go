package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"mediadigest/config"
	"mediadigest/delivery"
	"mediadigest/digest"
	"mediadigest/health"
	"mediadigest/jalali"
	"mediadigest/model"
	"mediadigest/pipeline"
	"mediadigest/scrape"
	"mediadigest/store"
	"mediadigest/stories"
	"mediadigest/subscription"
	"mediadigest/web"
)

// app is a loaded config with its open store and the parts built over it:
// the pipeline (crawl, derive), the stored stories and the delivery of
// digests.
type app struct {
	cfg     *config.Config
	store   *store.Store
	pipe    *pipeline.Pipeline
	stories *stories.Reader
	mail    *delivery.Manager
	// subs is what subscribers chose (topics, pauses, unsubscriptions):
	// the audience of the digests.
	subs *subscription.Manager
	log  *slog.Logger
	// site is the readers' pages, nil when they are not served (noSite
	// says why): without a secret, nothing signs their links.
	site   *web.Site
	noSite error
}

func (a *app) Close() error { return a.store.Close() }

// loadConfig reads the config; problems are usage errors (exit 2).
func (e *env) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(config.Path(e.configPath))
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// open loads the config, opens the store and builds the pipeline.
func (e *env) open(ctx context.Context) (*app, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	return e.openApp(ctx, cfg, newLogger(cfg, e.stderr))
}

func (e *env) openApp(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	st, err := store.Open(ctx, cfg.Store, store.WithClock(e.clock.Now))
	if err != nil {
		return nil, err
	}
	p, err := pipeline.New(cfg, st, pipeline.Options{Clock: e.clock, Logger: log})
	if err != nil {
		st.Close()
		return nil, err
	}
	a := &app{cfg: cfg, store: st, pipe: p, stories: stories.New(st, cfg.Cleaning.StoryWindow.D()), log: log}
	a.site, a.noSite = web.NewSite(cfg, web.Options{Clock: e.clock, Logger: log})
	var links delivery.Links
	if a.site != nil && a.site.Public() {
		links = a.site
	}
	// The config's list of subscribers is recorded first: the store says
	// what each chose, the config who may receive digests at all.
	a.subs = subscription.NewManager(cfg, st, subscription.Options{Clock: e.clock, Logger: log})
	if err := a.subs.Sync(ctx); err != nil {
		st.Close()
		return nil, err
	}
	a.mail, err = delivery.New(cfg, st, a.stories, a.subs, delivery.Options{Clock: e.clock, Logger: log, Links: links})
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// newLogger logs to w as text, or JSON with log.format: json.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func checkCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		path := config.Path(e.configPath)
		cfg, err := config.Load(path)
		if err != nil {
			var ps config.Problems
			if errors.As(err, &ps) {
				for _, p := range ps {
					fmt.Fprintln(e.stdout, p)
				}
				return usagef("%s: %d problem(s)", path, len(ps))
			}
			return usageError{err}
		}
		fmt.Fprintf(e.stdout, "%s: ok (%d outlets, %d topics, %d subscribers, mail by %s)\n",
			path, len(cfg.Outlets), len(cfg.Topics), len(cfg.Subscribers), cfg.Mail.Transport)
		if cfg.Mail.Transport == "smtp" && cfg.Mail.SMTP.PasswordEnv != "" && cfg.Mail.SMTP.Password() == "" {
			fmt.Fprintf(e.stdout, "warning: $%s is not set in this environment; SMTP will try without a password\n", cfg.Mail.SMTP.PasswordEnv)
		}
		return nil
	}
}

func crawlCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var outlets multiFlag
	fs.Var(&outlets, "outlet", "outlet `ID` to crawl (repeatable; default all)")
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected arguments %q", args)
		}
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		for _, id := range outlets {
			if _, err := a.pipe.Outlet(id); err != nil {
				return usageError{err}
			}
		}
		rep, err := a.pipe.Crawl(ctx, outlets)
		printStats(e.stdout, rep.Outlets)
		for _, id := range slices.Sorted(maps.Keys(rep.Elsewhere)) {
			fmt.Fprintf(e.stdout, "%-12s crawled by %s at the same time: left to it\n", id, rep.Elsewhere[id])
		}
		if err == nil {
			err = pageFailures(rep.Outlets)
		}
		return err
	}
}

func backfillCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	outlet := fs.String("outlet", "", "outlet `ID` (required)")
	from := fs.String("from", "", "first `DATE`: 2026-11-18 or Jalali 1405/08/27 (required)")
	to := fs.String("to", "", "last `DATE`, included (default: -from)")
	return func(ctx context.Context, args []string) error {
		if *outlet == "" || *from == "" {
			return usagef("-outlet and -from are required")
		}
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if _, err := a.pipe.Outlet(*outlet); err != nil {
			return usageError{err}
		}
		first, err := jalali.ParseDay(*from)
		if err != nil {
			return usagef("-from: %v", err)
		}
		last := first
		if *to != "" {
			if last, err = jalali.ParseDay(*to); err != nil {
				return usagef("-to: %v", err)
			}
		}
		if last.Time(a.cfg.Location).Before(first.Time(a.cfg.Location)) {
			return usagef("-to %s is before -from %s", last, first)
		}
		stats, err := a.pipe.Backfill(ctx, *outlet, first, last, newProgress(e.stderr, a.log))
		printStats(e.stdout, []scrape.Stats{stats})
		return err
	}
}

func extractCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	outlet := fs.String("outlet", "", "outlet `ID` whose profile reads the page (required)")
	return func(ctx context.Context, args []string) error {
		if *outlet == "" || len(args) != 1 {
			return usagef("want -outlet ID and one URL or FILE")
		}
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if _, err := a.pipe.Outlet(*outlet); err != nil {
			return usageError{err}
		}
		art, err := a.pipe.Extract(ctx, *outlet, args[0])
		if err != nil {
			return err
		}
		return writeJSON(e.stdout, art, true)
	}
}

func reprocessCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	outlet := fs.String("outlet", "", "outlet `ID` (default all)")
	return func(ctx context.Context, args []string) error {
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		n, err := a.pipe.Reprocess(ctx, *outlet)
		fmt.Fprintf(e.stdout, "reprocessed %d stored pages\n", n)
		return err
	}
}

func exportCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	since := fs.String("since", "", "only articles published at or after `T` (RFC 3339 or a date)")
	until := fs.String("until", "", "only articles published before `T` (RFC 3339 or a date; a date means its end)")
	outlet := fs.String("outlet", "", "only this outlet `ID`")
	return func(ctx context.Context, args []string) error {
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		q := store.ArticleQuery{Outlet: *outlet}
		if q.Since, err = parseTime(*since, a.cfg.Location, false); err != nil {
			return usagef("-since: %v", err)
		}
		if q.Until, err = parseTime(*until, a.cfg.Location, true); err != nil {
			return usagef("-until: %v", err)
		}
		edited, err := a.store.EditedTitles(ctx)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(e.stdout)
		err = a.store.ForEachArticle(ctx, q, func(art *model.Article) error {
			art.Titles = edited[art.ID]
			return writeJSON(w, art, false)
		})
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
		return err
	}
}

// parseTime reads RFC 3339 or a day (Gregorian or Jalali) in loc; a day as
// an upper bound means the end of that day.
func parseTime(s string, loc *time.Location, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := jalali.ParseDay(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor a date (2026-11-18, 1405/08/27)", s)
	}
	t := d.Time(loc)
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t.UTC(), nil
}

func digestCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	date := fs.String("date", "", "the `DATE` of the digest's day (2026-11-18 or 1405/08/27; default today)")
	subscriber := fs.String("subscriber", "", "only this subscriber `EMAIL`")
	format := fs.String("format", "html", "output format: html, text, json or eml")
	out := fs.String("out", "", "write one file per subscriber into `DIR` instead of printing")
	send := fs.Bool("send", false, "deliver through the outbox: what arrived since each subscriber's last digest, or with -date that finished day; never twice")
	return func(ctx context.Context, args []string) error {
		if !slices.Contains(delivery.Formats, *format) {
			return usagef("-format %q: want one of %s", *format, strings.Join(delivery.Formats, ", "))
		}
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		day := jalali.Of(e.clock.Now().In(a.cfg.Location))
		if *date != "" {
			if day, err = jalali.ParseDay(*date); err != nil {
				return usagef("-date: %v", err)
			}
		}
		win := digest.DayWindow(day.Time(a.cfg.Location), a.cfg.Location)
		// Every configured subscriber with the topics they chose, paused
		// or not: printing is not sending.
		var subs []digest.Subscriber
		for _, c := range a.cfg.Subscribers {
			s, err := a.mail.Subscriber(ctx, c.Email)
			if err != nil {
				return err
			}
			subs = append(subs, s)
		}
		if *subscriber != "" {
			s, err := a.mail.Subscriber(ctx, *subscriber)
			if err != nil {
				return usageError{err}
			}
			subs = []digest.Subscriber{s}
		}
		if len(subs) == 0 {
			return usagef("no subscribers configured")
		}
		if *send {
			if *subscriber != "" {
				return usagef("-send delivers to every subscriber; -subscriber goes with printing or -out")
			}
			return sendDigests(ctx, e, a, *date != "", day, win)
		}
		if *out == "" && len(subs) > 1 {
			return usagef("%d subscribers: name one with -subscriber, or write them all with -out DIR", len(subs))
		}
		digests, err := a.mail.Digests(ctx, subs, win)
		if err != nil {
			return err
		}
		for _, d := range digests {
			data, err := a.mail.Format(d, *format)
			if err != nil {
				return err
			}
			if *out == "" {
				_, err = e.stdout.Write(data)
				return err
			}
			path := filepath.Join(*out, fileStem(d.Subscriber)+"-"+day.Time(a.cfg.Location).Format("2006-01-02")+"."+ext(*format))
			if err := writeFile(path, data); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, path)
		}
		return nil
	}
}

// sendDigests is `digest -send`: it queues what arrived since each
// subscriber's last digest (or, byDay, the day's digest once the day is
// over), then sends every due digest, batch after batch. It fails (exit
// 1) unless each due digest was sent or is being sent by another live
// process.
func sendDigests(ctx context.Context, e *env, a *app, byDay bool, day jalali.Date, win model.Window) error {
	plan := delivery.SinceLast(e.clock.Now())
	if byDay {
		// A day still running would be sent without its rest, and the
		// outbox would take it as sent: its rest would never go.
		if now := e.clock.Now(); win.To.After(now) {
			return usagef("-date %s: the day is not over until %s; without -date, -send sends what arrived since each subscriber's last digest",
				day, win.To.In(a.cfg.Location).Format("2006-01-02 15:04 MST"))
		}
		plan = delivery.Day(win)
	}
	// Articles stored since the last pass get their stories first: a
	// digest reads the stored stories.
	if _, err := a.pipe.Process(ctx); err != nil {
		return err
	}
	queued, err := a.mail.Queue(ctx, plan)
	if err != nil {
		return err
	}
	rep, err := a.mail.Send(ctx)
	what := "digest of what arrived since each subscriber's last one"
	if byDay {
		what = "digest " + day.String()
	}
	fmt.Fprintf(e.stdout, "%s: queued %d, sent %d, to retry %d, failed %d", what, len(queued.Queued), rep.Sent, rep.Retry, rep.Failed)
	if !byDay {
		fmt.Fprintf(e.stdout, ", nothing new for %d", queued.NothingNew)
	}
	fmt.Fprintln(e.stdout)
	if err != nil {
		return err
	}
	if rep.Retry+rep.Failed > 0 {
		return fmt.Errorf("%d digest(s) not delivered; see `mediadigest outbox`", rep.Retry+rep.Failed)
	}
	due, err := a.store.OutboxDue(ctx, e.clock.Now())
	if err != nil {
		return err
	}
	if due.Claimed > 0 {
		fmt.Fprintf(e.stdout, "%d digest(s) being sent by another process (%s); see `mediadigest outbox -state queued`\n", due.Claimed, strings.Join(due.Holders, ", "))
	}
	if due.Unclaimed > 0 {
		return fmt.Errorf("%d digest(s) due and not sent; see `mediadigest outbox -state queued`, and run `mediadigest digest -send` again", due.Unclaimed)
	}
	return nil
}

func ext(format string) string {
	if format == "text" {
		return "txt"
	}
	return format
}

func fileStem(email string) string {
	return strings.NewReplacer("@", "_at_", "/", "_", "\\", "_").Replace(email)
}

// writeFile writes data atomically: a reader never sees half a file.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func outboxCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	state := fs.String("state", "", "only rows in this state: queued, sent or failed")
	retry := fs.Int64("retry", 0, "deliver the failed or queued row `ID` now, and no other")
	limit := fs.Int("n", 50, "show at most `N` rows")
	return func(ctx context.Context, args []string) error {
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if *retry != 0 {
			// The other rows due are the daemon's, or the next digest
			// -send's, to deliver.
			it, rep, err := a.mail.Retry(ctx, *retry)
			if err != nil && it.ID == 0 {
				return err
			}
			if err == nil || rep != (delivery.Report{}) {
				fmt.Fprintf(e.stdout, "row %d to %s: sent %d, to retry %d, failed %d\n", it.ID, it.Subscriber, rep.Sent, rep.Retry, rep.Failed)
			}
			return err
		}
		items, err := a.store.Outbox(ctx, *state, *limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "ID\tSTATE\tSUBSCRIBER\tWINDOW (%s)\tATTEMPTS\tLAST REPLY\n", a.cfg.Location)
		for _, it := range items {
			const second = "2006-01-02 15:04:05"
			win := it.Window.From.In(a.cfg.Location).Format(second) + " → " + it.Window.To.In(a.cfg.Location).Format(second)
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", it.ID, it.State, it.Subscriber, win, it.Attempts, oneLine(it.LastReply))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		return nil
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

func statusCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	asJSON := fs.Bool("json", false, "print the JSON that /healthz serves")
	return func(ctx context.Context, args []string) error {
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		h, err := health.Check(ctx, a.cfg, a.store, e.clock.Now())
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, h, true)
		}
		fmt.Fprintf(e.stdout, "status: %s\n", h.Status)
		for _, o := range h.Outlets {
			fmt.Fprintf(e.stdout, "  %-12s last success %-25s failures in a row %d  %s\n", o.Outlet, fmtTime(o.LastSuccess), o.ConsecutiveFailures, o.LastError)
		}
		keys := make([]string, 0, len(h.Outbox))
		for k := range h.Outbox {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprint(e.stdout, "  outbox:")
		for _, k := range keys {
			fmt.Fprintf(e.stdout, " %s %d", k, h.Outbox[k])
		}
		fmt.Fprintln(e.stdout)
		fmt.Fprintf(e.stdout, "  subscribers: active %d, paused %d, unsubscribed %d\n",
			h.Subscribers[model.SubscriberActive], h.Subscribers[model.SubscriberPaused], h.Subscribers[model.SubscriberUnsubscribed])
		if h.Status != "ok" {
			return fmt.Errorf("unhealthy: %s", strings.Join(h.Problems, "; "))
		}
		return nil
	}
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func writeJSON(w io.Writer, v any, indent bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}
