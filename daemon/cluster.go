package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"mediadigest/internal/lease"
	"mediadigest/store"
)

// register records this daemon in the store's process list and returns
// the function that removes it, freeing its leases and outbox claims for
// the other daemons at once.
func (d *Daemon) register(ctx context.Context) (unregister func(), err error) {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	now := d.now()
	if err := d.store.Register(ctx, store.Process{ID: d.holder, Host: host, PID: os.Getpid(), Started: now, Heartbeat: now}); err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	return func() {
		if err := d.store.Unregister(context.WithoutCancel(ctx), d.holder); err != nil {
			d.log.Warn("cannot unregister: the others take this daemon's work over when its leases expire", "error", err)
		}
	}, nil
}

// heartbeat tells the other daemons (and /healthz) that this one is alive.
// A row removed meanwhile (by an operator) is written again.
func (d *Daemon) heartbeat(ctx context.Context) {
	err := d.store.Heartbeat(ctx, d.holder, d.now())
	if errors.Is(err, store.ErrNotFound) {
		_, err = d.register(ctx)
	}
	if err != nil && ctx.Err() == nil {
		d.log.Warn("heartbeat failed", "error", err)
	}
}

// leased takes the named lease for this daemon and keeps renewing it
// until done is called, which releases it. ok is false when another daemon
// holds the lease (or it cannot be read): the work is not this daemon's;
// that is logged at level skipped, with the holder. The returned context
// is cancelled if the lease is lost, as the work may then be running
// elsewhere too.
func (d *Daemon) leased(ctx context.Context, log *slog.Logger, name string, skipped slog.Level) (_ context.Context, done func(), ok bool) {
	ctx, release, ok, err := lease.Hold(ctx, d.store, name, d.holder, d.lease, d.now)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			log.Error("cannot take the lease: skipping this run", "lease", name, "error", err)
		}
		return ctx, nil, false
	case !ok:
		if log.Enabled(ctx, skipped) {
			log.Log(ctx, skipped, "another daemon holds the lease: skipping this run",
				append([]any{"lease", name}, d.holderOf(ctx, name)...)...)
		}
		return ctx, nil, false
	}
	context.AfterFunc(ctx, func() {
		if cause := context.Cause(ctx); errors.Is(cause, lease.ErrLost) {
			log.Error("lease lost: stopping the job", "lease", name, "error", cause)
		}
	})
	return ctx, func() {
		if err := release(); err != nil {
			log.Warn("cannot release the lease: the others wait for it to expire", "lease", name, "error", err)
		}
	}, true
}

// crawledElsewhere reports whether the outlet was crawled since its
// latest scheduled time, by another daemon that fired first.
func (d *Daemon) crawledElsewhere(ctx context.Context, log *slog.Logger, outlet string) bool {
	health, err := d.store.Health(ctx)
	if err != nil {
		log.Warn("cannot read the latest crawls; crawling anyway", "error", err)
		return false
	}
	for _, h := range health {
		if h.Outlet == outlet && !crawlMissed(d.crawlSched[outlet], d.now(), h.LastRun.Started) {
			log.Debug("crawled since its scheduled time already: skipping this run", "started", h.LastRun.Started)
			return true
		}
	}
	return false
}

// holderOf returns, for a log line, who holds the named lease and until
// when.
func (d *Daemon) holderOf(ctx context.Context, name string) []any {
	leases, err := d.store.Leases(ctx, d.now())
	if err != nil {
		return []any{"holder", "unknown", "error", err}
	}
	for _, l := range leases {
		if l.Name == name {
			return []any{"holder", l.Holder, "until", l.Expires}
		}
	}
	return []any{"holder", "none (released since)"}
}
