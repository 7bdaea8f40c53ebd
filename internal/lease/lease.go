// Package lease keeps a named lease of the store (store.TryLease) while a
// piece of work runs, so that of several processes sharing a store one at a
// time does it, and another takes it over once the holder dies.
package lease

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"mediadigest/clock"
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
// as it may now run elsewhere too. clk is the clock of the lease times and
// of the renewals.
func Hold(ctx context.Context, st Store, clk clock.Clock, name, holder string, ttl time.Duration) (_ context.Context, release func() error, ok bool, err error) {
	won, err := st.TryLease(ctx, name, holder, clk.Now(), ttl)
	if err != nil || !won {
		return ctx, nil, false, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	stop := Keep(ctx, clk, ttl/3, func(ctx context.Context) bool {
		if err := st.RenewLease(ctx, name, holder, clk.Now(), ttl); err != nil {
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

// Keep calls renew every interval of clk, from another goroutine, until
// stop is called, ctx ends or renew returns false. stop returns once renew
// is no longer running.
func Keep(ctx context.Context, clk clock.Clock, interval time.Duration, renew func(context.Context) bool) (stop func()) {
	sleep, quit := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for clk.Sleep(sleep, interval) == nil {
			if !renew(ctx) {
				return
			}
		}
	}()
	return func() {
		quit()
		<-done
	}
}

// DefaultHolder names this process in leases and outbox claims: HOST:PID,
// unique among the processes sharing a store as long as their hosts'
// names are.
func DefaultHolder() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}
