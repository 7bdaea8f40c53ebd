package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"mediadigest/delivery"
	"mediadigest/digest"
	"mediadigest/jalali"
	"mediadigest/model"
)

func digestCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	date := fs.String("date", "", "the `DATE` of the digest's day (2026-11-18 or 1405/08/27; default today)")
	subscriber := fs.String("subscriber", "", "only this subscriber `EMAIL`")
	format := fs.String("format", "html", "output format: html, text, json or eml")
	out := fs.String("out", "", "write one file per subscriber into `DIR` instead of printing")
	send := fs.Bool("send", false, "deliver through the outbox: what arrived since each subscriber's last digest, or with -date that finished day; never twice")
	return func(ctx context.Context, args []string) error {
		if !slices.Contains(delivery.Formats, *format) {
			return usagef("-format %q: want one of %s", *format, strings.Join(delivery.Formats, ", "))
		}
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		day := jalali.Of(e.clock.Now().In(a.cfg.Location))
		if *date != "" {
			if day, err = jalali.ParseDay(*date); err != nil {
				return usagef("-date: %v", err)
			}
		}
		win := digest.DayWindow(day.Time(a.cfg.Location), a.cfg.Location)
		// Every configured subscriber with the topics they chose, paused
		// or not: printing is not sending.
		var subs []digest.Subscriber
		for _, c := range a.cfg.Subscribers {
			s, err := a.mail.Subscriber(ctx, c.Email)
			if err != nil {
				return err
			}
			subs = append(subs, s)
		}
		if *subscriber != "" {
			s, err := a.mail.Subscriber(ctx, *subscriber)
			if err != nil {
				return usageError{err}
			}
			subs = []digest.Subscriber{s}
		}
		if len(subs) == 0 {
			return usagef("no subscribers configured")
		}
		if *send {
			if *subscriber != "" {
				return usagef("-send delivers to every subscriber; -subscriber goes with printing or -out")
			}
			return sendDigests(ctx, e, a, *date != "", day, win)
		}
		if *out == "" && len(subs) > 1 {
			return usagef("%d subscribers: name one with -subscriber, or write them all with -out DIR", len(subs))
		}
		digests, err := a.mail.Digests(ctx, subs, win)
		if err != nil {
			return err
		}
		for _, d := range digests {
			data, err := a.mail.Format(d, *format)
			if err != nil {
				return err
			}
			if *out == "" {
				_, err = e.stdout.Write(data)
				return err
			}
			path := filepath.Join(*out, fileStem(d.Subscriber)+"-"+day.Time(a.cfg.Location).Format("2006-01-02")+"."+ext(*format))
			if err := writeFile(path, data); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, path)
		}
		return nil
	}
}

// sendDigests is `digest -send`: it queues what arrived since each
// subscriber's last digest (or, byDay, the day's digest once the day is
// over), then sends every due digest, batch after batch. It fails (exit
// 1) unless each due digest was sent or is being sent by another live
// process.
func sendDigests(ctx context.Context, e *env, a *app, byDay bool, day jalali.Date, win model.Window) error {
	plan := delivery.SinceLast(e.clock.Now())
	if byDay {
		// A day still running would be sent without its rest, and the
		// outbox would take it as sent: its rest would never go.
		if now := e.clock.Now(); win.To.After(now) {
			return usagef("-date %s: the day is not over until %s; without -date, -send sends what arrived since each subscriber's last digest",
				day, win.To.In(a.cfg.Location).Format("2006-01-02 15:04 MST"))
		}
		plan = delivery.Day(win)
	}
	// Articles stored since the last pass get their stories first: a
	// digest reads the stored stories.
	if _, err := a.pipe.Process(ctx); err != nil {
		return err
	}
	queued, err := a.mail.Queue(ctx, plan)
	if err != nil {
		return err
	}
	rep, err := a.mail.Send(ctx)
	what := "digest of what arrived since each subscriber's last one"
	if byDay {
		what = "digest " + day.String()
	}
	fmt.Fprintf(e.stdout, "%s: queued %d, sent %d, to retry %d, failed %d", what, len(queued.Queued), rep.Sent, rep.Retry, rep.Failed)
	if !byDay {
		fmt.Fprintf(e.stdout, ", nothing new for %d", queued.NothingNew)
	}
	fmt.Fprintln(e.stdout)
	if err != nil {
		return err
	}
	if rep.Retry+rep.Failed > 0 {
		return fmt.Errorf("%d digest(s) not delivered; see `mediadigest outbox`", rep.Retry+rep.Failed)
	}
	due, err := a.store.OutboxDue(ctx, e.clock.Now())
	if err != nil {
		return err
	}
	if due.Claimed > 0 {
		fmt.Fprintf(e.stdout, "%d digest(s) being sent by another process (%s); see `mediadigest outbox -state queued`\n", due.Claimed, strings.Join(due.Holders, ", "))
	}
	if due.Unclaimed > 0 {
		return fmt.Errorf("%d digest(s) due and not sent; see `mediadigest outbox -state queued`, and run `mediadigest digest -send` again", due.Unclaimed)
	}
	return nil
}

func ext(format string) string {
	if format == "text" {
		return "txt"
	}
	return format
}

func fileStem(email string) string {
	return strings.NewReplacer("@", "_at_", "/", "_", "\\", "_").Replace(email)
}

// writeFile writes data atomically: a reader never sees half a file.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
