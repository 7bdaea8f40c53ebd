package scrape

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

// Parts are the elements of an article page as the generic reader finds
// them, for proposing a profile's selectors (profile suggest). A part the
// page lacks is nil.
type Parts struct {
	Doc                    *goquery.Document
	Headline, Kicker, Lead *html.Node
	Body                   *html.Node   // the element holding the paragraphs
	Paragraphs             []*html.Node // the paragraph elements, lead excluded
	Texts                  []string     // the paragraphs' texts, lines between <br>s included
	Date                   *html.Node   // the date printed nearest the headline
	DateMeta               string       // the selector of the metadata time, "" when none
}

// Text is the visible text of an element as Extract reads it, in display
// form; "" for nil.
func Text(n *html.Node) string { return nodeText(n) }

// FindParts parses a page and finds its parts with the generic reader;
// times read in loc.
func FindParts(pageURL string, page []byte, loc *time.Location) (*Parts, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil && strings.Contains(err.Error(), "open stack of elements") {
		doc, err = goquery.NewDocumentFromReader(bytes.NewReader(flatten(page)))
	}
	if err != nil {
		return nil, fmt.Errorf("scrape: %s: parse HTML: %w", pageURL, err)
	}
	pg := newPage(doc)
	headline := pg.headline()
	if headline == nil {
		return nil, &ExtractError{URL: pageURL, Part: "title"}
	}
	body := pg.bodyContainer(headline)
	if body == nil {
		return nil, &ExtractError{URL: pageURL, Part: "body"}
	}
	blocks := pg.blocks(body, headline)
	p := &Parts{Doc: doc, Headline: headline, Body: body, Lead: pg.lead(headline, body, blocks), Kicker: pg.kicker(headline)}
	for _, b := range blocks {
		if p.Lead != nil && b.node != nil && contains(p.Lead, b.node) {
			continue
		}
		p.Texts = append(p.Texts, b.text)
		if b.node != nil {
			p.Paragraphs = append(p.Paragraphs, b.node)
		}
	}
	_, p.Date, _ = pg.visibleDate(headline, loc)
	if _, sel, ok := metaTimeAt(doc, "", loc); ok && sel != jsonLD {
		p.DateMeta = sel
	}
	return p, nil
}
