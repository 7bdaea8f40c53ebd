package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mediadigest/jalali"
	"mediadigest/scrape"
)

// Progress is told about each day of a backfill as it finishes.
type Progress interface {
	Start(total int)
	Day(day jalali.Date, st scrape.Stats, skipped bool)
	Done()
}

// Backfill walks the outlet's archive from first to last (Jalali days,
// both included). A day is recorded as done only once every page of it
// was handled, so a run killed at any point resumes at the first
// unfinished day; articles already stored are not fetched again.
func (p *Pipeline) Backfill(ctx context.Context, id string, first, last jalali.Date, prog Progress) (scrape.Stats, error) {
	o, err := p.Outlet(id)
	if err != nil {
		return scrape.Stats{}, err
	}
	if o.Profile.Archive.URL == "" {
		return scrape.Stats{}, fmt.Errorf("outlet %s: profile %s has no archive URL to backfill from", id, o.Profile.ID)
	}
	var days []jalali.Date
	for d := first; d.Time(time.UTC).Compare(last.Time(time.UTC)) <= 0; d = d.AddDays(1) {
		days = append(days, d)
	}
	total := scrape.Stats{Outlet: id, Failures: map[string]int{}}
	prog.Start(len(days))
	defer prog.Done()
	var errs []error
	for _, day := range days {
		if ctx.Err() != nil {
			break
		}
		done, err := p.store.DayDone(ctx, id, day.String())
		if err != nil {
			return total, err
		}
		if done {
			prog.Day(day, scrape.Stats{}, true)
			continue
		}
		start := p.now()
		st, err := p.crawler.Backfill(ctx, o, day, known{p.store}, p.sink)
		st.Outlet = id
		add(&total, st)
		if rerr := p.record(ctx, start, st, err); rerr != nil {
			errs = append(errs, rerr)
		}
		prog.Day(day, st, false)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("outlet %s, day %s: %w", id, day, err))
		case ctx.Err() == nil && st.Failed == 0 && !st.Blocked:
			if err := p.store.MarkDayDone(ctx, id, day.String()); err != nil {
				return total, err
			}
		case st.Failed > 0:
			// Left unfinished so that a re-run tries the failed pages again.
			errs = append(errs, fmt.Errorf("outlet %s, day %s: %d page(s) failed; run backfill again to retry them", id, day, st.Failed))
		}
	}
	if _, err := p.Process(context.WithoutCancel(ctx)); err != nil {
		errs = append(errs, err)
	}
	if ctx.Err() != nil {
		errs = append(errs, fmt.Errorf("backfill interrupted: %w; run it again to resume", ctx.Err()))
	}
	return total, errors.Join(errs...)
}

func add(t *scrape.Stats, s scrape.Stats) {
	t.Fetched += s.Fetched
	t.New += s.New
	t.Updated += s.Updated
	t.Unchanged += s.Unchanged
	t.Skipped += s.Skipped
	t.Failed += s.Failed
	t.Blocked = t.Blocked || s.Blocked
	for k, v := range s.Failures {
		t.Failures[k] += v
	}
	t.Errors = append(t.Errors, s.Errors...)
}
