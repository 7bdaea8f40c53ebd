package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"

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
	now := d.clk.Now()
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
	err := d.store.Heartbeat(ctx, d.holder, d.clk.Now())
	if errors.Is(err, store.ErrNotFound) {
		_, err = d.register(ctx)
	}
	if err != nil && ctx.Err() == nil {
		d.log.Warn("heartbeat failed", "error", err)
	}
}
