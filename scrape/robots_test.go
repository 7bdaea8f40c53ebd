package scrape

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"mediadigest/jalali"
)

// TestRobots: robots.txt is read once a run, with the crawler's user
// agent; its rules for that agent decide what is fetched, a server error
// allows nothing, a missing file everything, and a Crawl-delay longer than
// crawl.delay spaces the requests to the host.
func TestRobots(t *testing.T) {
	tests := []struct {
		name    string
		robots  http.HandlerFunc
		fetched int    // articles of the three
		reason  string // of the failures, when some
		msg     string // in the first failure's message
		gap     time.Duration
	}{
		{name: "allows all", robots: serveText("User-agent: *\nDisallow: /search\n"), fetched: 3},
		{name: "missing", robots: http.NotFound, fetched: 3},
		{name: "rules for this agent win over *", robots: serveText("User-agent: *\nAllow: /\n\nUser-agent: mediadigest-test\nDisallow: /news/2\n"),
			fetched: 2, reason: ReasonRobots, msg: "/news/2"},
		{name: "rules for another agent do not apply", robots: serveText("User-agent: GPTBot\nDisallow: /\n"), fetched: 3},
		{name: "server error allows nothing", robots: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}, reason: ReasonRobots, msg: "allows nothing until it answers again"},
		{name: "Crawl-delay", robots: serveText("User-agent: *\nCrawl-delay: 0.2\n"), fetched: 3, gap: 200 * time.Millisecond},
		{name: "Crawl-delay of another agent", robots: serveText("User-agent: slowbot\nCrawl-delay: 5\n"), fetched: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var items []item
			for i := 1; i <= 3; i++ {
				items = append(items, item{link: fmt.Sprintf("/news/%d", i), published: published})
			}
			s := newSite(t, items...)
			s.handle("/robots.txt", tt.robots)
			opt := testOptions()
			opt.Parallelism = 1
			var k sink
			st, err := New(opt).Crawl(t.Context(), s.outlet(), nil, nil, k.put)
			if tt.fetched == 0 {
				if err == nil || !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("err = %v, want the run failed saying %q", err, tt.msg)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if len(k.pages) != tt.fetched {
				t.Errorf("%d articles fetched, want %d (stats %+v)", len(k.pages), tt.fetched, st)
			}
			if tt.reason != "" && (st.Failures[tt.reason] == 0 || !strings.Contains(st.Errors[0].Message, tt.msg)) {
				t.Errorf("failures %v, errors %+v; want %s saying %q", st.Failures, st.Errors, tt.reason, tt.msg)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if n := s.hits["/robots.txt"]; n != 1 && tt.fetched > 0 {
				t.Errorf("robots.txt read %d times in one run, want once", n)
			}
			if ua := s.headers["/robots.txt"][0].Get("User-Agent"); ua != opt.UserAgent {
				t.Errorf("robots.txt read as %q, want the crawler's user agent %q", ua, opt.UserAgent)
			}
			if tt.gap > 0 {
				var times []time.Time
				for i := 1; i <= 3; i++ {
					times = append(times, s.times[fmt.Sprintf("/news/%d", i)]...)
				}
				times = append(times, s.times["/rss"]...)
				slices.SortFunc(times, time.Time.Compare)
				for i := 1; i < len(times); i++ {
					if d := times[i].Sub(times[i-1]); d < tt.gap-20*time.Millisecond {
						t.Errorf("requests %d and %d %v apart, want at least the Crawl-delay %v", i, i+1, d, tt.gap)
					}
				}
			}
		})
	}
}

func serveText(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }
}

// TestRobotsAgainstURLAsFound: the crawler fetches an article under its
// canonical URL (/news/1), but a site that disallows the URL it was found
// at (/news/1/slug, under Disallow: /news/1/) sees it fetched in no form,
// whether a feed or an archive page links it, and whichever form a second
// link to the same article takes.
func TestRobotsAgainstURLAsFound(t *testing.T) {
	const robots = "User-agent: *\nDisallow: /news/1/\nDisallow: /news/2/\n"
	check := func(t *testing.T, s *site, st Stats, k *sink) {
		t.Helper()
		s.mu.Lock()
		for path, n := range s.hits {
			if strings.HasPrefix(path, "/news/1") || strings.HasPrefix(path, "/news/2") {
				t.Errorf("%s fetched %d times; robots.txt disallows the URL the article was found at", path, n)
			}
		}
		s.mu.Unlock()
		if _, ok := k.byURL()[s.srv.URL+"/news/3"]; !ok || len(k.pages) != 1 {
			t.Errorf("stored %d pages, want /news/3 alone", len(k.pages))
		}
		if st.Failures[ReasonRobots] != 2 {
			t.Errorf("failures %v, want 2 for robots", st.Failures)
		}
		for _, e := range st.Errors {
			if !strings.Contains(e.Message, "/news/1/") && !strings.Contains(e.Message, "/news/2/") {
				t.Errorf("%s: %q does not name the disallowed URL it was found at", e.URL, e.Message)
			}
		}
	}
	t.Run("feed", func(t *testing.T) {
		s := newSite(t,
			item{link: "/news/1/قیمت-دلار", published: published},
			item{link: "/news/2", published: published}, // allowed, but listed as /news/2/… too
			item{link: "/news/2/other-slug", published: published},
			item{link: "/news/3/allowed-slug", published: published},
		)
		s.robots = robots
		var k sink
		st, err := New(testOptions()).Crawl(t.Context(), s.outlet(), nil, nil, k.put)
		if err != nil {
			t.Fatal(err)
		}
		check(t, s, st, &k)
	})
	t.Run("archive", func(t *testing.T) {
		s := newSite(t)
		s.robots = robots
		s.handle("/archive", func(w http.ResponseWriter, r *http.Request) {
			links := `<a href="/news/1/%D9%82%DB%8C%D9%85%D8%AA">۱</a> <a href="/news/2">۲</a> <a href="/news/3/slug">۳</a>`
			if r.URL.Query().Get("p") != "1" {
				links = `<a href="/news/2/slug">۲</a>`
			}
			fmt.Fprint(w, `<html><body>`+links+`</body></html>`)
		})
		var k sink
		st, err := New(testOptions()).Backfill(t.Context(), s.outlet(), jalali.Date{Year: 1405, Month: 9, Day: 5}, nil, k.put)
		if err != nil {
			t.Fatal(err)
		}
		check(t, s, st, &k)
	})
}
