package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"mediadigest/config"
	"mediadigest/delivery"
	"mediadigest/digest"
	"mediadigest/jalali"
	"mediadigest/model"
	"mediadigest/sampleoutlets"
	"mediadigest/scrape"
	"mediadigest/store"
)

func demoCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	out := fs.String("out", "demo-out", "write the digest and the demo store into `DIR`")
	verbose := fs.Bool("v", false, "log every crawl step")
	keep := fs.Bool("keep", false, "afterwards, keep serving the sample outlets until interrupted, with DIR/demo.yaml a config for the other commands")
	return func(ctx context.Context, args []string) error {
		dir, err := filepath.Abs(*out)
		if err != nil {
			return err
		}
		if err := resetDemo(dir); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		srv, err := sampleoutlets.Start(e.clock.Now())
		if err != nil {
			return fmt.Errorf("demo: start sample outlets: %w", err)
		}
		defer srv.Close()
		cfg, err := config.Demo(srv.URL("isna"), srv.URL("eghtesad24"), dir)
		if err != nil {
			return fmt.Errorf("demo: built-in config: %w", err)
		}
		level := slog.LevelWarn
		if *verbose {
			level = slog.LevelDebug
		}
		log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
		a, err := e.openApp(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer a.Close()
		// The sample outlets' later day, yesterday: the day the demo digests.
		day := srv.Days()[1]
		if err := gather(ctx, e, a, srv, day, log); err != nil {
			return err
		}
		d, err := writeDemoDigest(ctx, e, a, day, dir)
		if err != nil {
			return err
		}
		if err := summarize(ctx, e, a.store, d); err != nil || !*keep {
			return err
		}
		// The store is the other commands' from now on.
		if err := a.Close(); err != nil {
			return err
		}
		return keepServing(ctx, e, srv, dir)
	}
}

// resetDemo prepares dir for a demo run. The sample outlets get new
// loopback ports on every run, and the ports are part of the stored URLs:
// the store and the outbox start empty.
func resetDemo(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range []string{"demo.db", "demo.db-wal", "demo.db-shm"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	if err := os.RemoveAll(filepath.Join(dir, "outbox")); err != nil {
		return err
	}
	return writeSecret(filepath.Join(dir, "secret"))
}

// gather crawls the sample outlets, then backfills their two days from
// the archives: feeds list only the newest items.
func gather(ctx context.Context, e *env, a *app, srv *sampleoutlets.Outlets, day jalali.Date, log *slog.Logger) error {
	fmt.Fprintf(e.stdout, "Crawling the sample outlets (ISNA at %s, Eghtesad24 at %s)…\n", srv.URL("isna"), srv.URL("eghtesad24"))
	rep, err := a.pipe.Crawl(ctx, nil)
	printStats(e.stdout, rep.Outlets)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Backfilling %s–%s from the archives…\n", day.AddDays(-1), day)
	for _, id := range a.cfg.OutletIDs() {
		st, err := a.pipe.Backfill(ctx, id, day.AddDays(-1), day, &logProgress{log: log})
		printStats(e.stdout, []scrape.Stats{st})
		if err != nil {
			return err
		}
	}
	return nil
}

// writeDemoDigest writes the first subscriber's digest of day in every
// format into dir, and mails every subscriber's through the outbox.
func writeDemoDigest(ctx context.Context, e *env, a *app, day jalali.Date, dir string) (model.Digest, error) {
	loc := a.cfg.Location
	win := digest.DayWindow(day.Time(loc), loc)
	first := a.cfg.Subscribers[0]
	d, err := a.mail.Digest(ctx, digest.Subscriber{Email: first.Email, Topics: first.Topics}, win)
	if err != nil {
		return d, err
	}
	fmt.Fprintf(e.stdout, "\nDigest of %s (%s) for %s:\n", day, day.Time(loc).Format("2006-01-02"), first.Email)
	for _, f := range []struct{ name, format string }{
		{"digest.html", "html"}, {"digest.txt", "text"}, {"digest.json", "json"}, {"digest.eml", "eml"},
	} {
		data, err := a.mail.Format(d, f.format)
		if err != nil {
			return d, err
		}
		path := filepath.Join(dir, f.name)
		if err := writeFile(path, data); err != nil {
			return d, fmt.Errorf("demo: %w", err)
		}
		fmt.Fprintf(e.stdout, "  %s\n", path)
	}
	if _, err := a.mail.Queue(ctx, delivery.Day(win)); err != nil {
		return d, err
	}
	sent, err := a.mail.Send(ctx)
	if err != nil {
		return d, err
	}
	fmt.Fprintf(e.stdout, "  %s (%d digests through the outbox, mail.transport: file)\n", a.cfg.Mail.Dir, sent.Sent)
	return d, nil
}

// keepServing writes the demo's config to dir/demo.yaml and serves the
// sample outlets until ctx ends, so that crawl, serve and the others can
// be tried on them.
func keepServing(ctx context.Context, e *env, srv *sampleoutlets.Outlets, dir string) error {
	path := filepath.Join(dir, "demo.yaml")
	if err := writeFile(path, config.DemoYAML(srv.URL("isna"), srv.URL("eghtesad24"), dir)); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(e.stdout, "\nThe sample outlets stay up at %s and %s until Ctrl-C. Their config is %s; try, in another terminal,\n"+
		"  mediadigest serve -config %[3]s     # a digest every five minutes into %[4]s, the desk on http://127.0.0.1:8080\n"+
		"  mediadigest link -config %[3]s analyst@example.com     # a sign-in link to the desk\n"+
		"  mediadigest status -config %[3]s\n",
		srv.URL("isna"), srv.URL("eghtesad24"), path, filepath.Join(dir, "outbox"))
	<-ctx.Done()
	return nil
}

// summarize prints what the demo did: articles, removed paragraphs by
// reason, stories and topics.
func summarize(ctx context.Context, e *env, st *store.Store, d model.Digest) error {
	articles, err := st.Articles(ctx, store.ArticleQuery{})
	if err != nil {
		return err
	}
	removed := map[string]int{}
	stories := map[string]bool{}
	for _, a := range articles {
		for _, r := range a.Removed {
			removed[r.Reason]++
		}
		stories[a.Story] = true
	}
	reasons := make([]string, 0, len(removed))
	for r := range removed {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	fmt.Fprintf(e.stdout, "\n%d articles stored, %d stories. Paragraphs removed:", len(articles), len(stories))
	for _, r := range reasons {
		fmt.Fprintf(e.stdout, " %s %d", r, removed[r])
	}
	fmt.Fprintln(e.stdout)
	fmt.Fprint(e.stdout, "Digest topics:")
	for _, t := range d.Topics {
		fmt.Fprintf(e.stdout, " %s %d", t.Name, len(t.Stories)+t.More)
	}
	fmt.Fprintln(e.stdout, "\nOpen digest.html in a browser to read it.")
	return nil
}

// writeSecret writes a random secret to sign the demo's links into path,
// readable by its owner alone, unless one is there: a kept demo's links
// stay valid across runs.
func writeSecret(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(b)+"\n"), 0o600)
}
