// Package clock is the time as mediadigest's code sees it. Everything that
// reads the time or waits for it takes a Clock, so that a test can run the
// whole service on any day (docs/testing.md): the system's clock in
// production, a Fake that a test moves by hand, or an Offset clock that
// runs at the system's pace from another starting time.
package clock

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Clock tells the time and waits for it.
type Clock interface {
	Now() time.Time
	// Sleep returns once d has passed on this clock (at once when d is not
	// positive), or with ctx's error when ctx ends first.
	Sleep(ctx context.Context, d time.Duration) error
	// SleepUntil returns once this clock reads t or later, or with ctx's
	// error when ctx ends first. A wait for a time of day takes it rather
	// than Sleep(t.Sub(Now())): a clock moved between that reading and
	// the sleep's own would make the sleep end past t.
	SleepUntil(ctx context.Context, t time.Time) error
}

// System returns the system's clock.
func System() Clock { return system{} }

type system struct{}

func (system) Now() time.Time { return time.Now() }

func (system) Sleep(ctx context.Context, d time.Duration) error { return sleep(ctx, d) }

func (system) SleepUntil(ctx context.Context, t time.Time) error { return sleep(ctx, time.Until(t)) }

// sleep waits d of real time, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Or returns c, or the system's clock when c is nil: the default of every
// option that takes a Clock.
func Or(c Clock) Clock {
	if c == nil {
		return System()
	}
	return c
}

// Offset returns a clock that reads start now and then runs at the
// system's pace: a process that must believe it is another day, and still
// see time pass, as a daemon started by a test in a process of its own.
func Offset(start time.Time) Clock {
	return offset{d: time.Until(start)}
}

type offset struct{ d time.Duration }

func (o offset) Now() time.Time                                   { return time.Now().Add(o.d) }
func (o offset) Sleep(ctx context.Context, d time.Duration) error { return sleep(ctx, d) }
func (o offset) SleepUntil(ctx context.Context, t time.Time) error {
	return sleep(ctx, t.Sub(o.Now()))
}

// Fake is a clock that stands still until a test moves it with Advance or
// Set. Waiting on it never takes real time: Sleep returns when the clock is
// moved past its deadline. It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*waiter
	changed chan struct{} // closed and replaced whenever waiters change
}

type waiter struct {
	at time.Time
	ch chan struct{} // closed when the clock reaches at
}

// NewFake returns a Fake reading t.
func NewFake(t time.Time) *Fake {
	return &Fake{now: t, changed: make(chan struct{})}
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Sleep returns once the clock has been moved d past the time of the call,
// or when ctx ends.
func (f *Fake) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	at := f.now.Add(d)
	f.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	return f.SleepUntil(ctx, at)
}

// SleepUntil returns once the clock has been moved to t or past it, or
// when ctx ends.
func (f *Fake) SleepUntil(ctx context.Context, t time.Time) error {
	f.mu.Lock()
	if !t.After(f.now) {
		f.mu.Unlock()
		return ctx.Err()
	}
	w := &waiter{at: t, ch: make(chan struct{})}
	f.waiters = append(f.waiters, w)
	f.notify()
	f.mu.Unlock()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
		f.mu.Lock()
		f.waiters = slices.DeleteFunc(f.waiters, func(x *waiter) bool { return x == w })
		f.notify()
		f.mu.Unlock()
		return ctx.Err()
	}
}

// Advance moves the clock d forward and fires the waits that fall due.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the clock to t, which must not be before its time, and ends
// the sleeps that fall due.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.Before(f.now) {
		panic("clock: Fake.Set moves the clock back from " + f.now.String() + " to " + t.String())
	}
	f.now = t
	kept := f.waiters[:0]
	for _, w := range f.waiters {
		if w.at.After(t) {
			kept = append(kept, w)
			continue
		}
		close(w.ch)
	}
	f.waiters = kept
	f.notify()
}

// Waiters returns how many goroutines sleep on the clock.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// Changed returns a channel closed the next time a sleep starts or ends:
// a test that must know a goroutine has gone to sleep on the clock before
// moving it waits on this, with a deadline (see Settle).
func (f *Fake) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

// NextWait returns the earliest deadline of the sleeps, and false when
// nothing sleeps on the clock.
func (f *Fake) NextWait() (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.waiters) == 0 {
		return time.Time{}, false
	}
	next := f.waiters[0].at
	for _, w := range f.waiters[1:] {
		if w.at.Before(next) {
			next = w.at
		}
	}
	return next, true
}

func (f *Fake) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// Settle waits until n goroutines sleep on the clock, or timeout passes
// (real time), and reports whether they do: a test moves the clock once
// the goroutines it drives have gone to sleep, so that no wake-up is lost.
func (f *Fake) Settle(n int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		changed := f.Changed()
		if f.Waiters() == n {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return f.Waiters() == n
		}
	}
}
