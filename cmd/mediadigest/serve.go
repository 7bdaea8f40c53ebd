package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"mediadigest/daemon"
	"mediadigest/store"
)

func serveCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	listen := fs.String("listen", "", "serve /healthz, /metrics and /preview on `ADDR`, overriding http.listen (several daemons on one machine share a config)")
	return func(ctx context.Context, args []string) (err error) {
		if len(args) > 0 {
			return usagef("unexpected arguments %q", args)
		}
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		if *listen != "" {
			a.cfg.HTTP.Listen = *listen
		}
		// A SQLite file is for one daemon: two would each crawl and send.
		// On PostgreSQL any number share the work through leases and
		// outbox claims, and register themselves instead (daemon.Run).
		unlock := func() error { return nil }
		if !a.store.Shared() {
			host, herr := os.Hostname()
			if herr != nil {
				host = "unknown host"
			}
			unlock, err = a.store.AcquireLock(ctx, "serve", os.Getpid(), host)
			if err != nil {
				a.Close()
				var locked *store.LockedError
				if errors.As(err, &locked) {
					return fmt.Errorf("%w: one daemon per SQLite store; stop that one first, give this one its own store, or share a PostgreSQL store (store: postgres://…)", err)
				}
				return err
			}
		}
		// The store closes before the lock is released: a daemon that
		// starts next must not find a job of this one still writing.
		defer func() { err = errors.Join(err, a.Close(), unlock()) }()
		d, err := daemon.New(a.cfg, a.store, a.pipe, a.log)
		if err != nil {
			return err
		}
		a.log.Info("daemon starting", "pid", os.Getpid(), "id", a.pipe.Holder(), "config", a.cfg.File, "store", a.store.String())
		if err := d.Run(ctx); err != nil {
			return err
		}
		a.log.Info("daemon stopped")
		return nil
	}
}
