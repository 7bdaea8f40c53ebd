package scrape

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"mediadigest/jalali"
)

var published = time.Date(2026, 11, 26, 6, 30, 0, 0, time.UTC)

func TestCrawlFeedArticles(t *testing.T) {
	s := newSite(t,
		item{link: "/news/1/قیمت-دلار?utm_source=rss&utm_medium=feed#comments", published: published},
		item{link: "/news/2", published: published.Add(time.Hour)},
		item{link: "/news/1/other-slug", published: published}, // the same article again
		item{link: "/service/economy", published: published},   // not an article
		item{link: "/news/3"}, // no date anywhere
		item{link: "http://elsewhere.example/news/4", published: published}, // off-site
	)
	var k sink
	before := time.Now().UTC()
	st, err := New(testOptions()).Crawl(t.Context(), s.outlet(), nil, nil, k.put)
	if err != nil {
		t.Fatal(err)
	}
	if st.Outlet != "test" || st.Fetched != 3 || st.New != 3 || st.Failed != 0 || st.Blocked {
		t.Errorf("stats = %+v, want 3 fetched, 3 new", st)
	}
	if n := s.hitsOf("/news/1/قیمت-دلار"); n != 0 {
		t.Errorf("fetched the slug URL %d times; want the canonical URL only", n)
	}
	if n := s.hitsOf("/news/1"); n != 1 {
		t.Errorf("/news/1 fetched %d times, want 1", n)
	}
	pages := k.byURL()
	base := s.srv.URL
	tests := []struct {
		url       string
		title     string
		published time.Time
	}{
		{base + "/news/1", "خبر 1", published},
		{base + "/news/2", "خبر 2", published.Add(time.Hour)},
		{base + "/news/3", "خبر 3", time.Time{}}, // first-seen time
	}
	for _, tt := range tests {
		p, ok := pages[tt.url]
		if !ok {
			t.Errorf("no page for %s; got %v", tt.url, slicesOfKeys(pages))
			continue
		}
		a := p.Article
		if a.Outlet != "test" || a.Title != tt.title || len(a.Raw) != 1 || a.Raw[0] != "متن خبر." {
			t.Errorf("%s: article = %+v", tt.url, a)
		}
		if !a.DateGuessed {
			t.Errorf("%s: DateGuessed = false for a page without a date", tt.url)
		}
		want := tt.published
		if want.IsZero() {
			want = p.Fetched
			if p.Fetched.Before(before) || p.Fetched.After(time.Now()) {
				t.Errorf("%s: Fetched = %v, not during the crawl", tt.url, p.Fetched)
			}
		}
		if !a.Published.Equal(want) || a.Published.Location() != time.UTC {
			t.Errorf("%s: Published = %v, want %v UTC", tt.url, a.Published, want)
		}
		if !strings.Contains(string(p.Body), "<h1>"+tt.title+"</h1>") {
			t.Errorf("%s: Body is not the page: %.80q", tt.url, p.Body)
		}
	}
}

func slicesOfKeys(m map[string]Page) []string {
	var out []string
	for k := range maps.Keys(m) {
		out = append(out, k)
	}
	return out
}

// encode1256 encodes s as windows-1256; it must hold only letters that
// code page has (Arabic yeh, not the Persian one).
func encode1256(t *testing.T, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1256.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCrawlFaults(t *testing.T) {
	opt := testOptions()
	const (
		title1256   = "گزارش ويژه بازار" // Arabic yeh, as windows-1256 pages carry it
		title1256ok = "گزارش ویژه بازار"
	)
	padding := "<!-- " + strings.Repeat("فاصله ", 200) + " -->"
	type fault struct {
		name    string
		handler func(t *testing.T, hit int) http.HandlerFunc // hit counts from 1
		robots  string
		env     map[string]string

		reason  string // "" for success
		title   string // on success, when not "خبر 1"
		hits    int    // requests for /news/1 the server must see; -1: don't check
		blocked bool
	}
	page := func(w http.ResponseWriter, title string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, articleHTML(title, "متن خبر."))
	}
	tests := []fault{
		{
			name: "slow page times out after retries",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-time.After(3 * time.Second):
					case <-r.Context().Done():
					}
				}
			},
			reason: ReasonTimeout, hits: 1 + opt.Retries,
		},
		{
			name: "500 then 200 is retried",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					if hit == 1 {
						http.Error(w, "oops", http.StatusInternalServerError)
						return
					}
					page(w, "خبر 1")
				}
			},
			hits: 2,
		},
		{
			name: "503 for good",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					http.Error(w, "down", http.StatusServiceUnavailable)
				}
			},
			reason: ReasonHTTP5xx, hits: 1 + opt.Retries,
		},
		{
			name: "404 is not retried",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }
			},
			reason: ReasonHTTP4xx, hits: 1,
		},
		{
			name: "connection reset is retried",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					if hit == 1 {
						hijackClose(w)
						return
					}
					page(w, "خبر 1")
				}
			},
			hits: -1, // the transport may replay a GET on a reused connection
		},
		{
			name: "connection reset for good",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { hijackClose(w) }
			},
			reason: ReasonReset, hits: -1,
		},
		{
			name: "redirect loop",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/a", http.StatusFound) }
			},
			reason: ReasonRedirect, hits: 1,
		},
		{
			name: "redirect within the site is followed",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, "/moved/1", http.StatusMovedPermanently)
				}
			},
			title: "صفحه منتقل‌شده", hits: 1,
		},
		{
			name: "redirect chain over five hops",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/hop/1", http.StatusFound) }
			},
			reason: ReasonRedirect, hits: 1,
		},
		{
			name: "oversized body with Content-Length",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					body := articleHTML("خبر 1", "متن خبر.")
					body += strings.Repeat("x", int(opt.MaxBody)+1-len(body))
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
					fmt.Fprint(w, body)
				}
			},
			reason: ReasonTooLarge, hits: 1,
		},
		{
			name: "oversized body streamed without Content-Length",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					body := articleHTML("خبر 1", "متن خبر.")
					body += strings.Repeat("x", int(opt.MaxBody)+1-len(body))
					for i := 0; i < len(body); i += 1000 {
						fmt.Fprint(w, body[i:min(i+1000, len(body))])
						w.(http.Flusher).Flush()
					}
				}
			},
			reason: ReasonTooLarge, hits: 1,
		},
		{
			name: "body of exactly MaxBody bytes",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					body := articleHTML("خبر 1", "متن خبر.")
					body += "<!--" + strings.Repeat("x", int(opt.MaxBody)-len(body)-7) + "-->"
					if len(body) != int(opt.MaxBody) {
						t.Fatalf("body is %d bytes", len(body))
					}
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					fmt.Fprint(w, body)
				}
			},
			hits: 1,
		},
		{
			name: "windows-1256 declared in a meta beyond byte 1024",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/html")
					head := `<!DOCTYPE html><html><head>` + padding + `<meta http-equiv="Content-Type" content="text/html; charset=windows-1256"><title>t</title></head>`
					if len(head) < 1100 {
						t.Fatalf("meta at byte %d, want beyond 1024", len(head))
					}
					w.Write(encode1256(t, head+`<body><h1>`+title1256+`</h1><div class="body"><p>متن خبر.</p></div></body></html>`))
				}
			},
			title: title1256ok, hits: 1,
		},
		{
			name: "windows-1256 declared in the header",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/html; charset=windows-1256")
					w.Write(encode1256(t, `<html><body><h1>`+title1256+`</h1><div class="body"><p>متن خبر.</p></div></body></html>`))
				}
			},
			title: title1256ok, hits: 1,
		},
		{
			name: "UTF-8 with BOM and no declaration",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/html")
					fmt.Fprint(w, "\uFEFF"+`<html><body><h1>خبر 1</h1><div class="body"><p>متن خبر.</p></div></body></html>`)
				}
			},
			hits: 1,
		},
		{
			name: "status 203 is a success",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					w.WriteHeader(http.StatusNonAuthoritativeInfo)
					fmt.Fprint(w, articleHTML("خبر 1", "متن خبر."))
				}
			},
			hits: 1,
		},
		{
			name: "ArvanCloud challenge",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					fmt.Fprint(w, `<html><head><title>Checking your browser</title><script src="/cdn-cgi/challenge.js"></script></head><body><h1>لطفا صبر کنید</h1><div class="body"><p>Protected by ArvanCloud</p></div></body></html>`)
				}
			},
			reason: ReasonBlocked, hits: 1, blocked: true,
		},
		{
			name: "ArvanCloud challenge with 403",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(http.StatusForbidden)
					fmt.Fprint(w, `<html><body>ARVANCLOUD security check</body></html>`)
				}
			},
			reason: ReasonBlocked, hits: 1, blocked: true,
		},
		{
			name:   "robots.txt disallows, whatever COLLY_IGNORE_ROBOTSTXT says",
			robots: "User-agent: *\nDisallow: /news/1\n",
			env:    map[string]string{"COLLY_IGNORE_ROBOTSTXT": "yes"},
			reason: ReasonRobots, hits: 0,
		},
		{
			name: "page without the article markup",
			handler: func(t *testing.T, hit int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					fmt.Fprint(w, `<html><body><h2>فهرست</h2></body></html>`)
				}
			},
			reason: ReasonExtract, hits: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			s := newSite(t, item{link: "/news/1", published: published})
			if tt.robots != "" {
				s.robots = tt.robots
			}
			var hits sync.Map
			if tt.handler != nil {
				s.handle("/news/1", func(w http.ResponseWriter, r *http.Request) {
					n, _ := hits.LoadOrStore("n", new(int))
					p := n.(*int)
					s.mu.Lock()
					*p++
					hit := *p
					s.mu.Unlock()
					tt.handler(t, hit)(w, r)
				})
			}
			s.handle("/loop/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/b", http.StatusFound) })
			s.handle("/loop/b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/a", http.StatusFound) })
			s.handle("/moved/1", func(w http.ResponseWriter, r *http.Request) { page(w, "صفحه منتقل‌شده") })
			for i := 1; i <= 10; i++ {
				next := fmt.Sprintf("/hop/%d", i+1)
				s.handle(fmt.Sprintf("/hop/%d", i), func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, next, http.StatusFound) })
			}

			var k sink
			st, err := New(opt).Crawl(t.Context(), s.outlet(), nil, nil, k.put)
			if err != nil {
				t.Fatal(err)
			}
			if tt.hits >= 0 {
				if n := s.hitsOf("/news/1"); n != tt.hits {
					t.Errorf("server saw %d requests for /news/1, want %d", n, tt.hits)
				}
			}
			if st.Blocked != tt.blocked {
				t.Errorf("Blocked = %v, want %v", st.Blocked, tt.blocked)
			}
			if tt.reason != "" {
				want := map[string]int{tt.reason: 1}
				if st.Failed != 1 || !maps.Equal(st.Failures, want) || len(k.pages) != 0 {
					t.Fatalf("stats = %+v, pages %d; want one %s failure and no page", st, len(k.pages), tt.reason)
				}
				if e := st.Errors[0]; e.URL != s.srv.URL+"/news/1" || e.Reason != tt.reason || e.Message == "" {
					t.Errorf("Errors[0] = %+v", e)
				}
				return
			}
			if st.Failed != 0 || st.New != 1 || len(k.pages) != 1 {
				t.Fatalf("stats = %+v, want one new page", st)
			}
			want := tt.title
			if want == "" {
				want = "خبر 1"
			}
			if a := k.pages[0].Article; a.Title != want || a.URL != s.srv.URL+"/news/1" {
				t.Errorf("article = %q at %s, want %q at /news/1", a.Title, a.URL, want)
			}
		})
	}
}

// TestRetryAfterIsHonoured: a 429 with Retry-After: 1 delays the retry by
// a second, far beyond the backoff.
func TestRetryAfterIsHonoured(t *testing.T) {
	s := newSite(t, item{link: "/news/1", published: published})
	var mu sync.Mutex
	n := 0
	s.handle("/news/1", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		first := n == 1
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, articleHTML("خبر 1", "متن خبر."))
	})
	var k sink
	st, err := New(testOptions()).Crawl(t.Context(), s.outlet(), nil, nil, k.put)
	if err != nil {
		t.Fatal(err)
	}
	if st.New != 1 || st.Failed != 0 {
		t.Fatalf("stats = %+v, want the page after the wait", st)
	}
	s.mu.Lock()
	times := s.times["/news/1"]
	s.mu.Unlock()
	if len(times) != 2 {
		t.Fatalf("%d requests, want 2", len(times))
	}
	if gap := times[1].Sub(times[0]); gap < time.Second {
		t.Errorf("retried after %v, want at least the 1s of Retry-After", gap)
	}
}

func TestOffSiteRedirect(t *testing.T) {
	var elsewhereHits int
	var mu sync.Mutex
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		elsewhereHits++
		mu.Unlock()
		fmt.Fprint(w, articleHTML("جای دیگر", "متن"))
	}))
	defer elsewhere.Close()
	s := newSite(t, item{link: "/news/1", published: published})
	s.handle("/news/1", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/news/1", http.StatusFound)
	})
	var k sink
	st, err := New(testOptions()).Crawl(t.Context(), s.outlet(), nil, nil, k.put)
	if err != nil {
		t.Fatal(err)
	}
	if st.Failures[ReasonRedirect] != 1 || len(k.pages) != 0 {
		t.Errorf("stats = %+v, want one redirect failure", st)
	}
	if elsewhereHits != 0 {
		t.Errorf("the other host saw %d requests", elsewhereHits)
	}
}

func TestOneFailureDoesNotStopOthers(t *testing.T) {
	s := newSite(t,
		item{link: "/news/1", published: published},
		item{link: "/news/2", published: published},
		item{link: "/news/3", published: published},
	)
	s.handle("/news/2", http.NotFound)
	var k sink
	st, err := New(testOptions()).Crawl(t.Context(), s.outlet(), nil, nil, k.put)
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Outlet: "test", Pages: 3, Fetched: 2, New: 2, Failed: 1, Failures: map[string]int{ReasonHTTP4xx: 1}}
	if st.Pages != want.Pages || st.Fetched != want.Fetched || st.New != want.New || st.Failed != want.Failed || !maps.Equal(st.Failures, want.Failures) {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	if len(st.Errors) != 1 || st.Errors[0].URL != s.srv.URL+"/news/2" {
		t.Errorf("Errors = %+v, want /news/2", st.Errors)
	}
	if _, ok := k.byURL()[s.srv.URL+"/news/3"]; !ok {
		t.Error("/news/3 was not stored after /news/2 failed")
	}
}

func TestPerHostParallelism(t *testing.T) {
	for _, p := range []int{1, 3} {
		t.Run(strconv.Itoa(p), func(t *testing.T) {
			var items []item
			for i := 1; i <= 9; i++ {
				items = append(items, item{link: fmt.Sprintf("/news/%d", i), published: published})
			}
			s := newSite(t, items...)
			for i := 1; i <= 9; i++ {
				s.handle(fmt.Sprintf("/news/%d", i), func(w http.ResponseWriter, r *http.Request) {
					time.Sleep(30 * time.Millisecond)
					fmt.Fprint(w, articleHTML("خبر", "متن"))
				})
			}
			opt := testOptions()
			opt.Parallelism = p
			opt.Delay = 5 * time.Millisecond
			var k sink
			st, err := New(opt).Crawl(t.Context(), s.outlet(), nil, nil, k.put)
			if err != nil {
				t.Fatal(err)
			}
			if st.New != 9 {
				t.Fatalf("stats = %+v", st)
			}
			s.mu.Lock()
			got := s.maxIn
			s.mu.Unlock()
			if got > p || (p > 1 && got < 2) {
				t.Errorf("at most %d requests at once, want %d", got, p)
			}
		})
	}
}

func TestConditionalGet(t *testing.T) {
	s := newSite(t, item{link: "/news/1", published: published}, item{link: "/news/2", published: published})
	s.etag = `"v1"`
	var cache feedCache
	var k sink
	c := New(testOptions())
	if _, err := c.Crawl(t.Context(), s.outlet(), nil, &cache, k.put); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := cache.FeedState(t.Context(), s.srv.URL+"/rss"); got != `"v1"` {
		t.Fatalf("saved ETag %q, want \"v1\"", got)
	}
	st, err := c.Crawl(t.Context(), s.outlet(), nil, &cache, k.put)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	h := s.headers["/rss"]
	s.mu.Unlock()
	if got := h[len(h)-1].Get("If-None-Match"); got != `"v1"` {
		t.Errorf("second feed request sent If-None-Match %q", got)
	}
	if st.Fetched != 0 || st.Failed != 0 || s.hitsOf("/news/1") != 1 || s.hitsOf("/news/2") != 1 {
		t.Errorf("after 304: stats %+v, article hits %d and %d; want nothing fetched again", st, s.hitsOf("/news/1"), s.hitsOf("/news/2"))
	}
}

// TestFeedStateAfterArticleFailure: a feed whose article failed in a way
// that may pass keeps its old validators, so the next pass lists the
// article again; an article that fails for good does not keep the feed
// from conditional GET, nor is it fetched again while the feed is unchanged.
func TestFeedStateAfterArticleFailure(t *testing.T) {
	tests := []struct {
		name    string
		robots  string
		handler http.HandlerFunc // for /news/2
		saved   bool
	}{
		{name: "404", handler: http.NotFound, saved: true},
		{name: "robots.txt disallows", robots: "User-agent: *\nDisallow: /news/2\n", saved: true},
		{name: "no article markup", handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<html><body><h2>فهرست</h2></body></html>`)
		}, saved: true},
		{name: "too large", handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, articleHTML("خبر 2", strings.Repeat("متن خبر. ", 1000)))
		}, saved: true},
		{name: "off-site redirect", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/news/2", http.StatusFound)
		}, saved: true},
		{name: "500", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "", http.StatusInternalServerError)
		}},
		{name: "429", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "", http.StatusTooManyRequests)
		}},
		{name: "connection reset", handler: func(w http.ResponseWriter, r *http.Request) { hijackClose(w) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t, item{link: "/news/1", published: published}, item{link: "/news/2", published: published})
			s.etag = `"v2"`
			if tt.robots != "" {
				s.robots = tt.robots
			}
			if tt.handler != nil {
				s.handle("/news/2", tt.handler)
			}
			var cache feedCache
			var k sink
			opt := testOptions()
			opt.Timeout = 5 * time.Second // no case waits for it
			c := New(opt)
			st, err := c.Crawl(t.Context(), s.outlet(), nil, &cache, k.put)
			if err != nil {
				t.Fatal(err)
			}
			if st.Failed != 1 || st.New != 1 {
				t.Fatalf("first pass: stats = %+v, want /news/2 failed and /news/1 new", st)
			}
			etag, _, _ := cache.FeedState(t.Context(), s.srv.URL+"/rss")
			if !tt.saved {
				if etag != "" {
					t.Errorf("saved ETag %q although /news/2 may succeed next time", etag)
				}
				return
			}
			if etag != `"v2"` {
				t.Fatalf("saved ETag %q, want \"v2\": /news/2 fails for good", etag)
			}
			hits := s.hitsOf("/news/2")
			st, err = c.Crawl(t.Context(), s.outlet(), nil, &cache, k.put)
			if err != nil {
				t.Fatal(err)
			}
			s.mu.Lock()
			h := s.headers["/rss"]
			s.mu.Unlock()
			if got := h[len(h)-1].Get("If-None-Match"); got != `"v2"` {
				t.Errorf("second feed request sent If-None-Match %q", got)
			}
			if st.Fetched != 0 || st.Failed != 0 || s.hitsOf("/news/2") != hits {
				t.Errorf("second pass: stats %+v, /news/2 asked %d more times; want a 304 and nothing fetched", st, s.hitsOf("/news/2")-hits)
			}
		})
	}
}

// TestRobotsUnavailableIsTransient: a robots.txt answering 5xx allows
// nothing for now, which is no reason to drop the article for good.
func TestRobotsUnavailableIsTransient(t *testing.T) {
	s := newSite(t)
	s.handle("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "", http.StatusServiceUnavailable)
	})
	r, err := New(testOptions()).newRun(t.Context(), s.outlet(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.cancel(nil)
	u, _ := url.Parse(s.srv.URL + "/news/1")
	err = r.allowed(u)
	if reason := classify(err, 0, ""); reason != ReasonRobots || !transient(reason, 0, err) {
		t.Errorf("allowed = %v: reason %s, transient %v; want robots, transient", err, reason, transient(reason, 0, err))
	}
}

func TestCrawlSkipsKnown(t *testing.T) {
	s := newSite(t,
		item{link: "/news/1", published: published},
		item{link: "/news/2", published: published, updated: published.Add(2 * time.Hour)},
		item{link: "/news/3", published: published},
	)
	fetched := published.Add(time.Hour)
	k := known{s.srv.URL + "/news/1": fetched, s.srv.URL + "/news/2": fetched}
	var out sink
	out.outcome = OutcomeUpdated
	st, err := New(testOptions()).Crawl(t.Context(), s.outlet(), k, nil, out.put)
	if err != nil {
		t.Fatal(err)
	}
	if st.Skipped != 1 || st.Fetched != 2 || st.Updated != 2 {
		t.Errorf("stats = %+v, want 1 skipped, 2 fetched", st)
	}
	if s.hitsOf("/news/1") != 0 || s.hitsOf("/news/2") != 1 {
		t.Errorf("hits: /news/1 %d (stored, unchanged), /news/2 %d (updated since)", s.hitsOf("/news/1"), s.hitsOf("/news/2"))
	}
}

func TestCrawlCancel(t *testing.T) {
	var items []item
	for i := 1; i <= 20; i++ {
		items = append(items, item{link: fmt.Sprintf("/news/%d", i), published: published})
	}
	s := newSite(t, items...)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var cancelled time.Time
	var once sync.Once
	for i := 1; i <= 20; i++ {
		s.handle(fmt.Sprintf("/news/%d", i), func(w http.ResponseWriter, r *http.Request) {
			once.Do(func() {
				cancelled = time.Now()
				cancel()
			})
			// An article left unanswered until the crawl gives up: a
			// crawl that ignored the cancel would wait for the timeout.
			select {
			case <-time.After(10 * time.Second):
			case <-r.Context().Done():
			}
		})
	}
	opt := testOptions()
	opt.Timeout = 30 * time.Second
	opt.Delay = 50 * time.Millisecond
	_, err := New(opt).Crawl(ctx, s.outlet(), nil, nil, (&sink{}).put)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(cancelled); d > 5*time.Second {
		t.Errorf("Crawl took %v after cancellation", d)
	}
	total := 0
	for i := 1; i <= 20; i++ {
		total += s.hitsOf(fmt.Sprintf("/news/%d", i))
	}
	if total > opt.Parallelism {
		t.Errorf("%d articles requested after cancellation, want at most %d in flight", total, opt.Parallelism)
	}
}

func TestSinkErrorStopsRun(t *testing.T) {
	s := newSite(t, item{link: "/news/1", published: published}, item{link: "/news/2", published: published}, item{link: "/news/3", published: published})
	opt := testOptions()
	opt.Parallelism = 1
	boom := errors.New("disk full")
	_, err := New(opt).Crawl(t.Context(), s.outlet(), nil, nil, (&sink{err: boom}).put)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "/news/1") {
		t.Errorf("err = %v, want the sink's error naming /news/1", err)
	}
	if n := s.hitsOf("/news/2") + s.hitsOf("/news/3"); n != 0 {
		t.Errorf("%d articles fetched after the sink failed", n)
	}
}

func TestBackfillISNA(t *testing.T) {
	// Three archive pages; the third repeats the second, which ends paging.
	archive := map[string][]string{
		"1": {"1405090500001", "1405090500002"},
		"2": {"1405090500003"},
		"3": {"1405090500003"},
	}
	s := newSite(t)
	o := s.outlet()
	o.Profile = builtin(t, "isna")
	var mu sync.Mutex
	var queries []string
	s.handle("/page/archive.xhtml", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var b strings.Builder
		b.WriteString(`<html><body><nav><a href="/news/1405090499999/">پربازدید</a></nav><div class="items"><ul>`)
		for i, id := range archive[r.URL.Query().Get("pi")] {
			fmt.Fprintf(&b, `<li><div class="desc"><h3><a href="/news/%s/عنوان-خبر">خبر %s</a></h3><time><a title="پنجشنبه ۵ آذر ۱۴۰۵ - ۰۹:۳%d">۰۹:۳%d</a></time></div></li>`, id, id, i, i)
		}
		b.WriteString(`</ul></div></body></html>`)
		fmt.Fprint(w, b.String())
	})
	for _, id := range []string{"1405090500001", "1405090500002", "1405090500003"} {
		s.handle("/news/"+id, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<html><body><h1 class="first-title" itemprop="headline">خبر `+id+`</h1><div class="item-body"><div class="item-text" itemprop="articleBody"><p>متن خبر.</p><p>انتهای پیام</p></div></div></body></html>`)
		})
	}
	k := known{s.srv.URL + "/news/1405090500002": published}
	var out sink
	st, err := New(testOptions()).Backfill(t.Context(), o, jalali.Date{Year: 1405, Month: 9, Day: 5}, k, out.put)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"ms=0&dy=5&mn=9&yr=1405&pi=1",
		"ms=0&dy=5&mn=9&yr=1405&pi=2",
		"ms=0&dy=5&mn=9&yr=1405&pi=3",
	}
	if strings.Join(queries, " ") != strings.Join(want, " ") {
		t.Errorf("archive requests %q, want %q", queries, want)
	}
	if st.New != 2 || st.Skipped != 1 || st.Failed != 0 {
		t.Errorf("stats = %+v, want 2 new, 1 skipped", st)
	}
	if s.hitsOf("/news/1405090499999") != 0 || s.hitsOf("/news/1405090500002") != 0 {
		t.Error("fetched a link outside the archive items, or a stored article")
	}
	pages := out.byURL()
	// The pages show no date: the archive item's time (Tehran) stands in.
	for id, tm := range map[string]time.Time{
		"1405090500001": time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC),
		"1405090500003": time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC),
	} {
		a := pages[s.srv.URL+"/news/"+id].Article
		if !a.Published.Equal(tm) || !a.DateGuessed {
			t.Errorf("%s: Published %v (guessed %v), want %v from the archive", id, a.Published, a.DateGuessed, tm)
		}
	}
}

// TestBackfillByPattern: without archive items (Eghtesad24) every link
// matching the article pattern counts, and a page without new links ends
// paging.
func TestBackfillByPattern(t *testing.T) {
	s := newSite(t)
	o := s.outlet()
	o.Profile = builtin(t, "eghtesad24")
	var mu sync.Mutex
	var pagesAsked []string
	s.handle("/fa/archive", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		pagesAsked = append(pagesAsked, q.Get("p"))
		mu.Unlock()
		if q.Get("from_date") != "1405/09/05" || q.Get("to_date") != "1405/09/05" {
			t.Errorf("archive asked for %s – %s", q.Get("from_date"), q.Get("to_date"))
		}
		links := `<a href="/fa/news/1001/الف">الف</a> <a href="/fa/news/1002/ب">ب</a>`
		if q.Get("p") != "1" {
			links = `<a href="/fa/news/1002/ب">ب</a>`
		}
		fmt.Fprint(w, `<html><body><a href="/fa/service/bazaar">بازار</a><div class="archive">`+links+`</div></body></html>`)
	})
	s.handle("/fa/news/1001", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><head><meta property="article:published_time" content="2026-11-26T08:45:00+03:30"></head><body><div id="news"><h1>الف</h1><div class="body"><p>متن</p></div></div></body></html>`)
	})
	s.handle("/fa/news/1002", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><div id="news"><h1>ب</h1><div class="body"><p>متن</p></div></div></body></html>`)
	})
	var out sink
	st, err := New(testOptions()).Backfill(t.Context(), o, jalali.Date{Year: 1405, Month: 9, Day: 5}, nil, out.put)
	if err != nil {
		t.Fatal(err)
	}
	if st.New != 2 || strings.Join(pagesAsked, ",") != "1,2" {
		t.Errorf("stats %+v, pages asked %v; want 2 new from pages 1,2", st, pagesAsked)
	}
	a := out.byURL()[s.srv.URL+"/fa/news/1001"].Article
	if want := time.Date(2026, 11, 26, 5, 15, 0, 0, time.UTC); !a.Published.Equal(want) || a.DateGuessed {
		t.Errorf("Published %v (guessed %v), want %v from the page", a.Published, a.DateGuessed, want)
	}
}
