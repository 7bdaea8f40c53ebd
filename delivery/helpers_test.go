package delivery

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mediadigest/clock"
	"mediadigest/config"
	"mediadigest/digest"
	"mediadigest/internal/smtptest"
	"mediadigest/model"
	"mediadigest/pipeline"
	"mediadigest/store"
	"mediadigest/stories"
)

// testConfig is a config of two outlets never crawled (the tests store
// their articles themselves), two topics, the subscribers given and an
// SMTP server on loopback.
const testConfig = `timezone: Asia/Tehran
store: %[1]s/mediadigest.db
outlets:
  - {id: isna, profile: isna, base_url: "https://www.isna.ir"}
  - {id: eghtesad24, profile: eghtesad24, base_url: "https://eghtesaad24.ir"}
topics:
  - {id: energy, name: انرژی, keywords: [نفت, گاز, بنزین]}
  - {id: currency, name: ارز و طلا, keywords: [دلار, ارز, سکه]}
subscribers:
%[2]s
digest:
  from: "Media Digest <digest@example.com>"
  unsubscribe: "%[4]s"
mail:
  transport: smtp
  smtp: {host: 127.0.0.1, port: %[3]d, tls: none}
cluster: {lease: 30s}
`

// start is the fixtures' clock at its start: 07:00 in Tehran the morning
// after the day the tests' digests cover.
var start = time.Date(2026, 11, 27, 3, 30, 0, 0, time.UTC)

// fixture is a manager over a fresh SQLite store, sending to a test SMTP
// server, on a clock the test moves.
type fixture struct {
	cfg *config.Config
	st  *store.Store
	clk *clock.Fake
	srv *smtptest.Server
	m   *Manager
}

// fixtureOptions change what newFixture builds.
type fixtureOptions struct {
	subscribers []string
	unsubscribe string
	port        int // of the SMTP server; 0: the fixture's
	options     Options
}

func newFixture(t testing.TB, o fixtureOptions) *fixture {
	t.Helper()
	f := &fixture{clk: clock.NewFake(start), srv: smtptest.Start(t, smtptest.Options{})}
	var subs strings.Builder
	for _, s := range o.subscribers {
		fmt.Fprintf(&subs, "  - email: %s\n", s)
	}
	if o.unsubscribe == "" {
		o.unsubscribe = "mailto:digest-unsubscribe@example.com"
	}
	if o.port == 0 {
		o.port = f.srv.Port
	}
	var err error
	f.cfg, err = config.Parse("delivery.yaml", []byte(fmt.Sprintf(testConfig, t.TempDir(), subs.String(), o.port, o.unsubscribe)))
	if err != nil {
		t.Fatal(err)
	}
	if f.st, err = store.Open(t.Context(), f.cfg.Store, store.WithClock(f.clk.Now)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	f.m = f.manager(t, o.options)
	return f
}

// manager builds another manager over the fixture's store and clock.
func (f *fixture) manager(t testing.TB, o Options) *Manager {
	t.Helper()
	o.Clock = f.clk
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := New(f.cfg, f.st, stories.New(f.st, f.cfg.Cleaning.StoryWindow.D()), ConfigAudience(f.cfg), o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// day is the window of the day before start, in Tehran, by published
// time.
func day() model.Window {
	return digest.DayWindow(start.In(tehran).AddDate(0, 0, -1), tehran)
}

// queueDay queues the day's digest of every subscriber, due now.
func (f *fixture) queueDay(t testing.TB) []model.OutboxItem {
	t.Helper()
	rep, err := f.m.Queue(t.Context(), Day(day()))
	if err != nil {
		t.Fatal(err)
	}
	return rep.Queued
}

// row returns the outbox row of subscriber.
func (f *fixture) row(t testing.TB, subscriber string) model.OutboxItem {
	t.Helper()
	rows, err := f.st.Outbox(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Subscriber == subscriber {
			return r
		}
	}
	t.Fatalf("no outbox row for %s", subscriber)
	return model.OutboxItem{}
}

// received counts the messages the server accepted, by recipient.
func (f *fixture) received() map[string]int {
	n := map[string]int{}
	for _, m := range f.srv.Messages() {
		n[strings.Join(m.To, ",")]++
	}
	return n
}

// article is a stored article, given by its outlet, id, title, times and
// text files of dedupe/testdata/eval (real Persian news text).
type article struct {
	url, outlet, title string
	published, arrived time.Time
	text               string
	extra              []string // paragraphs after the text
}

// storeArticles stores articles as a crawl would, then derives their
// views, stories and topics as the crawl's pass does.
func (f *fixture) storeArticles(t testing.TB, arts ...article) {
	t.Helper()
	for _, a := range arts {
		b, err := os.ReadFile("../dedupe/testdata/eval/" + a.text)
		if err != nil {
			t.Fatal(err)
		}
		m := model.Article{URL: a.url, Outlet: a.outlet, Title: a.title, Published: a.published, FirstSeen: a.arrived,
			Raw: append(strings.Split(strings.TrimSpace(string(b)), "\n"), a.extra...)}
		if _, err := f.st.UpsertArticle(t.Context(), &m, nil); err != nil {
			t.Fatal(err)
		}
	}
	p, err := pipeline.New(f.cfg, f.st, pipeline.Options{Clock: f.clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Process(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// refused is a port of 127.0.0.1 where nothing listens.
func refused(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// writeSecretFile writes the secret file the demo config names into dir.
func writeSecretFile(dir string) error {
	return os.WriteFile(filepath.Join(dir, "secret"), []byte("a secret of thirty-two bytes, ok\n"), 0o600)
}
