package desk

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mediadigest/clock"
	"mediadigest/config"
	"mediadigest/jalali"
	"mediadigest/model"
	"mediadigest/pipeline"
	"mediadigest/sampleoutlets"
	"mediadigest/scrape"
	"mediadigest/search"
	"mediadigest/store"
	"mediadigest/store/storetest"
	"mediadigest/stories"
	"mediadigest/subscription"
	"mediadigest/web"
)

// evening is the desk's clock in the tests: 22:00 in Tehran on the later
// day of the sample outlets (1405/09/05, 2026-11-26), whose stories are
// then today's.
var evening = time.Date(2026, 11, 26, 22, 0, 0, 0, sampleoutlets.Reference.Location())

// fixture is the desk over a store of the sample outlets' two days, as
// the demo gathers them, on loopback.
type fixture struct {
	cfg  *config.Config
	st   *store.Store
	clk  *clock.Fake // the desk's
	subs *subscription.Manager
	desk *Desk
	srv  *httptest.Server
}

// sampleStore is the SQLite store of the sample outlets the tests share:
// the pages never write to it. It is gathered once per test binary.
var sampleStore struct {
	once sync.Once
	dir  string
	err  error
}

// sqliteFixture is the desk over a copy of the shared SQLite store of the
// sample outlets.
func sqliteFixture(t testing.TB) *fixture {
	t.Helper()
	sampleStore.once.Do(func() {
		if sampleStore.dir, sampleStore.err = os.MkdirTemp("", "desk-test-"); sampleStore.err == nil {
			sampleStore.err = gather(filepath.Join(sampleStore.dir, "demo.db"))
		}
	})
	if sampleStore.err != nil {
		t.Fatal(sampleStore.err)
	}
	return newFixture(t, filepath.Join(sampleStore.dir, "demo.db"))
}

// postgresFixture is the desk over a PostgreSQL store of its own of the
// sample outlets.
func postgresFixture(t testing.TB) *fixture {
	t.Helper()
	dsn := storetest.Postgres(t)
	if err := gather(dsn); err != nil {
		t.Fatal(err)
	}
	return newFixture(t, dsn)
}

// emptyFixture is the desk over a fresh SQLite store, for the tests that
// store articles of their own.
func emptyFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixture(t, filepath.Join(t.TempDir(), "desk.db"))
}

// demoConfig is the demo's config (config.Demo) with its secret and
// store at dsn.
func demoConfig(dir, isna, eghtesad24, dsn string) (*config.Config, error) {
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("a desk test secret, thirty-two bytes long\n"), 0o600); err != nil {
		return nil, err
	}
	cfg, err := config.Demo(isna, eghtesad24, dir)
	if err != nil {
		return nil, err
	}
	cfg.Store = dsn
	return cfg, nil
}

// gather crawls the sample outlets into the store at dsn and backfills
// their two days, as the demo does, at sampleoutlets.Reference.
func gather(dsn string) error {
	outlets, err := sampleoutlets.Start(sampleoutlets.Reference)
	if err != nil {
		return err
	}
	defer outlets.Close()
	dir, err := os.MkdirTemp("", "desk-gather-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg, err := demoConfig(dir, outlets.URL("isna"), outlets.URL("eghtesad24"), dsn)
	if err != nil {
		return err
	}
	ctx := context.Background()
	clk := clock.NewFake(sampleoutlets.Reference)
	st, err := store.Open(ctx, dsn, store.WithClock(clk.Now))
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := pipeline.New(cfg, st, pipeline.Options{Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	if _, err := p.Crawl(ctx, nil); err != nil {
		return err
	}
	days := outlets.Days()
	for _, id := range cfg.OutletIDs() {
		if _, err := p.Backfill(ctx, id, days[0], days[1], quiet{}); err != nil {
			return err
		}
	}
	_, err = p.Process(ctx)
	return err
}

// newFixture serves the desk of the demo's config over the store at dsn,
// on the clock evening.
func newFixture(t testing.TB, dsn string) *fixture {
	t.Helper()
	dir := t.TempDir()
	cfg, err := demoConfig(dir, "http://127.0.0.1:9", "http://127.0.0.1:9", dsn)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{cfg: cfg, clk: clock.NewFake(evening)}
	if f.st, err = store.Open(t.Context(), dsn, store.WithClock(f.clk.Now)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	log := slog.New(slog.DiscardHandler)
	f.subs = subscription.NewManager(cfg, f.st, subscription.Options{Clock: f.clk, Logger: log})
	if err := f.subs.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	site, err := web.NewSite(cfg, web.Options{Clock: f.clk, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if f.desk, err = New(site, f.st, stories.New(f.st, cfg.Cleaning.StoryWindow.D()), f.subs, engineOf(cfg, f.st), Options{Logger: log}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	site.Routes(mux)
	f.desk.Routes(mux)
	f.srv = httptest.NewServer(web.Secure(mux))
	t.Cleanup(f.srv.Close)
	return f
}

// engineOf is the search engine serve gives the desk: over st, its
// filters naming cfg's outlets and topics.
func engineOf(cfg *config.Config, st *store.Store) *search.Engine {
	var topics []string
	for _, t := range cfg.Topics {
		topics = append(topics, t.ID)
	}
	return search.New(st, search.Options{Outlets: cfg.OutletIDs(), Topics: topics})
}

// signIn returns a client with the session of email, opened through the
// sign-in link `mediadigest link` prints.
func (f *fixture) signIn(t testing.TB, email string) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	link, err := f.desk.site.LoginURL(email)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(f.srv.URL + link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" {
		t.Fatalf("sign-in link: %d at %s, want 200 at /", resp.StatusCode, resp.Request.URL)
	}
	return c
}

// page is a page as a client got it.
type page struct {
	code int
	body string
	hdr  http.Header
}

// get fetches path with c.
func (f *fixture) get(t testing.TB, c *http.Client, path string) page {
	t.Helper()
	resp, err := c.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{resp.StatusCode, string(b), resp.Header}
}

// article returns the stored article whose URL ends with suffix.
func (f *fixture) article(t testing.TB, suffix string) model.Article {
	t.Helper()
	all, err := f.st.Articles(t.Context(), store.ArticleQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		if strings.HasSuffix(strings.TrimSuffix(a.URL, "/"), suffix) {
			return a
		}
	}
	t.Fatalf("no stored article at …%s", suffix)
	return model.Article{}
}

// quiet is a backfill's progress, untold.
type quiet struct{}

func (quiet) Start(int)                           {}
func (quiet) Day(jalali.Date, scrape.Stats, bool) {}
func (quiet) Done()                               {}

// jarWith is a cookie jar holding one cookie for the server at base.
func jarWith(t testing.TB, base, name, value string) http.CookieJar {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
	return jar
}

// urlQuery escapes a query value.
func urlQuery(s string) string { return url.QueryEscape(s) }

// storyLines writes stories one a line: id, headline, copies.
func storyLines(ss []model.Story) string {
	var b strings.Builder
	for _, s := range ss {
		fmt.Fprintf(&b, "%s %s", s.ID, s.Headline.URL)
		for _, a := range s.Also {
			fmt.Fprintf(&b, " %s", a.URL)
		}
		b.WriteByte('\n')
	}
	return b.String()
}
