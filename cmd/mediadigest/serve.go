package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"mediadigest/daemon"
	"mediadigest/internal/lease"
	"mediadigest/store"
)

func serveCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	listen := fs.String("listen", "", "serve /healthz, /metrics and /preview on `ADDR`, overriding http.listen (several daemons on one machine share a config)")
	return func(ctx context.Context, args []string) (err error) {
		if len(args) > 0 {
			return usagef("unexpected arguments %q", args)
		}
		cfg, err := e.loadConfig()
		if err != nil {
			return err
		}
		if *listen != "" {
			cfg.HTTP.Listen = *listen
		}
		// A SQLite file is for one daemon: two would each crawl and send.
		// On PostgreSQL any number share the work through leases and
		// outbox claims, and register themselves instead (daemon.Run).
		// The lock comes before the store is opened: opening migrates the
		// schema, which a newer binary started by mistake must not do
		// under the running daemon.
		unlock := func() error { return nil }
		if !store.IsShared(cfg.Store) {
			host, herr := os.Hostname()
			if herr != nil {
				host = "unknown host"
			}
			unlock, err = store.AcquireLock(ctx, cfg.Store, "serve", os.Getpid(), host)
			if err != nil {
				var locked *store.LockedError
				if errors.As(err, &locked) {
					return fmt.Errorf("%w: one daemon per SQLite store; stop that one first, give this one its own store, or share a PostgreSQL store (store: postgres://…)", err)
				}
				return err
			}
		}
		a, err := e.openApp(ctx, cfg, newLogger(cfg, e.stderr))
		if err != nil {
			return errors.Join(err, unlock())
		}
		// The store closes before the lock is released: a daemon that
		// starts next must not find a job of this one still writing.
		defer func() { err = errors.Join(err, a.Close(), unlock()) }()
		if !a.store.Shared() {
			// Holding the lock proves the daemons registered before dead:
			// their leases and claims would hold their work back (a missed
			// crawl, a digest) until they expire.
			dead, err := a.store.ReleaseDeadDaemons(ctx)
			if err != nil {
				return err
			}
			for _, p := range dead {
				a.log.Warn("a daemon died without stopping: its leases and outbox claims are released",
					"id", p.ID, "pid", p.PID, "host", p.Host, "started", p.Started, "last_heartbeat", p.Heartbeat)
			}
		}
		o := daemon.Options{Clock: e.clock, Logger: a.log}
		if a.site != nil {
			if o.Pages, err = pages(a); err != nil {
				return err
			}
		} else {
			a.log.Warn("the desk and the subscription pages are not served", "reason", a.noSite)
		}
		d, err := daemon.New(a.cfg, a.store, a.pipe, a.mail, o)
		if err != nil {
			return err
		}
		a.log.Info("daemon starting", "pid", os.Getpid(), "id", lease.DefaultHolder(), "config", a.cfg.File, "store", a.store.String())
		if m := a.cfg.Mail; m.Transport == "smtp" && m.SMTP.PasswordEnv != "" && m.SMTP.Password() == "" {
			// Not fatal: the relay may not need it. But if it does, every
			// digest will wait in the outbox until the daemon is restarted
			// with it, and this line is where ops will look.
			a.log.Error("SMTP password variable is empty; digests will be retried until a restart provides it",
				"password_env", m.SMTP.PasswordEnv)
		}
		if err := d.Run(ctx); err != nil {
			return err
		}
		a.log.Info("daemon stopped")
		return nil
	}
}
