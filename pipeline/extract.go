package pipeline

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

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
		pageURL = o.BaseURL + "/" // relative links resolve against the outlet
	}
	a, err := scrape.Extract(o.Profile, pageURL, page, p.cfg.Location)
	if err != nil {
		return model.Article{}, err
	}
	if canon, ok := scrape.Canonical(o, a.URL); ok {
		a.URL = canon
	}
	a.Outlet = id
	if a.Published.IsZero() {
		a.Published, a.DateGuessed = p.now().UTC(), true
	}
	learned, _, err := p.learnedLines(ctx)
	if err != nil {
		return model.Article{}, err
	}
	a.Clean = dedupe.CleanArticle(a.Lead, a.Raw, p.rules[id], learned[id])
	_, a.Topics = p.classifier.Classify(a.Title, body(&a))
	return a, nil
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
			a, err := scrape.Extract(o.Profile, url, page, p.cfg.Location)
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
				a.Published, a.DateGuessed = time.Now().UTC(), true
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
