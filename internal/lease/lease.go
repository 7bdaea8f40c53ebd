// Package lease keeps a named lease of the store (store.TryLease) while a
// piece of work runs, so that of several processes sharing a store one at a
// time does it, and another takes it over once the holder dies.
package lease

import (
	"context"
	"errors"
	"time"
)

// Store is the part of *store.Store that leases need.
type Store interface {
	TryLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	RenewLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) error
	ReleaseLease(ctx context.Context, name, holder string) error
}

// ErrLost is the cause of the context Hold returns when a renewal failed:
// the lease may have passed to another process, and the work with it.
var ErrLost = errors.New("lease lost")

// Hold takes the lease name for holder, for ttl, and renews it every third
// of ttl until release is called, which frees it. ok is false, without an
// error, when another holder has it. The returned context is cancelled,
// with a cause wrapping ErrLost, if a renewal fails: the work should stop,
// as it may now run elsewhere too. now is the clock of the lease times.
func Hold(ctx context.Context, st Store, name, holder string, ttl time.Duration, now func() time.Time) (_ context.Context, release func() error, ok bool, err error) {
	won, err := st.TryLease(ctx, name, holder, now(), ttl)
	if err != nil || !won {
		return ctx, nil, false, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	stop := Keep(ctx, ttl/3, func(ctx context.Context) bool {
		if err := st.RenewLease(ctx, name, holder, now(), ttl); err != nil {
			cancel(errors.Join(ErrLost, err))
			return false
		}
		return true
	})
	return ctx, func() error {
		stop()
		cancel(nil)
		return st.ReleaseLease(context.WithoutCancel(ctx), name, holder)
	}, true, nil
}

// Keep calls renew every interval, from another goroutine, until stop is
// called, ctx ends or renew returns false. stop returns once renew is no
// longer running.
func Keep(ctx context.Context, interval time.Duration, renew func(context.Context) bool) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if !renew(ctx) {
					return
				}
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}
