package suggest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"mediadigest/persian"
	"mediadigest/scrape"
)

// suggestSelectors proposes the container and the selectors of the
// parts: for each, the selector that picks the part the generic reader
// found on the most pages, the simplest of those.
func (s *Suggestion) suggestSelectors(ps []*parsed) {
	scopes := make([]*goquery.Selection, len(ps))
	for i, p := range ps {
		scopes[i] = p.parts.Doc.Selection
	}
	part := func(get func(*scrape.Parts) *html.Node) []*html.Node {
		out := make([]*html.Node, len(ps))
		for i, p := range ps {
			out[i] = get(p.parts)
		}
		return out
	}
	containers := make([]*html.Node, len(ps))
	for i, p := range ps {
		containers[i] = commonAncestor(p.parts.Headline, p.parts.Lead, p.parts.Body, p.parts.Date, p.parts.Kicker)
	}
	s.Container = Field{Note: "the parts have no common element narrower than the page"}
	// A container that is the body's own element would hide it: a
	// selector's matches are inside its scope.
	bodyIsContainer := false
	for i, p := range ps {
		bodyIsContainer = bodyIsContainer || containers[i] == p.parts.Body
	}
	if c := bestSingle(containers, scopes); c.Confidence == 1 && !slices.ContainsFunc(containers, isPage) && !bodyIsContainer {
		s.Container = c
		for i, p := range ps {
			scopes[i] = p.parts.Doc.Find(c.Value).First()
		}
	}
	s.Title = bestSingle(part(func(p *scrape.Parts) *html.Node { return p.Headline }), scopes)
	chrome(&s.Title, part(func(p *scrape.Parts) *html.Node { return p.Headline }))
	s.Kicker = optional(part(func(p *scrape.Parts) *html.Node { return p.Kicker }), scopes, "no page has a kicker beside its headline")
	s.Lead = optional(part(func(p *scrape.Parts) *html.Node { return p.Lead }), scopes, "no page has a lead: none, or the reader missed it")
	chrome(&s.Lead, part(func(p *scrape.Parts) *html.Node { return p.Lead }))
	s.Date = optional(part(func(p *scrape.Parts) *html.Node { return p.Date }), scopes, "no page prints its date by the headline: the metadata's is read")
	s.Body = bestBody(ps, scopes)
	s.DateMeta = dateMeta(ps)
}

// isPage reports the elements that are the whole page.
func isPage(n *html.Node) bool {
	return n == nil || n.DataAtom == atom.Body || n.DataAtom == atom.Html
}

// commonAncestor is the lowest element holding every non-nil node.
func commonAncestor(nodes ...*html.Node) *html.Node {
	var anc *html.Node
	for _, n := range nodes {
		if n == nil {
			continue
		}
		if anc == nil {
			anc = n
			continue
		}
		for !holds(anc, n) {
			anc = anc.Parent
		}
	}
	return anc
}

func holds(a, n *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == a {
			return true
		}
	}
	return false
}

// optional is bestSingle for a part some pages lack; none found on any
// page gives an empty field with the note.
func optional(targets []*html.Node, scopes []*goquery.Selection, none string) Field {
	if !slices.ContainsFunc(targets, func(n *html.Node) bool { return n != nil }) {
		return Field{Note: none}
	}
	return bestSingle(targets, scopes)
}

// chrome zeroes a part's confidence when its text is the same on every
// page: that is the site's, not the article's.
func chrome(f *Field, targets []*html.Node) {
	first := ""
	for i, n := range targets {
		t := persian.Key(scrape.Text(n))
		if t == "" {
			return
		}
		if i == 0 {
			first = t
		} else if t != first {
			return
		}
	}
	f.Confidence = 0
	f.Note = "the same text on every page: the site's chrome, not the article"
}

// bestSingle proposes the selector whose first match is the target on the
// most pages (a page without the target: no match at all).
func bestSingle(targets []*html.Node, scopes []*goquery.Selection) Field {
	var cands []string
	for _, t := range targets {
		if t != nil {
			cands = appendNew(cands, candidates(t)...)
		}
	}
	best, bestHits := "", -1
	for _, c := range cands {
		hits := 0
		for i, t := range targets {
			sel := scopes[i].Find(c).First()
			switch {
			case t == nil:
				if sel.Length() == 0 {
					hits++
				}
			case sel.Length() > 0 && (sel.Get(0) == t || sameText(sel.Get(0), t)):
				hits++
			}
		}
		if hits > bestHits || hits == bestHits && simpler(c, best) {
			best, bestHits = c, hits
		}
	}
	f := Field{Value: best, Confidence: share(bestHits, len(targets))}
	if f.Confidence < 1 {
		f.Note = fmt.Sprintf("picks the part on %d of %d pages", bestHits, len(targets))
	}
	return f
}

func sameText(a, b *html.Node) bool {
	t := scrape.Text(a)
	return t != "" && t == scrape.Text(b)
}

// simpler prefers a selector naming a class, id or itemprop over a bare
// tag (which any page change moves), then one naming the element's tag
// too (h1.title over .title, which other elements may carry), then the
// shorter.
func simpler(a, b string) bool {
	if b == "" {
		return true
	}
	if na, nb := named(a), named(b); na != nb {
		return na
	}
	if ta, tb := tagged(a), tagged(b); ta != tb {
		return ta
	}
	return len(a) < len(b)
}

// tagged reports a selector starting with an element name.
func tagged(sel string) bool { return sel != "" && sel[0] >= 'a' && sel[0] <= 'z' }

func named(sel string) bool { return strings.ContainsAny(sel, ".#[") }

// bestBody proposes the selector of the body's paragraphs: the one whose
// matches read the paragraphs the generic reader found, on the most pages.
func bestBody(ps []*parsed, scopes []*goquery.Selection) Field {
	var cands []string
	tags := map[string]bool{}
	for _, p := range ps {
		for _, n := range p.parts.Paragraphs {
			tags[n.Data] = true
		}
	}
	var paraTags []string
	for t := range tags {
		paraTags = append(paraTags, t)
	}
	slices.Sort(paraTags)
	for _, p := range ps {
		for _, c := range candidates(p.parts.Body) {
			for _, t := range paraTags {
				cands = appendNew(cands, c+" > "+t, c+" "+t)
			}
			if len(paraTags) == 0 {
				cands = appendNew(cands, c)
			}
		}
	}
	best, bestHits, bestSim := "", -1, -1.0
	for _, c := range cands {
		hits, sim := 0, 0.0
		for i, p := range ps {
			var got []string
			scopes[i].Find(c).Each(func(_ int, s *goquery.Selection) {
				if t := scrape.Text(s.Get(0)); t != "" {
					got = append(got, t)
				}
			})
			if slices.Equal(got, p.parts.Texts) {
				hits++
			}
			sim += overlap(got, p.parts.Texts)
		}
		if hits > bestHits || hits == bestHits && (sim > bestSim || sim == bestSim && simpler(c, best)) {
			best, bestHits, bestSim = c, hits, sim
		}
	}
	f := Field{Value: best, Confidence: share(bestHits, len(ps))}
	switch {
	case len(paraTags) == 0:
		f.Confidence = 0
		f.Note = "the body is text between line breaks, which selectors cannot split: keep the generic profile for this outlet"
	case f.Confidence < 1:
		f.Note = fmt.Sprintf("reads the paragraphs exactly on %d of %d pages", bestHits, len(ps))
	}
	return f
}

// overlap is the share of two lists of paragraphs they have in common.
func overlap(a, b []string) float64 {
	if len(a)+len(b) == 0 {
		return 1
	}
	in := map[string]bool{}
	for _, t := range b {
		in[t] = true
	}
	both := 0
	for _, t := range a {
		if in[t] {
			both++
		}
	}
	return 2 * float64(both) / float64(len(a)+len(b))
}

// dateMeta is the metadata element most pages hold their time in.
func dateMeta(ps []*parsed) Field {
	counts := map[string]int{}
	best := ""
	for _, p := range ps {
		if m := p.parts.DateMeta; m != "" {
			counts[m]++
			if counts[m] > counts[best] || counts[m] == counts[best] && m < best {
				best = m
			}
		}
	}
	if best == "" {
		return Field{Note: "no page holds its time in a meta element"}
	}
	f := Field{Value: best, Confidence: share(counts[best], len(ps))}
	if f.Confidence < 1 {
		f.Note = "not every page holds it"
	}
	return f
}

// cssIdent matches the class and id names a selector can name as they are.
var cssIdent = regexp.MustCompile(`^-?[_a-zA-Z][_a-zA-Z0-9-]*$`)

// candidates are selectors naming n: by its id, classes, itemprop and tag,
// and by its parent's.
func candidates(n *html.Node) []string {
	own := ownSelectors(n)
	out := slices.Clone(own)
	p := n.Parent
	if p == nil || p.Type != html.ElementNode || isPage(p) {
		return out
	}
	for _, ps := range ownSelectors(p) {
		if !named(ps) {
			continue
		}
		out = append(out, ps+" > "+n.Data)
		for _, c := range meaningfulClasses(n) {
			out = append(out, ps+" "+n.Data+"."+c)
		}
	}
	return out
}

func ownSelectors(n *html.Node) []string {
	tag := n.Data
	var out []string
	if id := attrOf(n, "id"); cssIdent.MatchString(id) && !strings.ContainsAny(id, "0123456789") {
		out = append(out, "#"+id)
	}
	for _, c := range meaningfulClasses(n) {
		out = append(out, tag+"."+c, "."+c)
	}
	if ip := attrOf(n, "itemprop"); cssIdent.MatchString(ip) {
		out = append(out, tag+"[itemprop="+ip+"]")
	}
	return append(out, tag)
}

// utilityClass matches the layout classes of CSS frameworks (Bootstrap's
// col-12, mb-2, d-flex, text-justify, visible-xs): they say where a box
// sits, not what it holds, and move with every redesign.
var utilityClass = regexp.MustCompile(`^(col|row|container|d|flex|float|m[tbsexy]?|p[tbsexy]?|text|justify|align|w|h|g|gap|order|offset|pull|push|visible|hidden|clearfix|radius|rounded|shadow|border|bg|font|fw|lh|overflow|position|top|bottom|start|end|left|right|clear|wrapper|padd|sm|md|lg|xs|ms)([_-].*)?$`)

// meaningfulClasses are an element's classes a selector can name, layout
// classes left out unless it has no other.
func meaningfulClasses(n *html.Node) []string {
	var named, layout []string
	for _, c := range strings.Fields(attrOf(n, "class")) {
		switch {
		case !cssIdent.MatchString(c):
		case utilityClass.MatchString(c):
			layout = append(layout, c)
		default:
			named = append(named, c)
		}
	}
	if len(named) > 0 {
		return named
	}
	return layout
}

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}
