package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	"mediadigest/config"
	"mediadigest/dedupe"
	"mediadigest/profile"
	"mediadigest/profile/suggest"
	"mediadigest/scrape"
)

// profileCmd is `profile suggest`: a profile proposed from three or more
// article pages of one outlet, printed as YAML with a confidence per
// field, then what extract reads with it from each page (as comments, so
// that the output is a profile file). docs/profiles.md.
func profileCmd(fs *flag.FlagSet, e *env) func(context.Context, []string) error {
	outlet := fs.String("outlet", "", "outlet `ID` the profile is for (default: from the pages' host)")
	return func(ctx context.Context, args []string) error {
		if len(args) == 0 || args[0] != "suggest" {
			return usagef("want: profile suggest [-outlet ID] URL|FILE… (%d or more article pages of one outlet)", suggest.MinPages)
		}
		// Flags may follow the subcommand's name.
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err}
		}
		srcs := fs.Args()
		if len(srcs) < suggest.MinPages {
			return usagef("%d pages; want %d or more article pages of one outlet (URLs or saved files)", len(srcs), suggest.MinPages)
		}
		pages, err := e.readPages(ctx, srcs)
		if err != nil {
			return err
		}
		s, err := suggest.Suggest(pages, *outlet)
		if err != nil {
			return err
		}
		data, err := s.YAML()
		if err != nil {
			return err
		}
		prof, err := s.Profile()
		if err != nil {
			return fmt.Errorf("profile suggest: the suggested profile does not parse (a bug; please report it): %w\n%s", err, data)
		}
		if _, err := e.stdout.Write(data); err != nil {
			return err
		}
		printTrial(e.stdout, prof, pages)
		return nil
	}
}

// readPages fetches the URLs (as extract does, with the config's crawl
// settings when there is a config) and reads the files.
func (e *env) readPages(ctx context.Context, srcs []string) ([]suggest.Page, error) {
	var crawler *scrape.Crawler
	var pages []suggest.Page
	for _, src := range srcs {
		if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
			// Decoded as a crawl decodes a page (BOM, <meta charset>).
			data, err := os.ReadFile(src)
			if err != nil {
				return nil, fmt.Errorf("profile suggest: %w", err)
			}
			text, warning, err := scrape.Decode(data, "")
			if err != nil {
				return nil, fmt.Errorf("profile suggest: %s: %w", src, err)
			}
			if warning != "" {
				fmt.Fprintf(e.stderr, "%s: %s\n", src, warning)
			}
			pages = append(pages, suggest.Page{Name: src, HTML: text})
			continue
		}
		u, err := url.Parse(src)
		if err != nil || u.Host == "" {
			return nil, usagef("%s: not a URL", src)
		}
		if crawler == nil {
			opts, err := e.crawlOptions()
			if err != nil {
				return nil, err
			}
			crawler = scrape.New(opts)
		}
		generic, err := profile.Builtin("generic")
		if err != nil {
			return nil, err
		}
		o := scrape.Outlet{ID: "suggest", BaseURL: u.Scheme + "://" + u.Host, Profile: generic}
		data, err := crawler.Fetch(ctx, o, src)
		if err != nil {
			return nil, err
		}
		pages = append(pages, suggest.Page{Name: src, URL: src, HTML: data})
	}
	return pages, nil
}

// crawlOptions are the config's crawl settings when a config is named or
// the default one exists, else the crawler's defaults.
func (e *env) crawlOptions() (scrape.Options, error) {
	path := config.Path(e.configPath)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && path == config.DefaultPath {
		return scrape.Options{}, nil
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return scrape.Options{}, err
	}
	return scrape.Options{UserAgent: cfg.Crawl.UserAgent, Timeout: cfg.Crawl.Timeout.D(), MaxBody: int64(cfg.Crawl.MaxBody)}, nil
}

// trialWidth is how much of a paragraph the trial shows.
const trialWidth = 100

// printTrial writes, as YAML comments, what extract reads with the
// profile from each page.
func printTrial(w io.Writer, p *profile.Profile, pages []suggest.Page) {
	fmt.Fprintf(w, "\n# What `mediadigest extract` reads with this profile from each page:\n")
	rules, err := dedupe.NewRules(p, nil)
	if err != nil {
		fmt.Fprintf(w, "# %v\n", err)
		return
	}
	for i, pg := range pages {
		fmt.Fprintf(w, "#\n# %d. %s\n", i+1, pg.Name)
		u := pg.URL
		if u == "" {
			u = "file:///" + strings.TrimPrefix(pg.Name, "/")
		}
		a, err := scrape.Extract(p, u, pg.HTML)
		if err != nil {
			fmt.Fprintf(w, "#    error: %s\n", strings.Join(strings.Fields(err.Error()), " "))
			continue
		}
		c := dedupe.CleanArticle(a.RawLead, a.Raw, rules, nil)
		line := func(k, v string) {
			if v != "" {
				fmt.Fprintf(w, "#    %-10s %s\n", k+":", cut(v))
			}
		}
		line("title", a.Title)
		line("kicker", a.Kicker)
		line("lead", c.Lead)
		if a.Published.IsZero() {
			line("published", "none found (the time of fetching would be used, date_guessed)")
		} else {
			line("published", a.Published.Format(time.RFC3339)+" ("+a.Published.In(p.Location()).Format("2006-01-02 15:04 MST")+")")
		}
		fmt.Fprintf(w, "#    %-10s %d paragraphs after cleaning\n", "body:", len(c.Paragraphs))
		if n := len(c.Paragraphs); n > 0 {
			line("  first", c.Paragraphs[0])
			line("  last", c.Paragraphs[n-1])
		}
		for _, r := range c.Removed {
			line("  removed", r.Reason+": "+r.Text)
		}
	}
}

// cut shortens a text to trialWidth runes, on one line.
func cut(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > trialWidth {
		return string(r[:trialWidth]) + "…"
	}
	return s
}
