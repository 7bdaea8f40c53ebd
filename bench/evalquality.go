package bench

import (
	"bytes"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/PuerkitoBio/goquery"
	"github.com/markusmobius/go-htmldate"
	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"

	"mediadigest/dedupe"
	"mediadigest/internal/evalset"
	"mediadigest/persian"
	"mediadigest/profile"
	"mediadigest/scrape"
)

// EvalReader reads one page of the evaluation set as a user would see it.
// Pages a reader has no means for (no profile of the outlet) are skipped:
// ok is false.
type EvalReader struct {
	Name string
	Read func(o evalset.Outlet, p evalset.Page) (got evalset.Got, ok bool)
}

// EvalReaders are ours (the generic reader, and the outlets' profiles
// where the project has one), each followed by the cleaning the pipeline
// does, and the peers as they come.
func EvalReaders(root string) []EvalReader {
	ours := func(p *profile.Profile, pg evalset.Page) evalset.Got {
		a, err := scrape.Extract(p, pg.URL, pg.HTML)
		if err != nil {
			return evalset.Got{}
		}
		rules, err := dedupe.NewRules(p, nil)
		if err != nil {
			return evalset.Got{}
		}
		c := dedupe.CleanArticle(a.Lead, a.Raw, rules, nil)
		return evalset.Got{Title: a.Title, Lead: c.Lead, Paragraphs: c.Paragraphs, Published: a.Published}
	}
	return []EvalReader{
		{"mediadigest (generic)", func(_ evalset.Outlet, pg evalset.Page) (evalset.Got, bool) {
			p, err := profile.Builtin("generic")
			if err != nil {
				return evalset.Got{}, false
			}
			return ours(p, pg), true
		}},
		{"mediadigest (profiles)", func(o evalset.Outlet, pg evalset.Page) (evalset.Got, bool) {
			if o.Profile == "" {
				return evalset.Got{}, false
			}
			ref := o.Profile
			if strings.Contains(ref, "/") {
				ref = filepath.Join(root, ref)
			}
			p, err := profile.Load(ref)
			if err != nil {
				return evalset.Got{}, false
			}
			return ours(p, pg), true
		}},
		{"go-trafilatura", trafilaturaReader(false)},
		{"go-trafilatura (precision)", trafilaturaReader(true)},
		{"go-readability", readabilityReader},
	}
}

func trafilaturaReader(precise bool) func(evalset.Outlet, evalset.Page) (evalset.Got, bool) {
	return func(_ evalset.Outlet, pg evalset.Page) (evalset.Got, bool) {
		u, _ := url.Parse(pg.URL)
		// The time of day too, and the original date, not the latest:
		// what this table measures.
		opts := trafilatura.Options{OriginalURL: u, ExcludeComments: true,
			HtmlDateOptions: &htmldate.Options{ExtractTime: true, UseOriginalDate: true}}
		if precise {
			opts.EnableFallback, opts.Focus, opts.Deduplicate = true, trafilatura.FavorPrecision, true
		}
		res, err := trafilatura.Extract(bytes.NewReader(pg.HTML), opts)
		if err != nil {
			return evalset.Got{}, true
		}
		return evalset.Got{Title: res.Metadata.Title, Lead: res.Metadata.Description, Paragraphs: paragraphs(res.ContentNode), Published: res.Metadata.Date}, true
	}
}

func readabilityReader(_ evalset.Outlet, pg evalset.Page) (evalset.Got, bool) {
	u, _ := url.Parse(pg.URL)
	art, err := readability.FromReader(bytes.NewReader(pg.HTML), u)
	if err != nil {
		return evalset.Got{}, true
	}
	got := evalset.Got{Title: art.Title(), Lead: art.Excerpt(), Paragraphs: paragraphs(art.Node)}
	if t, err := art.PublishedTime(); err == nil {
		got.Published = t
	}
	return got, true
}

// paragraphs are the texts of a peer's output elements that hold text of
// their own (p, headings, list items, divs of text), in order.
func paragraphs(n *html.Node) []string {
	if n == nil {
		return nil
	}
	var out []string
	goquery.NewDocumentFromNode(n).Find("p, h1, h2, h3, h4, h5, h6, li, blockquote, div").Each(func(_ int, s *goquery.Selection) {
		if s.Find("p, h1, h2, h3, h4, h5, h6, li, blockquote, div").Length() > 0 {
			return
		}
		if t := persian.Display(strings.Join(strings.Fields(s.Text()), " ")); t != "" {
			out = append(out, t)
		}
	})
	return out
}

// EvalTable reads the evaluation set under root (the repository root)
// with every reader and returns the per-field accuracy.
func EvalTable(root string) (*evalset.Table, int, error) {
	set, err := evalset.Load(root)
	if err != nil {
		return nil, 0, fmt.Errorf("bench: %w", err)
	}
	var tab evalset.Table
	for _, r := range EvalReaders(root) {
		for _, pg := range set.Pages {
			o, _ := set.Outlet(pg.Outlet)
			if got, ok := r.Read(o, pg); ok {
				tab.Add(r.Name, evalset.Check(pg.Expect, got))
			}
		}
	}
	return &tab, len(set.Pages), nil
}
