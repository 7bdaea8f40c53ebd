// Command mediadigest crawls Persian news outlets, cleans and groups their
// articles into stories, and mails daily digests by topic. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"mediadigest/clock"
)

// command is one subcommand: its flags are registered on fs by setup, which
// returns the function to run once the flags are parsed.
type command struct {
	name, args, summary string
	setup               func(fs *flag.FlagSet, env *env) func(ctx context.Context, args []string) error
}

// env is what every command shares: where it writes and which config it
// reads.
type env struct {
	stdout, stderr io.Writer
	configPath     string
	clock          clock.Clock
}

// usageError marks bad usage or bad config: exit status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

var commands = []command{
	{"demo", "[-out DIR] [-v] [-keep]", "crawl the bundled sample outlets on loopback and write a sample digest", demoCmd},
	{"check", "", "validate the config and the profiles it names", checkCmd},
	{"crawl", "[-outlet ID]...", "one pass over the outlets' feeds now", crawlCmd},
	{"backfill", "-outlet ID -from DATE [-to DATE]", "walk an outlet's archive day by day (resumable)", backfillCmd},
	{"extract", "-outlet ID URL|FILE", "extract one page and print its article JSON", extractCmd},
	{"profile", "suggest [-outlet ID] URL|FILE…", "propose an outlet's profile from three or more of its article pages", profileCmd},
	{"reprocess", "[-outlet ID]", "re-extract stored raw pages with the current profiles", reprocessCmd},
	{"export", "[-since T] [-until T] [-outlet ID]", "print stored articles as JSON Lines", exportCmd},
	{"search", "QUERY [-outlet ID] [-topic ID] [-from DATE] [-to DATE] [-json] [-relevance] [-page N] [-n N] | -rebuild | -optimize", "search the stored articles as the desk does", searchCmd},
	{"digest", "[-date DATE] [-subscriber EMAIL] [-format F] [-out DIR] [-send]", "build or write a day's digest, or send what is new", digestCmd},
	{"outbox", "[-state S] [-n N] [-retry ID]", "list digests queued, sent or failed; retry one", outboxCmd},
	{"status", "[-json]", "print outlet health and outbox counts from the store", statusCmd},
	{"serve", "[-listen ADDR]", "run the scheduler daemon", serveCmd},
	{"link", "[-listen ADDR] EMAIL", "print a subscriber's sign-in link to the desk", linkCmd},
	{"subscribers", subscribersUsage, "list subscribers with their state; pause, resume, unsubscribe or re-subscribe one", subscribersCmd},
	{"migrate", "-from sqlite:FILE -to postgres://… [-force]", "copy a store into another, e.g. SQLite into PostgreSQL", migrateCmd},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, clock.System(), os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status: 0 success, 1
// the work failed, 2 bad usage or bad config.
func run(ctx context.Context, clk clock.Clock, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == args[0] {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "mediadigest: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return 2
	}
	e := &env{stdout: stdout, stderr: stderr, clock: clk}
	fs := flag.NewFlagSet("mediadigest "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&e.configPath, "config", "", "config file (default mediadigest.yaml, or $MEDIADIGEST_CONFIG)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mediadigest %s %s\n\n%s.\n\nFlags:\n", cmd.name, cmd.args, upperFirst(cmd.summary))
		fs.PrintDefaults()
	}
	runFn := cmd.setup(fs, e)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	err := runFn(ctx, fs.Args())
	switch {
	case err == nil:
		return 0
	case errors.As(err, new(usageError)):
		fmt.Fprintf(stderr, "mediadigest %s: %v\n", cmd.name, err)
		return 2
	default:
		fmt.Fprintf(stderr, "mediadigest %s: %v\n", cmd.name, err)
		return 1
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: mediadigest COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes -config PATH and -h. Exit status: 0 success, 1 the work failed, 2 bad usage or config.")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
