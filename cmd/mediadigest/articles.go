package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"time"

	"mediadigest/jalali"
	"mediadigest/model"
	"mediadigest/store"
)

func extractCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	outlet := fs.String("outlet", "", "outlet `ID` whose profile reads the page (required)")
	return func(ctx context.Context, args []string) error {
		if *outlet == "" || len(args) != 1 {
			return usagef("want -outlet ID and one URL or FILE")
		}
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if _, err := a.pipe.Outlet(*outlet); err != nil {
			return usageError{err}
		}
		art, err := a.pipe.Extract(ctx, *outlet, args[0])
		if err != nil {
			return err
		}
		return writeJSON(e.stdout, art, true)
	}
}

func reprocessCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	outlet := fs.String("outlet", "", "outlet `ID` (default all)")
	return func(ctx context.Context, args []string) error {
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		n, err := a.pipe.Reprocess(ctx, *outlet)
		fmt.Fprintf(e.stdout, "reprocessed %d stored pages\n", n)
		return err
	}
}

func exportCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	since := fs.String("since", "", "only articles published at or after `T` (RFC 3339 or a date)")
	until := fs.String("until", "", "only articles published before `T` (RFC 3339 or a date; a date means its end)")
	outlet := fs.String("outlet", "", "only this outlet `ID`")
	return func(ctx context.Context, args []string) error {
		a, err := e.open(ctx)
		if err != nil {
			return err
		}
		defer a.Close()
		if *outlet != "" {
			if _, err := a.pipe.Outlet(*outlet); err != nil {
				return usageError{err}
			}
		}
		q := store.ArticleQuery{Outlet: *outlet}
		if q.Since, err = parseTime(*since, a.cfg.Location, false); err != nil {
			return usagef("-since: %v", err)
		}
		if q.Until, err = parseTime(*until, a.cfg.Location, true); err != nil {
			return usagef("-until: %v", err)
		}
		edited, err := a.store.EditedTitles(ctx)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(e.stdout)
		err = a.store.ForEachArticle(ctx, q, func(art *model.Article) error {
			art.Titles = edited[art.ID]
			return writeJSON(w, exported(art), false)
		})
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
		return err
	}
}

// exportedArticle is an article as export prints it: an article whose
// derived views the pass has not computed yet (a crawl killed before its
// pass) shows its raw paragraphs, marked "derived": false.
type exportedArticle struct {
	*model.Article
	Derived *bool `json:"derived,omitempty"`
}

func exported(a *model.Article) exportedArticle {
	out := exportedArticle{Article: a}
	if a.Story == "" {
		derived := false
		out.Derived = &derived
		a.Clean = model.Clean{Lead: a.RawLead, Paragraphs: a.Raw}
	}
	// Lists print as [] when empty, never null.
	for _, l := range []*[]string{&a.Tags, &a.Topics, &a.Paragraphs} {
		if *l == nil {
			*l = []string{}
		}
	}
	if a.Removed == nil {
		a.Removed = []model.Removed{}
	}
	return out
}

// parseTime reads RFC 3339 or a day (Gregorian or Jalali) in loc; a day as
// an upper bound means the end of that day.
func parseTime(s string, loc *time.Location, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := jalali.ParseDay(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor a date (2026-11-18, 1405/08/27)", s)
	}
	t := d.Time(loc)
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t.UTC(), nil
}
