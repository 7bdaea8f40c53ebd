package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"mediadigest/config"
	"mediadigest/jalali"
	"mediadigest/search"
	"mediadigest/store"
)

// searchCmd runs the desk's search engine over the store (docs/search.md):
// the same results as the desk's /search page, for ops and scripts. It
// opens the store alone, without the pipeline.
func searchCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	outlet := fs.String("outlet", "", "only articles of this outlet `ID`")
	topic := fs.String("topic", "", "only stories of this topic `ID`")
	from := fs.String("from", "", "only articles published on or after `DATE` (2026-11-18 or 1405/08/27)")
	to := fs.String("to", "", "only articles published on or before `DATE`")
	asJSON := fs.Bool("json", false, "print one JSON object a story (JSON Lines) with every article of it")
	relevance := fs.Bool("relevance", false, "best matches first instead of newest first")
	page := fs.Int("page", 1, "print page `N` of the results")
	perPage := fs.Int("n", search.DefaultPerPage, "`N` stories a page")
	rebuild := fs.Bool("rebuild", false, "rebuild the search index from the stored derived views instead of searching")
	optimize := fs.Bool("optimize", false, "merge the search index into one segment instead of searching (SQLite; faster searches)")
	return func(ctx context.Context, args []string) error {
		words, err := queryWords(fs, args)
		if err != nil {
			return usageError{err}
		}
		cfg, err := e.loadConfig()
		if err != nil {
			return err
		}
		if *rebuild || *optimize {
			if len(words) > 0 || *rebuild && *optimize {
				return usagef("-rebuild and -optimize take no query, and one of them at a time")
			}
			return maintainIndex(ctx, e.stdout, cfg, *rebuild)
		}
		start, end, err := search.Dates(*from, *to, cfg.Location)
		if err != nil {
			return usageError{err}
		}
		if *page < 1 {
			return usagef("-page %d: pages count from 1", *page)
		}
		order := search.Newest
		if *relevance {
			order = search.Relevance
		}
		q := search.Query{Text: strings.Join(words, " "), Outlet: *outlet, Topic: *topic, From: start, To: end,
			Order: order, Page: *page, PerPage: *perPage}
		st, err := store.Open(ctx, cfg.Store)
		if err != nil {
			return err
		}
		defer st.Close()
		res, err := searchEngine(cfg, st).Search(ctx, q)
		var qe *search.Error
		if errors.As(err, &qe) {
			return usageError{qe}
		}
		if err != nil {
			return err
		}
		if *asJSON {
			return printHitsJSON(e.stdout, res)
		}
		return printHits(e.stdout, res, cfg)
	}
}

// searchEngine is the search of the desk and the search command over
// st: its filters name the configured outlets and topics.
func searchEngine(cfg *config.Config, st search.Index) *search.Engine {
	var topics []string
	for _, t := range cfg.Topics {
		topics = append(topics, t.ID)
	}
	return search.New(st, search.Options{Outlets: cfg.OutletIDs(), Topics: topics})
}

// queryWords returns the words of the query, parsing the flags among
// them: search بانک مرکزی -outlet isna. A word after the first that starts
// with "-" and names no flag excludes it (-سکه), unless it is a name of
// ASCII letters, taken for a mistyped flag; everything after "--" is
// query.
func queryWords(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(words, args[i+1:]...), nil
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		switch {
		case !strings.HasPrefix(a, "-") || name == "":
			words = append(words, a)
			continue
		case f == nil && isASCIIName(name):
			return nil, fmt.Errorf("flag provided but not defined: -%s (to exclude a word, put the query in quotes: \"… -%s\")", name, name)
		case f == nil:
			words = append(words, a)
			continue
		}
		if !hasValue {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				value = "true"
			} else if i+1 < len(args) {
				i++
				value = args[i]
			} else {
				return nil, fmt.Errorf("flag needs an argument: -%s", name)
			}
		}
		if err := fs.Set(name, value); err != nil {
			return nil, fmt.Errorf("invalid value %q for flag -%s: %w", value, name, err)
		}
	}
	return words, nil
}

func isASCIIName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// maintainIndex rebuilds the search index from the stored derived views
// (rebuild), or merges it into one segment: what makes searches on a
// large SQLite store fastest (BENCHMARKS.md, §9). The merge goes in short
// steps other writers go between; the rebuild holds the store's write
// lock a batch of articles at a time (docs/search.md).
func maintainIndex(ctx context.Context, w io.Writer, cfg *config.Config, rebuild bool) error {
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	t := time.Now()
	if !rebuild {
		before, err := st.SearchIndexSegments(ctx)
		switch {
		case err != nil:
			return err
		case before == 0:
			fmt.Fprintf(w, "search index of %s: nothing to merge (PostgreSQL maintains its own)\n", st)
			return nil
		case before == 1:
			fmt.Fprintf(w, "search index of %s: one segment already, nothing to merge\n", st)
			return nil
		}
		if err := st.OptimizeSearchIndex(ctx); err != nil {
			return err
		}
		fmt.Fprintf(w, "search index of %s merged: %d segments into one in %s\n", st, before, time.Since(t).Round(time.Millisecond))
		return nil
	}
	n, err := st.RebuildSearchIndex(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "search index of %s rebuilt: %d articles in %s\n", st, n, time.Since(t).Round(time.Millisecond))
	return nil
}

// hitJSON is a story of -json: its id and every article of it.
type hitJSON struct {
	Story    string        `json:"story"`
	Outlets  int           `json:"outlets"`
	Title    string        `json:"title"`   // of the article shown
	Snippet  string        `json:"snippet"` // of the article shown
	Articles []articleJSON `json:"articles"`
}

type articleJSON struct {
	Outlet    string    `json:"outlet"`
	URL       string    `json:"url"`
	Title     string    `json:"title"`
	Published time.Time `json:"published"`
	Matched   bool      `json:"matched"` // it matches the query; the others belong to its story
	Shown     bool      `json:"shown,omitempty"`
}

func printHitsJSON(w io.Writer, res *search.Results) error {
	bw := bufio.NewWriter(w)
	for _, h := range res.Hits {
		j := hitJSON{Story: h.Story, Outlets: h.Outlets, Title: search.Plain(h.Title), Snippet: search.Plain(h.Snippet)}
		for _, a := range h.Articles {
			j.Articles = append(j.Articles, articleJSON{Outlet: a.Outlet, URL: a.URL, Title: a.Title,
				Published: a.Published, Matched: a.Matched, Shown: a.ID == h.Article.ID})
		}
		if err := writeJSON(bw, j, false); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// printHits prints a page of results for people: each story with its
// shown article's title, time, outlet and link, the snippet with matched
// words in **, and the other outlets' copies.
func printHits(w io.Writer, res *search.Results, cfg *config.Config) error {
	bw := bufio.NewWriter(w)
	total := fmt.Sprint(res.Total)
	if res.More {
		total = fmt.Sprintf("more than %d", res.Total)
	}
	if res.Total == 0 {
		fmt.Fprintln(bw, "no stories match")
		return bw.Flush()
	}
	fmt.Fprintf(bw, "%s stories; page %d of %d\n", total, res.Page, res.Pages)
	for i, h := range res.Hits {
		a := h.Article
		t := a.Published.In(cfg.Location)
		fmt.Fprintf(bw, "\n%d. %s\n   %s %s (%s) · %s · in %d outlet(s) · story %s\n   %s\n",
			(res.Page-1)*res.PerPage+i+1, marked(h.Title), jalali.FormatDate(t), jalali.FormatTime(t),
			t.Format("2006-01-02 15:04"), a.Outlet, h.Outlets, h.Story, a.URL)
		if s := marked(h.Snippet); s != "" {
			fmt.Fprintf(bw, "   %s\n", s)
		}
		for _, o := range h.Articles {
			if o.ID == a.ID {
				continue
			}
			match := ""
			if o.Matched {
				match = ", matches"
			}
			fmt.Fprintf(bw, "   also %s (%s%s): %s\n", o.Outlet, o.Published.In(cfg.Location).Format("2006-01-02 15:04"), match, o.URL)
		}
	}
	return bw.Flush()
}

// marked is spans as text, matched words between **.
func marked(spans []search.Span) string {
	var b strings.Builder
	for _, s := range spans {
		if s.Hit {
			b.WriteString("**" + s.Text + "**")
		} else {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}
