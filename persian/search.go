package persian

import (
	"strings"
	"unicode/utf8"
)

// Search returns the search form of s: the words of its matching form
// (Match), separated by single spaces, with the affixes of a closed list
// split off as words of their own, so that an affix written with a ZWNJ,
// a space or nothing before or after its word gives the same words:
// «می‌رود», «می رود» and «میرود» are all «می رود»; «کتاب‌های»,
// «کتاب های» and «کتابهای» are all «کتاب های».
//
// The affixes are the verbal prefixes نمی and می, and the suffixes ها,
// های, هایی, هایم, هایت, هایش, هایمان, هایتان, هایشان, تر and ترین
// (docs/search.md says why these and not others). A word loses an affix
// only when something is left of it, and loses prefixes before suffixes;
// with this list, splitting a word glued to an affix gives the words of
// the word and the affix written apart. Words that merely begin or end
// like an affix are split too («میز» is «می ز»): the same happens to the
// text and to the query, so they still match; only the words shown differ.
//
// Search is idempotent: Search(Search(x)) == Search(x).
func Search(s string) string {
	m := Match(s)
	if !needsSplit(m) {
		return m
	}
	var b strings.Builder
	b.Grow(len(m) + len(m)/8)
	for w := range strings.SplitSeq(m, " ") {
		forEachPart(w, func(part string) {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(part)
		})
	}
	return b.String()
}

// SearchWords returns the words of the search form of s.
func SearchWords(s string) []string {
	m := Match(s)
	if m == "" {
		return nil
	}
	words := make([]string, 0, strings.Count(m, " ")+1)
	for w := range strings.SplitSeq(m, " ") {
		forEachPart(w, func(part string) { words = append(words, part) })
	}
	return words
}

var (
	// prefixes are tried longest first: نمی before می.
	prefixes = []string{"نمی", "می"}
	// suffixes are tried longest first. No suffix ends with another one
	// (ای would end های, so it is not on the list): the longest suffix of
	// a word glued to a suffix is then always that suffix.
	suffixes = []string{"هایشان", "هایتان", "هایمان", "هایش", "هایت", "هایم", "هایی", "ترین", "های", "ها", "تر"}
)

// forEachPart calls fn with the parts of one word of a matching form:
// its prefixes, what is left, then its suffixes, in the order written.
// A part is split off only when something is left of the word, prefixes
// first, over and over: split(w) is [p] + split(rest) for a prefix p,
// else split(stem) + [s] for a suffix s, else [w].
func forEachPart(w string, fn func(string)) {
	var stack [4]string
	suffixed := stack[:0]
	for {
		if p := prefixOf(w); p != "" {
			fn(p)
			w = w[len(p):]
			continue
		}
		if s := suffixOf(w); s != "" {
			suffixed = append(suffixed, s)
			w = w[:len(w)-len(s)]
			continue
		}
		break
	}
	fn(w)
	for i := len(suffixed) - 1; i >= 0; i-- {
		fn(suffixed[i])
	}
}

// byLast holds the suffixes by their last rune, longest first: most
// words end with none of them, and are passed over with one look-up.
var byLast = func() map[rune][]string {
	m := map[rune][]string{}
	for _, s := range suffixes {
		r, _ := utf8.DecodeLastRuneInString(s)
		m[r] = append(m[r], s)
	}
	return m
}()

// prefixOf returns the prefix w starts with, followed by more, or "".
func prefixOf(w string) string {
	// Both prefixes start with م or ن: two-byte runes starting 0xd9.
	if len(w) < 2 || w[0] != 0xd9 {
		return ""
	}
	for _, p := range prefixes {
		if len(w) > len(p) && strings.HasPrefix(w, p) {
			return p
		}
	}
	return ""
}

// suffixOf returns the suffix w ends with, after more, or "".
func suffixOf(w string) string {
	r, _ := utf8.DecodeLastRuneInString(w)
	for _, s := range byLast[r] {
		if len(w) > len(s) && strings.HasSuffix(w, s) {
			return s
		}
	}
	return ""
}

// needsSplit reports whether a word of the matching form m has an affix
// to split off; most paragraphs have some, most titles none.
func needsSplit(m string) bool {
	for w := range strings.SplitSeq(m, " ") {
		if prefixOf(w) != "" || suffixOf(w) != "" {
			return true
		}
	}
	return false
}
