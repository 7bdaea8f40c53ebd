package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"

	"mediadigest/config"
	"mediadigest/delivery"
	"mediadigest/jalali"
	"mediadigest/pipeline"
	"mediadigest/scrape"
	"mediadigest/store"
	"mediadigest/stories"
	"mediadigest/subscription"
	"mediadigest/web"
)

// app is a loaded config with its open store and the parts built over it:
// the pipeline (crawl, derive), the stored stories and the delivery of
// digests.
type app struct {
	cfg     *config.Config
	store   *store.Store
	pipe    *pipeline.Pipeline
	stories *stories.Reader
	mail    *delivery.Manager
	// subs is what subscribers chose (topics, pauses, unsubscriptions):
	// the audience of the digests.
	subs *subscription.Manager
	log  *slog.Logger
	// site is the readers' pages, nil when they are not served (noSite
	// says why): without a secret, nothing signs their links.
	site   *web.Site
	noSite error

	closeOnce sync.Once
	closeErr  error
}

// Close closes the store; again, it does nothing.
func (a *app) Close() error {
	a.closeOnce.Do(func() { a.closeErr = a.store.Close() })
	return a.closeErr
}

// loadConfig reads the config; problems are usage errors (exit 2).
func (e *env) loadConfig() (*config.Config, error) {
	cfg, err := config.Load(config.Path(e.configPath))
	if err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

// open loads the config, opens the store and builds the pipeline.
func (e *env) open(ctx context.Context) (*app, error) {
	cfg, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	return e.openApp(ctx, cfg, newLogger(cfg, e.stderr))
}

func (e *env) openApp(ctx context.Context, cfg *config.Config, log *slog.Logger) (*app, error) {
	st, err := store.Open(ctx, cfg.Store, store.WithClock(e.clock.Now))
	if err != nil {
		return nil, err
	}
	p, err := pipeline.New(cfg, st, pipeline.Options{Clock: e.clock, Logger: log})
	if err != nil {
		st.Close()
		return nil, err
	}
	a := &app{cfg: cfg, store: st, pipe: p, stories: stories.New(st, cfg.Cleaning.StoryWindow.D()), log: log}
	a.site, a.noSite = web.NewSite(cfg, web.Options{Clock: e.clock, Logger: log})
	var links delivery.Links
	if a.site != nil && a.site.Public() {
		links = a.site
	}
	// The config's list of subscribers is recorded first: the store says
	// what each chose, the config who may receive digests at all.
	a.subs = subscription.NewManager(cfg, st, subscription.Options{Clock: e.clock, Logger: log})
	if err := a.subs.Sync(ctx); err != nil {
		st.Close()
		return nil, err
	}
	a.mail, err = delivery.New(cfg, st, a.stories, a.subs, delivery.Options{Clock: e.clock, Logger: log, Links: links})
	if err != nil {
		st.Close()
		return nil, err
	}
	return a, nil
}

// newLogger logs to w as text, or JSON with log.format: json.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func checkCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	return func(ctx context.Context, args []string) error {
		path := config.Path(e.configPath)
		cfg, err := config.Load(path)
		if err != nil {
			var ps config.Problems
			if errors.As(err, &ps) {
				for _, p := range ps {
					fmt.Fprintln(e.stdout, p)
				}
				return usagef("%s: %d problem(s)", path, len(ps))
			}
			return usageError{err}
		}
		fmt.Fprintf(e.stdout, "%s: ok (%d outlets, %d topics, %d subscribers, mail by %s)\n",
			path, len(cfg.Outlets), len(cfg.Topics), len(cfg.Subscribers), cfg.Mail.Transport)
		if cfg.Mail.Transport == "smtp" && cfg.Mail.SMTP.PasswordEnv != "" && cfg.Mail.SMTP.Password() == "" {
			fmt.Fprintf(e.stdout, "warning: $%s is not set in this environment; SMTP will try without a password\n", cfg.Mail.SMTP.PasswordEnv)
		}
		if h := cfg.HTTP; (h.SecretEnv != "" || h.SecretFile != "") && h.Secrets() == nil {
			where := "$" + h.SecretEnv + " is not set in this environment"
			if h.SecretEnv == "" {
				where = h.SecretFile + " is missing or empty"
			}
			fmt.Fprintf(e.stdout, "warning: %s; serve will not serve the desk and the subscription pages, and digests will not link to them\n", where)
		}
		return nil
	}
}

func crawlCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	var outlets multiFlag
	fs.Var(&outlets, "outlet", "outlet `ID` to crawl (repeatable; default all)")
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected arguments %q", args)
		}
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		for _, id := range outlets {
			if _, err := a.pipe.Outlet(id); err != nil {
				return usageError{err}
			}
		}
		rep, err := a.pipe.Crawl(ctx, outlets)
		printStats(e.stdout, rep.Outlets)
		for _, id := range slices.Sorted(maps.Keys(rep.Elsewhere)) {
			fmt.Fprintf(e.stdout, "%-12s crawled by %s at the same time: left to it\n", id, rep.Elsewhere[id])
		}
		if err == nil {
			err = pageFailures(rep.Outlets)
		}
		return err
	}
}

func backfillCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	outlet := fs.String("outlet", "", "outlet `ID` (required)")
	from := fs.String("from", "", "first `DATE`: 2026-11-18 or Jalali 1405/08/27 (required)")
	to := fs.String("to", "", "last `DATE`, included (default: -from)")
	return func(ctx context.Context, args []string) error {
		if *outlet == "" || *from == "" {
			return usagef("-outlet and -from are required")
		}
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if _, err := a.pipe.Outlet(*outlet); err != nil {
			return usageError{err}
		}
		first, err := jalali.ParseDay(*from)
		if err != nil {
			return usagef("-from: %v", err)
		}
		last := first
		if *to != "" {
			if last, err = jalali.ParseDay(*to); err != nil {
				return usagef("-to: %v", err)
			}
		}
		if last.Time(a.cfg.Location).Before(first.Time(a.cfg.Location)) {
			return usagef("-to %s is before -from %s", last, first)
		}
		stats, err := a.pipe.Backfill(ctx, *outlet, first, last, newProgress(e.stderr, a.log))
		printStats(e.stdout, []scrape.Stats{stats})
		return err
	}
}

func writeJSON(w io.Writer, v any, indent bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}
