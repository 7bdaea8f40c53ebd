package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"mediadigest/config"
	"mediadigest/model"
	"mediadigest/pipeline"
	"mediadigest/sampleoutlets"
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
	logs  lockedBuffer // the daemon's log, also written to the test's
}

func newFixture(t *testing.T, now time.Time) *fixture {
	t.Helper()
	return newFixtureOf(t, now, testConfig)
}

// newFixtureOf is newFixture with the config yaml.
func newFixtureOf(t *testing.T, now time.Time, yaml string) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), clock: now}
	cfg, err := config.Parse("test.yaml", []byte(strings.ReplaceAll(yaml, "{DIR}", f.dir)))
	if err != nil {
		t.Fatal(err)
	}
	if f.st, err = store.Open(t.Context(), cfg.Store); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	log := slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), &f.logs), nil))
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

// lockedBuffer is a bytes.Buffer for the daemon's goroutines to log to.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
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

// panicTransport panics as a bad row could while its digest is sent.
type panicTransport struct{}

func (panicTransport) Send(context.Context, []*gomail.Msg, func(int, error)) {
	panic("template: digest.html.tmpl: nil map")
}

// TestCatchUpSurvivesPanics: a panic in a missed crawl or in the missed
// digest is logged with its stack; the daemon carries on (it would
// otherwise die at every start), and the scheduled digests do not wait
// for the catch-up for ever.
func TestCatchUpSurvivesPanics(t *testing.T) {
	f := newFixture(t, at(28, 10, 5, 0))
	f.sent(t, "analyst@example.com", model.Window{From: at(25, 7, 0, 0), To: at(26, 7, 0, 0)})
	f.d.out.Transport = panicTransport{}

	var crawled []string
	f.d.catchUp(t.Context(), f.clock, func(outlet string) {
		if outlet == "isna" {
			panic("runtime error: index out of range [3] with length 3")
		}
		crawled = append(crawled, outlet)
	})

	if !slices.Equal(crawled, []string{"eghtesad24"}) {
		t.Errorf("crawled %v after isna's crawl panicked, want [eghtesad24]", crawled)
	}
	logs := f.logs.String()
	for _, want := range []string{
		`msg="job panicked" outlet=isna task=crawl panic="runtime error: index out of range [3] with length 3" stack=`,
		`msg="job panicked" task=catch-up panic="template: digest.html.tmpl: nil map" stack=`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	if strings.Count(logs, "daemon.(*Daemon).catchUp") < 2 {
		t.Error("the panics are logged without their stacks")
	}
	if len(f.d.crawling) != 0 || len(f.d.mailing) != 0 {
		t.Error("a job that panicked kept its semaphore")
	}
	select {
	case <-f.d.caughtUp:
	default:
		t.Error("scheduled digests still wait for the catch-up")
	}
}

// sampleConfig is testConfig over the bundled sample outlets.
const sampleConfig = `timezone: Asia/Tehran
store: {DIR}/mediadigest.db
crawl: {delay: 0s, parallelism: 4, retries: 1}
outlets:
  - {id: isna, profile: isna, base_url: "{ISNA}"}
  - {id: eghtesad24, profile: eghtesad24, base_url: "{EGHTESAD24}"}
topics:
  - {id: energy, name: انرژی, keywords: [نفت, گاز]}
subscribers:
  - email: analyst@example.com
digest:
  schedule: "0 7 * * *"
  from: "Media Digest <digest@example.com>"
mail: {transport: file, dir: "{DIR}/outbox"}
`

// TestCatchUpCrawlsBeforeTheDigest: a daemon down since before the sample
// days missed both crawls and digests. The digest it sends at start-up,
// and a scheduled one due while the missed crawls run, go out after them
// and carry their stories.
func TestCatchUpCrawlsBeforeTheDigest(t *testing.T) {
	outlets, err := sampleoutlets.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer outlets.Close()
	yaml := strings.NewReplacer("{ISNA}", outlets.URL("isna"), "{EGHTESAD24}", outlets.URL("eghtesad24")).Replace(sampleConfig)
	// A day ahead of the real clock, which stamps the crawled articles
	// first seen: they arrive in the missed window, as articles found more
	// than model.LateArrival after their publication do after a long
	// downtime.
	now := time.Now().Add(24 * time.Hour)
	if earliest := at(28, 10, 5, 0); now.Before(earliest) {
		now = earliest
	}
	f := newFixtureOf(t, now, yaml)
	f.sent(t, "analyst@example.com", model.Window{From: at(24, 0, 0, 0), To: at(25, 0, 0, 0)})

	scheduled := make(chan struct{})
	go func() {
		defer close(scheduled)
		f.d.digestJob(t.Context())
	}()
	f.d.catchUp(t.Context(), now, func(outlet string) { f.d.crawl(t.Context(), outlet, true) })
	<-scheduled

	ws, files := f.windows(t, "analyst@example.com")
	if len(ws) != 2 || !ws[1].From.Equal(at(25, 0, 0, 0)) || files != 1 {
		t.Fatalf("analyst windows %v, %d digests written; want one digest from the end of the last", ws, files)
	}
	emls, err := filepath.Glob(filepath.Join(f.dir, "outbox", "*.eml"))
	if err != nil || len(emls) != 1 {
		t.Fatalf("digests written: %v, %v", emls, err)
	}
	text := mailText(t, emls[0])
	for _, headline := range []string{
		"قیمت نفت برنت از ۷۰ دلار گذشت",             // ISNA, 1405/09/04
		"مصرف گاز خانگی از ۵۰۰ میلیون مترمکعب گذشت", // Eghtesad24, 1405/09/05
	} {
		if !strings.Contains(text, headline) {
			t.Errorf("the digest lacks %q:\n%s", headline, text)
		}
	}
}

// mailText returns the text/plain part of the message in the file.
func mailText(t *testing.T, file string) string {
	t.Helper()
	r, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	msg, err := netmail.ReadMessage(r)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("%s: Content-Type: %v", file, err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			t.Fatalf("%s: no text/plain part: %v", file, err)
		}
		if strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
			b, err := io.ReadAll(part) // multipart decodes quoted-printable
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}

// TestDerivedMetricsAfterARestart: the stories and removed paragraphs are
// absent until known, counted in the store at start-up, and a crawl's full
// pass, newer, is not overwritten by a start-up count that ends after it.
func TestDerivedMetricsAfterARestart(t *testing.T) {
	f := newFixture(t, at(26, 12, 0, 0))
	ctx := t.Context()
	srv := httptest.NewServer(f.d.Handler())
	defer srv.Close()
	metric := func(name string) (string, bool) {
		t.Helper()
		_, body, _ := fetch(t, srv.URL+"/metrics")
		for line := range strings.Lines(body) {
			if strings.HasPrefix(line, name+" ") {
				return strings.TrimSpace(strings.TrimPrefix(line, name)), true
			}
		}
		return "", false
	}
	if v, ok := metric("mediadigest_stories"); ok {
		t.Errorf("mediadigest_stories %s before anything was counted, want it absent", v)
	}

	// What the daemon that ran before left: two articles of one story, one
	// promo line removed.
	var derived []store.Derived
	for i, url := range []string{"https://www.isna.ir/news/1405090501372/", "https://eghtesaad24.ir/fa/news/312484/"} {
		a := &model.Article{URL: url, Outlet: []string{"isna", "eghtesad24"}[i], Title: "سهمیه بنزین آذرماه واریز شد",
			Published: at(26, 9, 20, 0), Raw: []string{"سهمیه بنزین آذرماه به کارت‌های سوخت واریز شد.", "بیشتر بخوانید: قیمت بنزین"}}
		if _, err := f.st.UpsertArticle(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		d := store.Derived{ID: a.ID, Story: "story-1", Clean: model.Clean{Paragraphs: a.Raw[:1]}}
		if i == 1 {
			d.Clean.Removed = []model.Removed{{Text: a.Raw[1], Reason: model.ReasonPromo}}
		}
		derived = append(derived, d)
	}
	if err := f.st.SaveDerived(ctx, derived); err != nil {
		t.Fatal(err)
	}
	f.d.loadDerivedCounts(ctx)
	if v, ok := metric("mediadigest_stories"); v != "1" {
		t.Errorf("mediadigest_stories %q (present %v) after the start-up count, want 1", v, ok)
	}
	if v, _ := metric(`mediadigest_paragraphs_removed{reason="promo"}`); v != "1" {
		t.Errorf(`mediadigest_paragraphs_removed{reason="promo"} %q after the start-up count, want 1`, v)
	}

	f.d.m.crawled(pipeline.CrawlReport{Derived: pipeline.ProcessReport{Full: true, Stories: 31, Removed: map[string]int{"promo": 12}}}, nil, false)
	f.d.loadDerivedCounts(ctx)
	if v, _ := metric("mediadigest_stories"); v != "31" {
		t.Errorf("mediadigest_stories %q after a full pass then a late start-up count, want the pass's 31", v)
	}
}

// TestSkippedCatchUpCrawlIsAWarning: a missed crawl skipped because
// another process holds the outlet's lease says who, and until when.
func TestSkippedCatchUpCrawlIsAWarning(t *testing.T) {
	now := at(28, 10, 5, 0)
	f := newFixture(t, now)
	if err := f.st.RecordCrawl(t.Context(), store.CrawlRun{Outlet: "eghtesad24", Started: at(28, 10, 0, 0), Finished: at(28, 10, 0, 5)}); err != nil {
		t.Fatal(err)
	}
	if won, err := f.st.TryLease(t.Context(), "crawl:isna", "news2:4242", now, time.Hour); err != nil || !won {
		t.Fatalf("TryLease = %v, %v", won, err)
	}
	f.d.catchUp(t.Context(), now, func(outlet string) { f.d.crawl(t.Context(), outlet, true) })
	want := `level=WARN msg="another daemon holds the lease: skipping this run" task=crawl outlet=isna lease=crawl:isna holder=news2:4242 until=2026-11-28T07:35:00.000Z`
	if logs := f.logs.String(); !strings.Contains(logs, want) {
		t.Errorf("log lacks\n%s\nin\n%s", want, logs)
	}
}

// TestDurationsAreLoggedInSeconds: a number in JSON as in text, never the
// nanoseconds a time.Duration encodes to in JSON.
func TestDurationsAreLoggedInSeconds(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want float64
	}{
		{82301600 * time.Nanosecond, 0.082},
		{30 * time.Second, 30},
		{1500 * time.Microsecond, 0.002},
		{0, 0},
	} {
		if got := seconds(tt.d); got != tt.want {
			t.Errorf("seconds(%v) = %v, want %v", tt.d, got, tt.want)
		}
	}

	f := newFixture(t, at(28, 7, 0, 1))
	var logs bytes.Buffer
	f.d.log = slog.New(slog.NewJSONHandler(&logs, nil))
	f.d.scheduledDigest(t.Context())
	var line struct {
		Msg      string
		Duration *float64 `json:"duration_s"`
	}
	found := false
	for l := range strings.Lines(logs.String()) {
		if err := json.Unmarshal([]byte(l), &line); err == nil && line.Msg == "job finished" {
			found = line.Duration != nil && *line.Duration >= 0 && *line.Duration < 60
		}
	}
	if !found || strings.Contains(logs.String(), `"duration"`) {
		t.Errorf("no job finished line with duration_s in seconds:\n%s", logs.String())
	}
}
