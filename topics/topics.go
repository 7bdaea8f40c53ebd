// Package topics assigns stories to the analysts' topics by keywords
// (docs/cleaning.md).
//
// # Matching
//
// Keywords and texts are compared in the matching form of package persian
// (docs/cleaning.md), so letter variants (ي/ی, ك/ک), diacritics, digits (۱۴۰۵ =
// 1405), punctuation and Latin case do not matter, and ZWNJ is a space.
// A keyword matches whole words: it must start at the start of a word of
// the text and end at the end of one, or be followed within that word by
// exactly one of the suffixes ها، های، هایی، ی، ای، تر، ترین. A suffix
// written apart (نفت ها, نفت‌ها) needs no rule: the keyword ends at a word
// end there. There is no stemming: ارز does not match ارزان or ارزش, گاز
// does not match گازانبری.
//
// Spaces, ZWNJ and no space at all are interchangeable between words, in
// the keyword as in the text: رئیس جمهور matches رئیس‌جمهور, رئيس جمهور
// and رئیسجمهور, and همکاری‌های, همکاری های and همکاریهای are one word.
// So the keyword is compared without its spaces (persian.Key) against the
// words of the text concatenated from a word start on: each word of the
// text must be a prefix of what is left of the keyword, until the last word,
// which must be the rest of the keyword plus nothing or a suffix. The price
// is that words which merely spell a keyword together match it (بان کی مون
// holds بانک + ی); in news text that is rare, while split and joined
// spellings of one word are everywhere.
//
// # Cost
//
// A text is put into matching form and split into words once. Keywords are
// indexed by their first letter, so at each word only the keywords that
// start with its letter are tried; a try compares bytes and stops at the
// first difference.
//
// # Scores
//
// Every match of a keyword is a hit. A hit in the title weighs 3, a hit in
// the lead or body 1, so a headline naming the subject outweighs a passing
// mention. A match of any exclude keyword of a topic, in title or body,
// vetoes the topic: its score is 0. A topic scoring under the minimum score
// (WithMinScore, by default 2: one title hit or two body hits) does not
// count either, so a single passing mention of ارز in a story on chicken
// prices does not file it under currency. The story's topic is the one with
// the highest score, ties going to the topic listed first in the config.
package topics

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"mediadigest/model"
	"mediadigest/persian"
)

// Weights of a keyword hit by where it is found.
const (
	TitleWeight = 3
	BodyWeight  = 1
)

// DefaultMinScore is the minimum score of a Classifier made without
// WithMinScore.
const DefaultMinScore = 2

// Classifier matches texts against the keywords of a list of topics. It is
// safe for concurrent use.
type Classifier struct {
	ids      []string           // topic ids in config order
	byFirst  map[rune][]keyword // keywords by the first rune of their key
	minScore int
}

// Option configures a Classifier.
type Option func(*Classifier)

// WithMinScore sets the score a topic needs to count; below it the topic
// scores 0. Values under 1 mean 1: any hit counts.
func WithMinScore(n int) Option {
	return func(c *Classifier) { c.minScore = max(n, 1) }
}

type keyword struct {
	key     string // persian.Key of the keyword
	topic   int    // index into ids
	exclude bool
}

// New compiles the keywords of ts. Keywords with nothing to match (empty,
// or only punctuation) are left out; config validation reports them.
func New(ts []model.Topic, opts ...Option) *Classifier {
	c := &Classifier{byFirst: make(map[rune][]keyword), minScore: DefaultMinScore}
	for _, o := range opts {
		o(c)
	}
	for i, t := range ts {
		c.ids = append(c.ids, t.ID)
		seen := make(map[keyword]bool)
		add := func(words []string, exclude bool) {
			for _, w := range words {
				k := keyword{key: persian.Key(w), topic: i, exclude: exclude}
				if k.key == "" || seen[k] {
					continue
				}
				seen[k] = true
				r, _ := utf8.DecodeRuneInString(k.key)
				c.byFirst[r] = append(c.byFirst[r], k)
			}
		}
		add(t.Keywords, false)
		add(t.Exclude, true)
	}
	return c
}

// Scores returns the weighted keyword hits of every topic that reaches the
// minimum score and has no exclude match, by topic id. body holds the lead
// and the paragraphs; a keyword never spans two paragraphs.
func (c *Classifier) Scores(title string, body []string) map[string]int {
	scores := c.scores(title, body)
	m := make(map[string]int)
	for i, s := range scores {
		if s > 0 {
			m[c.ids[i]] = s
		}
	}
	return m
}

// Classify returns every topic that scores, best first: by score, ties in
// config order. The first is the story's topic for a subscriber who follows
// every topic; a subscriber who follows fewer gets the first of theirs
// (docs/cleaning.md). A topic under the minimum score does not score; nil
// when none does.
func (c *Classifier) Classify(title string, body []string) []string {
	scores := c.scores(title, body)
	var ranked []int
	for i, s := range scores {
		if s > 0 {
			ranked = append(ranked, i)
		}
	}
	slices.SortStableFunc(ranked, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	var ids []string
	for _, i := range ranked {
		ids = append(ids, c.ids[i])
	}
	return ids
}

// scores returns the score of each topic by index; vetoed topics and topics
// under the minimum score score 0.
func (c *Classifier) scores(title string, body []string) []int {
	hits := make([]int, len(c.ids))
	vetoed := make([]bool, len(c.ids))
	c.count(title, TitleWeight, hits, vetoed)
	for _, p := range body {
		c.count(p, BodyWeight, hits, vetoed)
	}
	for i, v := range vetoed {
		if v || hits[i] < c.minScore {
			hits[i] = 0
		}
	}
	return hits
}

func (c *Classifier) count(text string, weight int, hits []int, vetoed []bool) {
	m := persian.Match(text)
	if m == "" {
		return
	}
	// The matching form separates words by single spaces.
	words := strings.Split(m, " ")
	for i, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		for _, k := range c.byFirst[r] {
			if !matchAt(words, i, k.key) {
				continue
			}
			if k.exclude {
				vetoed[k.topic] = true
			} else {
				hits[k.topic] += weight
			}
		}
	}
}

// matchAt reports whether key, a keyword without spaces, matches the words
// from words[i] on (see the package comment).
func matchAt(words []string, i int, key string) bool {
	for _, w := range words[i:] {
		if len(w) >= len(key) {
			return strings.HasPrefix(w, key) && isSuffix(w[len(key):])
		}
		if !strings.HasPrefix(key, w) {
			return false
		}
		key = key[len(w):]
	}
	return false
}

// isSuffix reports whether s may follow a keyword inside the same word
// (docs/cleaning.md); nothing may, too.
func isSuffix(s string) bool {
	switch s {
	case "", "ها", "های", "هایی", "ی", "ای", "تر", "ترین":
		return true
	}
	return false
}
