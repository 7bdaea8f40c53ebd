// Package schedule reads the cron specs of the config (crawl.schedule,
// digest.schedule) and answers the two questions the daemon and the
// digest windows ask of them: when does it fire next, and when did it
// fire last (docs/windows.md).
//
// Specs are parsed by robfig/cron; the daemon runs them on its own loop
// over an injected clock (package clock), so that tests can move time.
package schedule

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule is a parsed spec: cron's, in the config's zone.
type Schedule = cron.Schedule

// Parse reads a spec of the config as a schedule in loc: a spec without
// CRON_TZ= runs in loc, one with it in its own zone. The config has
// validated the spec, including the bare "CRON_TZ=…" that makes
// cron.ParseStandard panic.
//
// "@every D" becomes a grid of multiples of D, not cron's delay from the
// daemon's start: a restart then keeps the same scheduled times, so a
// digest window computed after a crash is the one computed before it.
func Parse(spec string, loc *time.Location) (Schedule, error) {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	switch s := s.(type) {
	case cron.ConstantDelaySchedule:
		return Every(s.Delay), nil
	case *cron.SpecSchedule:
		if s.Location == time.Local {
			s.Location = loc
		}
		return s, nil
	}
	return s, nil
}

// Every fires at the multiples of d since the zero time (UTC): every 2s at
// even seconds, every 1h on the hour.
type Every time.Duration

// Next returns the first multiple of e after t.
func (e Every) Next(t time.Time) time.Time {
	d := time.Duration(e)
	return t.Truncate(d).Add(d)
}

// maxLookback bounds the search of Last: cron's Next gives up beyond five
// years, so a schedule that has not fired in eight never will.
const maxLookback = 8 * 366 * 24 * time.Hour

// Last returns the latest time at or before t at which s fires, or the
// zero time when it has not fired within eight years.
//
// cron has no "previous" operation, so the search runs Next forward from
// ever further back (1m, 2m, 4m, …) until a firing lands in the range; a
// frequent schedule is found at once, a daily one in a dozen steps.
func Last(s Schedule, t time.Time) time.Time {
	if e, ok := s.(Every); ok {
		return t.Truncate(time.Duration(e))
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

// Previous returns the firing of s before the one at t.
func Previous(s Schedule, t time.Time) time.Time {
	return Last(s, t.Add(-time.Nanosecond))
}

// Missed reports whether a job of s last run at last (zero: never) missed
// a firing before now.
func Missed(s Schedule, now, last time.Time) bool {
	if last.IsZero() {
		return true
	}
	t := Last(s, now)
	return !t.IsZero() && last.Before(t)
}
