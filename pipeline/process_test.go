package pipeline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"mediadigest/config"
	"mediadigest/internal/corpus"
	"mediadigest/jalali"
	"mediadigest/scrape"
	"mediadigest/store"
)

type noProgress struct{}

func (noProgress) Start(int)                           {}
func (noProgress) Day(jalali.Date, scrape.Stats, bool) {}
func (noProgress) Done()                               {}

// TestIncrementalProcess: after a full pass, a day of new articles is
// derived from its first article on, with the story index warmed from the
// store, and the views are exactly those of a full pass; nothing new is
// nothing to do; an edit means a full pass.
func TestIncrementalProcess(t *testing.T) {
	ctx := context.Background()
	c := corpus.Generate(2*corpus.PerDay, 5)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	cfg, err := config.Demo(srv.URL, srv.URL, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// A window short enough for the second day's stories to reach into
	// the first one's last hours, and no learned lines, which would
	// change with the new day and ask for a full pass.
	cfg.Cleaning.StoryWindow = config.Duration(8 * time.Hour)
	cfg.Cleaning.LearnMinArticles = 1000
	st := testStore(t, cfg)
	p, err := New(cfg, st, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}

	// Day one by backfill; its Process is the pipeline's first: full.
	first, last := c.Days()
	for _, id := range cfg.OutletIDs() {
		if _, err := p.Backfill(ctx, id, first, first, noProgress{}); err != nil {
			t.Fatal(err)
		}
	}
	// Day two straight into the store, as a crawl stores it.
	added, copies := 0, 0
	for i := range c.Len() {
		pg := c.Page(i)
		if jalali.Of(pg.Published.In(c.Location())) != last {
			continue
		}
		crawled(t, p, pg)
		added++
		if pg.CopyOf >= 0 && jalali.Of(c.Page(pg.CopyOf).Published.In(c.Location())) == first {
			copies++ // a story the warmed index must know
		}
	}
	if added == 0 || copies == 0 {
		t.Fatalf("day two has %d articles, %d of them copies of day one's: the test needs both", added, copies)
	}

	rep, err := p.Process(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Full || rep.Articles < added || rep.Articles >= c.Len() {
		t.Errorf("Process after a new day: full %v, %d articles; want a partial pass over at least the %d new of %d",
			rep.Full, rep.Articles, added, c.Len())
	}
	incremental := views(t, st)

	// A new pipeline starts with a full pass: it must find nothing to
	// change.
	q, err := New(cfg, st, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := q.Process(ctx); err != nil || !rep.Full || rep.Articles != c.Len() {
		t.Fatalf("a new pipeline's Process: %+v, %v; want a full pass over %d", rep, err, c.Len())
	}
	full := views(t, st)
	if len(full) != c.Len() {
		t.Fatalf("%d views, want %d", len(full), c.Len())
	}
	for url, v := range full {
		if incremental[url] != v {
			t.Errorf("%s: the partial pass gave\n%s\nthe full one\n%s", url, incremental[url], v)
		}
	}

	if rep, err := p.Process(ctx); err != nil || rep.Full || rep.Articles != 0 {
		t.Errorf("Process with nothing new: %+v, %v; want nothing done", rep, err)
	}

	// An edit may move an article in time: a full pass.
	arts, err := st.Articles(ctx, store.ArticleQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	edited := arts[0]
	edited.Title += " (ویرایش شده)"
	if _, err := st.UpsertArticle(ctx, &edited, nil); err != nil {
		t.Fatal(err)
	}
	if rep, err := p.Process(ctx); err != nil || !rep.Full {
		t.Errorf("Process after an edit: %+v, %v; want a full pass", rep, err)
	}
	if got := views(t, st); !maps.Equal(got, full) {
		t.Error("a full pass after an edit of the title changed the derived views")
	}
}

// crawled stores a corpus page as a crawl stores it: extracted, with its
// raw page, its views left to the next pass.
func crawled(t *testing.T, p *Pipeline, pg corpus.Page) {
	t.Helper()
	a, err := scrape.Extract(p.outlets[pg.Outlet].Profile, pg.URL, pg.HTML)
	if err != nil {
		t.Fatal(err)
	}
	a.Outlet = pg.Outlet
	if _, err := p.sink(t.Context(), scrape.Page{Article: a, Body: pg.HTML, Fetched: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// views returns the derived view of every stored article, by URL.
func views(t *testing.T, st *store.Store) map[string]string {
	t.Helper()
	arts, err := st.Articles(context.Background(), store.ArticleQuery{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range arts {
		clean, err := json.Marshal(a.Clean)
		if err != nil {
			t.Fatal(err)
		}
		out[a.URL] = fmt.Sprintf("%s %q %s", a.Story, a.Topics, clean)
	}
	return out
}

// TestShutdownLeavesViewsToNextPass: a crawl stopped by a shutdown does
// not hold it up with a pass over the store; what it stored is derived by
// the next pass.
func TestShutdownLeavesViewsToNextPass(t *testing.T) {
	c := corpus.Generate(corpus.PerDay/4, 7)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	cfg, err := config.Demo(srv.URL, srv.URL, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := testStore(t, cfg)
	p, err := New(cfg, st, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Len() {
		crawled(t, p, c.Page(i))
	}
	stopped, stop := context.WithCancel(t.Context())
	stop()
	if rep, err := p.derive(stopped); err != nil || rep.Articles != 0 {
		t.Fatalf("derive after the shutdown: %+v, %v; want nothing done and no error", rep, err)
	}
	if _, err := p.Process(stopped); !errors.Is(err, context.Canceled) {
		t.Errorf("Process with its context cancelled: %v, want it to stop with context.Canceled", err)
	}
	ch, err := st.Changes(t.Context(), time.Now())
	if err != nil || !ch.Found {
		t.Fatalf("changes %+v, %v: the stored articles should wait underived", ch, err)
	}
	if rep, err := p.Process(t.Context()); err != nil || rep.Articles != c.Len() {
		t.Errorf("the next pass: %+v, %v; want all %d articles derived", rep, err, c.Len())
	}
	arts, err := st.Articles(t.Context(), store.ArticleQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		if a.Story == "" || a.Clean.Paragraphs == nil {
			t.Fatalf("%s has no derived view after the next pass", a.URL)
		}
	}
}

// TestPanicOnOneArticle: a bug that panics on some articles leaves them
// underived, logged with their URL, and the pass derives the others,
// instead of ending the process (the pass runs in goroutines that the
// daemon's job recovery does not reach) or stopping every later pass at
// the same article.
func TestPanicOnOneArticle(t *testing.T) {
	p, _ := lateArrivals(t)
	var logs strings.Builder
	p.log = slog.New(slog.NewTextHandler(&logs, nil))
	r := p.rules["isna"]
	r.Datelines = append(r.Datelines, nil) // a nil pattern panics when matched
	p.rules["isna"] = r
	p.derived.done = false // a full pass
	rep, err := p.Process(t.Context())
	if err != nil || rep.Failed != 3 || rep.Articles != 1 {
		t.Errorf("Process: %+v, %v; want the 3 ISNA articles failed and Eghtesad24's derived", rep, err)
	}
	if !strings.Contains(logs.String(), `msg="article left underived" url=https://www.isna.ir/news/`) || !strings.Contains(logs.String(), "panicked") {
		t.Errorf("the log does not name the article that panicked:\n%s", logs.String())
	}
}

// TestSmallStoreFullPass: when the story windows a partial pass would warm
// from reach back past the first article, the pass is a full one, which
// costs less than warming from the whole store.
func TestSmallStoreFullPass(t *testing.T) {
	c := corpus.Generate(2*corpus.PerDay, 5) // two days, under the default 72-hour story window
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	cfg, err := config.Demo(srv.URL, srv.URL, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Cleaning.LearnMinArticles = 1000 // learned lines would change, and ask for a full pass anyway
	st := testStore(t, cfg)
	p, err := New(cfg, st, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	first, last := c.Days()
	for _, id := range cfg.OutletIDs() {
		if _, err := p.Backfill(t.Context(), id, first, first, noProgress{}); err != nil {
			t.Fatal(err)
		}
	}
	added := 0
	for i := range c.Len() {
		pg := c.Page(i)
		if jalali.Of(pg.Published.In(c.Location())) != last {
			continue
		}
		crawled(t, p, pg)
		added++
	}
	rep, err := p.Process(t.Context())
	if err != nil || !rep.Full || rep.Articles != c.Len() || added == 0 {
		t.Errorf("Process after a second day in a two-day store: %+v, %v; want a full pass over all %d", rep, err, c.Len())
	}
}

// TestMergeSearchIndexHoldsThePasses: the search merge runs while no pass
// over the derived views does, and holds them off until it ends (an
// article a pass indexed meanwhile would start FTS5's merge over). Another
// connection holds the store's write lock so that the merge is seen
// waiting for it.
func TestMergeSearchIndexHoldsThePasses(t *testing.T) {
	p, _ := lateArrivals(t)
	other, err := sql.Open("sqlite", p.cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	merged := make(chan error, 1)
	go func() { merged <- p.MergeSearchIndex(t.Context()) }()
	held := false
	for deadline := time.Now().Add(4 * time.Second); !held && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if p.derived.mu.TryLock() {
			p.derived.mu.Unlock()
		} else {
			held = true
		}
	}
	if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := <-merged; err != nil {
		t.Fatal(err)
	}
	if !held {
		t.Error("the merge never held the passes off while it waited to write")
	}
	if !p.derived.mu.TryLock() {
		t.Fatal("the passes are still held off after the merge")
	}
	p.derived.mu.Unlock()
}
