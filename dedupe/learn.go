package dedupe

import (
	"slices"
	"time"
	"unicode/utf8"
)

// LearnPolicy says when a paragraph repeated across an outlet's articles is
// a promo line of that outlet (SPEC §7). Zero fields take the defaults of
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

// DefaultLearnPolicy returns the policy of SPEC §7: 3 articles within 30
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

// LearnedKeys returns the learned paragraph keys of one outlet. occ maps a
// paragraph key (persian.Key form) to the published times of the distinct
// articles of the outlet that contain it. A key is learned when some span of
// p.Window (ends included) holds at least p.MinArticles of those times. The
// caller then recomputes the clean view of all the outlet's articles,
// earlier ones included, so a line is removed from the articles that taught
// it too.
func LearnedKeys(occ map[string][]time.Time, p LearnPolicy) map[string]bool {
	p = p.withDefaults()
	learned := make(map[string]bool)
	for key, times := range occ {
		if key == "" || len(times) < p.MinArticles || utf8.RuneCountInString(key) > p.MaxRunes {
			continue
		}
		if inWindow(times, p.MinArticles, p.Window) {
			learned[key] = true
		}
	}
	return learned
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
