package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"mediadigest/store"
)

// migrateCmd copies a whole store into another, typically a SQLite file
// into PostgreSQL when one daemon is no longer enough. It needs no config:
// both stores are named on the command line.
func migrateCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	from := fs.String("from", "", "source store: `sqlite:FILE`, a file path, or postgres://…")
	to := fs.String("to", "", "target store: postgres://… (or sqlite:FILE)")
	force := fs.Bool("force", false, "replace what the target store holds")
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected arguments %q", args)
		}
		if *from == "" || *to == "" {
			return usagef("both -from and -to are required, e.g. -from sqlite:mediadigest.db -to postgres://user@host/mediadigest")
		}
		// Opening a SQLite path creates the file: a misspelt source would
		// be an empty store, and with -force it would empty the target.
		if path := storeDSN(*from); !strings.Contains(path, "://") {
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("source: %w; -from must name an existing store", err)
			}
		}
		src, err := store.Open(ctx, storeDSN(*from))
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		defer src.Close()
		if n, err := src.CountArticles(ctx); err != nil {
			return fmt.Errorf("source: %w", err)
		} else if n == 0 {
			return fmt.Errorf("source %s holds no articles: nothing to copy (is -from the store you meant?)", src)
		}
		dst, err := store.Open(ctx, storeDSN(*to))
		if err != nil {
			return fmt.Errorf("target: %w", err)
		}
		defer dst.Close()
		counts, err := store.Copy(ctx, dst, src, *force)
		if len(counts) > 0 {
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(tw, "table\tsource\ttarget\t\n")
			for _, c := range counts {
				fmt.Fprintf(tw, "%s\t%d\t%d\t\n", c.Table, c.Source, c.Target)
			}
			if ferr := tw.Flush(); ferr != nil && err == nil {
				err = ferr
			}
		}
		if err != nil {
			if errors.Is(err, store.ErrNotEmpty) {
				return fmt.Errorf("%w; copy into an empty database, or pass -force to replace its content", err)
			}
			return err
		}
		fmt.Fprintf(e.stdout, "copied %s into %s\n", src, dst)
		return nil
	}
}

// storeDSN turns "sqlite:FILE" into the file path store.Open takes.
func storeDSN(s string) string {
	return strings.TrimPrefix(s, "sqlite:")
}
