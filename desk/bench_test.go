package desk

import (
	"context"
	"flag"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"mediadigest/clock"
	"mediadigest/config"
	"mediadigest/digest"
	"mediadigest/internal/corpus"
	"mediadigest/persian"
	"mediadigest/pipeline"
	"mediadigest/scrape"
	"mediadigest/store"
	"mediadigest/stories"
	"mediadigest/subscription"
	"mediadigest/web"
)

var (
	benchN     = flag.Int("desk.n", 20000, "articles stored over the 30 days before BenchmarkToday's clock")
	benchStore = flag.String("desk.store", "", "keep BenchmarkToday's store in `FILE`, and reuse it when it exists")
)

// benchNow is the clock of the benchmarks: 15:00 in Tehran, the last
// stored article published a moment before.
var benchNow = time.Date(2026, 11, 27, 15, 0, 0, 0, evening.Location())

// BenchmarkToday renders / for a subscriber of every topic, as a browser
// asks for it, over -desk.n articles of the generated corpus published in
// the 30 days before: the day's stories so far (2/3 of a day of
// -desk.n/30 articles) and the charts of 30 days. The target is 100 ms
// (docs/desk.md).
func BenchmarkToday(b *testing.B) {
	cfg, st := benchStoreFile(b)
	clk := clock.NewFake(benchNow)
	log := slog.New(slog.DiscardHandler)
	subs := subscription.NewManager(cfg, st, subscription.Options{Clock: clk, Logger: log})
	if err := subs.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	site, err := web.NewSite(cfg, web.Options{Clock: clk, Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	d, err := New(site, st, stories.New(st, cfg.Cleaning.StoryWindow.D()), subs, engineOf(cfg, st), Options{Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	sameStories(b, d, st, cfg)
	mux := http.NewServeMux()
	site.Routes(mux)
	d.Routes(mux)
	h := web.Secure(mux)
	session := signedIn(b, h, site)

	var body string
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(session)
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatalf("/: %d\n%s", rec.Code, rec.Body)
		}
		body = rec.Body.String()
	}
	b.StopTimer()
	if n := strings.Count(body, `<li class="card">`); n == 0 {
		b.Fatalf("/ shows no story:\n%.2000s", body)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/page")
}

// sameStories fails b unless the desk's stories of the day are those the
// digest reads (TestDayReadsWholeStories, on the corpus).
func sameStories(b *testing.B, d *Desk, st *store.Store, cfg *config.Config) {
	win := digest.DayWindow(benchNow, cfg.Location)
	want, err := stories.New(st, cfg.Cleaning.StoryWindow.D()).Window(context.Background(), win)
	if err != nil {
		b.Fatal(err)
	}
	got, err := d.day.Window(context.Background(), win)
	if err != nil {
		b.Fatal(err)
	}
	if storyLines(got) != storyLines(want) {
		b.Fatalf("the desk's stories of the day (%d) differ from the digest's (%d)", len(got), len(want))
	}
	b.Logf("%d stories today, of %d articles in 30 days", len(got), *benchN)
}

// signedIn returns the session cookie the sign-in link of the config's
// first subscriber sets.
func signedIn(b *testing.B, h http.Handler, site *web.Site) *http.Cookie {
	link, err := site.LoginURL("analyst@example.com")
	if err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, link, nil))
	for _, c := range rec.Result().Cookies() {
		if c.Name == web.SessionCookie {
			return c
		}
	}
	b.Fatalf("the sign-in link set no session: %d", rec.Code)
	return nil
}

// benchStoreFile opens the benchmark's store, filling it first when it
// is new.
func benchStoreFile(b *testing.B) (*config.Config, *store.Store) {
	ctx := context.Background()
	dir := b.TempDir()
	db := *benchStore
	if db == "" {
		db = filepath.Join(dir, "desk.db")
	}
	cfg, err := demoConfig(dir, "https://www.isna.ir", "https://eghtesaad24.ir", db)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(db); err != nil {
		start := time.Now()
		fillStore(ctx, b, cfg, *benchN)
		b.Logf("stored and derived %d articles in %s", *benchN, time.Since(start).Round(time.Second))
	}
	st, err := store.Open(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return cfg, st
}

// fillStore stores n articles of the generated corpus as a crawl would,
// extracted from their pages with the outlets' profiles, but published
// over the 30 days before benchNow instead of the corpus's 400 a day, then
// derives their views (clean, topics, stories) as the pipeline does.
func fillStore(ctx context.Context, b *testing.B, cfg *config.Config, n int) {
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	p, err := pipeline.New(cfg, st, pipeline.Options{Logger: slog.New(slog.DiscardHandler), Clock: clock.NewFake(benchNow)})
	if err != nil {
		b.Fatal(err)
	}
	c := corpus.Generate(n, 1)
	first := c.Page(0).Published
	span, orig := 30*24*time.Hour, time.Duration(n)*24*time.Hour/corpus.PerDay
	start := benchNow.Add(-span)
	for i := range n {
		pg := c.Page(i)
		o, err := p.Outlet(pg.Outlet)
		if err != nil {
			b.Fatal(err)
		}
		a, err := scrape.Extract(o.Profile, pg.URL, pg.HTML)
		if err != nil {
			b.Fatal(err)
		}
		if canon, ok := scrape.Canonical(o, a.URL); ok {
			a.URL = canon
		}
		a.Outlet = pg.Outlet
		a.Published = start.Add(time.Duration(float64(pg.Published.Sub(first)) * float64(span) / float64(orig))).UTC()
		a.FirstSeen = a.Published.Add(5 * time.Minute)
		keys := make([]string, 0, len(a.Raw))
		for _, r := range a.Raw {
			if k := persian.Key(r); k != "" {
				keys = append(keys, k)
			}
		}
		if _, err := st.UpsertArticle(ctx, &a, keys); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := p.Process(ctx); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the CPU time this process has used, user and system: what
// the wall time says on an idle machine, and still does on a busy one.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
