package pipeline_test

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"mediadigest/config"
	"mediadigest/dedupe"
	"mediadigest/internal/corpus"
	"mediadigest/jalali"
	"mediadigest/model"
	"mediadigest/pipeline"
	"mediadigest/scrape"
	"mediadigest/store"
)

var (
	backfillN = flag.Int("backfill.n", 2000, "articles BenchmarkBackfill stores per op")
	processN  = flag.Int("process.n", 10000, "articles stored before BenchmarkProcessIncremental")
)

// BenchmarkProcessIncremental compares, over -process.n stored articles,
// the pass over the derived views that follows a crawl once the process
// has made its first, full, pass (the corpus's last day, 400 articles,
// stored since, without views) with a full pass over the same store. The learned lines
// are held fixed (no line is learned): in the corpus the last day adds
// some, and a change of learned lines makes any pass a full one.
func BenchmarkProcessIncremental(b *testing.B) {
	c := corpus.Generate(*processN, 1)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	ctx := context.Background()
	first, last := c.Days()
	var incremental, full time.Duration
	for b.Loop() {
		b.StopTimer()
		cfg, err := config.Demo(srv.URL, srv.URL, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		cfg.Cleaning.LearnMinArticles = 1 << 20
		st, err := store.Open(ctx, cfg.Store)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		newPipeline := func() *pipeline.Pipeline {
			q, err := pipeline.New(cfg, st, pipeline.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			return q
		}
		p := newPipeline()
		// p's backfill ends with its first pass, a full one; the last
		// day is then stored underived, as a crawl stores it before its
		// pass.
		for _, id := range []string{corpus.ISNA, corpus.Eghtesad24} {
			if _, err := p.Backfill(ctx, id, first, last.AddDays(-1), quiet{}); err != nil {
				b.Fatal(err)
			}
		}
		for i := range c.Len() {
			pg := c.Page(i)
			if jalali.Of(pg.Published.In(c.Location())) != last {
				continue
			}
			a, err := scrape.Extract(cfg.Profiles[pg.Outlet], pg.URL, pg.HTML)
			if err != nil {
				b.Fatal(err)
			}
			a.Outlet = pg.Outlet
			if _, err := st.SavePage(ctx, &a, nil, &store.RawPage{Body: pg.HTML, Fetched: time.Now()}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		rep, err := p.Process(ctx)
		if err != nil || rep.Full {
			b.Fatalf("Process after a new day: %+v, %v; want a partial pass", rep, err)
		}
		incremental += time.Since(start)
		start = time.Now()
		if rep, err := newPipeline().Process(ctx); err != nil || !rep.Full {
			b.Fatalf("a new pipeline's Process: %+v, %v; want a full pass", rep, err)
		}
		full += time.Since(start)
	}
	b.ReportMetric(incremental.Seconds()/float64(b.N), "s/incremental-pass")
	b.ReportMetric(full.Seconds()/float64(b.N), "s/full-pass")
}

// BenchmarkBackfill runs the whole pipeline over -backfill.n generated
// articles served on loopback, as two backfill commands would: archive
// pages, fetch, extract, store, then learn, clean, classify and group
// everything stored.
func BenchmarkBackfill(b *testing.B) {
	c := corpus.Generate(*backfillN, 1)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	for b.Loop() {
		b.StopTimer()
		p, st, _ := open(b, srv.URL, b.TempDir(), 0, 0)
		b.StartTimer()
		backfill(b, p, st, c)
	}
	b.ReportMetric(float64(b.N*c.Len())/b.Elapsed().Seconds(), "articles/s")
}

// TestStreamedProcess checks the fast path of the derived-views pass
// against the plain one, on a corpus three times as long as the story
// window (shortened to 8 hours): Process, which streams the store and
// forgets what is a window old, against one story index fed every article
// at once.
func TestStreamedProcess(t *testing.T) {
	const window = 8 * time.Hour
	c := corpus.Generate(corpus.PerDay+50, 2)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	p, st, cfg := open(t, srv.URL, t.TempDir(), 12, window)
	backfill(t, p, st, c)
	ctx := context.Background()

	t.Run("process", func(t *testing.T) {
		arts, err := st.Articles(ctx, store.ArticleQuery{})
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]string{}
		for _, a := range arts {
			stored[a.URL] = a.Story
		}
		// Process orders articles of equal time by URL in Go's byte order.
		slices.SortStableFunc(arts, func(a, b model.Article) int {
			return cmp.Or(a.Published.Compare(b.Published), strings.Compare(a.URL, b.URL))
		})
		stories := map[string]bool{}
		ix := dedupe.NewIndex(dedupe.IndexOptions{Window: window})
		for _, a := range arts { // in published order, as Process adds them
			story := ix.Add(dedupe.Doc{ID: a.URL, Published: a.Published, Paragraphs: dedupe.DocText(&a)})
			stories[story] = true
			if stored[a.URL] != story {
				t.Errorf("%s: Process put it in story %s, one index over everything in %s", a.URL, stored[a.URL], story)
			}
		}
		// A new pipeline's first Process goes over everything.
		q, err := pipeline.New(cfg, st, pipeline.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := q.Process(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Full || rep.Articles != c.Len() || rep.Stories != len(stories) {
			t.Errorf("Process again: full %v, %d articles, %d stories; want a full pass, %d, %d", rep.Full, rep.Articles, rep.Stories, c.Len(), len(stories))
		}
		// The corpus's copies are light edits, one story each with their
		// original; its originals share at most a sentence by chance.
		byPath := map[string]string{}
		for _, a := range arts {
			byPath[urlPath(a.URL)] = a.Story
		}
		copies, joined := 0, 0
		originals := map[string]int{} // story → original articles in it
		for i := range c.Len() {
			pg := c.Page(i)
			if pg.CopyOf < 0 {
				originals[byPath[urlPath(pg.URL)]]++
				continue
			}
			copies++
			if byPath[urlPath(pg.URL)] == byPath[urlPath(c.Page(pg.CopyOf).URL)] {
				joined++
			}
		}
		if copies == 0 || joined != copies {
			t.Errorf("%d of %d republished copies share their original's story, want all", joined, copies)
		}
		for s, n := range originals {
			if n > 1 {
				t.Errorf("story %s holds %d unrelated originals", s, n)
			}
		}
	})
}

// open builds a pipeline of the demo config (delay 0, parallelism 4) with
// n generated subscribers (the demo's two when n is 0) and the story
// window given (the default when 0) over a new store in dir, both outlets
// served at base.
func open(tb testing.TB, base, dir string, n int, window time.Duration) (*pipeline.Pipeline, *store.Store, *config.Config) {
	tb.Helper()
	cfg, err := config.Demo(base, base, dir)
	if err != nil {
		tb.Fatal(err)
	}
	if window > 0 {
		cfg.Cleaning.StoryWindow = config.Duration(window)
	}
	if n > 0 {
		cfg.Subscribers = make([]config.Subscriber, n)
		for i := range cfg.Subscribers {
			s := &cfg.Subscribers[i]
			s.Email = fmt.Sprintf("reader%03d@example.com", i)
			// A third want everything, the others one or two topics.
			switch t := cfg.Topics; i % 3 {
			case 1:
				s.Topics = []string{t[i%len(t)].ID}
			case 2:
				s.Topics = []string{t[i%len(t)].ID, t[(i+1)%len(t)].ID}
			}
		}
	}
	st, err := store.Open(context.Background(), cfg.Store)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	p, err := pipeline.New(cfg, st, pipeline.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	return p, st, cfg
}

// backfill stores the whole corpus served at base, as two backfill
// commands would, and checks that every article arrived.
func backfill(tb testing.TB, p *pipeline.Pipeline, st *store.Store, c *corpus.Corpus) {
	tb.Helper()
	ctx := context.Background()
	first, last := c.Days()
	for _, id := range []string{corpus.ISNA, corpus.Eghtesad24} {
		if _, err := p.Backfill(ctx, id, first, last, quiet{}); err != nil {
			tb.Fatalf("backfill %s: %v", id, err)
		}
	}
	if n, err := st.CountArticles(ctx); err != nil || n != c.Len() {
		tb.Fatalf("%d articles stored (%v), want %d", n, err, c.Len())
	}
}

func urlPath(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	return p.Path
}

type quiet struct{}

func (quiet) Start(int)                           {}
func (quiet) Day(jalali.Date, scrape.Stats, bool) {}
func (quiet) Done()                               {}
