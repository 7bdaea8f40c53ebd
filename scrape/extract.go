package scrape

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"codeberg.org/readeck/go-readability/v2"
	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"mediadigest/jalali"
	"mediadigest/model"
	"mediadigest/persian"
	"mediadigest/profile"
)

// ExtractError says which part of an article a page lacks, and which
// selector failed to find it ("" when the generic reader looked).
type ExtractError struct {
	URL      string
	Part     string // "container", "title" or "body"
	Selector string
	Empty    bool // the selector matched, but only elements without text
}

// Error names the page, the missing part and the selector that failed.
func (e *ExtractError) Error() string {
	switch {
	case e.Selector == "":
		return fmt.Sprintf("scrape: %s: no article %s (the generic reader found none)", e.URL, e.Part)
	case e.Empty:
		return fmt.Sprintf("scrape: %s: no article %s (selector %q matched only empty elements)", e.URL, e.Part, e.Selector)
	}
	return fmt.Sprintf("scrape: %s: no article %s (selector %q matched nothing)", e.URL, e.Part, e.Selector)
}

// Extract reads an article out of an HTML page with the profile's
// selectors, or with the generic reader when the profile has no body
// selector (docs/profiles.md). Every text comes back in display form;
// paragraphs are raw (nothing cleaned).
//
// The published time, in UTC, is the date printed beside the headline
// (the profile's date selector, else the one nearest the headline) or the
// page's metadata (the profile's date_meta, else article:published_time,
// itemprop datePublished or JSON-LD); when both exist and disagree, the
// printed one wins. Both are read in the profile's zone
// (Profile.Location). It stays zero when the page has no date, for the
// caller to fill in and mark as guessed. URL is pageURL as given, and
// Outlet is left empty.
func Extract(p *profile.Profile, pageURL string, body []byte) (model.Article, error) {
	if !utf8.Valid(body) {
		body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil && strings.Contains(err.Error(), "open stack of elements") {
		// Nested deeper than the parser takes: read it flattened.
		doc, err = goquery.NewDocumentFromReader(bytes.NewReader(flatten(body)))
	}
	if err != nil {
		return model.Article{}, fmt.Errorf("scrape: %s: parse HTML: %w", pageURL, err)
	}
	var (
		a        model.Article
		headline *html.Node
		pt       pageTimes
		loc      = p.Location()
		pg       *page // laid out when needed: the selectors' path rarely needs it
	)
	if p.Selectors.Body == "" {
		pg = newPage(doc)
		a, headline, err = pg.extractGeneric(pageURL)
		var ee *ExtractError
		if errors.As(err, &ee) && ee.Part == "body" {
			a, err = extractReadable(doc, pageURL)
		}
	} else {
		a, headline, pt, err = extractSelected(p.Selectors, doc, pageURL, loc)
	}
	if err != nil {
		return model.Article{}, err
	}
	a.URL = pageURL
	if !pt.hasVisible && headline != nil {
		if pg == nil {
			pg = newPage(doc)
		}
		pt.visible, _, pt.hasVisible = pg.visibleDate(headline, loc)
	}
	if p.Selectors.DateMeta != "" {
		pt.meta, pt.hasMeta = metaTime(doc, p.Selectors.DateMeta, loc)
	}
	// The page's other metadata only when the printed date leaves the time
	// open: looking costs a walk of the page per place and a JSON decode.
	if !pt.hasMeta && (!pt.hasVisible || !pt.visible.HasClock) {
		pt.meta, pt.hasMeta = metaTime(doc, "", loc)
	}
	a.Published, _ = pt.published(loc)
	return a, nil
}

// extractSelected reads an article with a profile's selectors. It returns
// the headline element for the date finder, and the date its date
// selector reads.
func extractSelected(sel profile.Selectors, doc *goquery.Document, pageURL string, loc *time.Location) (model.Article, *html.Node, pageTimes, error) {
	var pt pageTimes
	scope := doc.Selection
	if sel.Container != "" {
		if scope = doc.Find(sel.Container).First(); scope.Length() == 0 {
			return model.Article{}, nil, pt, &ExtractError{URL: pageURL, Part: "container", Selector: sel.Container}
		}
	}
	a := model.Article{
		Kicker:  text(scope.Find(sel.Kicker).First()),
		RawLead: text(scope.Find(sel.Lead).First()),
		Tags:    distinctTexts(scope.Find(sel.Tags)),
	}
	titles := scope.Find(sel.Title)
	if a.Title = text(titles.First()); a.Title == "" {
		return model.Article{}, nil, pt, &ExtractError{URL: pageURL, Part: "title", Selector: sel.Title, Empty: titles.Length() > 0}
	}
	paras := scope.Find(sel.Body)
	paras.Each(func(_ int, s *goquery.Selection) {
		if t := text(s); t != "" {
			a.Raw = append(a.Raw, t)
		}
	})
	if len(a.Raw) == 0 {
		return model.Article{}, nil, pt, &ExtractError{URL: pageURL, Part: "body", Selector: sel.Body, Empty: paras.Length() > 0}
	}
	// A breadcrumb yields several links, most general first, as feeds
	// write categories ("اقتصادی > بورس").
	a.Section = strings.Join(distinctTexts(scope.Find(sel.Section)), " > ")
	if sel.Date != "" {
		if r, err := jalali.Read(text(scope.Find(sel.Date).First()), loc); err == nil {
			pt.visible, pt.hasVisible = r, true
		}
	}
	return a, titles.Get(0), pt, nil
}

// extractReadable reads the body by readability extraction, when the
// generic reader finds no paragraphs.
func extractReadable(doc *goquery.Document, pageURL string) (model.Article, error) {
	u, err := url.Parse(pageURL)
	if err != nil {
		u = &url.URL{}
	}
	art, err := readability.FromDocument(doc.Nodes[0], u)
	if err != nil || art.Node == nil {
		return model.Article{}, &ExtractError{URL: pageURL, Part: "body"}
	}
	a := model.Article{Title: persian.Display(collapse(art.Title())), Tags: []string{}}
	if a.Title == "" {
		return model.Article{}, &ExtractError{URL: pageURL, Part: "title"}
	}
	goquery.NewDocumentFromNode(art.Node).Find("p").Each(func(_ int, s *goquery.Selection) {
		if t := text(s); t != "" {
			a.Raw = append(a.Raw, t)
		}
	})
	if len(a.Raw) == 0 {
		if t := text(goquery.NewDocumentFromNode(art.Node).Selection); t != "" {
			a.Raw = []string{t}
		}
	}
	if len(a.Raw) == 0 {
		return model.Article{}, &ExtractError{URL: pageURL, Part: "body"}
	}
	// Readability falls back to the first paragraph for the excerpt; a
	// lead repeating the body would only be cut again as a duplicate.
	if lead := persian.Display(collapse(art.Excerpt())); lead != a.Raw[0] {
		a.RawLead = lead
	}
	return a, nil
}

// distinctTexts returns the non-empty texts of s in order, each once.
func distinctTexts(s *goquery.Selection) []string {
	out := []string{}
	s.Each(func(_ int, e *goquery.Selection) {
		if t := text(e); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	})
	return out
}

// text is the visible text of s in display form. Line breaks and block
// boundaries become spaces (a <br> inside a paragraph must not glue two
// words), scripts and styles are skipped, and runs of white space collapse
// as a browser renders them (persian.Display collapses them). The spaces
// of the outer block boundaries are trimmed first: Display would drop
// them anyway, and a paragraph without them is often in display form
// already, which Display sees without rebuilding it.
func text(s *goquery.Selection) string {
	var b strings.Builder
	for _, n := range s.Nodes {
		writeText(&b, n)
	}
	return persian.Display(strings.TrimSpace(b.String()))
}

func collapse(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func writeText(b *strings.Builder, n *html.Node) {
	switch n.Type {
	case html.TextNode:
		b.WriteString(n.Data)
		return
	case html.CommentNode:
		return
	case html.ElementNode:
		switch n.DataAtom {
		case atom.Script, atom.Style, atom.Noscript, atom.Template:
			return
		}
	}
	block := n.Type == html.ElementNode && !isInline(n.DataAtom)
	if block {
		b.WriteByte(' ')
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		writeText(b, c)
	}
	if block {
		b.WriteByte(' ')
	}
}

// isInline reports whether a is a phrasing element that does not separate
// words: a ZWNJ or half a word may sit inside it.
func isInline(a atom.Atom) bool {
	switch a {
	case atom.A, atom.Abbr, atom.B, atom.Bdi, atom.Bdo, atom.Cite, atom.Code,
		atom.Data, atom.Del, atom.Dfn, atom.Em, atom.Font, atom.I, atom.Ins,
		atom.Kbd, atom.Mark, atom.Q, atom.S, atom.Samp, atom.Small, atom.Span,
		atom.Strong, atom.Sub, atom.Sup, atom.Time, atom.U, atom.Var:
		return true
	}
	return false
}
