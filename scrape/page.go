package scrape

import (
	"bytes"
	"strings"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"mediadigest/persian"
)

// page is a parsed document with the text layout of its elements, made
// once for the generic reader and the date finder: where each element's
// visible text starts and ends (in runes of text before it, in document
// order), and how much of it is link text or digits.
type page struct {
	doc   *goquery.Document
	stats map[*html.Node]*nodeStats
	// order is every element outside <head> in document order.
	order []*html.Node
}

type nodeStats struct {
	start, end int  // visible runes before the element's text, and after it
	links      int  // runes inside <a>
	digits     int  // digits, Persian, Arabic-Indic or ASCII
	blocks     bool // a block element is inside: not a paragraph of its own
	chrome     bool // inside an element whose content is never article text (skipped)
}

func (s *nodeStats) runes() int { return s.end - s.start }

func newPage(doc *goquery.Document) *page {
	pg := &page{doc: doc, stats: map[*html.Node]*nodeStats{}}
	var w layoutWalker
	w.pg = pg
	for _, n := range doc.Nodes {
		w.walk(n, false, false)
	}
	return pg
}

type layoutWalker struct {
	pg     *page
	offset int // visible non-space runes so far
	links  int
	digits int
}

// walk lays out n's subtree. Recursion follows the document's depth,
// which the HTML parser keeps finite; a page of 10,000 nested elements
// is a few megabytes of stack.
func (w *layoutWalker) walk(n *html.Node, inLink, inChrome bool) {
	switch n.Type {
	case html.TextNode:
		for _, r := range n.Data {
			if unicode.IsSpace(r) || r == '\u200c' {
				continue
			}
			w.offset++
			if inLink {
				w.links++
			}
			if unicode.IsDigit(r) {
				w.digits++
			}
		}
		return
	case html.ElementNode:
		switch n.DataAtom {
		case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Head:
			return
		}
	case html.CommentNode, html.DoctypeNode:
		return
	}
	var st *nodeStats
	if n.Type == html.ElementNode {
		inChrome = inChrome || skipped(n)
		st = &nodeStats{start: w.offset, links: w.links, digits: w.digits, chrome: inChrome}
		w.pg.stats[n] = st
		w.pg.order = append(w.pg.order, n)
	}
	link := inLink || n.DataAtom == atom.A
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c, link, inChrome)
		if st != nil && c.Type == html.ElementNode && (isBlock(c) || w.pg.stats[c] != nil && w.pg.stats[c].blocks) {
			st.blocks = true
		}
	}
	if st != nil {
		st.end = w.offset
		st.links = w.links - st.links
		st.digits = w.digits - st.digits
	}
}

// isBlock reports whether an element breaks the text flow into blocks:
// any known element but the phrasing ones, line breaks and images.
func isBlock(n *html.Node) bool {
	switch n.DataAtom {
	case 0: // unknown elements (Tabnak's <sapn>) render inline
		return false
	case atom.Br, atom.Img, atom.Wbr, atom.Picture, atom.Source, atom.Svg, atom.Script, atom.Style, atom.Noscript, atom.Template:
		return false
	}
	return !isInline(n.DataAtom)
}

// stat returns the layout of element n; a node outside the layout (in
// <head>, a script) has an empty one.
func (pg *page) stat(n *html.Node) nodeStats {
	if s, ok := pg.stats[n]; ok {
		return *s
	}
	return nodeStats{}
}

// between is the number of visible runes between two elements in document
// order, 0 when they overlap.
func (pg *page) between(a, b *html.Node) int {
	sa, sb := pg.stat(a), pg.stat(b)
	switch {
	case sa.end <= sb.start:
		return sb.start - sa.end
	case sb.end <= sa.start:
		return sa.start - sb.end
	}
	return 0
}

// contains reports whether a is b or one of b's ancestors.
func contains(a, b *html.Node) bool {
	for n := b; n != nil; n = n.Parent {
		if n == a {
			return true
		}
	}
	return false
}

// nameTokens returns the words of an element's class and id, in lower
// case, split at spaces, hyphens, underscores and case changes' absence:
// "news_pdate_c" → news, pdate, c; "readmore-container" → readmore,
// container.
func nameTokens(n *html.Node) []string {
	var out []string
	for _, a := range n.Attr {
		if a.Key != "class" && a.Key != "id" {
			continue
		}
		out = append(out, strings.FieldsFunc(strings.ToLower(a.Val), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})...)
	}
	return out
}

// hasNameToken reports whether n's class or id has one of the words.
func hasNameToken(n *html.Node, words ...string) bool {
	for _, t := range nameTokens(n) {
		for _, w := range words {
			if t == w {
				return true
			}
		}
	}
	return false
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// nodeText is text for a single node.
func nodeText(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	writeText(&b, n)
	return persian.Display(strings.TrimSpace(b.String()))
}

// maxNesting is how deep flatten lets elements nest: well under the 512
// open elements at which the HTML parser gives up on a page.
const maxNesting = 256

// flatten rewrites a page nested deeper than maxNesting with its excess
// nesting dropped: a start tag past the limit and its end tag go, their
// content stays where it was. Only a page the parser refused is
// rewritten.
func flatten(page []byte) []byte {
	z := html.NewTokenizer(bytes.NewReader(page))
	var out bytes.Buffer
	out.Grow(len(page))
	var open []string
	dropped := map[string]int{}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.Bytes()
		}
		raw := z.Raw()
		switch tt {
		case html.StartTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if voidElements[tag] {
				break
			}
			if len(open) >= maxNesting {
				dropped[tag]++
				continue
			}
			open = append(open, tag)
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if dropped[tag] > 0 {
				dropped[tag]--
				continue
			}
			for i := len(open) - 1; i >= 0; i-- {
				if open[i] == tag {
					open = open[:i]
					break
				}
			}
		}
		out.Write(raw)
	}
}

// voidElements have no end tag and never nest.
var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true, "input": true,
	"link": true, "meta": true, "param": true, "source": true, "track": true, "wbr": true,
}
