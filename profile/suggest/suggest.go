// Package suggest proposes a profile for an outlet from three or more of
// its article pages (mediadigest profile suggest; docs/profiles.md).
//
// What is the same on every page is the site's chrome, what differs is the
// article. The generic reader finds each page's headline, lead, kicker,
// body and date; a selector is proposed for each part that picks it on
// every page, and its confidence is the share of the pages on which it
// does; a part whose text is the same on every page is the site's chrome.
// The article URL pattern is generalised from the pages' addresses, the
// feeds are those the pages announce. Pages of two outlets are refused:
// their hosts differ, or their articles sit in different elements.
package suggest

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"mediadigest/persian"
	"mediadigest/profile"
	"mediadigest/scrape"
)

// MinPages is the fewest pages a suggestion compares.
const MinPages = 3

// ErrDifferentOutlets reports pages that are not of one outlet.
var ErrDifferentOutlets = errors.New("the pages are not of one outlet")

// Page is one article page to learn from.
type Page struct {
	Name string // the file or URL, for messages
	URL  string // the page's address, "" when unknown
	HTML []byte // decoded to UTF-8
}

// Field is one proposed value and how sure the proposal is: the share of
// the pages on which it holds, and a note when it is not all of them.
type Field struct {
	Value      string
	Confidence float64
	Note       string
}

// Suggestion is a proposed profile.
type Suggestion struct {
	ID, Host  string
	Pages     int
	Name      Field
	Feeds     []string
	FeedsConf Field // Value unused
	Container Field
	Title     Field
	Kicker    Field
	Lead      Field
	Body      Field
	Date      Field
	DateMeta  Field
	URL       Field // the article_url pattern
	Canonical string
}

// parsed is one page read by the generic reader.
type parsed struct {
	Page
	u     *url.URL // nil when the address is unknown
	parts *scrape.Parts
}

// Suggest proposes a profile from pages of one outlet; id names it (the
// outlet's id), or is derived from the pages' host when empty.
func Suggest(pages []Page, id string) (*Suggestion, error) {
	if len(pages) < MinPages {
		return nil, fmt.Errorf("suggest: %d pages; want at least %d article pages of the outlet", len(pages), MinPages)
	}
	var ps []*parsed
	for _, p := range pages {
		// Pages are read in the default zone; the proposal has no timezone.
		parts, err := scrape.FindParts(p.Name, p.HTML, (&profile.Profile{}).Location())
		if err != nil {
			return nil, fmt.Errorf("suggest: %s: %w", p.Name, err)
		}
		pp := &parsed{Page: p, parts: parts}
		pp.u = pageURL(p.URL, parts.Doc)
		ps = append(ps, pp)
	}
	host, err := oneOutlet(ps)
	if err != nil {
		return nil, err
	}
	s := &Suggestion{ID: id, Host: host, Pages: len(ps)}
	if s.ID == "" {
		s.ID = idOf(host)
	}
	s.Name = siteName(ps)
	s.Feeds, s.FeedsConf = feeds(ps, host)
	s.URL, s.Canonical = urlPattern(ps)
	s.suggestSelectors(ps)
	return s, nil
}

// pageURL is the page's address: the one given, else its canonical link
// or og:url.
func pageURL(given string, doc *goquery.Document) *url.URL {
	cands := []string{given}
	for _, sel := range []string{`link[rel="canonical"]`, `meta[property="og:url"]`} {
		n := doc.Find(sel).First()
		cands = append(cands, n.AttrOr("href", n.AttrOr("content", "")))
	}
	for _, c := range cands {
		if u, err := url.Parse(strings.TrimSpace(c)); err == nil && u.IsAbs() && (u.Scheme == "http" || u.Scheme == "https") {
			return u
		}
	}
	return nil
}

// oneOutlet checks the pages are of one outlet and returns its host ("" when
// no page tells it).
func oneOutlet(ps []*parsed) (string, error) {
	host := ""
	for _, p := range ps {
		if p.u == nil {
			continue
		}
		h := strings.TrimPrefix(strings.ToLower(p.u.Hostname()), "www.")
		if host != "" && h != host {
			return "", fmt.Errorf("suggest: %w: %s is on %s, another page on %s; give pages of one outlet", ErrDifferentOutlets, p.Name, h, host)
		}
		host = h
	}
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			if same, of := agreement(ps[i].parts, ps[j].parts); 2*same < of {
				return "", fmt.Errorf("suggest: %w: the article markup of %s and %s differs (%d of %d parts in the same elements); give pages of one outlet, in one layout",
					ErrDifferentOutlets, ps[i].Name, ps[j].Name, same, of)
			}
		}
	}
	return host, nil
}

// agreement counts the parts two pages both have (headline, body, lead,
// date) and those of them in elements of the same name and classes: all
// of them on pages of one outlet's layout, few on two outlets' pages.
func agreement(a, b *scrape.Parts) (same, of int) {
	pairs := [][2]*html.Node{{a.Headline, b.Headline}, {a.Body, b.Body}, {a.Lead, b.Lead}, {a.Date, b.Date}}
	for _, p := range pairs {
		if p[0] == nil || p[1] == nil {
			continue
		}
		of++
		if elementSignature(p[0]) == elementSignature(p[1]) {
			same++
		}
	}
	return same, of
}

// elementSignature is an element's name and sorted classes: "h1.title".
func elementSignature(n *html.Node) string {
	classes := strings.Fields(attrOf(n, "class"))
	slices.Sort(classes)
	return strings.Join(append([]string{n.Data}, classes...), ".")
}

// idOf derives an outlet id from a host: its first label.
func idOf(host string) string {
	label, _, _ := strings.Cut(host, ".")
	id := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return -1
	}, strings.ToLower(label))
	if id == "" {
		return "outlet"
	}
	return id
}

// siteName is og:site_name without the slogan after "|" or " - ".
func siteName(ps []*parsed) Field {
	counts := map[string]int{}
	best := ""
	for _, p := range ps {
		n := persian.Display(p.parts.Doc.Find(`meta[property="og:site_name"]`).First().AttrOr("content", ""))
		for _, sep := range []string{"|", " - "} {
			if i := strings.Index(n, sep); i > 0 {
				n = n[:i]
			}
		}
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		counts[n]++
		if counts[n] > counts[best] {
			best = n
		}
	}
	f := Field{Value: best, Confidence: share(counts[best], len(ps))}
	if best == "" {
		f.Note = "no page names its site (og:site_name): write the outlet's name"
	}
	return f
}

// feeds are the RSS and Atom feeds the pages announce on their own host,
// as paths; those of at least half the pages are proposed.
func feeds(ps []*parsed, host string) ([]string, Field) {
	counts := map[string]int{}
	var order []string
	for _, p := range ps {
		seen := map[string]bool{}
		p.parts.Doc.Find(`link[rel="alternate"]`).Each(func(_ int, s *goquery.Selection) {
			typ := strings.ToLower(s.AttrOr("type", ""))
			if !strings.Contains(typ, "rss") && !strings.Contains(typ, "atom") {
				return
			}
			f := feedPath(s.AttrOr("href", ""), p.u, host)
			if f == "" || seen[f] {
				return
			}
			seen[f] = true
			if counts[f] == 0 {
				order = append(order, f)
			}
			counts[f]++
		})
	}
	var out []string
	least := len(ps)
	for _, f := range order {
		if 2*counts[f] >= len(ps) {
			out = append(out, f)
			least = min(least, counts[f])
		}
	}
	if len(out) == 0 {
		return nil, Field{Note: "the pages announce no feed (<link rel=\"alternate\">): list the outlet's feeds in the config"}
	}
	f := Field{Confidence: share(least, len(ps))}
	if least < len(ps) {
		f.Note = "not every page announces these"
	}
	return out, f
}

// feedPath is a feed's path on the outlet's host, "" for another host's.
func feedPath(href string, base *url.URL, host string) string {
	u, err := url.Parse(strings.TrimSpace(href))
	if err != nil || href == "" {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.IsAbs() && strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.") != host {
		return ""
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	if !strings.HasPrefix(p, "/") {
		return ""
	}
	return p
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// Profile parses the suggestion as the profile file it prints.
func (s *Suggestion) Profile() (*profile.Profile, error) {
	data, err := s.YAML()
	if err != nil {
		return nil, err
	}
	return profile.Parse(s.ID+".yaml", data)
}
