package search

import (
	"slices"
	"strings"

	"mediadigest/persian"
	"mediadigest/store"
)

// snippetWords is the length of a snippet, in words of the display form.
const snippetWords = 36

// highlighter marks the words of a display text that hold a match of the
// query's terms. It compares in the search form, word by word, and marks
// whole words of the display form: «میرود» is marked for «رود», since it
// holds the search words «می رود».
type highlighter struct {
	terms []store.SearchTerm // each any of its phrases
	// words caches the search words of display words: a page of hits
	// repeats most of its words.
	words map[string][]string
}

func newHighlighter(terms []store.SearchTerm) *highlighter {
	return &highlighter{terms: terms, words: map[string][]string{}}
}

// spans returns all of text, its matched words marked.
func (h *highlighter) spans(text string) []Span {
	words, hit := h.marks(text)
	return join(words, hit, 0, len(words))
}

// snippet returns a passage of the lead or the paragraphs: around the
// first match of the first piece that matches every term, else of the one
// that matches the most terms (then the most times), or the start of the
// lead when none matches (the match was in the title).
func (h *highlighter) snippet(lead string, paragraphs []string) []Span {
	best, bestTerms, bestHits := "", 0, 0
	for _, piece := range append([]string{lead}, paragraphs...) {
		if best == "" {
			best = piece
		}
		terms, hits := h.count(persian.SearchWords(piece))
		if terms > bestTerms || terms == bestTerms && hits > bestHits {
			best, bestTerms, bestHits = piece, terms, hits
		}
		if bestTerms == len(h.terms) {
			break // no piece can do better on what counts most
		}
	}
	words, hit := h.marks(best)
	first := max(slices.Index(hit, true), 0)
	start := max(first-snippetWords/4, 0)
	end := min(start+snippetWords, len(words))
	start = max(end-snippetWords, 0)
	spans := join(words, hit, start, end)
	if len(spans) == 0 {
		return nil
	}
	if start > 0 {
		spans = append([]Span{{Text: "… "}}, spans...)
	}
	if end < len(words) {
		spans = append(spans, Span{Text: " …"})
	}
	return spans
}

// count returns how many of the terms occur in words, and how many times
// in all.
func (h *highlighter) count(words []string) (terms, hits int) {
	for _, t := range h.terms {
		n := 0
		for _, p := range t {
			n += len(occurrences(words, p))
		}
		if n > 0 {
			terms++
		}
		hits += n
	}
	return terms, hits
}

// marks splits text into its words (at spaces) and reports which hold a
// part of a match.
func (h *highlighter) marks(text string) (words []string, hit []bool) {
	words = strings.Fields(text)
	hit = make([]bool, len(words))
	var toks []string
	var owner []int
	for i, w := range words {
		ws, ok := h.words[w]
		if !ok {
			ws = persian.SearchWords(w)
			h.words[w] = ws
		}
		for _, t := range ws {
			toks = append(toks, t)
			owner = append(owner, i)
		}
	}
	for _, t := range h.terms {
		for _, p := range t {
			for _, at := range occurrences(toks, p) {
				for k := at; k < at+len(p); k++ {
					hit[owner[k]] = true
				}
			}
		}
	}
	return words, hit
}

// occurrences returns where phrase starts in words.
func occurrences(words, phrase []string) []int {
	var at []int
	for i := 0; i+len(phrase) <= len(words); i++ {
		if slices.Equal(words[i:i+len(phrase)], phrase) {
			at = append(at, i)
		}
	}
	return at
}

// join returns words[start:end] as spans, runs of matched words and of the
// others, separated by single spaces; a space between a matched word and
// another belongs to the unmatched span.
func join(words []string, hit []bool, start, end int) []Span {
	var out []Span
	for i := start; i < end; i++ {
		w := words[i]
		switch {
		case len(out) > 0 && out[len(out)-1].Hit == hit[i]:
			out[len(out)-1].Text += " " + w
			continue
		case len(out) > 0 && hit[i]:
			out[len(out)-1].Text += " "
		case len(out) > 0:
			w = " " + w
		}
		out = append(out, Span{Text: w, Hit: hit[i]})
	}
	return out
}
