package scrape

import (
	"strings"
	"testing"
	"time"

	"mediadigest/jalali"
	"mediadigest/sampleoutlets"
)

// startSamples serves the bundled sample outlets (testdata/outlets).
func startSamples(t *testing.T) *sampleoutlets.Outlets {
	t.Helper()
	s, err := sampleoutlets.Start(sampleoutlets.Reference)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func sampleOutlet(t *testing.T, s *sampleoutlets.Outlets, id string, feeds ...string) Outlet {
	return Outlet{ID: id, BaseURL: s.URL(id), Feeds: feeds, Profile: builtin(t, id)}
}

// TestCrawlSampleOutlets crawls the realistic sample outlets twice: the
// first pass stores every feed article once, under its canonical URL; the
// second meets 304s and fetches nothing.
func TestCrawlSampleOutlets(t *testing.T) {
	s := startSamples(t)
	tests := []struct {
		outlet Outlet
		want   int
	}{
		// /rss lists 12 articles and /rss/tp/34 nine, six of them in both
		// (with utm parameters): 15 articles.
		{sampleOutlet(t, s, sampleoutlets.ISNA, "/rss", "/rss/tp/34"), 15},
		{sampleOutlet(t, s, sampleoutlets.Eghtesad24), 12},
	}
	for _, tt := range tests {
		t.Run(tt.outlet.ID, func(t *testing.T) {
			c := New(sampleOptions())
			var out sink
			var cache feedCache
			st, err := c.Crawl(t.Context(), tt.outlet, nil, &cache, out.put)
			if err != nil {
				t.Fatal(err)
			}
			pages := out.byURL()
			if st.New != tt.want || st.Failed != 0 || len(pages) != tt.want {
				t.Fatalf("stats = %+v, %d distinct pages; want %d new", st, len(pages), tt.want)
			}
			stored := known{}
			for u, p := range pages {
				if strings.Contains(u, "?") || !strings.HasPrefix(u, tt.outlet.BaseURL+"/") {
					t.Errorf("stored under %s, not a canonical URL", u)
				}
				a := p.Article
				if a.Title == "" || len(a.Raw) == 0 || a.DateGuessed || a.Section == "" {
					t.Errorf("%s: incomplete article: %+v", u, a)
				}
				stored[u] = p.Fetched
			}
			st, err = c.Crawl(t.Context(), tt.outlet, stored, &cache, out.put)
			if err != nil {
				t.Fatal(err)
			}
			if st.Fetched != 0 || st.Failed != 0 {
				t.Errorf("second pass: stats = %+v, want nothing fetched", st)
			}
		})
	}
}

// TestBackfillSampleOutlets walks both sample days of both outlets through
// their archives: nine articles a day, each dated on its day.
func TestBackfillSampleOutlets(t *testing.T) {
	s := startSamples(t)
	for _, id := range []string{sampleoutlets.ISNA, sampleoutlets.Eghtesad24} {
		for _, day := range []jalali.Date{{Year: 1405, Month: 9, Day: 4}, {Year: 1405, Month: 9, Day: 5}} {
			t.Run(id+"/"+day.String(), func(t *testing.T) {
				var out sink
				st, err := New(sampleOptions()).Backfill(t.Context(), sampleOutlet(t, s, id), day, nil, out.put)
				if err != nil {
					t.Fatal(err)
				}
				if st.New != 9 || st.Failed != 0 {
					t.Fatalf("stats = %+v, want 9 new", st)
				}
				start := day.Time(tehran())
				for u, p := range out.byURL() {
					a := p.Article
					if a.DateGuessed || a.Published.Before(start) || !a.Published.Before(start.AddDate(0, 0, 1)) {
						t.Errorf("%s: Published %v (guessed %v), not on %s", u, a.Published, a.DateGuessed, day)
					}
				}
			})
		}
	}
}

// TestSampleSpecialCases checks the extraction of the sample articles that
// carry traps (testdata/outlets/README.md, "Special cases").
func TestSampleSpecialCases(t *testing.T) {
	s := startSamples(t)
	isna := sampleOutlet(t, s, sampleoutlets.ISNA, "/rss", "/rss/tp/34")
	eg := sampleOutlet(t, s, sampleoutlets.Eghtesad24)
	pages := map[string]Page{}
	for _, o := range []Outlet{isna, eg} {
		var out sink
		if _, err := New(sampleOptions()).Crawl(t.Context(), o, nil, nil, out.put); err != nil {
			t.Fatal(err)
		}
		for u, p := range out.byURL() {
			pages[u] = p
		}
	}
	get := func(o Outlet, path string) Page {
		t.Helper()
		p, ok := pages[o.BaseURL+path]
		if !ok {
			t.Fatalf("%s not crawled", path)
		}
		return p
	}
	tests := []struct {
		name     string
		got      string
		want     string
		isPrefix bool
	}{
		{"Arabic letters in a title", get(isna, "/news/1405090404102").Article.Title, "رایزنی وزیر امور خارجه ایران و عمان درباره همکاری‌های منطقه‌ای", false},
		{"ISNA section", get(isna, "/news/1405090501850").Article.Section, "اقتصادی > بانک و بیمه", false},
		{"Eghtesad24 breadcrumb", get(eg, "/fa/news/312489").Article.Section, "بازارها > ارز", false},
		{"dateline glued to the first word", get(eg, "/fa/news/312480").Article.Raw[0], "اقتصاد۲۴-محمود", true},
		{"ISNA lead keeps its dateline", get(isna, "/news/1405090500940").Article.RawLead, "ایسنا/", true},
	}
	for _, tt := range tests {
		if tt.got != tt.want && !(tt.isPrefix && strings.HasPrefix(tt.got, tt.want)) {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	dates := []struct {
		path string
		o    Outlet
		want time.Time
	}{
		{"/news/1405090501850", isna, time.Date(2026, 11, 26, 6, 45, 0, 0, time.UTC)},  // ASCII digits
		{"/news/1405090500087", isna, time.Date(2026, 11, 25, 20, 40, 0, 0, time.UTC)}, // 00:10 Tehran
		{"/fa/news/312466", eg, time.Date(2026, 11, 25, 20, 15, 0, 0, time.UTC)},       // 23:45 Tehran
	}
	for _, d := range dates {
		if got := get(d.o, d.path).Article.Published; !got.Equal(d.want) {
			t.Errorf("%s: Published %v, want %v", d.path, got, d.want)
		}
	}
}

// sampleOptions are testOptions with room for whole sample pages.
func sampleOptions() Options {
	o := testOptions()
	o.MaxBody = 1 << 20
	o.Timeout = 5 * time.Second
	return o
}
