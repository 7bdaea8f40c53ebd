package scrape

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"mediadigest/profile"
)

// site is a loopback outlet for crawl tests: /robots.txt, an RSS feed at
// /rss listing items, and article pages at /news/{id}. It counts hits per
// path and the highest number of requests it served at once.
type site struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	robots   string
	items    []item
	pages    map[string]http.HandlerFunc // by path; default: a plain article
	hits     map[string]int
	times    map[string][]time.Time
	headers  map[string][]http.Header
	inFlight int
	maxIn    int
	etag     string // when set, the feed answers conditional GETs
}

// item is one feed entry.
type item struct {
	link      string // relative to the site
	published time.Time
	updated   time.Time
}

func newSite(t testing.TB, items ...item) *site {
	s := &site{
		t:       t,
		robots:  "User-agent: *\nAllow: /\n",
		items:   items,
		pages:   map[string]http.HandlerFunc{},
		hits:    map[string]int{},
		times:   map[string][]time.Time{},
		headers: map[string][]http.Header{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.times[r.URL.Path] = append(s.times[r.URL.Path], time.Now())
	s.headers[r.URL.Path] = append(s.headers[r.URL.Path], r.Header.Clone())
	if r.URL.Path != "/robots.txt" {
		s.inFlight++
		s.maxIn = max(s.maxIn, s.inFlight)
	}
	h := s.pages[r.URL.Path]
	s.mu.Unlock()
	defer func() {
		if r.URL.Path != "/robots.txt" {
			s.mu.Lock()
			s.inFlight--
			s.mu.Unlock()
		}
	}()
	switch {
	case h != nil:
		h(w, r)
	case r.URL.Path == "/robots.txt":
		fmt.Fprint(w, s.robots)
	case r.URL.Path == "/rss":
		s.feed(w, r)
	case strings.HasPrefix(r.URL.Path, "/news/"):
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, articleHTML("خبر "+strings.TrimPrefix(r.URL.Path, "/news/"), "متن خبر."))
	default:
		http.NotFound(w, r)
	}
}

func (s *site) feed(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	etag, items := s.etag, s.items
	s.mu.Unlock()
	if etag != "" {
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
	}
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>خبرگزاری آزمایشی</title><link>` + s.srv.URL + `</link><description>همه اخبار</description>`)
	for _, it := range items {
		b.WriteString("<item><title>خبر</title><link>" + s.srv.URL + it.link + "</link>")
		if !it.published.IsZero() {
			b.WriteString("<pubDate>" + it.published.UTC().Format(http.TimeFormat) + "</pubDate>")
		}
		if !it.updated.IsZero() {
			b.WriteString("<atom:updated>" + it.updated.UTC().Format(time.RFC3339) + "</atom:updated>")
		}
		b.WriteString("<category>اقتصادی &gt; بورس</category></item>")
	}
	b.WriteString("</channel></rss>")
	fmt.Fprint(w, b.String())
}

func (s *site) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	s.pages[path] = h
	s.mu.Unlock()
}

func (s *site) hitsOf(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *site) outlet() Outlet {
	return Outlet{ID: "test", Name: "آزمایشی", BaseURL: s.srv.URL, Profile: testProfile(s.t)}
}

// testProfile reads like an outlet profile file: no dates on the pages, so
// feed dates are the fallback.
func testProfile(t testing.TB) *profile.Profile {
	t.Helper()
	p, err := profile.Parse("test.yaml", []byte(`
id: test
name: آزمایشی
feeds: [/rss]
article_url: '^/news/(\d+)(?:/[^?#]*)?$'
canonical: /news/{id}
selectors:
  title: h1
  body: "div.body p"
archive:
  url: "/archive?d={year}{mm}{dd}&p={page}"
  first_page: 1
`))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func articleHTML(title string, paras ...string) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="fa" dir="rtl"><head><meta charset="utf-8"><title>` + title + `</title></head><body><nav><a href="/">خانه</a></nav><h1>` + title + `</h1><div class="body">`)
	for _, p := range paras {
		b.WriteString("<p>" + p + "</p>")
	}
	b.WriteString(`</div><footer>حقوق محفوظ است</footer></body></html>`)
	return b.String()
}

// hijackClose cuts the connection with a TCP reset, answering nothing.
func hijackClose(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// sink records the pages it is given.
type sink struct {
	mu      sync.Mutex
	pages   []Page
	outcome string
	err     error
}

func (k *sink) put(_ context.Context, p Page) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return "", k.err
	}
	k.pages = append(k.pages, p)
	if k.outcome == "" {
		return OutcomeNew, nil
	}
	return k.outcome, nil
}

func (k *sink) byURL() map[string]Page {
	k.mu.Lock()
	defer k.mu.Unlock()
	m := map[string]Page{}
	for _, p := range k.pages {
		m[p.Article.URL] = p
	}
	return m
}

// known is a store's answer to Known: URL → last fetch.
type known map[string]time.Time

func (k known) Known(_ context.Context, url string) (bool, time.Time, error) {
	t, ok := k[url]
	return ok, t, nil
}

// feedCache keeps validators in memory.
type feedCache struct {
	mu    sync.Mutex
	state map[string][2]string
}

func (c *feedCache) FeedState(_ context.Context, u string) (string, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.state[u]
	return s[0], s[1], nil
}

func (c *feedCache) SetFeedState(_ context.Context, u, etag, modified string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == nil {
		c.state = map[string][2]string{}
	}
	c.state[u] = [2]string{etag, modified}
	return nil
}

// testOptions keep fault tests short: small timeouts, fast backoff.
func testOptions() Options {
	return Options{
		UserAgent:   "mediadigest-test",
		Parallelism: 2,
		Timeout:     time.Second, // generous for loopback on a loaded CI machine; the slow-page case waits it out
		MaxBody:     4096,
		Retries:     2,
		Backoff:     10 * time.Millisecond,
	}
}
