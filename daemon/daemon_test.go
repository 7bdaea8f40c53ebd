package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
	_ "time/tzdata"

	gomail "github.com/wneessen/go-mail"

	"mediadigest/clock"
	"mediadigest/config"
	"mediadigest/delivery"
	"mediadigest/model"
	"mediadigest/pipeline"
	"mediadigest/sampleoutlets"
	"mediadigest/schedule"
	"mediadigest/store"
	"mediadigest/stories"
)

// testConfig has two outlets that nothing answers for (the tests run the
// jobs that read the store; a crawl fails at once), a daily digest and the
// file transport.
const testConfig = `timezone: Asia/Tehran
store: {DIR}/mediadigest.db
http: {listen: "127.0.0.1:0"}
crawl: {timeout: 2s, retries: 0}
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

// fixture is a daemon over a fresh store, on a clock the test moves.
type fixture struct {
	d    *Daemon
	st   *store.Store
	pipe *pipeline.Pipeline
	dir  string
	clk  *clock.Fake
	logs lockedBuffer // the daemon's log, also written to the test's
}

func newFixture(t *testing.T, now time.Time) *fixture {
	t.Helper()
	return newFixtureOf(t, now, testConfig, nil)
}

// newFixtureOf is newFixture with the config yaml; wrap, when not nil,
// wraps the pipeline as the daemon's crawler.
func newFixtureOf(t *testing.T, now time.Time, yaml string, wrap func(Crawler) Crawler, opts ...delivery.Options) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), clk: clock.NewFake(now)}
	cfg, err := config.Parse("test.yaml", []byte(strings.ReplaceAll(yaml, "{DIR}", f.dir)))
	if err != nil {
		t.Fatal(err)
	}
	if f.st, err = store.Open(t.Context(), cfg.Store, store.WithClock(f.clk.Now)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	log := slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), &f.logs), nil))
	if f.pipe, err = pipeline.New(cfg, f.st, pipeline.Options{Clock: f.clk, Logger: log}); err != nil {
		t.Fatal(err)
	}
	o := delivery.Options{}
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Clock, o.Logger = f.clk, log
	mail, err := delivery.New(cfg, f.st, stories.New(f.st, cfg.Cleaning.StoryWindow.D()), delivery.ConfigAudience(cfg), o)
	if err != nil {
		t.Fatal(err)
	}
	var crawler Crawler = f.pipe
	if wrap != nil {
		crawler = wrap(f.pipe)
	}
	if f.d, err = New(cfg, f.st, crawler, mail, Options{Clock: f.clk, Logger: log}); err != nil {
		t.Fatal(err)
	}
	return f
}

// sent records a digest as sent for subscriber and win.
func (f *fixture) sent(t *testing.T, subscriber string, win model.Window) {
	t.Helper()
	it, _, err := f.st.Enqueue(t.Context(), model.OutboxItem{Key: delivery.Key(subscriber, win), Subscriber: subscriber, Window: win,
		MessageID: delivery.MessageID(subscriber, win, "digest@example.com"), CreatedAt: win.To})
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
		f.clk.Set(restart)
		f.d.catchUp(t.Context(), restart)
		if restart.Equal(now) {
			if got := lastCrawls(t, f); !got["isna"].Equal(at(28, 10, 0, 1)) || !got["eghtesad24"].Equal(now) {
				t.Errorf("latest crawls %v; want eghtesad24's at the start, isna's left alone", got)
			}
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
	f.d.crawlsCaughtUp()
	for _, fired := range []time.Time{
		at(28, 7, 0, 0).Add(3 * time.Millisecond), // the job starts just after 07:00
		at(28, 7, 0, 2), // the same run again, after a crash
	} {
		f.clk.Set(fired)
		f.d.digestJob(t.Context(), at(28, 7, 0, 0))
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

// panicOn is a crawler that panics, as a bug could, when asked to crawl
// one outlet.
type panicOn struct {
	Crawler
	outlet string
}

func (p panicOn) CrawlDue(ctx context.Context, id string, due time.Time) (pipeline.CrawlReport, error) {
	if id == p.outlet {
		panic("runtime error: index out of range [3] with length 3")
	}
	return p.Crawler.CrawlDue(ctx, id, due)
}

// lastCrawls returns the start of each outlet's latest crawl.
func lastCrawls(t *testing.T, f *fixture) map[string]time.Time {
	t.Helper()
	crawls, err := f.st.OutletCrawls(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]time.Time{}
	for _, c := range crawls {
		got[c.Outlet] = c.LastRun.Started
	}
	return got
}

// TestCatchUpSurvivesPanics: a panic in a missed crawl or in the missed
// digest is logged with its stack; the daemon carries on (it would
// otherwise die at every start), and the scheduled digests do not wait
// for the catch-up for ever.
func TestCatchUpSurvivesPanics(t *testing.T) {
	f := newFixtureOf(t, at(28, 10, 5, 0), testConfig, func(c Crawler) Crawler { return panicOn{c, "isna"} },
		delivery.Options{Transport: panicTransport{}})
	f.sent(t, "analyst@example.com", model.Window{From: at(25, 7, 0, 0), To: at(26, 7, 0, 0)})

	f.d.catchUp(t.Context(), f.clk.Now())

	if got := lastCrawls(t, f); len(got) != 1 || got["eghtesad24"].IsZero() {
		t.Errorf("latest crawls %v after isna's crawl panicked, want eghtesad24's", got)
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

// TestCatchUpLosesNothing: a daemon down since before the sample days
// missed both crawls and digests. At start-up it runs the missed crawls,
// then the missed digest, whose window ends at the scheduled time it
// missed: the articles the crawls found arrived after that, so the
// missed digest goes out without them, and the next scheduled one carries
// them. Nothing found during a downtime is lost.
func TestCatchUpLosesNothing(t *testing.T) {
	outlets, err := sampleoutlets.Start(sampleoutlets.Reference)
	if err != nil {
		t.Fatal(err)
	}
	defer outlets.Close()
	yaml := strings.NewReplacer("{ISNA}", outlets.URL("isna"), "{EGHTESAD24}", outlets.URL("eghtesad24")).Replace(sampleConfig)
	now := sampleoutlets.Reference.Add(5 * time.Minute) // 10:05 the morning after the sample days
	f := newFixtureOf(t, now, yaml, nil)
	f.sent(t, "analyst@example.com", model.Window{From: at(24, 0, 0, 0), To: at(25, 0, 0, 0)})

	scheduled := make(chan struct{})
	go func() { // due while the missed crawls run: it waits for them
		defer close(scheduled)
		f.d.digestJob(t.Context(), schedule.Last(f.d.digestSched, now))
	}()
	f.d.catchUp(t.Context(), now)
	<-scheduled
	f.clk.Set(at(28, 7, 0, 0))
	f.d.digestJob(t.Context(), at(28, 7, 0, 0))

	ws, files := f.windows(t, "analyst@example.com")
	want := []model.Window{{From: at(24, 0, 0, 0), To: at(25, 0, 0, 0)}, {From: at(25, 0, 0, 0), To: at(27, 7, 0, 0)}, {From: at(27, 7, 0, 0), To: at(28, 7, 0, 0)}}
	if !sameWindows(ws, want) || files != 2 {
		t.Fatalf("analyst windows %v, %d digests written; want %v, two written", ws, files, want)
	}
	texts := map[string]string{}
	emls, err := filepath.Glob(filepath.Join(f.dir, "outbox", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range emls {
		text := mailText(t, e)
		texts[strings.TrimSpace(strings.Split(text, "\n")[2])] = text // keyed by the Gregorian date line
	}
	if missed := texts["2026-11-27"]; !strings.Contains(missed, "در این بازه خبری نبود") {
		t.Errorf("the missed digest holds stories that arrived after its window:\n%s", missed)
	}
	for _, headline := range []string{
		"قیمت نفت برنت از ۷۰ دلار گذشت",             // ISNA, 1405/09/04
		"مصرف گاز خانگی از ۵۰۰ میلیون مترمکعب گذشت", // Eghtesad24, 1405/09/05
	} {
		if !strings.Contains(texts["2026-11-28"], headline) {
			t.Errorf("the next scheduled digest lacks %q:\n%s", headline, texts["2026-11-28"])
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
	f.d.catchUp(t.Context(), now)
	want := `level=WARN msg="another daemon holds the lease: skipping this run" task=crawl outlet=isna lease=crawl:isna holder=news2:4242`
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
	f.d.send(t.Context(), delivery.Scheduled(f.d.digestSched, at(28, 7, 0, 0)))
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

var tehran = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		panic(err)
	}
	return loc
}()

// at is a time in Tehran on a day of November 2026.
func at(day, hour, min, sec int) time.Time {
	return time.Date(2026, time.November, day, hour, min, sec, 0, tehran)
}

// TestRunOnTheClock runs the daemon whole on a clock the test moves, on
// days where calendars turn (the last day of a Jalali year, a Jalali
// month's end at midnight, 2030): it catches up at its start, then sends
// each scheduled digest at its time, and stops when asked.
func TestRunOnTheClock(t *testing.T) {
	for _, start := range []time.Time{
		time.Date(2027, 3, 20, 6, 59, 0, 0, tehran),  // 29 Esfand 1405, the last day of the year
		time.Date(2026, 12, 21, 6, 59, 0, 0, tehran), // 30 Azar 1405, a month's last day
		time.Date(2030, 6, 1, 6, 59, 0, 0, tehran),
	} {
		t.Run(start.Format(time.DateOnly), func(t *testing.T) {
			f := newFixture(t, start)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- f.d.Run(ctx) }()
			// Idle, only the schedules' loop sleeps on the clock.
			settle := func() {
				t.Helper()
				if !f.clk.Settle(1, 20*time.Second) {
					t.Fatalf("%d goroutines sleep on the clock, want the schedules' loop alone", f.clk.Waiters())
				}
			}
			settle()
			// The missed crawls ran at the start. Each jump of the clock
			// wakes the daemon once, which runs every job due, once, as
			// after a suspended machine wakes.
			for day := range 2 {
				digestAt := time.Date(start.Year(), start.Month(), start.Day()+day, 7, 0, 0, 0, tehran)
				f.clk.Set(digestAt)
				waitFor(t, "the jobs due at "+digestAt.String(), func() bool { return f.clk.Waiters() == 1 && idle(f.d) })
				ws, _ := f.windows(t, "newcomer@example.com")
				if len(ws) != day+1 || !ws[day].To.Equal(digestAt) {
					t.Fatalf("newcomer windows %v, want %d ending at %s", ws, day+1, digestAt)
				}
				if day == 1 && !ws[1].From.Equal(ws[0].To) {
					t.Errorf("windows %v do not follow each other", ws)
				}
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v, want nil after a stop", err)
			}
		})
	}
}

// idle reports whether no job of the daemon's is running.
func idle(d *Daemon) bool {
	for _, j := range d.jobs {
		if j.running.Load() {
			return false
		}
	}
	return true
}

// waitFor polls cond every 10 ms until it holds, for at most 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20 s", what)
		}
	}
}

// TestServerTimeouts: the HTTP server cuts off a client that sends or
// reads slowly, or keeps an idle connection open, within half a minute.
func TestServerTimeouts(t *testing.T) {
	srv := newServer(http.NotFoundHandler())
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout, "ReadTimeout": srv.ReadTimeout,
		"WriteTimeout": srv.WriteTimeout, "IdleTimeout": srv.IdleTimeout,
	} {
		if d <= 0 || d > time.Minute {
			t.Errorf("%s = %v, want a bound of at most a minute", name, d)
		}
	}
	if srv.IdleTimeout > 30*time.Second {
		t.Errorf("IdleTimeout = %v: an idle keep-alive connection stays open longer than 30 s", srv.IdleTimeout)
	}
}

// TestOutletsCrawlSideBySide: in one daemon, an outlet whose server hangs
// holds no other back: at the start-up catch-up both are crawled at once,
// and the sample outlets' crawl ends, recorded, while the other still
// waits for its first answer.
func TestOutletsCrawlSideBySide(t *testing.T) {
	outlets, err := sampleoutlets.Start(sampleoutlets.Reference)
	if err != nil {
		t.Fatal(err)
	}
	defer outlets.Close()
	release := make(chan struct{})
	unhang := sync.OnceFunc(func() { close(release) })
	hung := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.NotFound(w, r)
	}))
	defer hung.Close()
	defer unhang()
	yaml := strings.NewReplacer("{ISNA}", hung.URL, "{EGHTESAD24}", outlets.URL("eghtesad24")).Replace(sampleConfig)
	f := newFixtureOf(t, sampleoutlets.Reference, yaml, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.d.catchUp(t.Context(), f.clk.Now())
	}()
	waitFor(t, "eghtesad24's crawl recorded while isna's server hangs", func() bool {
		return !lastCrawls(t, f)["eghtesad24"].IsZero()
	})
	if _, ok := lastCrawls(t, f)["isna"]; ok {
		t.Error("isna's crawl ended before its server answered")
	}
	unhang()
	<-done
}

// TestSearchMergeOnItsSchedule: at search.merge's time the daemon merges
// a search index left in many segments into one, and says so; with
// search.merge empty, it never does.
func TestSearchMergeOnItsSchedule(t *testing.T) {
	start := time.Date(2026, 12, 21, 4, 29, 0, 0, tehran)
	for _, tc := range []struct {
		name, yaml string
		want       int // segments after 04:30
	}{
		{"on schedule", testConfig, 1},
		{"never", testConfig + "search: {merge: \"\"}\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixtureOf(t, start, tc.yaml, nil)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- f.d.Run(ctx) }()
			waitFor(t, "the start-up catch-up", func() bool {
				return strings.Contains(f.logs.String(), `msg="job finished" task=catch-up`) && f.clk.Waiters() == 1 && idle(f.d)
			})
			// One transaction per article: a segment of the index each,
			// until FTS5's automerge takes four of a level into one.
			for i := range 15 {
				a := &model.Article{URL: fmt.Sprintf("https://www.isna.ir/news/14050930%05d/", i), Outlet: "isna",
					Title: fmt.Sprintf("خبر شماره %d درباره گاز", i), Published: start.Add(-time.Duration(i) * time.Hour), Raw: []string{"متن خبر"}}
				if _, err := f.st.UpsertArticle(t.Context(), a, nil); err != nil {
					t.Fatal(err)
				}
				if err := f.st.SaveDerived(t.Context(), []store.Derived{{ID: a.ID, Story: a.URL, Clean: model.Clean{Paragraphs: a.Raw}}}); err != nil {
					t.Fatal(err)
				}
			}
			before, err := f.st.SearchIndexSegments(t.Context())
			if err != nil || before < 2 {
				t.Fatalf("%d segments, %v; want several before the merge", before, err)
			}
			f.clk.Set(start.Add(time.Minute))
			waitFor(t, "the jobs due at 04:30", func() bool { return f.clk.Waiters() == 1 && idle(f.d) })
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v, want nil after a stop", err)
			}
			after, err := f.st.SearchIndexSegments(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			merged := strings.Contains(f.logs.String(), fmt.Sprintf(`task="search merge" duration_s=0 segments_before=%d segments=1`, before))
			if tc.want == 1 && (after != 1 || !merged) {
				t.Errorf("%d segments after 04:30 (from %d), logged %v; want 1, logged", after, before, merged)
			}
			if tc.want == 0 && (after != before || strings.Contains(f.logs.String(), "search merge")) {
				t.Errorf("%d segments after 04:30 (from %d) with search.merge empty; want them left", after, before)
			}
		})
	}
}

// holdingCrawler holds each crawl of outlet until release is closed, and
// counts how many of them run at once at most.
type holdingCrawler struct {
	Crawler
	outlet  string
	release chan struct{}
	mu      *sync.Mutex
	now, at *int // running, and the most at once
}

func (h holdingCrawler) CrawlDue(ctx context.Context, id string, due time.Time) (pipeline.CrawlReport, error) {
	if id == h.outlet {
		h.mu.Lock()
		*h.now++
		*h.at = max(*h.at, *h.now)
		h.mu.Unlock()
		defer func() {
			h.mu.Lock()
			*h.now--
			h.mu.Unlock()
		}()
		select {
		case <-h.release:
		case <-ctx.Done():
		}
	}
	return h.Crawler.CrawlDue(ctx, id, due)
}

// TestCatchUpCrawlIsTheJobsRun: a tick of an outlet's schedule while the
// start-up catch-up still crawls it is skipped, with a warning, rather
// than run beside it; the next tick runs.
func TestCatchUpCrawlIsTheJobsRun(t *testing.T) {
	start := time.Date(2026, 12, 21, 6, 25, 0, 0, tehran)
	var mu sync.Mutex
	var running, most int
	release := make(chan struct{})
	f := newFixtureOf(t, start, testConfig, func(c Crawler) Crawler {
		return holdingCrawler{Crawler: c, outlet: "isna", release: release, mu: &mu, now: &running, at: &most}
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.d.Run(ctx) }()
	waitFor(t, "the catch-up's crawl of isna", func() bool { mu.Lock(); defer mu.Unlock(); return running == 1 })
	f.clk.Set(start.Add(15 * time.Minute)) // 06:40, isna's next crawl
	waitFor(t, "the 06:40 tick", func() bool {
		return strings.Contains(f.logs.String(), `msg="skipped: the previous run of this job is still running" task="crawl isna"`)
	})
	close(release)
	waitFor(t, "the catch-up", func() bool {
		return strings.Contains(f.logs.String(), `msg="job finished" task=catch-up`) && f.clk.Waiters() == 1 && idle(f.d)
	})
	f.clk.Set(start.Add(35 * time.Minute)) // 07:00
	waitFor(t, "the 07:00 jobs", func() bool { return f.clk.Waiters() == 1 && idle(f.d) })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil after a stop", err)
	}
	if most != 1 {
		t.Errorf("%d crawls of isna ran at once, want 1", most)
	}
	if n := strings.Count(f.logs.String(), `task=crawl outlet=isna`); n < 2 {
		t.Errorf("isna was crawled %d times, want the catch-up's then 07:00's:\n%s", n, f.logs.String())
	}
}
