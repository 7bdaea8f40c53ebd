package daemon

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mediadigest/config"
	"mediadigest/model"
	"mediadigest/pipeline"
	"mediadigest/store"
)

// testConfig has two outlets that are never fetched (the tests run the
// jobs that read the store, not the crawls), a daily digest and the file
// transport.
const testConfig = `timezone: Asia/Tehran
store: {DIR}/mediadigest.db
outlets:
  - {id: isna, profile: isna, base_url: "http://127.0.0.1:9"}
  - {id: eghtesad24, profile: eghtesad24, base_url: "http://127.0.0.1:9"}
topics:
  - {id: energy, name: انرژی, keywords: [نفت, گاز]}
subscribers:
  - email: analyst@example.com
  - email: newcomer@example.com
digest:
  schedule: "0 7 * * *"
  from: "Media Digest <digest@example.com>"
  unsubscribe: "mailto:digest-unsubscribe@example.com"
mail: {transport: file, dir: "{DIR}/outbox"}
`

// fixture is a daemon over a fresh store, with a clock the test sets.
type fixture struct {
	d     *Daemon
	st    *store.Store
	dir   string
	clock time.Time
}

func newFixture(t *testing.T, now time.Time) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), clock: now}
	cfg, err := config.Parse("test.yaml", []byte(strings.ReplaceAll(testConfig, "{DIR}", f.dir)))
	if err != nil {
		t.Fatal(err)
	}
	if f.st, err = store.Open(t.Context(), cfg.Store); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	clock := func() time.Time { return f.clock }
	p, err := pipeline.New(cfg, f.st, log, pipeline.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	if f.d, err = New(cfg, f.st, p, log, WithClock(clock)); err != nil {
		t.Fatal(err)
	}
	return f
}

// sent records a digest as sent for subscriber and win.
func (f *fixture) sent(t *testing.T, subscriber string, win model.Window) {
	t.Helper()
	it, _, err := f.d.out.Enqueue(t.Context(), subscriber, win, win.To)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.MarkSent(t.Context(), it.ID, "250 ok", win.To); err != nil {
		t.Fatal(err)
	}
}

// windows lists the outbox windows of subscriber, oldest first, and the
// number of .eml files the file transport wrote.
func (f *fixture) windows(t *testing.T, subscriber string) (ws []model.Window, files int) {
	t.Helper()
	rows, err := f.st.Outbox(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Subscriber == subscriber {
			ws = append(ws, r.Window)
		}
	}
	slices.SortFunc(ws, func(a, b model.Window) int { return a.From.Compare(b.From) })
	emls, err := filepath.Glob(filepath.Join(f.dir, "outbox", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	return ws, len(emls)
}

func sameWindows(a, b []model.Window) bool {
	return slices.EqualFunc(a, b, func(x, y model.Window) bool { return x.From.Equal(y.From) && x.To.Equal(y.To) })
}

func TestCatchUpAfterTwoDaysDown(t *testing.T) {
	now := at(28, 10, 5, 0)
	f := newFixture(t, now)
	// The last digest went out two days ago; isna was crawled at 10:00
	// (crawl.schedule defaults to every 20 minutes), eghtesad24 never.
	old := model.Window{From: at(25, 7, 0, 0), To: at(26, 7, 0, 0)}
	f.sent(t, "analyst@example.com", old)
	if err := f.st.RecordCrawl(t.Context(), store.CrawlRun{Outlet: "isna", Started: at(28, 10, 0, 1), Finished: at(28, 10, 0, 9)}); err != nil {
		t.Fatal(err)
	}

	for _, restart := range []time.Time{now, at(28, 12, 0, 0)} { // a second start adds nothing
		f.clock = restart
		var crawled []string
		f.d.catchUp(t.Context(), restart, func(outlet string) { crawled = append(crawled, outlet) })
		if restart.Equal(now) && !slices.Equal(crawled, []string{"eghtesad24"}) {
			t.Errorf("catch-up crawled %v, want [eghtesad24]", crawled)
		}

		ws, files := f.windows(t, "analyst@example.com")
		want := []model.Window{old, {From: at(26, 7, 0, 0), To: at(28, 7, 0, 0)}}
		if !sameWindows(ws, want) {
			t.Errorf("start at %s: analyst windows %v, want %v", restart, ws, want)
		}
		if files != 1 {
			t.Errorf("start at %s: %d digests written, want 1", restart, files)
		}
		// A subscriber who never had a digest waits for the schedule.
		if ws, _ := f.windows(t, "newcomer@example.com"); len(ws) != 0 {
			t.Errorf("newcomer got %v at start-up, want nothing before the first scheduled run", ws)
		}
	}
}

func TestScheduledDigest(t *testing.T) {
	f := newFixture(t, at(27, 7, 0, 0))
	f.sent(t, "analyst@example.com", model.Window{From: at(26, 7, 0, 0), To: at(27, 7, 0, 0)})

	for _, fired := range []time.Time{
		at(28, 7, 0, 0).Add(3 * time.Millisecond), // cron starts the job just after 07:00
		at(28, 7, 0, 2), // the same run again, after a crash
	} {
		f.clock = fired
		f.d.scheduledDigest(t.Context())
	}

	analyst, files := f.windows(t, "analyst@example.com")
	if want := (model.Window{From: at(27, 7, 0, 0), To: at(28, 7, 0, 0)}); len(analyst) != 2 || !sameWindows(analyst[1:], []model.Window{want}) {
		t.Errorf("analyst windows %v, want the sent one then %v", analyst, want)
	}
	// A first digest covers one schedule period.
	newcomer, _ := f.windows(t, "newcomer@example.com")
	if want := []model.Window{{From: at(27, 7, 0, 0), To: at(28, 7, 0, 0)}}; !sameWindows(newcomer, want) {
		t.Errorf("newcomer windows %v, want %v", newcomer, want)
	}
	if files != 2 {
		t.Errorf("%d digests written, want 2 (one per subscriber)", files)
	}
}

func TestPreview(t *testing.T) {
	f := newFixture(t, at(26, 12, 0, 0))
	srv := httptest.NewServer(f.d.Handler())
	defer srv.Close()
	tests := []struct {
		query string
		code  int
		body  string
	}{
		{"", http.StatusOK, "<html"},
		{"?date=1405/09/05&subscriber=newcomer@example.com", http.StatusOK, "<html"},
		{"?date=2026-11-26", http.StatusOK, "<html"},
		{"?date=yesterday", http.StatusBadRequest, `bad date "yesterday"`},
		{"?date=1405/13/01", http.StatusBadRequest, "bad date"},
		{"?subscriber=nobody@example.com", http.StatusBadRequest, "nobody@example.com"},
	}
	for _, tt := range tests {
		code, body, header := fetch(t, srv.URL+"/preview"+tt.query)
		if code != tt.code || !strings.Contains(body, tt.body) {
			t.Errorf("/preview%s: %d %.200q, want %d with %q", tt.query, code, body, tt.code, tt.body)
		}
		if code == http.StatusOK && header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("/preview%s: Content-Type %q", tt.query, header.Get("Content-Type"))
		}
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	f := newFixture(t, at(26, 12, 0, 0))
	srv := httptest.NewServer(f.d.Handler())
	defer srv.Close()

	if code, body, _ := fetch(t, srv.URL+"/healthz"); code != http.StatusOK || !strings.Contains(body, `"status": "ok"`) {
		t.Errorf("/healthz on a new store: %d %s", code, body)
	}

	// isna fails three times in a row, over three crawl intervals.
	for i := range 3 {
		start := at(26, 10, 20*i, 0)
		run := store.CrawlRun{Outlet: "isna", Started: start, Finished: start.Add(time.Second), Err: "feed /rss: 503"}
		if err := f.st.RecordCrawl(t.Context(), run); err != nil {
			t.Fatal(err)
		}
	}
	ok := at(26, 11, 40, 0)
	if err := f.st.RecordCrawl(t.Context(), store.CrawlRun{Outlet: "eghtesad24", Started: ok, Finished: ok.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	f.sent(t, "analyst@example.com", model.Window{From: at(25, 7, 0, 0), To: at(26, 7, 0, 0)})

	code, body, _ := fetch(t, srv.URL+"/healthz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "outlet isna has failed 3 crawls") {
		t.Errorf("/healthz with a failing outlet: %d %s", code, body)
	}

	f.d.m.crawled(pipeline.CrawlReport{
		Derived: pipeline.ProcessReport{Full: true, Articles: 40, Stories: 31, Removed: map[string]int{"promo": 12}},
	}, nil, false)
	// A partial pass counts only the articles it derived: the totals stay.
	f.d.m.crawled(pipeline.CrawlReport{
		Derived: pipeline.ProcessReport{Articles: 3, Stories: 2, Removed: map[string]int{"promo": 1}},
	}, nil, false)
	_, metrics, _ := fetch(t, srv.URL+"/metrics")
	for _, line := range []string{
		`mediadigest_outbox_items{state="sent"} 1`,
		`mediadigest_outbox_items{state="queued"} 0`,
		`mediadigest_crawl_consecutive_failures{outlet="isna"} 3`,
		`mediadigest_crawl_last_success_timestamp_seconds{outlet="isna"} 0`,
		`mediadigest_crawl_last_success_timestamp_seconds{outlet="eghtesad24"} 1.795680601e+09`,
		`mediadigest_articles_stored 0`,
		`mediadigest_stories 31`,
		`mediadigest_paragraphs_removed{reason="promo"} 12`,
	} {
		if !strings.Contains(metrics, line+"\n") {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

func fetch(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}
