package main

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mediadigest/config"
	"mediadigest/delivery"
	"mediadigest/health"
	"mediadigest/model"
	"mediadigest/store"
	"mediadigest/store/storetest"
	"mediadigest/stories"
)

// sampleArticles is how many articles the sample outlets publish, and
// feedArticles how many of them their feeds list (the others are in the
// archives only, which serve does not walk).
const sampleArticles, feedArticles = 36, 24

// clusterLease is cluster.lease in the test: short, so that a killed
// daemon's work is taken over within seconds.
const clusterLease = 3 * time.Second

// clusterFixture is serveFixture's config on a PostgreSQL store of its own.
func clusterFixture(t *testing.T) (f *serveFixture, dsn string) {
	t.Helper()
	f = newServeFixture(t)
	dsn = storetest.Postgres(t)
	cfg, err := os.ReadFile(f.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg = regexp.MustCompile(`(?m)^store: .*$`).ReplaceAll(cfg, []byte(fmt.Sprintf("store: %q", dsn)))
	cfg = fmt.Appendf(cfg, "cluster: {lease: %s}\n", clusterLease)
	if err := os.WriteFile(f.config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	return f, dsn
}

// clusterHealth is the part of /healthz about the daemons sharing a store.
type clusterHealth struct {
	Problems []string `json:"problems"`
	Outlets  []struct {
		Outlet      string     `json:"outlet"`
		LastSuccess *time.Time `json:"last_success"`
	} `json:"outlets"`
	Leases    []health.Lease   `json:"leases"`
	Processes []health.Process `json:"processes"`
}

// healthOf reads /healthz, whatever its status.
func healthOf(t *testing.T, p *serveProc) (clusterHealth, bool) {
	var h clusterHealth
	_, body := get(t, "http://"+p.addr+"/healthz")
	return h, json.Unmarshal(body, &h) == nil
}

// TestClusterSharesTheWork runs three daemons on one PostgreSQL database
// and kills one of them half way: every article is stored once, crawls of
// one outlet never overlap, every digest is delivered once, the two
// survivors carry on with the dead one's work, and /healthz calls it dead.
func TestClusterSharesTheWork(t *testing.T) {
	f, dsn := clusterFixture(t)
	var procs []*serveProc
	for range 3 {
		procs = append(procs, startServe(t, f.config, f.clock))
	}
	start := f.clock.Now()
	waitFor(t, 30*time.Second, "three registered daemons and both outlets crawled", func() bool {
		h, ok := healthOf(t, procs[0])
		return ok && len(h.Processes) == 3 && crawled(t, procs[0], start)
	})
	f.digestAt(t, hour(11), 2, dsn)

	// Kill one daemon between two schedules, then let the clock run to
	// the next crawls and the next digest.
	procs[0].stop(t, syscall.SIGKILL, -1)
	crawlAt := hour(11).Add(20 * time.Minute)
	f.clock.Set(crawlAt)
	// A survivor's run that began before the clock moved may still be
	// running at 11:20, and a daemon skips the tick of a job whose
	// previous run is still running: the survivors then crawl at the next
	// tick, 11:40, which the clock reaches if 11:20 brought no crawl.
	nudge := time.Now().Add(10 * time.Second)
	waitFor(t, 40*time.Second, "both outlets crawled by the survivors after the kill", func() bool {
		if time.Now().After(nudge) && f.clock.Now().Before(crawlAt.Add(20*time.Minute)) {
			f.clock.Set(crawlAt.Add(20 * time.Minute))
		}
		return crawled(t, procs[1], crawlAt)
	})
	f.digestAt(t, hour(12), 4, dsn)
	h, _ := healthOf(t, procs[2])
	dead := false
	for _, p := range h.Processes {
		if p.PID == procs[0].cmd.Process.Pid {
			dead = !p.Alive
		}
	}
	if !dead {
		t.Errorf("/healthz of a survivor does not call the killed daemon dead: %+v", h)
	}
	for _, p := range procs[1:] {
		p.stop(t, syscall.SIGTERM, 0)
	}
	crawlers := 0
	for _, p := range procs {
		if strings.Contains(p.log.String(), `"msg":"job finished","task":"crawl"`) {
			crawlers++
		}
	}
	if crawlers < 2 {
		t.Errorf("%d of the daemons crawled; want the work shared by at least two", crawlers)
	}

	checkDelivered(t, dsn, f.smtp.messages(t), 2)
	st, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, err := st.CountArticles(t.Context()); err != nil || n != feedArticles {
		t.Errorf("%d articles stored, %v; want the %d of the sample feeds", n, err, feedArticles)
	}
	checkCrawlsDoNotOverlap(t, dsn)
}

// checkCrawlsDoNotOverlap reads the crawl runs: of one outlet, each must
// start after the previous one finished, whichever daemon ran them, and
// the new articles they found must add up to the articles stored.
func checkCrawlsDoNotOverlap(t *testing.T, dsn string) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), "SELECT outlet, started, finished, new FROM crawl_runs ORDER BY outlet, started")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var prevOutlet, prevFinished string
	runs, found := 0, 0
	for rows.Next() {
		var outlet, started, finished string
		var n int
		if err := rows.Scan(&outlet, &started, &finished, &n); err != nil {
			t.Fatal(err)
		}
		if outlet == prevOutlet && started < prevFinished {
			t.Errorf("%s: a crawl started at %s, before the previous one finished at %s", outlet, started, prevFinished)
		}
		prevOutlet, prevFinished = outlet, finished
		runs++
		found += n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if found != feedArticles {
		t.Errorf("%d crawl runs found %d new articles in all, want %d: an article was found new twice, or never", runs, found, feedArticles)
	}
}

// TestServeOnPostgresTakesNoFileLock: the one-daemon-per-store lock is for
// SQLite files; on PostgreSQL a second daemon starts and registers.
func TestServeOnPostgresTakesNoFileLock(t *testing.T) {
	f, _ := clusterFixture(t)
	a, b := startServe(t, f.config, f.clock), startServe(t, f.config, f.clock)
	waitFor(t, 20*time.Second, "both daemons registered", func() bool {
		h, ok := healthOf(t, b)
		return ok && len(h.Processes) == 2
	})
	for _, p := range []*serveProc{a, b} {
		p.stop(t, syscall.SIGTERM, 0)
	}
	if entries, err := filepath.Glob(filepath.Join(f.dir, "*.lock")); err != nil || len(entries) != 0 {
		t.Errorf("lock files %v, %v; want none", entries, err)
	}
}

func TestMigrateSQLiteToPostgres(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), testClock(), []string{"demo", "-out", dir}, &out, &errOut); code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, errOut.String())
	}
	dsn := storetest.Postgres(t)
	migrate := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), testClock(), append([]string{"migrate", "-from", "sqlite:" + filepath.Join(dir, "demo.db"), "-to", dsn}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	code, stdout, stderr := migrate()
	if code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, stderr)
	}
	counts := regexp.MustCompile(`(?m)^\s*(\w+)\s+(\d+)\s+(\d+)\s*$`).FindAllStringSubmatch(stdout, -1)
	tables := map[string]string{} // table → source rows
	for _, c := range counts {
		tables[c[1]] = c[2]
		if c[2] != c[3] {
			t.Errorf("table %s: %s rows in the source, %s in the target", c[1], c[2], c[3])
		}
	}
	for _, want := range []string{"articles", "article_titles", "paragraph_hashes", "raw_pages", "feed_state", "crawl_runs", "outbox"} {
		if tables[want] == "" || tables[want] == "0" {
			t.Errorf("migrate printed no rows copied for %s:\n%s", want, stdout)
		}
	}
	if tables["articles"] != fmt.Sprint(sampleArticles) {
		t.Errorf("migrate copied %s articles, want the %d of the demo:\n%s", tables["articles"], sampleArticles, stdout)
	}

	if code, _, stderr := migrate(); code != 1 || !strings.Contains(stderr, "-force") {
		t.Errorf("migrate into a non-empty store: exit %d, stderr %q; want 1 and a hint at -force", code, stderr)
	}
	if code, _, stderr := migrate("-force"); code != 0 {
		t.Errorf("migrate -force: exit %d\n%s", code, stderr)
	}

	// A misspelt source, or an empty one, never replaces the target.
	for _, from := range []string{filepath.Join(dir, "demo-typo.db"), filepath.Join(t.TempDir(), "empty.db")} {
		if strings.HasSuffix(from, "empty.db") {
			s, err := store.Open(t.Context(), from)
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
		}
		var out, errOut bytes.Buffer
		code := run(context.Background(), testClock(), []string{"migrate", "-from", "sqlite:" + from, "-to", dsn, "-force"}, &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), "source") {
			t.Errorf("migrate -from %s -force: exit %d, stderr %q; want 1 and the source named", from, code, errOut.String())
		}
		if _, err := os.Stat(filepath.Join(dir, "demo-typo.db")); err == nil {
			t.Error("migrate created the misspelt source file")
		}
	}
	dst, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if n, err := dst.CountArticles(t.Context()); err != nil || n != sampleArticles {
		t.Errorf("target holds %d articles, %v after the refused copies; want %d", n, err, sampleArticles)
	}
}

// TestDeliverersShareTheOutbox has the delivery managers of two
// processes, each with its own connection pool and holder name, send 20
// queued digests at once: each reaches the SMTP server once.
func TestDeliverersShareTheOutbox(t *testing.T) {
	f, _ := clusterFixture(t)
	cfg, err := config.Load(f.config)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	var managers []*delivery.Manager
	var first *store.Store
	for _, holder := range []string{"host-a:1", "host-b:2"} {
		st, err := store.Open(t.Context(), cfg.Store)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		first = cmp.Or(first, st)
		m, err := delivery.New(cfg, st, stories.New(st, cfg.Cleaning.StoryWindow.D()), delivery.ConfigAudience(cfg),
			delivery.Options{Clock: f.clock, Logger: log, Holder: holder, Batch: 3}) // several rounds each, interleaved
		if err != nil {
			t.Fatal(err)
		}
		managers = append(managers, m)
	}
	const digests = 20
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, cfg.Location)
	for i := range digests {
		win := model.Window{From: day.AddDate(0, 0, i), To: day.AddDate(0, 0, i+1)}
		enqueue(t, first, cfg.Subscribers[i%2].Email, win, f.clock.Now())
	}
	var wg sync.WaitGroup
	sent := make([]int, len(managers))
	for i, m := range managers {
		wg.Go(func() {
			rep, err := m.Send(t.Context())
			if err != nil {
				t.Error(err)
			}
			sent[i] = rep.Sent
		})
	}
	wg.Wait()
	ids := map[string]int{}
	for _, m := range f.smtp.messages(t) {
		ids[m.Header.Get("Message-Id")]++
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	if len(ids) != digests || sent[0]+sent[1] != digests {
		t.Errorf("%d distinct digests at the server, managers sent %v; want %d in all", len(ids), sent, digests)
	}
}

// TestBackfillsShareTheDays runs three backfills of both sample outlets'
// days at once, each in its own process, on one PostgreSQL database: each
// day is backfilled by one of them, every article stored once, and the
// derived views computed over all of them.
func TestBackfillsShareTheDays(t *testing.T) {
	f, dsn := clusterFixture(t)
	type result struct {
		code           int
		stdout, stderr string
	}
	results := make(chan result)
	for range 3 {
		go func() {
			var r result
			r.code, r.stdout, r.stderr = runMain(t, &tripwire{ready: make(chan struct{})}, f.clock, "backfill", "-config", f.config,
				"-outlet", "isna", "-from", "1405/09/04", "-to", "1405/09/05")
			results <- r
		}()
	}
	for range 3 {
		if r := <-results; r.code != 0 {
			t.Errorf("backfill exited %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	}
	st, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, day := range []string{"1405/09/04", "1405/09/05"} {
		if done, err := st.DayDone(t.Context(), "isna", day); err != nil || !done {
			t.Errorf("day %s done = %v, %v; want done", day, done, err)
		}
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var runs int
	if err := db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM crawl_runs WHERE outlet = 'isna'").Scan(&runs); err != nil || runs != 2 {
		t.Errorf("isna backfilled in %d runs (%v), want one a day: 2", runs, err)
	}
	articles, err := st.Articles(t.Context(), store.ArticleQuery{})
	if err != nil {
		t.Fatal(err)
	}
	urls := map[string]bool{}
	for _, a := range articles {
		if a.Outlet != "isna" {
			continue
		}
		urls[a.URL] = true
		if a.Story == "" {
			t.Errorf("%s has no story: the derived views were not recomputed after the last day", a.URL)
		}
	}
	if len(urls) != sampleArticles/2 {
		t.Errorf("%d ISNA articles stored, want %d", len(urls), sampleArticles/2)
	}
}
