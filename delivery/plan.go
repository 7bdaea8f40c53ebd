package delivery

import (
	"time"

	"mediadigest/model"
	"mediadigest/schedule"
)

// Plan says which window each recipient's next digest covers, from the end
// of their latest one (docs/windows.md). Queue applies it to every
// recipient under the queuing lease.
type Plan struct {
	// Task names the run in logs: "digest", "catch-up", "send".
	Task string
	// next returns the window of a recipient whose latest window ended at
	// lastEnd (zero: they never had one), and false when they get none.
	next func(lastEnd time.Time) (model.Window, bool)
	// skipEmpty queues nothing for a recipient with no story in the
	// window, so that their next window still starts where the last one
	// ended.
	skipEmpty bool
}

// Scheduled is the plan of the digest scheduled at t: each window starts
// where the recipient's latest one ended, so nothing is missed or sent
// twice across restarts and downtime; a first digest covers one schedule
// period. A recipient whose windows already reach t gets none (the run is
// a repeat, or a digest was sent by hand). Windows hold the stories that
// arrived in them (model.ByArrival), so an article crawled after a digest
// went out reaches the next one even when it was published before. A
// scheduled digest goes out even when empty: it tells its reader that
// nothing happened, and that the service runs.
func Scheduled(s schedule.Schedule, t time.Time) Plan {
	return Plan{Task: "digest", next: func(lastEnd time.Time) (model.Window, bool) {
		return scheduledWindow(s, t, lastEnd)
	}}
}

// CatchUp is the plan of a daemon starting at now: a recipient whose
// latest window ended before the latest scheduled time gets one digest
// from there to that time, however many runs were missed. A recipient who
// never had a digest (a new install, a new subscriber) has missed nothing
// and waits for the next scheduled run.
func CatchUp(s schedule.Schedule, now time.Time) Plan {
	return Plan{Task: "catch-up", next: func(lastEnd time.Time) (model.Window, bool) {
		if lastEnd.IsZero() {
			return model.Window{}, false
		}
		t := schedule.Last(s, now)
		if t.IsZero() {
			return model.Window{}, false
		}
		return scheduledWindow(s, t, lastEnd)
	}}
}

// SinceLast is the plan of `digest -send` without -date: what arrived
// since each recipient's latest digest, or in the day before now for a
// first one, up to now. A recipient with nothing new gets nothing.
func SinceLast(now time.Time) Plan {
	return Plan{Task: "send", skipEmpty: true, next: func(lastEnd time.Time) (model.Window, bool) {
		from := lastEnd
		if from.IsZero() {
			from = now.Add(-24 * time.Hour)
		}
		if !from.Before(now) {
			return model.Window{}, false
		}
		return model.Window{From: from, To: now, Basis: model.ByArrival}, true
	}}
}

// Day is the plan of `digest -date D -send`: that window, on published
// time, for every recipient, empty or not. Sending it again queues
// nothing: its rows exist.
func Day(win model.Window) Plan {
	return Plan{Task: "send", next: func(time.Time) (model.Window, bool) { return win, true }}
}

// scheduledWindow is the window of the digest scheduled at t for a
// recipient whose latest window ended at lastEnd (see Scheduled).
func scheduledWindow(s schedule.Schedule, t, lastEnd time.Time) (model.Window, bool) {
	from := lastEnd
	if from.IsZero() {
		if from = schedule.Previous(s, t); from.IsZero() {
			return model.Window{}, false
		}
	}
	if !from.Before(t) {
		return model.Window{}, false
	}
	return model.Window{From: from, To: t, Basis: model.ByArrival}, true
}
