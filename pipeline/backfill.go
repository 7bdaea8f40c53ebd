package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mediadigest/internal/lease"
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
//
// On a shared store (PostgreSQL) each day is done under the lease
// "backfill:ID:DAY", so several processes backfilling the same range split
// its days between them. The derived views of everything stored are then
// recomputed by whichever finishes last: a process that ends while days
// of its range are still being backfilled elsewhere leaves them to it.
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
	var elsewhere []jalali.Date // days another process was backfilling
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
		dayCtx, release, ok, err := p.holdDay(ctx, id, day)
		if err != nil {
			return total, err
		}
		if !ok {
			elsewhere = append(elsewhere, day)
			prog.Day(day, scrape.Stats{}, true)
			continue
		}
		st, err := p.backfillDay(dayCtx, o, day)
		add(&total, st)
		prog.Day(day, st, false)
		if err != nil {
			errs = append(errs, err)
		}
		if err := release(); err != nil {
			p.log.Warn("cannot release the lease of a backfill day: the others wait for it to expire", "outlet", id, "day", day.String(), "error", err)
		}
	}
	pending, err := p.notDone(context.WithoutCancel(ctx), id, elsewhere)
	if err != nil {
		errs = append(errs, err)
	}
	if len(pending) > 0 {
		p.log.Info("days still being backfilled by other processes: the last to finish recomputes the derived views",
			"outlet", id, "days", len(pending), "first", pending[0].String())
	} else if _, err := p.derive(ctx); err != nil {
		errs = append(errs, err)
	}
	if ctx.Err() != nil {
		errs = append(errs, fmt.Errorf("backfill interrupted: %w; run it again to resume", ctx.Err()))
	}
	return total, errors.Join(errs...)
}

// backfillDay crawls one day of the outlet's archive, records the run and,
// when every page of it was handled, the day as done.
func (p *Pipeline) backfillDay(ctx context.Context, o scrape.Outlet, day jalali.Date) (scrape.Stats, error) {
	start := p.clk.Now()
	st, err := p.crawler.Backfill(ctx, o, day, known{p.store}, p.sink)
	st.Outlet = o.ID
	var errs []error
	if rerr := p.record(ctx, start, st, err); rerr != nil {
		errs = append(errs, rerr)
	}
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("outlet %s, day %s: %w", o.ID, day, err))
	case ctx.Err() == nil && st.Failed == 0 && !st.Blocked:
		if err := p.store.MarkDayDone(ctx, o.ID, day.String()); err != nil {
			errs = append(errs, err)
		}
	case st.Failed > 0:
		// Left unfinished so that a re-run tries the failed pages again.
		errs = append(errs, fmt.Errorf("outlet %s, day %s: %d page(s) failed; run backfill again to retry them", o.ID, day, st.Failed))
	}
	return st, errors.Join(errs...)
}

// holdDay takes the lease of one backfill day on a shared store; ok is
// false when another process has it, or finished the day meanwhile. On a
// store of one process there is nothing to share.
func (p *Pipeline) holdDay(ctx context.Context, id string, day jalali.Date) (_ context.Context, release func() error, ok bool, err error) {
	if !p.store.Shared() {
		return ctx, func() error { return nil }, true, nil
	}
	ctx, release, ok, err = lease.Hold(ctx, p.store, p.clk, "backfill:"+id+":"+day.String(), p.holder, p.cfg.Cluster.Lease.D())
	if err != nil || !ok {
		return ctx, nil, false, err
	}
	// The lease may have been free because its holder had just finished.
	done, err := p.store.DayDone(ctx, id, day.String())
	if err != nil || done {
		return ctx, nil, false, errors.Join(err, release())
	}
	return ctx, release, true, nil
}

// notDone returns the days of the outlet not yet recorded as done.
func (p *Pipeline) notDone(ctx context.Context, id string, days []jalali.Date) ([]jalali.Date, error) {
	var out []jalali.Date
	for _, d := range days {
		done, err := p.store.DayDone(ctx, id, d.String())
		if err != nil {
			return out, err
		}
		if !done {
			out = append(out, d)
		}
	}
	return out, nil
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
