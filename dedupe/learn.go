package dedupe

import (
	"slices"
	"time"
	"unicode/utf8"

	"mediadigest/model"
	"mediadigest/persian"
)

// LearnPolicy says when a paragraph repeated across an outlet's articles is
// a promo line of that outlet (docs/cleaning.md). Zero fields take the defaults of
// DefaultLearnPolicy.
type LearnPolicy struct {
	// MinArticles is how many distinct articles must carry the paragraph
	// within Window. Three, so that a quote two articles share is not
	// learned.
	MinArticles int
	// Window is the span of published times those articles fit in.
	Window time.Duration
	// MaxRunes bounds the key of a learned paragraph, in runes of its
	// persian.Key form (no spaces): a longer paragraph is a quote or
	// content republished, never a promo line.
	MaxRunes int
}

// DefaultLearnPolicy returns the policy of docs/cleaning.md: 3 articles within 30
// days, keys of at most 200 runes.
func DefaultLearnPolicy() LearnPolicy {
	return LearnPolicy{MinArticles: 3, Window: 30 * 24 * time.Hour, MaxRunes: 200}
}

func (p LearnPolicy) withDefaults() LearnPolicy {
	d := DefaultLearnPolicy()
	if p.MinArticles <= 0 {
		p.MinArticles = d.MinArticles
	}
	if p.Window <= 0 {
		p.Window = d.Window
	}
	if p.MaxRunes <= 0 {
		p.MaxRunes = d.MaxRunes
	}
	return p
}

// LearnedKeys returns the learned paragraph keys of one outlet, by their
// persian.KeyHash. occ maps the hash of a paragraph key (persian.Key form)
// to its uses in the outlet's articles. A key is learned when some span of
// p.Window (ends included) holds at least p.MinArticles of those articles'
// published times. The caller then recomputes the clean view of all the
// outlet's articles, earlier ones included, so a line is removed from the
// articles that taught it too.
func LearnedKeys(occ map[uint64]model.KeyUse, p LearnPolicy) map[uint64]bool {
	p = p.withDefaults()
	learned := make(map[uint64]bool)
	for h, use := range occ {
		if use.Runes == 0 || len(use.Published) < p.MinArticles || use.Runes > p.MaxRunes {
			continue
		}
		if inWindow(use.Published, p.MinArticles, p.Window) {
			learned[h] = true
		}
	}
	return learned
}

// Uses adds the distinct keys of one article's raw paragraphs to occ, as
// the store's paragraph keys would record them: for tests and tools that
// learn without a store.
func Uses(occ map[uint64]model.KeyUse, raw []string, published time.Time) {
	seen := make(map[uint64]bool, len(raw))
	for _, r := range raw {
		k := persian.Key(r)
		h := persian.KeyHash(k)
		if k == "" || seen[h] {
			continue
		}
		seen[h] = true
		u := occ[h]
		u.Runes = utf8.RuneCountInString(k)
		u.Published = append(u.Published, published)
		occ[h] = u
	}
}

// inWindow reports whether n of the times fit in a span of w, by sliding a
// window over them in order.
func inWindow(times []time.Time, n int, w time.Duration) bool {
	sorted := slices.Clone(times)
	slices.SortFunc(sorted, time.Time.Compare)
	for i := n - 1; i < len(sorted); i++ {
		if sorted[i].Sub(sorted[i-n+1]) <= w {
			return true
		}
	}
	return false
}
