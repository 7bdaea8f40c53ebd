// Package dedupe computes the clean view of an article (docs/cleaning.md), learns the
// promo lines an outlet repeats in many articles, and groups the copies of
// one text published by several outlets into stories.
//
// Every comparison is made on the matching forms of package persian, so
// spacing, ZWNJ, Arabic letter and digit variants never make two equal
// texts differ. Nothing here does I/O: the caller stores what it learns.
package dedupe

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"mediadigest/model"
	"mediadigest/persian"
)

const (
	// linkMaxWords bounds the paragraph taken as promo after a bare
	// marker. The caller hands a link-only paragraph over as the link's
	// text, a headline, so a longer paragraph is the article going on.
	linkMaxWords = 20

	// attributionTail is how many of the last non-empty paragraphs may be
	// a "منبع: X" line: earlier ones are captions of charts and tables
	// naming where figures come from, not the outlet of the article.
	attributionTail = 3

	// attributionMaxWords bounds X in "منبع: X": a longer text is a
	// sentence, not an outlet name.
	attributionMaxWords = 6

	// colonWindow is how far into a paragraph (in bytes) a marker's colon
	// is looked for, datelineWindow a dateline; both are a few words.
	colonWindow    = 128
	datelineWindow = 128
)

// attributionWord starts an attribution line; the display form has no
// letter variants to fold for it.
const attributionWord = "منبع"

// outletNamePrefixes are words an attribution may put before an outlet's
// name ("منبع: خبرگزاری ایسنا"), in key form.
var outletNamePrefixes = []string{
	persian.Key("خبرگزاری"),
	persian.Key("پایگاه خبری"),
	persian.Key("روزنامه"),
}

// Rules is what cleaning knows about one outlet, built from its profile.
type Rules struct {
	// PromoMarkers are the outlet's own read-more markers, used with the
	// shared ones.
	PromoMarkers []string
	// EndMarkers are whole paragraphs such as "انتهای پیام", used with the
	// shared ones; a desk code may follow after a slash.
	EndMarkers []string
	// MetadataLabels are the outlet's own labels of page metadata lines
	// ("کد خبر:"), used with the shared ones.
	MetadataLabels []string
	// Datelines are matched at the start of the first paragraph (display
	// form); the match is cut ("اقتصاد۲۴-", "ایسنا/کرمان").
	Datelines []*regexp.Regexp
	// Outlets maps outlet display names to outlet ids, for attribution
	// ("ایسنا" → "isna").
	Outlets map[string]string
	// SponsoredMarkers are the outlet's own advertorial labels, used with
	// the shared ones.
	SponsoredMarkers []string
}

// Sponsored reports whether an article is paid content: its kicker or
// title starts, in matching form, with one of the shared or the outlet's
// advertorial labels as whole words («رپرتاژ آگهی», not «رپرتاژهای …»).
func Sponsored(kicker, title string, r Rules) bool {
	for _, text := range []string{kicker, title} {
		words := persian.Match(text) + " "
		for _, m := range slices.Concat(sharedSponsored, r.SponsoredMarkers) {
			if mw := persian.Match(m); mw != "" && strings.HasPrefix(words, mw+" ") {
				return true
			}
		}
	}
	return false
}

// Learned reports whether a paragraph key (persian.Key form) is a learned
// promo line of the outlet. A nil Learned knows none.
type Learned func(key string) bool

// Clean computes the clean view of an article from its raw paragraphs
// (display form), as docs/cleaning.md defines it.
//
// Empty paragraphs (nothing visible) are dropped without a record. Every
// other paragraph is kept or removed, the first rule that applies deciding
// its reason: marker > attribution > trailer > metadata > promo > learned
// > duplicate. So the second copy of a promo line is promo, not duplicate.
// The shared Persian agency conventions (SharedConventions) apply with
// the outlet's own Rules.
//
//   - marker: a paragraph equal (matching form) to an end marker, or to
//     an end marker and a desk code after a slash ("انتهای پیام/ز"); or a
//     dateline at the start of the first paragraph, which is cut and
//     recorded while the rest of the paragraph goes on through the rules
//     (when nothing is left, the whole paragraph is the marker).
//     A paragraph of digits alone is a writer's or desk's code: marker.
//   - trailer: every paragraph after an end marker but an attribution.
//   - metadata: a line of page metadata labels and their values
//     ("کد خبر: ۶۹۹۸۵۵۱ بازدید: ۲۵۰۴۵"; one label only with a value
//     that is data: a number, a code, a date).
//   - attribution: "منبع: X" among the last three non-empty paragraphs, X
//     at most six words. Source becomes the outlet id of X when Rules.Outlets
//     names it (also after "خبرگزاری" and the like), else X as written; the
//     last such line wins.
//   - promo: a paragraph starting with a read-more marker, compared on the
//     matching form on word boundaries with spaces ignored; a marker written
//     with a colon needs that colon. A bare marker (the marker alone) makes
//     the next non-empty paragraph promo too when it has at most 20 words,
//     since the link after a marker arrives as its headline.
//   - learned: the paragraph's key is learned.
//   - duplicate: the paragraph's key equals the key of a kept paragraph.
func Clean(raw []string, r Rules, learned Learned) model.Clean {
	c := newCleaner(r)
	out := model.Clean{Paragraphs: []string{}, Removed: []model.Removed{}}
	remove := func(text, reason string) {
		out.Removed = append(out.Removed, model.Removed{Text: text, Reason: reason})
	}
	tail := tailStart(raw)
	kept := make(map[string]bool)
	first, afterBare, ended := true, false, false
	for i, p := range raw {
		if isEmpty(p) {
			continue
		}
		if first {
			first = false
			if cut, rest, ok := c.dateline(p); ok {
				if persian.Key(rest) == "" {
					remove(p, model.ReasonMarker)
					continue
				}
				remove(cut, model.ReasonMarker)
				p = rest
			}
		}
		match, key := persian.Forms(p)
		linkAfterBare := afterBare
		afterBare = false
		if c.isEndMarker(p, match, key) {
			remove(p, model.ReasonMarker)
			ended = true
			continue
		}
		if isDeskCode(match) {
			remove(p, model.ReasonMarker)
			continue
		}
		if i >= tail {
			if name, ok := attribution(p); ok {
				out.Source = c.outletID(name)
				remove(p, model.ReasonAttribution)
				continue
			}
		}
		if ended {
			remove(p, model.ReasonTrailer)
			continue
		}
		if isMetadata(c.metadata, p) || c.ownMetadata != nil && isMetadata(c.ownMetadata, p) {
			remove(p, model.ReasonMetadata)
			continue
		}
		if promo, bare := c.promo(p, match, key); promo {
			afterBare = bare
			remove(p, model.ReasonPromo)
			continue
		}
		if linkAfterBare && wordsAtMost(match, linkMaxWords) {
			remove(p, model.ReasonPromo)
			continue
		}
		if learned != nil && learned(key) {
			remove(p, model.ReasonLearned)
			continue
		}
		if key != "" && kept[key] {
			remove(p, model.ReasonDuplicate)
			continue
		}
		kept[key] = true
		out.Paragraphs = append(out.Paragraphs, p)
	}
	return out
}

// marker is a read-more marker in key form; colon markers need their colon
// in the paragraph.
type marker struct {
	key   string
	colon bool
}

// cleaner is Rules prepared for comparing on keys.
type cleaner struct {
	markers    []marker
	endMarkers map[string]bool
	endMatch   []string // the end markers' matching forms
	// metadata matches the shared labels, ownMetadata the outlet's own
	// (nil when it has none).
	metadata, ownMetadata *regexp.Regexp
	datelines             []*regexp.Regexp
	outlets               map[string]string // key of a display name → outlet id
}

func newCleaner(r Rules) *cleaner {
	c := &cleaner{
		endMarkers:  make(map[string]bool, len(sharedEnd)+len(r.EndMarkers)),
		metadata:    sharedLabels,
		ownMetadata: labelPattern(r.MetadataLabels),
		datelines:   r.Datelines,
		outlets:     make(map[string]string, len(r.Outlets)),
	}
	seen := make(map[marker]bool)
	for _, m := range slices.Concat(sharedPromo, r.PromoMarkers) {
		m = strings.TrimSpace(m)
		trimmed := strings.TrimRightFunc(m, func(r rune) bool { return isColon(r) || unicode.IsSpace(r) })
		mk := marker{key: persian.Key(trimmed), colon: trimmed != m}
		if mk.key != "" && !seen[mk] {
			seen[mk] = true
			c.markers = append(c.markers, mk)
		}
	}
	for _, m := range slices.Concat(sharedEnd, r.EndMarkers) {
		if k := persian.Key(m); k != "" && !c.endMarkers[k] {
			c.endMarkers[k] = true
			c.endMatch = append(c.endMatch, persian.Match(m))
		}
	}
	for name, id := range r.Outlets {
		c.outlets[persian.Key(name)] = id
	}
	return c
}

// dateline cuts the first of the outlet's datelines that matches at the
// start of p. Only the first datelineWindow bytes are matched, and a match
// reaching their end is no dateline: a dateline is a few words, and a
// pattern such as `\S+` must not run through a giant paragraph.
func (c *cleaner) dateline(p string) (cut, rest string, ok bool) {
	head := p[:min(len(p), datelineWindow)]
	for _, re := range c.datelines {
		loc := re.FindStringIndex(head)
		if loc == nil || loc[0] != 0 || loc[1] == 0 || loc[1] == len(head) && len(head) < len(p) {
			continue
		}
		return strings.TrimSpace(p[:loc[1]]), strings.TrimSpace(p[loc[1]:]), true
	}
	return "", "", false
}

// promo reports whether p starts with a read-more marker, and whether it is
// the marker alone. match and key are p's matching form and key.
func (c *cleaner) promo(p, match, key string) (promo, bare bool) {
	// The key of the text before a colon near the start, for colon
	// markers; the matching form has lost the colon itself.
	head, afterColon := "", ""
	if i := strings.IndexFunc(p[:min(len(p), colonWindow)], isColon); i >= 0 {
		_, size := utf8.DecodeRuneInString(p[i:])
		head, afterColon = persian.Key(p[:i]), p[i+size:]
	}
	for _, m := range c.markers {
		if key == m.key {
			return true, true
		}
		if head == m.key {
			return true, persian.Key(afterColon) == ""
		}
		if !m.colon && hasWordPrefix(match, m.key) {
			return true, false
		}
	}
	return false, false
}

// hasWordPrefix reports whether the first words of match, joined without
// spaces, spell key exactly: "بیشتربخوانید" and "بیشتر بخوانید" both start
// with the marker, "بیشترین" does not.
func hasWordPrefix(match, key string) bool {
	for key != "" {
		w, rest, _ := strings.Cut(match, " ")
		if w == "" || !strings.HasPrefix(key, w) {
			return false
		}
		key, match = key[len(w):], rest
	}
	return true
}

// attribution returns X of a paragraph "منبع: X" (any spacing around the
// colon).
func attribution(p string) (string, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(p), attributionWord)
	if !ok {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	c, size := utf8.DecodeRuneInString(rest)
	if !isColon(c) {
		return "", false
	}
	name := strings.TrimSpace(rest[size:])
	if name == "" || !wordsAtMost(persian.Match(name), attributionMaxWords) {
		return "", false
	}
	return name, true
}

// isColon reports the colons that end a marker or an attribution word: the
// ASCII one and its full-width form.
func isColon(r rune) bool { return r == ':' || r == '：' }

// outletID returns the id of the outlet named, or the name as written.
func (c *cleaner) outletID(name string) string {
	key := persian.Key(name)
	if id, ok := c.outlets[key]; ok {
		return id
	}
	for _, prefix := range outletNamePrefixes {
		if rest, ok := strings.CutPrefix(key, prefix); ok {
			if id, ok := c.outlets[rest]; ok {
				return id
			}
		}
	}
	return name
}

// tailStart returns the index of the first paragraph among the last
// attributionTail non-empty ones.
func tailStart(raw []string) int {
	n := 0
	for i := len(raw) - 1; i >= 0; i-- {
		if !isEmpty(raw[i]) {
			n++
			if n == attributionTail {
				return i
			}
		}
	}
	return 0
}

// wordsAtMost reports whether a matching form has at most n words, without
// counting past n.
func wordsAtMost(match string, n int) bool {
	if match == "" {
		return true
	}
	words := 1
	for i := 0; i < len(match); i++ {
		if match[i] == ' ' {
			if words++; words > n {
				return false
			}
		}
	}
	return true
}

// isEmpty reports whether p shows nothing: only spaces, joiners and other
// invisible characters.
func isEmpty(p string) bool {
	return strings.IndexFunc(p, func(r rune) bool {
		return unicode.IsGraphic(r) && !unicode.IsSpace(r)
	}) < 0
}
