package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"mediadigest/config"
	"mediadigest/internal/corpus"
)

// corpusOutlet is one outlet on a loopback server of its own, in ISNA's
// markup, whose feed lists articles of the generated corpus. Its article
// pages wait at the gate, when it is set, until the test opens it.
type corpusOutlet struct {
	srv     *httptest.Server
	gate    chan struct{}
	mu      sync.Mutex
	fetched map[string]int // article pages answered, by path
}

// answered counts the article pages the outlet answered.
func (o *corpusOutlet) answered() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, c := range o.fetched {
		n += c
	}
	return n
}

// corpusOutlets serves n outlets of per articles each, different ones.
func corpusOutlets(tb testing.TB, n, per int, gated ...bool) []*corpusOutlet {
	tb.Helper()
	c := corpus.Generate(3*n*per, 7)
	var isna []corpus.Page
	for i := 0; i < c.Len() && len(isna) < n*per; i++ {
		if p := c.Page(i); p.Outlet == corpus.ISNA && p.CopyOf < 0 {
			isna = append(isna, p)
		}
	}
	if len(isna) < n*per {
		tb.Fatalf("the corpus has %d ISNA originals, want %d", len(isna), n*per)
	}
	var outlets []*corpusOutlet
	for k := range n {
		o := &corpusOutlet{fetched: map[string]int{}}
		if k < len(gated) && gated[k] {
			o.gate = make(chan struct{})
		}
		pages := isna[k*per : (k+1)*per]
		mux := http.NewServeMux()
		mux.HandleFunc("GET /rss", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			var b strings.Builder
			fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>ایسنا</title><link>%s</link><description>ایسنا</description>`, o.srv.URL)
			for _, p := range pages {
				fmt.Fprintf(&b, "<item><title>%s</title><link>%s%s</link><pubDate>%s</pubDate></item>",
					p.Title, o.srv.URL, p.Path, p.Published.UTC().Format(http.TimeFormat))
			}
			b.WriteString("</channel></rss>")
			_, _ = w.Write([]byte(b.String()))
		})
		articles := c.Handler()
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/news/") {
				if o.gate != nil {
					select {
					case <-o.gate:
					case <-r.Context().Done():
						return
					}
				}
				o.mu.Lock()
				o.fetched[r.URL.Path]++
				o.mu.Unlock()
			}
			articles.ServeHTTP(w, r)
		})
		o.srv = httptest.NewServer(mux)
		tb.Cleanup(o.srv.Close)
		outlets = append(outlets, o)
	}
	return outlets
}

// config of the outlets, crawled with delay, the store in a fresh
// directory.
func corpusConfig(tb testing.TB, delay time.Duration, outlets []*corpusOutlet) *config.Config {
	tb.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "store: %s/mediadigest.db\ncrawl: {delay: %s, parallelism: 2, timeout: 30s, retries: 0}\noutlets:\n", tb.TempDir(), delay)
	for i, o := range outlets {
		fmt.Fprintf(&b, "  - {id: o%02d, profile: isna, base_url: %q, feeds: [/rss]}\n", i, o.srv.URL)
	}
	cfg, err := config.Parse("corpus.yaml", []byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// TestOutletsSideBySide: a slow outlet holds no other back. Its article
// pages wait while the fast outlet's crawl runs, ends and is recorded.
func TestOutletsSideBySide(t *testing.T) {
	outlets := corpusOutlets(t, 2, 5, true, false)
	slow := outlets[0]
	cfg := corpusConfig(t, 0, outlets)
	st := testStore(t, cfg)
	p := newPipeline(t, cfg, st, testClock())
	done := make(chan CrawlReport, 1)
	go func() {
		rep, err := p.Crawl(t.Context(), nil)
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	waitFor(t, "the fast outlet's crawl recorded while the slow one waits", func() bool {
		runs, err := st.OutletCrawls(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if r.Outlet == "o01" && r.LastRun.New == 5 {
				return true
			}
		}
		return false
	})
	if n := slow.answered(); n != 0 {
		t.Fatalf("the slow outlet answered %d pages before its gate opened", n)
	}
	close(slow.gate)
	rep := <-done
	if len(rep.Outlets) != 2 || rep.Outlets[0].New != 5 || rep.Outlets[1].New != 5 || rep.Derived.Articles != 10 {
		t.Errorf("crawl %+v; want both outlets' 5 articles stored and derived", rep)
	}
}

// TestCrawlProcessesShareOutlets: two crawls of one store at once (two
// `crawl` commands, or one beside a daemon) take the outlet's lease: the
// second leaves the outlet to the first, and each page is fetched once.
func TestCrawlProcessesShareOutlets(t *testing.T) {
	outlets := corpusOutlets(t, 1, 4, true)
	cfg := corpusConfig(t, 0, outlets)
	st := testStore(t, cfg)
	clk := testClock()
	first, err := New(cfg, st, Options{Clock: clk, Holder: "news1:101"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := New(cfg, st, Options{Clock: clk, Holder: "news1:202"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan CrawlReport, 1)
	go func() {
		rep, err := first.Crawl(t.Context(), nil)
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	waitFor(t, "the first crawl holding the outlet's lease", func() bool {
		leases, err := st.Leases(t.Context(), clk.Now())
		return err == nil && len(leases) == 1 && leases[0].Holder == "news1:101"
	})
	rep, err := second.Crawl(t.Context(), nil)
	if err != nil || len(rep.Outlets) != 0 || rep.Elsewhere["o00"] != "news1:101" {
		t.Errorf("the second crawl: %+v, %v; want o00 left to news1:101", rep, err)
	}
	close(outlets[0].gate)
	if rep := <-done; len(rep.Outlets) != 1 || rep.Outlets[0].New != 4 {
		t.Errorf("the first crawl: %+v; want its 4 articles", rep)
	}
	if n := outlets[0].answered(); n != 4 {
		t.Errorf("%d article pages answered, want each of the 4 once", n)
	}
}

// BenchmarkCrawlRound crawls 20 loopback outlets of 30 new articles each,
// at the config's default politeness (delay 1 s, parallelism 2 per host),
// and one such outlet alone: a round over outlets side by side takes
// about as long as the slowest alone, store and derived views included.
//
//	go test ./pipeline -run '^$' -bench CrawlRound -benchtime 1x
func BenchmarkCrawlRound(b *testing.B) {
	for _, n := range []int{1, 20} {
		b.Run(fmt.Sprintf("outlets=%d", n), func(b *testing.B) {
			outlets := corpusOutlets(b, n, 30)
			for b.Loop() {
				b.StopTimer()
				cfg := corpusConfig(b, time.Second, outlets)
				st := testStore(b, cfg)
				p := newPipeline(b, cfg, st, nil)
				b.StartTimer()
				rep, err := p.Crawl(context.Background(), nil)
				if err != nil || rep.Derived.Articles != 30*n {
					b.Fatalf("crawl: %d articles derived, %v", rep.Derived.Articles, err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/round")
		})
	}
}

// waitFor polls cond every 10 ms until it holds, for at most 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 30 s", what)
		}
	}
}

// TestCrawlDue: a crawl due at a scheduled time is left alone when a crawl
// of the outlet started at or after it, as another daemon's would have —
// read under the outlet's lease — and runs when none did.
func TestCrawlDue(t *testing.T) {
	outlets := corpusOutlets(t, 1, 3)
	cfg := corpusConfig(t, 0, outlets)
	st := testStore(t, cfg)
	clk := testClock()
	p := newPipeline(t, cfg, st, clk)
	due := clk.Now()
	rep, err := p.CrawlDue(t.Context(), "o00", due)
	if err != nil || len(rep.Outlets) != 1 || rep.Outlets[0].New != 3 {
		t.Fatalf("the first crawl due: %+v, %v; want the outlet's 3 articles", rep, err)
	}
	clk.Advance(time.Minute)
	rep, err = p.CrawlDue(t.Context(), "o00", due)
	if err != nil || len(rep.Outlets) != 0 || !rep.Fresh["o00"].Equal(due) {
		t.Errorf("the same time due again: %+v, %v; want it left, crawled at %v", rep, err, due)
	}
	if n := outlets[0].answered(); n != 3 {
		t.Errorf("%d article pages answered, want 3: the second run fetched", n)
	}
	if rep, err := p.CrawlDue(t.Context(), "o00", clk.Now()); err != nil || len(rep.Outlets) != 1 {
		t.Errorf("the next time due: %+v, %v; want a crawl", rep, err)
	}
}
