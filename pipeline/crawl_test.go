package pipeline

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestEditedArticleIsFetchedOnce crawls a feed whose article is edited
// between the first and second crawl: the second crawl fetches the edit, and
// the third, with the feed unchanged, fetches nothing, because the stored
// copy is newer than the feed item's date.
func TestEditedArticleIsFetchedOnce(t *testing.T) {
	page, err := os.ReadFile("testdata/isna-hostile.html")
	if err != nil {
		t.Fatal(err)
	}
	const title = `&lt;script&gt;alert(1)&lt;/script&gt; نرخ دلار &amp; "x"&#13;&#10;Bcc: evil@example.com`
	var (
		mu      sync.Mutex
		body    = string(page)
		pubDate = "Thu, 26 Nov 2026 06:45:00 GMT"
		fetches int
	)
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nAllow: /\n")
	})
	mux.HandleFunc(hostileURL, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fetches++
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/rss", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>ایسنا</title><link>%[1]s</link><description>ایسنا</description>
<item><title>نرخ دلار</title><link>%[1]s%[2]s</link><pubDate>%[3]s</pubDate></item>
</channel></rss>`, srv.URL, hostileURL, pubDate)
	})
	cfg := testConfig(t, "edit.yaml", `
store: %[1]s/mediadigest.db
crawl: {delay: 0s, timeout: 5s, retries: 0}
outlets:
  - {id: isna, profile: isna, base_url: "%[2]s", feeds: [/rss]}
`, srv.URL)
	st := testStore(t, cfg)
	clk := testClock()
	p := newPipeline(t, cfg, st, clk)
	crawl := func(step string) {
		t.Helper()
		if _, err := p.Crawl(t.Context(), nil); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}

	crawl("first crawl")
	// The edit is dated a minute after the first fetch, at a whole
	// second as RSS dates are; the second crawl starts after it, as it
	// would fetch a copy older than the feed item says otherwise.
	edited := clk.Now().UTC().Truncate(time.Second).Add(time.Minute)
	mu.Lock()
	body = strings.Replace(body, title, "نرخ دلار در بازار آزاد", 1)
	pubDate = edited.Format(http.TimeFormat)
	mu.Unlock()
	clk.Set(edited.Add(time.Second))

	crawl("crawl after the edit")
	if a, err := st.Article(t.Context(), srv.URL+hostileURL); err != nil || a.Title != "نرخ دلار در بازار آزاد" {
		t.Fatalf("after the edit the stored article is %+v (%v)", a, err)
	}
	crawl("crawl with the feed unchanged")
	mu.Lock()
	defer mu.Unlock()
	if fetches != 2 {
		t.Errorf("the article was fetched %d times, want 2: once new, once edited", fetches)
	}
}
