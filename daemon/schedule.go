package daemon

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"mediadigest/model"
)

// parseSchedule reads a cron spec of the config (SPEC §3) as a schedule in
// loc: a spec without CRON_TZ= runs in loc, one with it in its own zone.
// The config has validated the spec, including the bare "CRON_TZ=…" that
// makes cron.ParseStandard panic.
//
// "@every D" becomes a grid of multiples of D, not cron's delay from the
// daemon's start: a restart then keeps the same scheduled times, so a
// digest window computed after a crash is the one computed before it.
func parseSchedule(spec string, loc *time.Location) (cron.Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("daemon: schedule %q: %w", spec, err)
	}
	switch s := s.(type) {
	case cron.ConstantDelaySchedule:
		return every{s.Delay}, nil
	case *cron.SpecSchedule:
		if s.Location == time.Local {
			s.Location = loc
		}
		return s, nil
	}
	return s, nil
}

// every fires at the multiples of d since the zero time (UTC): "@every 2s"
// at even seconds, "@every 1h" on the hour.
type every struct{ d time.Duration }

// Next returns the first multiple of d after t.
func (e every) Next(t time.Time) time.Time { return t.Truncate(e.d).Add(e.d) }

// maxLookback bounds the search of lastScheduled: cron's Next gives up
// beyond five years, so a schedule that has not fired in eight never will.
const maxLookback = 8 * 366 * 24 * time.Hour

// lastScheduled returns the latest time at or before t at which s fires,
// or the zero time when it has not fired within maxLookback. A job that
// cron starts calls it with the current time to learn the time it was
// planned for (cron v3 does not tell its jobs).
//
// cron has no "previous" operation, so the search runs Next forward from
// ever further back (1m, 2m, 4m, …) until a firing lands in the range; a
// frequent schedule is found at once, a daily one in a dozen steps.
func lastScheduled(s cron.Schedule, t time.Time) time.Time {
	if e, ok := s.(every); ok {
		return t.Truncate(e.d)
	}
	for back := time.Minute; back <= maxLookback; back *= 2 {
		var last time.Time
		for u := s.Next(t.Add(-back)); !u.IsZero() && !u.After(t); u = s.Next(u) {
			last = u
		}
		if !last.IsZero() {
			return last
		}
	}
	return time.Time{}
}

// previousScheduled returns the firing of s before the one at t.
func previousScheduled(s cron.Schedule, t time.Time) time.Time {
	return lastScheduled(s, t.Add(-time.Nanosecond))
}

// digestWindow is the window of the digest scheduled at t for a subscriber
// whose latest window ended at lastEnd (zero: the subscriber never had
// one). It starts where the last one ended, so nothing is missed or sent
// twice across restarts and downtime; a first digest covers one schedule
// period. ok is false when the subscriber's windows already reach t (the
// run is a repeat, or a digest was sent by hand with `digest -send`). It
// holds the stories that arrived in it (model.ByArrival), so an article
// crawled after a digest went out reaches the next one even when it was
// published before.
func digestWindow(s cron.Schedule, t, lastEnd time.Time) (win model.Window, ok bool) {
	from := lastEnd
	if from.IsZero() {
		if from = previousScheduled(s, t); from.IsZero() {
			return model.Window{}, false
		}
	}
	if !from.Before(t) {
		return model.Window{}, false
	}
	return model.Window{From: from, To: t, Basis: model.ByArrival}, true
}

// missedWindow is the catch-up digest of a subscriber at start-up (now):
// when a scheduled time passed since the subscriber's latest window ended
// at lastEnd, the window runs from lastEnd to the latest scheduled time.
// However many runs were missed, one digest covers them all. A subscriber
// who never had a digest (a new install, a new subscriber) has missed
// nothing and waits for the next scheduled run.
func missedWindow(s cron.Schedule, now, lastEnd time.Time) (win model.Window, ok bool) {
	if lastEnd.IsZero() {
		return model.Window{}, false
	}
	t := lastScheduled(s, now)
	if t.IsZero() {
		return model.Window{}, false
	}
	return digestWindow(s, t, lastEnd)
}

// crawlMissed reports whether an outlet whose latest crawl started at last
// (zero: never crawled) missed a scheduled crawl before now.
func crawlMissed(s cron.Schedule, now, last time.Time) bool {
	if last.IsZero() {
		return true
	}
	t := lastScheduled(s, now)
	return !t.IsZero() && last.Before(t)
}
