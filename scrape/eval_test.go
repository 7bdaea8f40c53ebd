package scrape

import (
	"path/filepath"
	"strings"
	"testing"

	"mediadigest/dedupe"
	"mediadigest/internal/evalset"
	"mediadigest/profile"
)

// TestEvaluation reads the evaluation set (testdata/eval: pages in the
// markup of twelve Persian outlets) with the generic reader and with the
// outlets' profiles, cleans each article as the pipeline does, and prints
// the per-field accuracy. The generic reader must meet the targets of
// docs/profiles.md: every title, the date to the minute and the first and
// last paragraphs on 95% of the pages, and no end marker or metadata line
// kept.
func TestEvaluation(t *testing.T) {
	set, err := evalset.Load("..")
	if err != nil {
		t.Fatal(err)
	}
	generic := builtin(t, "generic")
	var tab evalset.Table
	for _, p := range set.Pages {
		o, _ := set.Outlet(p.Outlet)
		readers := []struct {
			name string
			prof *profile.Profile
		}{{"generic", generic}}
		if o.Profile != "" {
			ref := o.Profile
			if strings.Contains(ref, "/") {
				ref = filepath.Join("..", ref)
			}
			prof, err := profile.Load(ref)
			if err != nil {
				t.Fatal(err)
			}
			readers = append(readers, struct {
				name string
				prof *profile.Profile
			}{"profiles", prof})
		}
		for _, r := range readers {
			s := evalset.Check(p.Expect, readEvalPage(t, r.prof, p.URL, p.HTML))
			tab.Add(r.name, s)
			if m := s.Misses(); len(m) > 0 {
				t.Logf("%s %s: wrong %s", r.name, p.File, strings.Join(m, ", "))
			}
		}
	}
	t.Logf("per-field accuracy over %d pages:\n%s", len(set.Pages), tab.Markdown())
	for f, min := range map[evalset.Field]float64{
		evalset.Title: 1, evalset.Date: 0.95, evalset.First: 0.95, evalset.Last: 0.95, evalset.Clean: 1,
	} {
		if r := tab.Rate("generic", f); r < min {
			t.Errorf("generic reader: %s right on %.0f%% of the pages, want at least %.0f%%", f, 100*r, 100*min)
		}
	}
}

// readPage extracts and cleans a page as the pipeline does; a page that
// does not extract reads as nothing.
func readEvalPage(t *testing.T, p *profile.Profile, url string, page []byte) evalset.Got {
	a, err := Extract(p, url, page)
	if err != nil {
		t.Logf("%s with %s: %v", url, p.ID, err)
		return evalset.Got{}
	}
	rules, err := dedupe.NewRules(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := dedupe.CleanArticle(a.RawLead, a.Raw, rules, nil)
	return evalset.Got{Title: a.Title, Lead: c.Lead, Paragraphs: c.Paragraphs, Published: a.Published}
}
