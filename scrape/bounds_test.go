package scrape

import (
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestFeedOfThousandsOfDeadLinks: a feed of 5,000 items, each a 404, listed
// oldest first. The crawl asks for the crawl.max_items newest (500 by
// default) and no other; it logs one warning naming the feed and the
// count, the first failures one by one and the rest in one line.
func TestFeedOfThousandsOfDeadLinks(t *testing.T) {
	const n = 5000
	var items []item
	for i := 1; i <= n; i++ {
		items = append(items, item{link: fmt.Sprintf("/news/%d", i), published: published.Add(time.Duration(i) * time.Minute)})
	}
	s := newSite(t, items...)
	for _, it := range items {
		s.handle(it.link, http.NotFound)
	}
	log := newLogRecorder("")
	opt := testOptions()
	opt.MaxBody = 10 << 20
	opt.Parallelism = 4
	opt.Logger = slog.New(log)
	st, err := New(opt).Crawl(t.Context(), s.outlet(), nil, nil, (&sink{}).put)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pages != defaultMaxItems || st.Failures[ReasonHTTP4xx] != defaultMaxItems {
		t.Errorf("stats = %d pages, failures %v; want %d pages failing with %s", st.Pages, st.Failures, defaultMaxItems, ReasonHTTP4xx)
	}
	s.mu.Lock()
	var asked []string
	for path, hits := range s.hits {
		if strings.HasPrefix(path, "/news/") {
			asked = append(asked, path)
			if hits != 1 {
				t.Errorf("%s asked %d times", path, hits)
			}
		}
	}
	s.mu.Unlock()
	if len(asked) != defaultMaxItems {
		t.Errorf("%d article pages asked for, want crawl.max_items = %d", len(asked), defaultMaxItems)
	}
	for _, p := range asked {
		var i int
		fmt.Sscanf(p, "/news/%d", &i)
		if i <= n-defaultMaxItems {
			t.Errorf("asked for %s, not one of the %d newest", p, defaultMaxItems)
			break
		}
	}

	log.mu.Lock()
	defer log.mu.Unlock()
	var lines []string
	for _, r := range log.recs {
		if r.Level < slog.LevelInfo {
			continue
		}
		line := r.Message
		r.Attrs(func(a slog.Attr) bool {
			line += " " + a.String()
			return true
		})
		lines = append(lines, line)
	}
	want := []string{
		fmt.Sprintf("feed lists more articles than crawl.max_items: the oldest are ignored feed=%s/rss articles=%d ignored=%d crawl.max_items=%d", s.srv.URL, n, n-defaultMaxItems, defaultMaxItems),
		fmt.Sprintf("pages failed beyond the ones logged one by one reason=http_4xx pages=%d logged=%d", defaultMaxItems-defaultLogged, defaultLogged),
	}
	for range defaultLogged {
		want = append(want, "page failed")
	}
	got := slices.Clone(lines)
	for i, l := range got {
		if strings.HasPrefix(l, "page failed ") {
			got[i] = "page failed"
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("logged %d lines:\n%s\nwant:\n%s", len(lines), strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestMaxItemsNewestFirst: the items kept are the newest by their updated
// (else published) time, whatever their order in the feed; undated items
// come last.
func TestMaxItemsNewestFirst(t *testing.T) {
	s := newSite(t,
		item{link: "/news/1"}, // no date
		item{link: "/news/2", published: published},
		item{link: "/news/3", published: published.Add(-time.Hour), updated: published.Add(time.Hour)},
		item{link: "/news/4", published: published.Add(-2 * time.Hour)},
	)
	for _, tt := range []struct {
		max  int
		want []string
	}{
		{1, []string{"/news/3"}},
		{2, []string{"/news/2", "/news/3"}},
		{3, []string{"/news/2", "/news/3", "/news/4"}},
		{4, []string{"/news/1", "/news/2", "/news/3", "/news/4"}},
	} {
		opt := testOptions()
		opt.MaxItems = tt.max
		var k sink
		if _, err := New(opt).Crawl(t.Context(), s.outlet(), nil, nil, k.put); err != nil {
			t.Fatal(err)
		}
		var got []string
		for u := range k.byURL() {
			got = append(got, strings.TrimPrefix(u, s.srv.URL))
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("max_items %d: fetched %v, want %v", tt.max, got, tt.want)
		}
	}
}
