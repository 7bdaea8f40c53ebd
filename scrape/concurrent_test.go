package scrape

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestOutletsSideBySide: one Crawler crawls a slow outlet and a fast one
// at once. The slow one's pages are held by its server until the test
// lets them go; the fast one's crawl ends meanwhile, its politeness
// (crawl.delay, one request at a time) notwithstanding.
func TestOutletsSideBySide(t *testing.T) {
	var items []item
	for i := 1; i <= 8; i++ {
		items = append(items, item{link: fmt.Sprintf("/news/%d", i), published: published})
	}
	slow, fast := newSite(t, items...), newSite(t, items...)
	release := make(chan struct{})
	held := make(chan struct{}, len(items))
	for i := 1; i <= len(items); i++ {
		slow.handle(fmt.Sprintf("/news/%d", i), func(w http.ResponseWriter, r *http.Request) {
			held <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
			fmt.Fprint(w, articleHTML("خبر کند", "متن خبر."))
		})
	}
	opt := testOptions()
	opt.Parallelism = 1
	opt.Delay = 10 * time.Millisecond
	opt.Timeout = time.Minute // the slow pages are held as long as the test needs
	c := New(opt)

	type result struct {
		st  Stats
		err error
	}
	slowDone := make(chan result, 1)
	go func() {
		st, err := c.Crawl(t.Context(), slow.outlet(), nil, nil, (&sink{}).put)
		slowDone <- result{st, err}
	}()
	<-held // the slow outlet has a page in flight

	st, err := c.Crawl(t.Context(), fast.outlet(), nil, nil, (&sink{}).put)
	if err != nil || st.New != len(items) {
		t.Fatalf("fast outlet: %+v, %v; want %d new", st, err, len(items))
	}
	select {
	case r := <-slowDone:
		t.Fatalf("the slow outlet's crawl ended (%+v, %v) while its page was held", r.st, r.err)
	default:
	}
	close(release)
	if r := <-slowDone; r.err != nil || r.st.New != len(items) {
		t.Errorf("slow outlet: %+v, %v; want %d new", r.st, r.err, len(items))
	}
}

// TestRunsShareHostPoliteness: two outlets served by one host, crawled at
// once by one Crawler, ask it as one crawler would: one request at a time
// (crawl.parallelism 1), each at least crawl.delay after the one before
// was answered, as the server sees them.
func TestRunsShareHostPoliteness(t *testing.T) {
	var items []item
	for i := 1; i <= 3; i++ {
		items = append(items, item{link: fmt.Sprintf("/news/%d", i), published: published})
	}
	s := newSite(t, items...)
	opt := testOptions()
	opt.Parallelism = 1
	opt.Delay = 50 * time.Millisecond
	c := New(opt)
	a, b := s.outlet(), s.outlet()
	b.ID = "test2"
	var wg sync.WaitGroup
	for _, o := range []Outlet{a, b} {
		wg.Go(func() {
			if st, err := c.Crawl(t.Context(), o, nil, nil, (&sink{}).put); err != nil || st.New != len(items) {
				t.Errorf("%s: %+v, %v; want %d new", o.ID, st, err, len(items))
			}
		})
	}
	wg.Wait()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.maxIn != 1 {
		t.Errorf("the host had %d requests at once, want 1 (crawl.parallelism)", s.maxIn)
	}
	var times []time.Time
	for path, ts := range s.times {
		if path != "/robots.txt" { // read by each run itself, not paced
			times = append(times, ts...)
		}
	}
	slices.SortFunc(times, time.Time.Compare)
	if len(times) != 2*(1+len(items)) {
		t.Fatalf("%d requests, want the feed and %d articles for each outlet", len(times), len(items))
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < opt.Delay {
			t.Errorf("request %d came %v after the one before, want at least crawl.delay %v", i+1, gap, opt.Delay)
		}
	}
}

// TestRetryAfterHoldsEveryRun: a Retry-After one outlet's run gets holds
// the other outlets on the host too.
func TestRetryAfterHoldsEveryRun(t *testing.T) {
	s := newSite(t, item{link: "/news/1", published: published})
	s.handle("/rss2", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusServiceUnavailable)
	})
	opt := testOptions()
	opt.Retries = -1
	c := New(opt)
	first := s.outlet()
	first.Feeds = []string{"/rss2"}
	if _, err := c.Crawl(t.Context(), first, nil, nil, (&sink{}).put); err == nil {
		t.Fatal("crawl of a feed answering 503: no error")
	}
	s.mu.Lock()
	paused := s.times["/rss2"][0].Add(time.Second)
	s.mu.Unlock()
	second := s.outlet()
	second.ID = "test2"
	if st, err := c.Crawl(t.Context(), second, nil, nil, (&sink{}).put); err != nil || st.New != 1 {
		t.Fatalf("second outlet: %+v, %v", st, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if at := s.times["/rss"][0]; at.Before(paused) {
		t.Errorf("the second outlet asked %v into the host's pause of 1s", at.Sub(paused.Add(-time.Second)))
	}
}

// BenchmarkCrawlRound: one crawl round of n loopback outlets of 30 new
// articles each, with the config's default politeness (crawl.delay 1s,
// crawl.parallelism 2), every outlet on its own host, all crawled at once
// by one Crawler. Outlets side by side take about as long as one alone:
//
//	go test ./scrape/ -run '^$' -bench CrawlRound -benchtime 1x
func BenchmarkCrawlRound(b *testing.B) {
	for _, n := range []int{1, 20} {
		b.Run(fmt.Sprintf("outlets=%d", n), func(b *testing.B) {
			var outlets []Outlet
			for range n {
				var items []item
				for i := 1; i <= 30; i++ {
					items = append(items, item{link: fmt.Sprintf("/news/%d", i), published: published})
				}
				outlets = append(outlets, newSite(b, items...).outlet())
			}
			opt := testOptions()
			opt.Delay = time.Second
			opt.Parallelism = 2
			opt.Timeout = 30 * time.Second
			opt.MaxBody = 10 << 20
			for b.Loop() {
				c := New(opt)
				var wg sync.WaitGroup
				for _, o := range outlets {
					wg.Go(func() {
						if st, err := c.Crawl(b.Context(), o, nil, nil, (&sink{}).put); err != nil || st.New != 30 {
							b.Errorf("%+v, %v", st, err)
						}
					})
				}
				wg.Wait()
			}
		})
	}
}
