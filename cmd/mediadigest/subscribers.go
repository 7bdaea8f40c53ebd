package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"mediadigest/model"
	"mediadigest/subscription"
)

// subscribersUsage is the usage line of the subscribers command.
const subscribersUsage = "[-json] | pause [-weeks N] EMAIL | resume|unsubscribe|resubscribe EMAIL | log [EMAIL]"

func subscribersCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	asJSON := fs.Bool("json", false, "print the list as JSON")
	return func(ctx context.Context, args []string) error {
		if len(args) == 0 {
			return listSubscribers(ctx, e, *asJSON)
		}
		action, args := args[0], args[1:]
		pause := flag.NewFlagSet("mediadigest subscribers pause", flag.ContinueOnError)
		pause.SetOutput(e.stderr)
		weeks := pause.Int("weeks", 1, "pause for `N` weeks (1 to 26)")
		switch action {
		case "log":
			if len(args) > 1 {
				return usagef("log takes at most one EMAIL")
			}
			return subscriberLog(ctx, e, strings.Join(args, ""))
		case "pause":
			if err := pause.Parse(args); err != nil {
				return usagef("pause: %v", err)
			}
			args = pause.Args()
		case "resume", "unsubscribe", "resubscribe":
		default:
			return usagef("unknown action %q: want %s", action, subscribersUsage)
		}
		if len(args) != 1 {
			return usagef("%s wants one subscriber EMAIL", action)
		}
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		email := args[0]
		switch action {
		case "pause":
			_, err = a.subs.Pause(ctx, email, time.Duration(*weeks)*7*24*time.Hour, model.ViaCommand)
		case "resume":
			_, err = a.subs.Resume(ctx, email, model.ViaCommand)
		case "unsubscribe":
			_, err = a.subs.Unsubscribe(ctx, email, model.ViaCommand)
		case "resubscribe":
			_, err = a.subs.Resubscribe(ctx, email, model.ViaCommand)
		}
		if errors.Is(err, subscription.ErrUnknown) || errors.Is(err, subscription.ErrInvalid) {
			return usageError{err}
		}
		if err != nil {
			return err
		}
		st, err := a.subs.Status(ctx, email)
		if err != nil {
			return err
		}
		return printSubscribers(e.stdout, []subscription.Status{st}, a.cfg.Location)
	}
}

// listSubscribers prints every subscriber with their state, topics and
// latest change.
func listSubscribers(ctx context.Context, e *env, asJSON bool) error {
	a, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	list, err := a.subs.List(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		if list == nil {
			list = []subscription.Status{}
		}
		return writeJSON(e.stdout, list, true)
	}
	return printSubscribers(e.stdout, list, a.cfg.Location)
}

func printSubscribers(w io.Writer, list []subscription.Status, loc *time.Location) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "EMAIL\tSTATE\tTOPICS\tLAST CHANGE (%s)\n", loc)
	for _, s := range list {
		state := s.State
		if s.PausedUntil != nil {
			state += " until " + s.PausedUntil.In(loc).Format("2006-01-02 15:04")
		}
		topics := "all"
		if len(s.Topics) > 0 {
			topics = strings.Join(s.Topics, ",")
		}
		if s.Chosen {
			topics += " (chosen)"
		}
		last := "-"
		if c := s.LastChange; c != nil {
			last = changeLine(*c, loc)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Email, state, topics, last)
	}
	return tw.Flush()
}

// changeLine is an audit line as the command prints it.
func changeLine(c model.SubscriptionChange, loc *time.Location) string {
	s := c.At.In(loc).Format("2006-01-02 15:04:05") + " " + c.What + " via " + c.Via
	if c.Detail != "" {
		s += " (" + c.Detail + ")"
	}
	return s
}

// subscriberLog prints the audit log of one subscriber, or everyone's,
// oldest first.
func subscriberLog(ctx context.Context, e *env, email string) error {
	a, err := e.open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	lines, err := a.subs.Changes(ctx, email, 0)
	if err != nil {
		return err
	}
	for i := len(lines) - 1; i >= 0; i-- {
		fmt.Fprintf(e.stdout, "%s  %s\n", lines[i].Email, changeLine(lines[i], a.cfg.Location))
	}
	return nil
}
