package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/PuerkitoBio/goquery"

	"mediadigest/dedupe"
	"mediadigest/model"
	"mediadigest/scrape"
)

// Extract reads one page — a URL fetched now, or a file — with the
// outlet's profile and returns the article with its clean view and topics,
// as the `extract` command prints it. Nothing is stored.
func (p *Pipeline) Extract(ctx context.Context, id, src string) (model.Article, error) {
	o, err := p.Outlet(id)
	if err != nil {
		return model.Article{}, err
	}
	var page []byte
	pageURL := src
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		if page, err = p.crawler.Fetch(ctx, o, src); err != nil {
			return model.Article{}, err
		}
	} else {
		if page, err = os.ReadFile(src); err != nil {
			return model.Article{}, fmt.Errorf("extract: %w", err)
		}
		var warning string
		if page, warning, err = scrape.Decode(page, ""); err != nil {
			return model.Article{}, fmt.Errorf("extract %s: %w", src, err)
		}
		if warning != "" {
			p.log.Warn(warning, "file", src)
		}
		pageURL = savedURL(page, o.BaseURL)
	}
	a, err := scrape.Extract(o.Profile, pageURL, page)
	if err != nil {
		if pageURL != src {
			err = fmt.Errorf("%s: %w", src, err)
		}
		return model.Article{}, err
	}
	if canon, ok := scrape.Canonical(o, a.URL); ok {
		a.URL = canon
	}
	a.Outlet = id
	if a.Published.IsZero() {
		a.Published, a.DateGuessed = p.clk.Now().UTC(), true
	}
	learned, _, err := p.learnedLines(ctx)
	if err != nil {
		return model.Article{}, err
	}
	a.Clean = dedupe.CleanArticle(a.RawLead, a.Raw, p.rules[id], learned[id])
	a.Clean.Sponsored = dedupe.Sponsored(a.Kicker, a.Title, p.rules[id])
	a.Topics = p.classifier.Classify(a.Title, body(&a))
	// A page stored already tells its story; a new one has none yet.
	if stored, err := p.store.Article(ctx, a.URL); err == nil {
		a.Story = stored.Story
	}
	// Lists are printed as [] when empty, as export prints them.
	for _, l := range []*[]string{&a.Tags, &a.Topics, &a.Paragraphs} {
		if *l == nil {
			*l = []string{}
		}
	}
	if a.Removed == nil {
		a.Removed = []model.Removed{}
	}
	return a, nil
}

// savedURL is the address of a page saved to a file: the canonical link it
// names, else its og:url, else the outlet's home page, against which its
// relative links then resolve.
func savedURL(page []byte, base string) string {
	if doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page)); err == nil {
		for _, sel := range []string{`link[rel="canonical"]`, `meta[property="og:url"]`} {
			n := doc.Find(sel).First()
			u := n.AttrOr("href", n.AttrOr("content", ""))
			if pu, err := url.Parse(strings.TrimSpace(u)); err == nil && pu.IsAbs() && (pu.Scheme == "http" || pu.Scheme == "https") {
				return pu.String()
			}
		}
	}
	return base + "/"
}

// Reprocess extracts every stored raw page again with the current profiles
// (all outlets when id is empty), updates the articles and recomputes the
// derived views: a profile fix applied without re-crawling.
func (p *Pipeline) Reprocess(ctx context.Context, id string) (int, error) {
	ids := p.cfg.OutletIDs()
	if id != "" {
		if _, err := p.Outlet(id); err != nil {
			return 0, err
		}
		ids = []string{id}
	}
	n := 0
	for _, oid := range ids {
		o := p.outlets[oid]
		err := p.store.ForEachRawPage(ctx, oid, func(url string, page []byte) error {
			page, _, err := scrape.Decode(page, scrape.DecodedContentType)
			if err != nil {
				return err
			}
			a, err := scrape.Extract(o.Profile, url, page)
			if err != nil {
				p.log.Warn("reprocess: page no longer extracts", "outlet", oid, "url", url, "err", err)
				return nil
			}
			old, err := p.store.Article(ctx, url)
			if err == nil {
				a.FirstSeen = old.FirstSeen
				if a.Published.IsZero() {
					a.Published, a.DateGuessed = old.Published, old.DateGuessed
				}
			} else if a.Published.IsZero() {
				a.Published, a.DateGuessed = p.clk.Now().UTC(), true
			}
			a.URL, a.Outlet = url, oid
			if _, err := p.store.UpsertArticle(ctx, &a, keys(a.Raw)); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("reprocess %s: %w", oid, err)
		}
	}
	_, err := p.Process(ctx)
	return n, err
}
