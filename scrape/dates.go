package scrape

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"mediadigest/jalali"
)

// How the published time of a page is found (docs/profiles.md): the date
// printed beside the headline, else the page's metadata. When both exist
// and agree, the metadata's is taken for its precision (seconds, an
// offset); when they disagree the printed one wins, since live reports
// keep updating their metadata time.
const (
	// maxDateDistance bounds the visible text between the headline and a
	// date printed beside it: a kicker, a lead, a toolbar. A date farther
	// away is the site header's "today", a related article's or a
	// comment's.
	maxDateDistance = 700
	// maxDateRunes bounds the text of an element read as a date: the
	// date, its label, a weekday.
	maxDateRunes = 90
	// minDateDigits is the fewest digits a date has: a four-digit year.
	minDateDigits = 4
	// maxJSONDepth bounds the walk through a JSON-LD block.
	maxJSONDepth = 32
)

// metaSelectors are the page metadata holding the published time, most
// trusted first. JSON-LD datePublished comes after them.
var metaSelectors = []string{
	`meta[property="article:published_time"]`,
	`meta[name="article:published_time"]`,
	`meta[property="og:article:published_time"]`,
	`[itemprop="datePublished"]`,
	`meta[name="pubdate"]`,
	`meta[name="publishdate"]`,
}

// notBesideHeadline are class or id words of page parts whose dates are
// never the article's when they do not hold the headline: the site header
// prints today's date, sidebars and footers other articles'.
var notBesideHeadline = []string{"header", "topbar", "navbar", "menu", "footer", "sidebar", "related", "comment", "comments"}

// neverArticleDate are class or id words of clocks and "today" boxes.
var neverArticleDate = []string{"today", "clock", "now", "calendar"}

// pageTimes are the times a page gives for its article.
type pageTimes struct {
	visible    jalali.Reading
	hasVisible bool
	meta       time.Time
	hasMeta    bool
}

// published is the page's published time, in UTC, and whether it had one.
func (pt pageTimes) published(loc *time.Location) (time.Time, bool) {
	switch {
	case pt.hasVisible && pt.hasMeta && agree(pt.visible, pt.meta, loc):
		return pt.meta, true
	case pt.hasVisible:
		return pt.visible.Time, true
	case pt.hasMeta:
		return pt.meta, true
	}
	return time.Time{}, false
}

// agree reports whether a metadata time is the printed one: the same
// minute, or the same day when the page printed no clock.
func agree(visible jalali.Reading, meta time.Time, loc *time.Location) bool {
	if visible.HasClock {
		return meta.Truncate(time.Minute).Equal(visible.Time)
	}
	vy, vm, vd := visible.Time.In(loc).Date()
	my, mm, md := meta.In(loc).Date()
	return vy == my && vm == mm && vd == md
}

// visibleDate returns the date printed nearest the headline, within
// maxDateDistance of it and outside the site's header, navigation and
// sidebars. An element holding a date holds only a few words; of nested
// ones, the innermost with as much information is taken.
func (pg *page) visibleDate(headline *html.Node, loc *time.Location) (jalali.Reading, *html.Node, bool) {
	if headline == nil {
		return jalali.Reading{}, nil, false
	}
	type candidate struct {
		n    *html.Node
		r    jalali.Reading
		dist int
	}
	holdsHeadline := map[*html.Node]bool{}
	for a := headline; a != nil; a = a.Parent {
		holdsHeadline[a] = true
	}
	hs := pg.stat(headline)
	var cands []candidate
	for _, n := range pg.order {
		st := pg.stats[n]
		if st.runes() > maxDateRunes || st.digits < minDateDigits || holdsHeadline[n] ||
			hs.start <= st.start && st.end <= hs.end { // inside the headline
			continue
		}
		dist := pg.between(headline, n)
		if dist > maxDateDistance {
			continue
		}
		r, ok := readDateElement(n, loc)
		if !ok || !besideHeadline(n, holdsHeadline) {
			continue
		}
		cands = append(cands, candidate{n, r, dist})
	}
	// Of nested candidates keep the inner one, unless only the outer one
	// has the clock ("<span>۱۲ تیر ۱۴۰۲</span> <span>۱۰:۲۰</span>").
	drop := make([]bool, len(cands))
	for i, a := range cands {
		for j, b := range cands {
			if i == j || !contains(a.n, b.n) {
				continue
			}
			if b.r.HasClock || !a.r.HasClock {
				drop[i] = true
			} else {
				drop[j] = true
			}
		}
	}
	best := -1
	for i, c := range cands {
		if !drop[i] && (best < 0 || c.dist < cands[best].dist) {
			best = i
		}
	}
	if best < 0 {
		return jalali.Reading{}, nil, false
	}
	return cands[best].r, cands[best].n, true
}

// besideHeadline reports whether no ancestor of n marks it as a part of
// the page other than the article; holdsHeadline are the headline and its
// ancestors.
func besideHeadline(n *html.Node, holdsHeadline map[*html.Node]bool) bool {
	for a := n; a != nil; a = a.Parent {
		if a.Type != html.ElementNode {
			continue
		}
		if hasNameToken(a, neverArticleDate...) {
			return false
		}
		if holdsHeadline[a] {
			continue
		}
		switch a.DataAtom {
		case atom.Header, atom.Nav, atom.Footer, atom.Aside:
			return false
		}
		if hasNameToken(a, notBesideHeadline...) {
			return false
		}
	}
	return true
}

// readDateElement reads the date of an element: a <time>'s datetime
// attribute (ISO 8601, or a Jalali date as some CMSs write there), else
// its text as a visible Jalali date.
func readDateElement(n *html.Node, loc *time.Location) (jalali.Reading, bool) {
	if n.DataAtom == atom.Time {
		if v := strings.TrimSpace(attr(n, "datetime")); v != "" {
			if t, ok := parseISO(v, loc); ok {
				return jalali.Reading{Time: t, HasClock: strings.ContainsAny(v, "T:")}, true
			}
			if r, err := jalali.Read(v, loc); err == nil {
				return r, true
			}
		}
	}
	r, err := jalali.Read(nodeText(n), loc)
	return r, err == nil
}

// metaTime reads the published time in the page's metadata: the first of
// metaSelectors that parses, else JSON-LD datePublished. With a
// profile's selector, only that element is read.
func metaTime(doc *goquery.Document, selector string, loc *time.Location) (time.Time, bool) {
	t, _, ok := metaTimeAt(doc, selector, loc)
	return t, ok
}

// metaTimeAt is metaTime, and names where the time was: the selector
// that matched, or jsonLD.
func metaTimeAt(doc *goquery.Document, selector string, loc *time.Location) (time.Time, string, bool) {
	selectors := metaSelectors
	if selector != "" {
		selectors = []string{selector}
	}
	for _, sel := range selectors {
		el := doc.Find(sel).First()
		v, ok := el.Attr("content")
		if !ok {
			v = el.AttrOr("datetime", "")
		}
		if t, ok := parseTime(v, loc); ok {
			return t, sel, true
		}
	}
	if selector != "" {
		return time.Time{}, "", false
	}
	t, ok := jsonLDTime(doc, loc)
	return t, jsonLD, ok
}

// jsonLD names JSON-LD datePublished as where a page's time was found.
const jsonLD = "JSON-LD datePublished"

// jsonLDTime reads datePublished in the page's JSON-LD blocks.
func jsonLDTime(doc *goquery.Document, loc *time.Location) (time.Time, bool) {
	var out time.Time
	found := false
	doc.Find(`script[type="application/ld+json"]`).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		var v any
		if json.Unmarshal([]byte(s.Text()), &v) != nil {
			return true
		}
		if d, ok := findString(v, "datePublished", 0); ok {
			out, found = parseTime(d, loc)
		}
		return !found
	})
	return out, found
}

// findString returns the first string under key in a decoded JSON value,
// walking objects in key order.
func findString(v any, key string, depth int) (string, bool) {
	if depth > maxJSONDepth {
		return "", false
	}
	switch t := v.(type) {
	case map[string]any:
		if s, ok := t[key].(string); ok {
			return s, true
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if s, ok := findString(t[k], key, depth+1); ok {
				return s, true
			}
		}
	case []any:
		for _, e := range t {
			if s, ok := findString(e, key, depth+1); ok {
				return s, true
			}
		}
	}
	return "", false
}

// parseTime reads a machine-readable time: ISO 8601, or a Jalali date as
// IranSamaneh writes in article:published_time ("۱۳۹۸/۰۴/۲۱ - ۱۷:۲۱").
func parseTime(v string, loc *time.Location) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if t, ok := parseISO(v, loc); ok {
		return t, true
	}
	if t, err := jalali.Parse(v, loc); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// isoLayouts are the forms of ISO 8601 met in article:published_time and
// JSON-LD.
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// parseISO reads an ISO 8601 time; one without a zone is in loc.
func parseISO(v string, loc *time.Location) (time.Time, bool) {
	for _, layout := range isoLayouts {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			// A year the calendar of news never had is garbage.
			if t.Year() < 1900 || t.Year() > 2200 {
				return time.Time{}, false
			}
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
