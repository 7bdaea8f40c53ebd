package main

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"mediadigest/delivery"
	"mediadigest/health"
	"mediadigest/model"
)

func outboxCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	state := fs.String("state", "", "only rows in this `STATE`: queued, sent, failed or cancelled")
	retry := fs.Int64("retry", 0, "deliver the failed or queued row `ID` now, and no other")
	limit := fs.Int("n", 50, "show at most `N` rows")
	return func(ctx context.Context, args []string) error {
		switch *state {
		case "", model.OutboxQueued, model.OutboxSent, model.OutboxFailed, model.OutboxCancelled:
		default:
			return usagef("-state %q: want queued, sent, failed or cancelled", *state)
		}
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if *retry != 0 {
			// The other rows due are the daemon's, or the next digest
			// -send's, to deliver.
			it, rep, err := a.mail.Retry(ctx, *retry)
			if err != nil && it.ID == 0 {
				return err
			}
			if err == nil || rep != (delivery.Report{}) {
				fmt.Fprintf(e.stdout, "row %d to %s: sent %d, to retry %d, failed %d\n", it.ID, it.Subscriber, rep.Sent, rep.Retry, rep.Failed)
			}
			return err
		}
		items, err := a.store.Outbox(ctx, *state, *limit)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "ID\tSTATE\tSUBSCRIBER\tWINDOW (%s)\tATTEMPTS\tLAST REPLY\n", a.cfg.Location)
		for _, it := range items {
			const second = "2006-01-02 15:04:05"
			win := it.Window.From.In(a.cfg.Location).Format(second) + " → " + it.Window.To.In(a.cfg.Location).Format(second)
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", it.ID, it.State, it.Subscriber, win, it.Attempts, oneLine(it.LastReply))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		return nil
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

func statusCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	asJSON := fs.Bool("json", false, "print the JSON that /healthz serves")
	return func(ctx context.Context, args []string) error {
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		h, err := health.Check(ctx, a.cfg, a.store, e.clock.Now())
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, h, true)
		}
		fmt.Fprintf(e.stdout, "status: %s\n", h.Status)
		for _, o := range h.Outlets {
			fmt.Fprintf(e.stdout, "  %-12s last success %-25s failures in a row %d  %s\n", o.Outlet, fmtTime(o.LastSuccess), o.ConsecutiveFailures, o.LastError)
		}
		keys := make([]string, 0, len(h.Outbox))
		for k := range h.Outbox {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprint(e.stdout, "  outbox:")
		for _, k := range keys {
			fmt.Fprintf(e.stdout, " %s %d", k, h.Outbox[k])
		}
		fmt.Fprintln(e.stdout)
		fmt.Fprintf(e.stdout, "  subscribers: active %d, paused %d, unsubscribed %d\n",
			h.Subscribers[model.SubscriberActive], h.Subscribers[model.SubscriberPaused], h.Subscribers[model.SubscriberUnsubscribed])
		if h.Status != "ok" {
			return fmt.Errorf("unhealthy: %s", strings.Join(h.Problems, "; "))
		}
		return nil
	}
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
