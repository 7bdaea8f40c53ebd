package scrape

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"mediadigest/model"
	"mediadigest/persian"
)

// The generic reader: an article out of any news page, without selectors
// (docs/profiles.md). The headline is the page's h1; the body the element
// whose own paragraphs hold the most text after it; the lead an element
// between the two named as a lead or summary, or printing the page's
// description; the kicker an element named as one just above the headline.

const (
	// maxKickerDistance bounds the text between a kicker and the headline.
	maxKickerDistance = 100
	// maxKickerRunes and the lead bounds keep a whole box from being taken.
	maxKickerRunes = 150
	minLeadRunes   = 40
	maxLeadRunes   = 1500
	// maxLeadDigits is the share of digits above which a box is a date
	// or a code line, not a lead.
	maxLeadDigits = 0.25
	// linkDense is the share of link text above which a block is a list
	// of links (read-more boxes, tag lists), not a paragraph.
	linkDense = 0.5
)

// Class and id words that name parts of a page (see nameTokens).
var (
	leadWords   = []string{"lead", "subtitle", "summary", "introtext", "intro", "abstract", "lede", "teaser", "excerpt", "subtitr", "description", "descr"}
	kickerWords = []string{"rutitr", "kicker", "uptitle", "overtitle", "pretitle", "supertitle", "surtitle", "rotitr"}
	// chromeWords name boxes inside or beside a body that are not its
	// text.
	chromeWords = []string{"share", "sharer", "social", "tag", "tags", "keywords", "related", "readmore", "comment", "comments",
		"ad", "ads", "adv", "advert", "banner", "print", "toolbar", "breadcrumb", "hidetag",
		"rating", "newsletter", "sidebar", "menu", "nav", "footer", "most", "popular"}
	logoWords = []string{"logo", "brand", "sitename"}
)

// block is one paragraph of the body and the element it came from (nil
// for a run of text between line breaks).
type block struct {
	node *html.Node
	text string
}

// extractGeneric reads the article of a page with the generic reader. It
// returns the headline element too (nil when the title came from the
// page's metadata), for the date finder.
func (pg *page) extractGeneric(pageURL string) (model.Article, *html.Node, error) {
	a := model.Article{Tags: []string{}}
	headline := pg.headline()
	if headline != nil {
		a.Title = nodeText(headline)
	}
	if a.Title == "" {
		a.Title = pg.metaTitle()
	}
	if a.Title == "" {
		return model.Article{}, nil, &ExtractError{URL: pageURL, Part: "title"}
	}
	body := pg.bodyContainer(headline)
	if body == nil {
		return model.Article{}, nil, &ExtractError{URL: pageURL, Part: "body"}
	}
	blocks := pg.blocks(body, headline)
	lead := pg.lead(headline, body, blocks)
	if kicker := pg.kicker(headline); kicker != nil {
		a.Kicker = nodeText(kicker)
	}
	if lead != nil {
		a.RawLead = nodeText(lead)
	}
	leadKey := persian.Key(a.RawLead)
	for _, b := range blocks {
		// The lead printed inside the body, or again as its first
		// paragraph, is not a paragraph.
		if lead != nil && b.node != nil && contains(lead, b.node) || leadKey != "" && len(a.Raw) == 0 && persian.Key(b.text) == leadKey {
			continue
		}
		a.Raw = append(a.Raw, b.text)
	}
	if len(a.Raw) == 0 {
		return model.Article{}, nil, &ExtractError{URL: pageURL, Part: "body"}
	}
	return a, headline, nil
}

// headline returns the page's headline: an h1 outside the site's chrome,
// the one its title metadata names when there are several; else an
// element marked as the headline.
func (pg *page) headline() *html.Node {
	hints := pg.titleHints()
	var best *html.Node
	bestScore := -1
	for _, n := range pg.order {
		if n.DataAtom != atom.H1 || pg.stats[n].runes() == 0 {
			continue
		}
		score := 0
		if m := persian.Match(nodeText(n)); m != "" {
			for _, h := range hints {
				if strings.Contains(h, m) {
					score += 4
					break
				}
			}
		}
		if inArticle(n) {
			score += 2
		}
		if !inChrome(n) {
			score++
		}
		if score > bestScore {
			best, bestScore = n, score
		}
	}
	if best != nil {
		return best
	}
	for _, n := range pg.order {
		if attr(n, "itemprop") == "headline" && n.DataAtom != atom.Meta && pg.stats[n].runes() > 0 {
			return n
		}
	}
	return nil
}

// titleHints are the page's titles in matching form: og:title,
// twitter:title and <title>, which carry the headline with a site name.
func (pg *page) titleHints() []string {
	var out []string
	for _, sel := range []string{`meta[property="og:title"]`, `meta[name="twitter:title"]`} {
		if v := pg.doc.Find(sel).First().AttrOr("content", ""); v != "" {
			out = append(out, persian.Match(v))
		}
	}
	if t := pg.doc.Find("title").First().Text(); t != "" {
		out = append(out, persian.Match(t))
	}
	return out
}

// metaTitle is the title when the page has no headline element:
// og:title, else <title>, without the site name after " - " or " | ".
func (pg *page) metaTitle() string {
	t := pg.doc.Find(`meta[property="og:title"]`).First().AttrOr("content", "")
	if strings.TrimSpace(t) == "" {
		t = pg.doc.Find("title").First().Text()
	}
	t = persian.Display(strings.TrimSpace(t))
	for _, sep := range []string{" | ", " - ", " – ", " :: "} {
		if i := strings.Index(t, sep); i > 0 {
			t = t[:i]
		}
	}
	return strings.TrimSpace(t)
}

// inArticle reports whether n is inside an article, main or an element
// marked as the article.
func inArticle(n *html.Node) bool {
	for a := n.Parent; a != nil; a = a.Parent {
		if a.DataAtom == atom.Article || a.DataAtom == atom.Main || strings.Contains(attr(a, "itemtype"), "Article") {
			return true
		}
	}
	return false
}

// inChrome reports whether n sits in the site's header, navigation,
// footer or logo.
func inChrome(n *html.Node) bool {
	for a := n; a != nil; a = a.Parent {
		switch a.DataAtom {
		case atom.Header, atom.Nav, atom.Footer, atom.Aside:
			return !inArticle(a)
		}
		if hasNameToken(a, logoWords...) {
			return true
		}
	}
	return false
}

// bodyContainer returns the element whose own paragraphs (children) hold
// the most text after the headline, links not counted.
func (pg *page) bodyContainer(headline *html.Node) *html.Node {
	after := 0
	if headline != nil {
		after = pg.stat(headline).end
	}
	var best *html.Node
	bestScore := 0
	for _, n := range pg.order {
		st := pg.stats[n]
		if st.end <= after || st.chrome {
			continue
		}
		score := 0
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			score += pg.paragraphScore(c, after)
		}
		if score > bestScore {
			best, bestScore = n, score
		}
	}
	return best
}

// paragraphScore is the text a child brings to its parent's score as a
// body: its non-link runes when it is a paragraph after the headline.
func (pg *page) paragraphScore(c *html.Node, after int) int {
	switch c.Type {
	case html.TextNode:
		n := 0
		for _, r := range c.Data {
			if !unicode.IsSpace(r) {
				n++
			}
		}
		return n
	case html.ElementNode:
	default:
		return 0
	}
	st := pg.stats[c]
	if st == nil || st.start < after || st.chrome {
		return 0
	}
	if c.DataAtom != atom.P && st.blocks {
		return 0
	}
	if float64(st.links) > linkDense*float64(st.runes()) {
		return 0
	}
	return st.runes() - st.links
}

// skipped reports elements whose content is never article text.
func skipped(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Iframe, atom.Form, atom.Button,
		atom.Select, atom.Textarea, atom.Nav, atom.Aside, atom.Footer, atom.Figure, atom.Figcaption, atom.Table:
		return true
	}
	if strings.Contains(strings.ReplaceAll(strings.ToLower(attr(n, "style")), " ", ""), "display:none") {
		return true
	}
	return hasNameToken(n, chromeWords...)
}

// blocks returns the paragraphs of a body container in order: its p and
// heading elements, its elements holding text only (Fars writes
// paragraphs as divs), and runs of text between line breaks; never what
// comes before the headline, nor boxes of links.
func (pg *page) blocks(body, headline *html.Node) []block {
	var out []block
	before := 0
	if headline != nil {
		before = pg.stat(headline).end
	}
	var run []*html.Node
	flush := func() {
		if len(run) == 0 {
			return
		}
		var b strings.Builder
		for _, n := range run {
			writeText(&b, n)
		}
		run = run[:0]
		if t := persian.Display(strings.TrimSpace(b.String())); t != "" {
			out = append(out, block{text: t})
		}
	}
	// passed: the walk is past the headline; nothing before it is body.
	passed := headline == nil || pg.stat(body).start >= before
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if st := pg.stats[c]; !passed && st != nil && st.start >= before {
				passed = true
			}
			if c.Type == html.TextNode || c.Type == html.ElementNode && !isBlock(c) && c.DataAtom != atom.Br {
				if passed && (c.Type == html.TextNode || !skipped(c)) {
					run = append(run, c)
				}
				continue
			}
			flush()
			if c.Type != html.ElementNode || c.DataAtom == atom.Br || skipped(c) {
				continue
			}
			if c == headline {
				passed = true
				continue
			}
			st := pg.stats[c]
			if st == nil || st.end <= before && !contains(c, headline) {
				continue
			}
			if contains(c, headline) || st.blocks && c.DataAtom != atom.P {
				walk(c)
				continue
			}
			if c.DataAtom != atom.P && float64(st.links) > linkDense*float64(st.runes()) {
				continue
			}
			if t := nodeText(c); t != "" {
				out = append(out, block{node: c, text: t})
			}
		}
		flush()
	}
	walk(body)
	return out
}

// lead returns the element between the headline and the first paragraph
// that is the article's lead: named as a lead or summary, or printing the
// page's description; or the first paragraph itself when it is named so.
// A body of text between line breaks has no paragraph elements: the
// window then ends with the body.
func (pg *page) lead(headline, body *html.Node, blocks []block) *html.Node {
	if headline == nil || len(blocks) == 0 {
		return nil
	}
	from, to := pg.stat(headline).end, pg.stat(body).end
	for _, b := range blocks {
		if b.node != nil {
			to = pg.stat(b.node).start
			if isLead(b.node) {
				return b.node
			}
			break
		}
	}
	desc := persian.Key(pg.doc.Find(`meta[name="description"]`).First().AttrOr("content", ""))
	if desc == "" {
		desc = persian.Key(pg.doc.Find(`meta[property="og:description"]`).First().AttrOr("content", ""))
	}
	var byDesc *html.Node
	for _, n := range pg.order {
		st := pg.stats[n]
		if st.start < from || st.end > to || st.runes() < minLeadRunes || st.runes() > maxLeadRunes ||
			float64(st.links) > linkDense*float64(st.runes()) || float64(st.digits) > maxLeadDigits*float64(st.runes()) ||
			contains(n, body) {
			continue
		}
		if isLead(n) {
			return n
		}
		if byDesc == nil && desc != "" && persian.Key(nodeText(n)) == desc {
			byDesc = n
		}
	}
	return byDesc
}

func isLead(n *html.Node) bool {
	return hasNameToken(n, leadWords...) || attr(n, "itemprop") == "description" && n.DataAtom != atom.Meta
}

// kicker returns the element just above the headline named as a kicker.
func (pg *page) kicker(headline *html.Node) *html.Node {
	if headline == nil {
		return nil
	}
	start := pg.stat(headline).start
	var best *html.Node
	for _, n := range pg.order {
		st := pg.stats[n]
		if st.start >= start {
			break
		}
		if st.end > start || start-st.end > maxKickerDistance || st.runes() == 0 || st.runes() > maxKickerRunes {
			continue
		}
		if hasNameToken(n, kickerWords...) {
			best = n // the nearest wins: later ones are nearer
		}
	}
	return best
}
