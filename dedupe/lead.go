package dedupe

import "mediadigest/model"

// CleanArticle is Clean for a whole article. Outlets that print a lead put
// their dateline there (ISNA's "ایسنا/کرمان"), so a dateline at the start
// of the lead is cut and recorded as a marker, and Clean.Lead is the lead
// without it; the paragraphs are cleaned as Clean does (a dateline glued to
// the first paragraph, as Eghtesad24 prints it, is cut there).
func CleanArticle(lead string, raw []string, r Rules, learned Learned) model.Clean {
	var lm []model.Removed
	if cut, rest, ok := newCleaner(r).dateline(lead); ok {
		lead = rest
		lm = append(lm, model.Removed{Text: cut, Reason: model.ReasonMarker})
	}
	out := Clean(raw, r, learned)
	out.Lead = lead
	out.Removed = append(lm, out.Removed...)
	return out
}
