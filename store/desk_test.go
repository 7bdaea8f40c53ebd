package store

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"mediadigest/model"
)

// deskArticle is one article of the desk's fixtures: stored, then given
// its derived view unless story is "-" (not derived yet).
type deskArticle struct {
	name      string // the URL's last part
	published time.Time
	story     string
	topics    []string
	sponsored bool
}

// storeDesk stores the articles and returns their ids by name.
func storeDesk(t *testing.T, s *Store, articles []deskArticle) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	var derived []Derived
	for _, d := range articles {
		a := gasArticle("https://www.isna.ir/news/"+d.name, d.published)
		if _, err := s.UpsertArticle(t.Context(), a, nil); err != nil {
			t.Fatal(err)
		}
		ids[d.name] = a.ID
		if d.story != "-" {
			derived = append(derived, Derived{ID: a.ID, Story: d.story, Topics: d.topics, Clean: model.Clean{
				Lead: a.RawLead, Source: "isna", Paragraphs: []string{a.Raw[0], a.Raw[2]}, Sponsored: d.sponsored,
				Removed: []model.Removed{{Text: a.Raw[1], Reason: model.ReasonPromo}, {Text: a.Raw[3], Reason: model.ReasonMarker}}}})
		}
	}
	if err := s.SaveDerived(t.Context(), derived); err != nil {
		t.Fatal(err)
	}
	return ids
}

// day is 00:00 of a day of Azar 1405 in Tehran, 2026-11-(21+n).
func day(n int) time.Time { return time.Date(2026, 11, 21+n, 0, 0, 0, 0, tehran) }

// TestForEachStoryArticle: the stories of a day come whole — their
// articles of the days before included, those published after the range
// left out — with the day's articles not derived yet, and nothing else.
func TestForEachStoryArticle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		storeDesk(t, s, []deskArticle{
			{"begun-before", day(3).Add(-40 * time.Hour), "sA", nil, false},
			{"copy-today", day(3).Add(9 * time.Hour), "sA", nil, false},
			{"today", day(3).Add(10 * time.Hour), "sB", nil, false},
			{"copy-tomorrow", day(4).Add(time.Hour), "sB", nil, false},
			{"yesterday", day(2).Add(23 * time.Hour), "sC", nil, false},
			{"tomorrow", day(4).Add(2 * time.Hour), "sD", nil, false},
			{"underived-today", day(3).Add(11 * time.Hour), "-", nil, false},
			{"underived-yesterday", day(2).Add(11 * time.Hour), "-", nil, false},
			{"last-minute", day(4).Add(-time.Nanosecond), "sE", nil, false},
			{"first-minute", day(3), "sF", nil, false},
		})
		var got []string
		err := s.ForEachStoryArticle(t.Context(), day(3), day(4), func(a *model.Article) error {
			if len(a.Raw) != 0 {
				t.Errorf("%s: raw paragraphs read", a.URL)
			}
			want := model.Clean{}
			if a.Story != "" {
				g := gasArticle("", time.Time{})
				want = model.Clean{Lead: g.RawLead, Source: "isna", Paragraphs: []string{g.Raw[0]}}
			}
			if !sameCard(a.Clean, want) || len(a.Tags) != 3 || a.Title == "" {
				t.Errorf("%s: clean view %+v,\nwant what a card shows: %+v", a.URL, a.Clean, want)
			}
			got = append(got, strings.TrimPrefix(a.URL, "https://www.isna.ir/news/")+"/"+a.Story)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"begun-before/sA", "first-minute/sF", "copy-today/sA", "today/sB", "underived-today/", "last-minute/sE"}
		if !slices.Equal(got, want) {
			t.Errorf("articles %q,\nwant %q", got, want)
		}
		stop := errors.New("stop")
		if err := s.ForEachStoryArticle(t.Context(), day(3), day(4), func(*model.Article) error { return stop }); err != stop {
			t.Errorf("an error of fn came back as %v", err)
		}
	})
}

// TestStoryDays: each story counts once, on the day of its first unpaid
// article, under that article's topics; a story begun within the story
// window before the first day is not counted again; articles not derived
// yet are not counted.
func TestStoryDays(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		energy, both := []string{"energy"}, []string{"energy", "economy"}
		storeDesk(t, s, []deskArticle{
			{"old", day(0).Add(-30 * time.Hour), "sOld", energy, false},
			{"old-copy", day(0).Add(2 * time.Hour), "sOld", energy, false},
			{"a", day(0).Add(9 * time.Hour), "sA", both, false},
			{"a-copy", day(1).Add(1 * time.Hour), "sA", energy, false},
			{"b", day(0).Add(10 * time.Hour), "sB", both, false},
			{"c", day(1).Add(10 * time.Hour), "sC", nil, false},
			{"paid", day(1).Add(11 * time.Hour), "sP", energy, true},
			{"paid-copy", day(2).Add(11 * time.Hour), "sP", both, false},
			{"underived", day(1).Add(12 * time.Hour), "-", nil, false},
			{"late", day(3).Add(time.Hour), "sL", energy, false},
			{"edge", day(3).Add(-time.Nanosecond), "sE", energy, false},
		})
		got, err := s.StoryDays(t.Context(), []time.Time{day(0), day(1), day(2), day(3)}, 72*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, c := range got {
			lines = append(lines, fmt.Sprintf("%d %s %d", c.Day, strings.Join(c.Topics, "+"), c.Stories))
		}
		want := []string{"0 energy+economy 2", "1  1", "2 energy+economy 1", "2 energy 1"}
		if !slices.Equal(lines, want) {
			t.Errorf("counts %q,\nwant %q", lines, want)
		}
		if _, err := s.StoryDays(t.Context(), []time.Time{day(1), day(0)}, 0); err == nil {
			t.Error("bounds out of order: no error")
		}
		if got, err := s.StoryDays(t.Context(), []time.Time{day(1)}, 0); err != nil || got != nil {
			t.Errorf("no day: %v, %v", got, err)
		}
	})
}

// TestStoryDaysReadsTheIndexAlone: on SQLite the count never reads the
// articles' rows (raw paragraphs, clean view), which made it four times
// slower (docs/desk.md).
func TestStoryDaysReadsTheIndexAlone(t *testing.T) {
	s, _ := openTest(t)
	rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+s.storyDaysQuery(), "\n", "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if len(plan) != 1 || !strings.Contains(plan[0], "USING COVERING INDEX articles_days") {
		t.Errorf("plan %q, want one search of the covering index articles_days", plan)
	}
}

// TestCardCol: a clean view is read up to its first paragraph in the
// store's order of fields, whole in any other; a view that is not JSON is
// an error, a NULL one empty.
func TestCardCol(t *testing.T) {
	tests := []struct {
		name, stored string
		want         model.Clean
		err          bool
	}{
		{"the store's order", `{"lead":"لید","source":"isna","sponsored":true,"paragraphs":["یک","دو"],"removed":[{"text":"سه","reason":"promo"}]}`,
			model.Clean{Lead: "لید", Source: "isna", Sponsored: true, Paragraphs: []string{"یک"}}, false},
		{"cut after the first paragraph", `{"lead":"لید","source":"","paragraphs":["یک",`, model.Clean{Lead: "لید", Paragraphs: []string{"یک"}}, false},
		{"another order", `{"removed":[],"paragraphs":["یک","دو"],"extra":{"a":[1]},"lead":"لید"}`,
			model.Clean{Lead: "لید", Paragraphs: []string{"یک"}}, false},
		{"no paragraphs", `{"lead":"لید","source":"","paragraphs":null,"removed":null}`, model.Clean{Lead: "لید"}, false},
		{"empty paragraphs", `{"lead":"لید","source":"","paragraphs":[],"removed":[]}`, model.Clean{Lead: "لید"}, false},
		{"not JSON", `<p>لید</p>`, model.Clean{}, true},
		{"a list", `["لید"]`, model.Clean{}, true},
		{"a wrong type", `{"lead":7}`, model.Clean{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range []any{tt.stored, []byte(tt.stored)} {
				var got model.Clean
				err := cardCol{&got}.Scan(v)
				if (err != nil) != tt.err || !tt.err && !sameCard(got, tt.want) {
					t.Errorf("%T: %+v, %v; want %+v, error %t", v, got, err, tt.want, tt.err)
				}
			}
		})
	}
	var none model.Clean
	if err := (cardCol{&none}).Scan(nil); err != nil || !sameCard(none, model.Clean{}) {
		t.Errorf("NULL: %+v, %v", none, err)
	}
}

func TestArticleByID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ids := storeDesk(t, s, []deskArticle{{"one", day(0), "s1", []string{"energy"}, false}})
		a, err := s.ArticleByID(t.Context(), ids["one"])
		if err != nil || a.URL != "https://www.isna.ir/news/one" || a.Story != "s1" || len(a.Raw) != 4 || len(a.Paragraphs) != 2 || len(a.Removed) != 2 {
			t.Errorf("ArticleByID: %+v, %v", a, err)
		}
		for _, id := range []int64{ids["one"] + 1, 0, -1} {
			if _, err := s.ArticleByID(t.Context(), id); !errors.Is(err, ErrNotFound) {
				t.Errorf("ArticleByID(%d): %v, want ErrNotFound", id, err)
			}
		}
	})
}

// TestStoryTitles: the histories of the story's articles whose title
// changed, and no other's.
func TestStoryTitles(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ids := storeDesk(t, s, []deskArticle{
			{"first", day(0), "s1", nil, false},
			{"copy", day(0).Add(time.Hour), "s1", nil, false},
			{"other", day(0).Add(2 * time.Hour), "s2", nil, false},
		})
		for _, name := range []string{"copy", "other", "copy"} {
			clock.advance(time.Hour)
			a, err := s.Article(t.Context(), "https://www.isna.ir/news/"+name)
			if err != nil {
				t.Fatal(err)
			}
			a.Title += " (ویرایش)"
			if _, err := s.UpsertArticle(t.Context(), a, nil); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.StoryTitles(t.Context(), "s1")
		if err != nil {
			t.Fatal(err)
		}
		title := gasArticle("", time.Time{}).Title
		want := map[int64][]string{ids["copy"]: {title, title + " (ویرایش)", title + " (ویرایش) (ویرایش)"}}
		if !maps.EqualFunc(got, want, slices.Equal) {
			t.Errorf("titles %v, want %v", got, want)
		}
		if got, err := s.StoryTitles(t.Context(), "s-none"); err != nil || len(got) != 0 {
			t.Errorf("unknown story: %v, %v", got, err)
		}
	})
}

// sameCard compares clean views field by field.
func sameCard(a, b model.Clean) bool {
	return a.Lead == b.Lead && a.Source == b.Source && a.Sponsored == b.Sponsored &&
		slices.Equal(a.Paragraphs, b.Paragraphs) && slices.Equal(a.Removed, b.Removed)
}
