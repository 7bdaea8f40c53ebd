package stories_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"mediadigest/clock"
	"mediadigest/config"
	"mediadigest/model"
	"mediadigest/pipeline"
	"mediadigest/store"
	"mediadigest/stories"
)

// lateArrivals returns a reader over a store of articles whose crawl
// lagged their publication, derived, and a constructor of their times.
func lateArrivals(t *testing.T) (*stories.Reader, *store.Store, func(day, hour, min int) time.Time) {
	t.Helper()
	text := func(name string) []string {
		b, err := os.ReadFile("../dedupe/testdata/eval/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	at := func(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, time.UTC) }
	articles := []model.Article{
		// Crawled ten minutes after its publication, before the digest.
		{URL: "https://www.isna.ir/news/1", Outlet: "isna", Title: "دلار", Published: at(26, 3, 0), FirstSeen: at(26, 3, 10), Raw: text("dollar-1.txt")},
		// Published before the 03:30 UTC digest, crawled after it.
		{URL: "https://www.isna.ir/news/2", Outlet: "isna", Title: "بنزین", Published: at(26, 3, 20), FirstSeen: at(26, 3, 40), Raw: text("benzin-1.txt")},
		// Eghtesad24's copy of the first, republished the next morning.
		{URL: "https://eghtesaad24.ir/fa/news/3/", Outlet: "eghtesad24", Title: "دلار", Published: at(26, 8, 0), FirstSeen: at(26, 8, 5),
			Raw: append(text("dollar-1.txt"), "منبع: ایسنا")},
		// Found by a backfill ten days after its publication.
		{URL: "https://www.isna.ir/news/4", Outlet: "isna", Title: "بورس", Published: at(16, 3, 20), FirstSeen: at(26, 4, 0), Raw: text("bourse-1.txt")},
		// An advertorial: stored, never news.
		{URL: "https://www.isna.ir/news/5", Outlet: "isna", Kicker: "رپرتاژ آگهی", Title: "بنزین", Published: at(26, 3, 25), FirstSeen: at(26, 3, 26), Raw: text("benzin-2.txt")},
	}
	cfg, err := config.Parse("stories.yaml", []byte(fmt.Sprintf(`
store: %s/mediadigest.db
outlets:
  - {id: isna, profile: isna, base_url: "https://www.isna.ir"}
  - {id: eghtesad24, profile: eghtesad24, base_url: "https://eghtesaad24.ir"}
topics:
  - {id: energy, name: انرژی, keywords: [بنزین, نفت]}
  - {id: currency, name: ارز, keywords: [دلار, ارز]}
`, t.TempDir())))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := range articles {
		if _, err := st.UpsertArticle(t.Context(), &articles[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	p, err := pipeline.New(cfg, st, pipeline.Options{Clock: clock.NewFake(at(27, 0, 0)), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Process(t.Context()); err != nil {
		t.Fatal(err)
	}
	return stories.New(st, cfg.Cleaning.StoryWindow.D()), st, at
}

// TestWindowsTakeLateArrivals lays windows over articles whose crawl
// lagged their publication. A day's window holds the stories published in
// it; a scheduled window (arrival basis) holds the stories that arrived in
// it, so an article published before a digest went out but crawled after
// it reaches the next digest, a copy republished later does not bring its
// story back, and a backfilled old article stays with its day.
func TestWindowsTakeLateArrivals(t *testing.T) {
	r, _, at := lateArrivals(t)
	digestAt := at(26, 3, 30) // 07:00 Tehran
	tests := []struct {
		name string
		win  model.Window
		want []string // headline URLs, sorted
	}{
		{"day of the 26th by published time", model.Window{From: at(25, 20, 30), To: at(26, 20, 30)},
			[]string{"https://www.isna.ir/news/1", "https://www.isna.ir/news/2"}},
		{"the digest at 07:00 Tehran", model.Window{From: digestAt.Add(-24 * time.Hour), To: digestAt, Basis: model.ByArrival},
			[]string{"https://www.isna.ir/news/1"}},
		{"the next digest", model.Window{From: digestAt, To: digestAt.Add(24 * time.Hour), Basis: model.ByArrival},
			[]string{"https://www.isna.ir/news/2"}},
		{"the backfilled day by published time", model.Window{From: at(15, 20, 30), To: at(16, 20, 30)},
			[]string{"https://www.isna.ir/news/4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stories, err := r.Window(t.Context(), tt.win)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range stories {
				got = append(got, s.Headline.URL)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("stories %v, want %v", got, tt.want)
			}
		})
	}
}

// TestStoriesAreTheStoredOnes: the reader groups articles by the story the
// derived-views pass stored, shows the copy's named source as headline,
// and takes the headline's ranked topics.
func TestStoriesAreTheStoredOnes(t *testing.T) {
	r, st, at := lateArrivals(t)
	day := model.Window{From: at(25, 20, 30), To: at(26, 20, 30)}
	got, err := r.Window(t.Context(), day)
	if err != nil {
		t.Fatal(err)
	}
	isna1, err := st.Article(t.Context(), "https://www.isna.ir/news/1")
	if err != nil {
		t.Fatal(err)
	}
	copy3, err := st.Article(t.Context(), "https://eghtesaad24.ir/fa/news/3/")
	if err != nil {
		t.Fatal(err)
	}
	if isna1.Story == "" || isna1.Story != copy3.Story {
		t.Fatalf("stored stories %q and %q: want the copy in ISNA's story", isna1.Story, copy3.Story)
	}
	var dollar model.Story
	for _, s := range got {
		if s.ID == isna1.Story {
			dollar = s
		}
	}
	if dollar.Headline.URL != isna1.URL || len(dollar.Also) != 1 || dollar.Also[0].URL != copy3.URL {
		t.Errorf("story %s: headline %s, also %v; want ISNA's with Eghtesad24's copy", dollar.ID, dollar.Headline.URL, dollar.Also)
	}
	if !slices.Equal(dollar.Topics, []string{"currency"}) || !slices.Equal(dollar.Topics, isna1.Topics) {
		t.Errorf("story topics %v, headline's stored topics %v; want [currency] from the headline", dollar.Topics, isna1.Topics)
	}
	if !dollar.Arrived.Equal(at(26, 3, 10)) {
		t.Errorf("story arrived %v, want its first article's arrival", dollar.Arrived)
	}
	one, err := r.Story(t.Context(), isna1.Story)
	if err != nil || one.Headline.URL != isna1.URL || len(one.Also) != 1 {
		t.Errorf("Story(%s) = %+v, %v", isna1.Story, one, err)
	}
	if _, err := r.Story(t.Context(), "s0000000000000000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Story of an unknown id = %v, want ErrNotFound", err)
	}
	for _, s := range got {
		if s.Headline.URL == "https://www.isna.ir/news/5" {
			t.Error("the advertorial came out as a story")
		}
	}
}
