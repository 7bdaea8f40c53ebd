package scrape

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// logRecorder is a slog handler keeping the records a run logs, and
// closing seen at the first record with the message watch: the test's view
// of a moment inside the crawler that a server cannot see.
type logRecorder struct {
	watch string
	seen  chan struct{}
	once  sync.Once

	mu   sync.Mutex
	recs []slog.Record
}

func newLogRecorder(watch string) *logRecorder {
	return &logRecorder{watch: watch, seen: make(chan struct{})}
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r)
	h.mu.Unlock()
	if r.Message == h.watch {
		h.once.Do(func() { close(h.seen) })
	}
	return nil
}

func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

// atLeast returns the messages of the records at level or above.
func (h *logRecorder) atLeast(level slog.Level) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.recs {
		if r.Level >= level {
			out = append(out, r.Message)
		}
	}
	return out
}

// TestRetryAfterPausesHost: a 429 with Retry-After holds every worker
// asking the host, not only the one that got it. /news/2 is in flight
// when /news/1 gets its 429, and is answered once the crawler has taken
// the Retry-After in; from then on, no request may reach the server
// before the pause ends.
func TestRetryAfterPausesHost(t *testing.T) {
	// Whether the page that got the 429 is tried again or not (its
	// retries spent, or none configured), the host's pause holds for all.
	for _, retries := range []int{2, -1} {
		t.Run(fmt.Sprintf("retries %d", retries), func(t *testing.T) { retryAfterPausesHost(t, retries) })
	}
}

func retryAfterPausesHost(t *testing.T, retries int) {
	const retryAfter = time.Second
	var items []item
	for i := 1; i <= 6; i++ {
		items = append(items, item{link: fmt.Sprintf("/news/%d", i), published: published})
	}
	s := newSite(t, items...)
	log := newLogRecorder("host asks to wait (Retry-After)")
	inFlight := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	var answered time.Time // when the 429 went out
	s.handle("/news/1", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		first := answered.IsZero()
		mu.Unlock()
		if !first {
			fmt.Fprint(w, articleHTML("خبر 1", "متن خبر."))
			return
		}
		select {
		case <-inFlight:
		case <-r.Context().Done():
			return
		}
		mu.Lock()
		answered = time.Now()
		mu.Unlock()
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	s.handle("/news/2", func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(inFlight) })
		select {
		case <-log.seen:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, articleHTML("خبر 2", "متن خبر."))
	})
	opt := testOptions()
	opt.Parallelism = 2
	opt.Retries = retries
	opt.Timeout = 5 * time.Second
	opt.Logger = slog.New(log)
	var k sink
	st, err := New(opt).Crawl(t.Context(), s.outlet(), nil, nil, k.put)
	if err != nil {
		t.Fatal(err)
	}
	if want := min(6, 5+max(retries, 0)); st.New != want || st.Failed != 6-want {
		t.Fatalf("stats = %+v, want %d pages after the pause", st, want)
	}
	mu.Lock()
	end := answered.Add(retryAfter)
	mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	var during []string
	for i := 1; i <= 6; i++ {
		path := fmt.Sprintf("/news/%d", i)
		times := s.times[path]
		if path == "/news/1" || path == "/news/2" {
			times = times[1:] // the 429, and the request in flight
		}
		for _, at := range times {
			if at.Before(end) {
				during = append(during, path)
			}
		}
	}
	if len(during) != 0 {
		t.Errorf("requests during the host's Retry-After pause: %v", during)
	}
}

// TestBlockedOutletReportedOnce: a challenge page answers all four
// requests in flight; the outlet is reported blocked once, the four pages
// are counted, and nothing more is asked of it.
func TestBlockedOutletReportedOnce(t *testing.T) {
	const parallelism = 4
	var items []item
	for i := 1; i <= 2*parallelism; i++ {
		items = append(items, item{link: fmt.Sprintf("/news/%d", i), published: published})
	}
	s := newSite(t, items...)
	var mu sync.Mutex
	arrived := 0
	all := make(chan struct{}) // every worker's request is in flight
	for i := 1; i <= 2*parallelism; i++ {
		s.handle(fmt.Sprintf("/news/%d", i), func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			if arrived++; arrived == parallelism {
				close(all)
			}
			mu.Unlock()
			select {
			case <-all:
			case <-r.Context().Done():
				return
			}
			fmt.Fprint(w, `<html><head><title>Checking your browser</title></head><body><p>Protected by ArvanCloud</p></body></html>`)
		})
	}
	log := newLogRecorder("")
	opt := testOptions()
	opt.Parallelism = parallelism
	opt.Timeout = 5 * time.Second
	opt.Logger = slog.New(log)
	st, err := New(opt).Crawl(t.Context(), s.outlet(), nil, nil, (&sink{}).put)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Blocked || st.Failed != parallelism || !maps.Equal(st.Failures, map[string]int{ReasonBlocked: parallelism}) {
		t.Errorf("stats = %+v, want blocked with %d pages failed", st, parallelism)
	}
	if len(st.Errors) != 1 || st.Errors[0].Reason != ReasonBlocked {
		t.Errorf("Errors = %+v, want the one blocked page", st.Errors)
	}
	if warn := log.atLeast(slog.LevelWarn); len(warn) != 1 {
		t.Errorf("warnings %q, want one", warn)
	}
	mu.Lock()
	defer mu.Unlock()
	if arrived != parallelism {
		t.Errorf("server saw %d article requests, want the %d in flight when it blocked", arrived, parallelism)
	}
}

// TestCrawlDelay: with one request at a time, consecutive requests to a
// host are at least crawl.delay apart, as the server sees them. Each
// request starts after the previous answer was read, so the gap is a
// lower bound whatever the machine's speed.
func TestCrawlDelay(t *testing.T) {
	s := newSite(t,
		item{link: "/news/1", published: published},
		item{link: "/news/2", published: published},
		item{link: "/news/3", published: published},
	)
	opt := testOptions()
	opt.Timeout = 5 * time.Second
	opt.Parallelism = 1
	opt.Delay = 100 * time.Millisecond
	st, err := New(opt).Crawl(t.Context(), s.outlet(), nil, nil, (&sink{}).put)
	if err != nil {
		t.Fatal(err)
	}
	if st.New != 3 {
		t.Fatalf("stats = %+v, want 3 new", st)
	}
	s.mu.Lock()
	var times []time.Time
	for path, ts := range s.times {
		if path != "/robots.txt" { // read once by the run itself, not paced
			times = append(times, ts...)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(times, time.Time.Compare)
	if len(times) != 4 {
		t.Fatalf("%d requests, want the feed and 3 articles", len(times))
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < opt.Delay {
			t.Errorf("request %d came %v after the one before, want at least crawl.delay %v", i+1, gap, opt.Delay)
		}
	}
}
