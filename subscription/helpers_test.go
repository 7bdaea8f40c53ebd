package subscription

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mediadigest/clock"
	"mediadigest/config"
	"mediadigest/delivery"
	"mediadigest/digest"
	"mediadigest/internal/smtptest"
	"mediadigest/model"
	"mediadigest/store"
	"mediadigest/store/storetest"
	"mediadigest/stories"
	"mediadigest/web"
)

// secretEnv holds the tests' signing secret; previousEnv the one of a
// rotation.
const (
	secretEnv   = "MEDIADIGEST_TEST_SUBSCRIPTION_SECRET"
	previousEnv = "MEDIADIGEST_TEST_SUBSCRIPTION_PREVIOUS"
)

// testConfig has two topics, two subscribers, public https pages and an
// SMTP server on loopback.
const testConfig = `timezone: Asia/Tehran
store: %[1]s/mediadigest.db
outlets:
  - {id: isna, profile: isna, base_url: "https://www.isna.ir"}
topics:
  - {id: energy, name: انرژی, keywords: [نفت, گاز, بنزین]}
  - {id: currency, name: ارز و طلا, keywords: [دلار, ارز, سکه]}
subscribers:
  - email: Analyst@Example.com
  - email: energy-desk@example.com
    topics: [energy]
digest:
  from: "Media Digest <digest@example.com>"
  unsubscribe: "mailto:digest-unsubscribe@example.com"
mail:
  transport: smtp
  smtp: {host: 127.0.0.1, port: %[2]d, tls: none}
http: {public_url: "https://news.example.com", secret_env: %[3]s, previous_secret_env: %[4]s, link_ttl: 720h}
cluster: {lease: 30s}
`

// start is the fixtures' clock at its start: 07:00 in Tehran.
var start = time.Date(2026, 11, 27, 3, 30, 0, 0, time.UTC)

var tehran, _ = time.LoadLocation("Asia/Tehran")

// fixture is a subscription manager, its pages served on loopback, and
// the delivery of digests to a test SMTP server, over one store, on a
// clock the test moves.
type fixture struct {
	cfg  *config.Config
	st   *store.Store
	clk  *clock.Fake
	smtp *smtptest.Server
	subs *Manager
	site *web.Site
	mail *delivery.Manager
	srv  *httptest.Server
}

// backends name a fresh store of each kind.
var backends = []struct {
	name string
	dsn  func(t testing.TB) string
}{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "mediadigest.db") }},
	{"postgres", storetest.Postgres},
}

// forEachBackend runs fn as a subtest on a fixture over each kind of store.
func forEachBackend(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, newFixture(t, b.dsn(t))) })
	}
}

func newFixture(t testing.TB, dsn string) *fixture {
	t.Helper()
	t.Setenv(secretEnv, "the current secret, thirty-two b")
	t.Setenv(previousEnv, "the previous secret, thirty-two!")
	f := &fixture{clk: clock.NewFake(start), smtp: smtptest.Start(t, smtptest.Options{})}
	var err error
	f.cfg, err = config.Parse("subscription.yaml", []byte(fmt.Sprintf(testConfig, t.TempDir(), f.smtp.Port, secretEnv, previousEnv)))
	if err != nil {
		t.Fatal(err)
	}
	if f.st, err = store.Open(t.Context(), dsn, store.WithClock(f.clk.Now)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	log := slog.New(slog.DiscardHandler)
	f.subs = NewManager(f.cfg, f.st, Options{Clock: f.clk, Logger: log})
	if err := f.subs.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.site = f.newSite(t)
	f.mail = f.manager(t, f.subs)
	pages, err := NewPages(f.site, f.subs)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	f.site.Routes(mux)
	pages.Routes(mux)
	f.srv = httptest.NewServer(web.Secure(mux))
	t.Cleanup(f.srv.Close)
	return f
}

// newSite is a site of the fixture's config with the secrets now in the
// environment.
func (f *fixture) newSite(t testing.TB) *web.Site {
	t.Helper()
	site, err := web.NewSite(f.cfg, web.Options{Clock: f.clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return site
}

// manager is a delivery manager of the fixture with audience a.
func (f *fixture) manager(t testing.TB, a delivery.Audience) *delivery.Manager {
	t.Helper()
	m, err := delivery.New(f.cfg, f.st, stories.New(f.st, f.cfg.Cleaning.StoryWindow.D()), a,
		delivery.Options{Clock: f.clk, Logger: slog.New(slog.DiscardHandler), Links: f.site, Holder: "news1:42"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// local turns a link of a digest (under the public URL) into one of the
// test server.
func (f *fixture) local(t testing.TB, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return f.srv.URL + u.RequestURI()
}

// queueDay queues the digest of the day before start for every recipient.
func (f *fixture) queueDay(t testing.TB) []model.OutboxItem {
	t.Helper()
	rep, err := f.mail.Queue(t.Context(), delivery.Day(digest.DayWindow(start.In(tehran).AddDate(0, 0, -1), tehran)))
	if err != nil {
		t.Fatal(err)
	}
	return rep.Queued
}

// received lists the recipients of the messages the SMTP server accepted,
// in order.
func (f *fixture) received() []string {
	var to []string
	for _, m := range f.smtp.Messages() {
		to = append(to, strings.Join(m.To, ","))
	}
	return to
}

// state is the stored state of email now, with its audit log as
// "what via" lines, oldest first.
func (f *fixture) state(t testing.TB, email string) (string, []string) {
	t.Helper()
	sub, err := f.st.Subscription(t.Context(), email)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := f.st.SubscriptionChanges(t.Context(), email, 0)
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	for i := len(lines) - 1; i >= 0; i-- {
		log = append(log, lines[i].What+" "+lines[i].Via)
	}
	return sub.State(f.clk.Now()), log
}

// response is a page as a client got it.
type response struct {
	code int
	body string
	hdr  http.Header
}

// do sends r with a client that keeps no cookie and follows no redirect,
// as a mail client's one-click unsubscribe does.
func do(t testing.TB, r *http.Request) response {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, string(b), resp.Header}
}

// post posts a body of the content type to u.
func post(t testing.TB, u, contentType, body string) response {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", contentType)
	return do(t, r)
}

// get fetches u.
func get(t testing.TB, u string) response {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, r)
}

const form = "application/x-www-form-urlencoded"

// oneClick is the body a mail client posts (RFC 8058).
const oneClick = "List-Unsubscribe=One-Click"
