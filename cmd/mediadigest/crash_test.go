package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"mediadigest/sampleoutlets"
	"mediadigest/store"
)

// The crash tests run the real command in a child process (TestMain) and
// SIGKILL it at points chosen by counting what it asks of the servers the
// test runs: the k-th HTTP request at an outlet, the k-th MAIL or DATA at
// the SMTP server. The server kills the child before it answers, so the
// child dies at a known step, while its other goroutines are wherever they
// are (storing the previous page, for instance). Then the command is run
// again until it finishes, and the end state is compared with what an
// uninterrupted run leaves.

// killPoint is the n-th (from 1) event of one kind in one run of a child:
// "GET" at the outlet, "MAIL" or "DATA" at the SMTP server.
type killPoint struct {
	event string
	n     int
}

func (k killPoint) String() string { return fmt.Sprintf("%s %d", k.event, k.n) }

// tripwire counts the events of the running child and SIGKILLs it at the
// kill point, before the server answers that event.
type tripwire struct {
	mu     sync.Mutex
	point  killPoint // zero: never
	counts map[string]int
	child  *os.Process
	ready  chan struct{} // closed once child is set
	fired  bool
}

// arm resets the counts for the next child and sets its kill point.
func (w *tripwire) arm(p killPoint) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.point, w.counts, w.child, w.ready, w.fired = p, map[string]int{}, nil, make(chan struct{}), false
}

// started hands over the child process to kill.
func (w *tripwire) started(p *os.Process) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.child = p
	close(w.ready)
}

// hit counts one event and kills the child when it is the kill point; it
// reports whether it did.
func (w *tripwire) hit(event string) bool {
	w.mu.Lock()
	w.counts[event]++
	fire := !w.fired && w.point == killPoint{event, w.counts[event]}
	w.fired = w.fired || fire
	ready := w.ready
	w.mu.Unlock()
	if !fire {
		return false
	}
	<-ready
	w.mu.Lock()
	child := w.child
	w.mu.Unlock()
	// Kill waits for nothing; the child, blocked on this very request,
	// gets no answer before it dies.
	_ = child.Kill()
	return true
}

func (w *tripwire) count(event string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.counts[event]
}

// runMain runs the command line in a child process on the clock, hands
// the child to w, and returns its exit status (-1 when a signal killed it)
// and output.
func runMain(t *testing.T, w *tripwire, clk fileClock, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = mainEnv(clk.path)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.started(cmd.Process)
	_ = cmd.Wait()
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// killProxy serves an outlet through the test: it forwards each request to
// the outlet's server, rewrites that server's address in the bodies to its
// own (so that every link leads back through it), and trips the wire at
// each request.
type killProxy struct {
	srv      *httptest.Server
	upstream string
	wire     *tripwire

	mu       sync.Mutex
	articles map[string]int // article pages answered, by path, over every run
}

func newKillProxy(t *testing.T, upstream string, w *tripwire) *killProxy {
	p := &killProxy{upstream: upstream, wire: w}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *killProxy) serve(w http.ResponseWriter, r *http.Request) {
	if p.wire.hit("GET") {
		return
	}
	resp, err := http.Get(p.upstream + r.URL.RequestURI())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for _, h := range []string{"Content-Type", "ETag", "Last-Modified"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	if strings.HasPrefix(r.URL.Path, "/news/") && resp.StatusCode == http.StatusOK {
		p.mu.Lock()
		if p.articles == nil {
			p.articles = map[string]int{}
		}
		p.articles[r.URL.Path]++
		p.mu.Unlock()
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(bytes.ReplaceAll(body, []byte(p.upstream), []byte(p.srv.URL)))
}

// refetched returns how many article pages were answered more than once,
// over every run through the proxy.
func (p *killProxy) refetched() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.articles {
		n += c - 1
	}
	return n
}

// crashLease is the shortest claim on outbox rows the config allows: the
// rows a killed `digest -send` had claimed wait that long for the rerun.
const crashLease = 30 * time.Second

const crashConfig = `timezone: Asia/Tehran
store: %[1]s
log: {level: warn}
cluster: {lease: %[6]s}
crawl: {delay: 0s, parallelism: 2, timeout: 10s, retries: 0}
outlets:
  - {id: isna, profile: isna, base_url: "%[2]s"}
  - {id: eghtesad24, profile: eghtesad24, base_url: "%[3]s"}
topics:
  - {id: energy, name: انرژی, keywords: [نفت, گاز, بنزین]}
subscribers:
%[4]s
digest:
  from: "Media Digest <digest@example.com>"
  unsubscribe: "mailto:digest-unsubscribe@example.com"
mail:
  transport: smtp
  smtp: {host: 127.0.0.1, port: %[5]d, tls: none, timeout: 10s}
`

// writeCrashConfig writes a config over the given outlet URLs and SMTP
// port with subscribers reader01…readerNN, every other one on one topic.
func writeCrashConfig(t *testing.T, dir, db, isna, eghtesad24 string, smtpPort, subscribers int) string {
	t.Helper()
	var subs strings.Builder
	for i := 1; i <= subscribers; i++ {
		fmt.Fprintf(&subs, "  - email: reader%02d@example.com\n", i)
		if i%2 == 0 {
			subs.WriteString("    topics: [energy]\n")
		}
	}
	path := filepath.Join(dir, "mediadigest.yaml")
	cfg := fmt.Sprintf(crashConfig, db, isna, eghtesad24, subs.String(), smtpPort, crashLease)
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBackfillSurvivesKill kills `backfill` at requests spread over its
// run, then runs it again to the end. The store must hold exactly what an
// uninterrupted backfill stores: the same articles, each once, each with
// its raw page, both days marked done, and an intact database.
func TestBackfillSurvivesKill(t *testing.T) {
	outlets, err := sampleoutlets.Start(sampleoutlets.Reference)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(outlets.Close)
	// setup gives each run its own store, and its own proxy to kill it.
	setup := func(t *testing.T) (wire *tripwire, proxy *killProxy, args []string, db string) {
		wire = &tripwire{}
		proxy = newKillProxy(t, outlets.URL("isna"), wire)
		dir := t.TempDir()
		db = filepath.Join(dir, "mediadigest.db")
		config := writeCrashConfig(t, dir, db, proxy.srv.URL, outlets.URL("eghtesad24"), 25, 1)
		return wire, proxy, []string{"backfill", "-config", config, "-outlet", "isna", "-from", "1405/09/04", "-to", "1405/09/05"}, db
	}

	clk := newFileClock(t, sampleoutlets.Reference)
	wire, _, args, db := setup(t)
	wire.arm(killPoint{})
	if code, out, errs := runMain(t, wire, clk, args...); code != 0 {
		t.Fatalf("uninterrupted backfill exited %d\n%s%s", code, out, errs)
	}
	requests := wire.count("GET")
	want := paths(t, storedState(t, db).articles)
	if len(want) < 10 {
		t.Fatalf("the uninterrupted backfill stored %d articles, want the sample's two days", len(want))
	}

	// Ten kill points from the first request (robots.txt) to the last
	// article; every third scenario is killed once more, on the resumed
	// run's second request.
	var points []int
	for i := range 10 {
		points = append(points, 1+i*(requests-1)/9)
	}
	for i, n := range slices.Compact(points) {
		t.Run(fmt.Sprintf("request %d of %d", n, requests), func(t *testing.T) {
			t.Parallel()
			clk := newFileClock(t, sampleoutlets.Reference)
			wire, proxy, args, db := setup(t)
			kills := []killPoint{{"GET", n}}
			if i%3 == 2 {
				kills = append(kills, killPoint{"GET", 2})
			}
			for _, k := range kills {
				wire.arm(k)
				if code, out, errs := runMain(t, wire, clk, args...); code != -1 {
					t.Fatalf("backfill killed at %v exited %d\n%s%s", k, code, out, errs)
				}
			}
			wire.arm(killPoint{})
			if code, out, errs := runMain(t, wire, clk, args...); code != 0 {
				t.Fatalf("backfill after the kill exited %d\n%s%s", code, out, errs)
			}
			got := storedState(t, db)
			if !slices.Equal(paths(t, got.articles), want) {
				t.Errorf("stored articles differ from the uninterrupted run's:\n got %d %v\nwant %d %v",
					len(got.articles), got.articles, len(want), want)
			}
			if !slices.Equal(got.rawPages, got.articles) {
				t.Errorf("raw pages %v, want one per article", got.rawPages)
			}
			if !slices.Equal(got.days, []string{"isna 1405/09/04", "isna 1405/09/05"}) {
				t.Errorf("backfill days done: %v", got.days)
			}
			if got.unclean != 0 {
				t.Errorf("%d articles without a clean view after the final run", got.unclean)
			}
			// Only a page answered but not yet stored when the process
			// died is fetched again: at most one per worker (crawl
			// parallelism 2) per kill.
			if n := proxy.refetched(); n > 2*len(kills) {
				t.Errorf("%d article pages fetched again after %d kill(s); stored ones must not be", n, len(kills))
			}
		})
	}
}

// paths returns the paths of sorted URLs: each scenario's outlet has its
// own address.
func paths(t *testing.T, urls []string) []string {
	t.Helper()
	out := make([]string, len(urls))
	for i, u := range urls {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = pu.Path
	}
	return out
}

// stored is what the crash tests compare of a store.
type stored struct {
	articles []string // URLs, sorted
	rawPages []string
	days     []string // "outlet day" of finished backfill days
	unclean  int      // articles whose clean view was never computed
	outbox   map[string]string
}

// storedState checks the store's integrity and that no URL, page or
// outbox key is stored twice, and returns its contents.
func storedState(t *testing.T, path string) stored {
	t.Helper()
	st, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.IntegrityCheck(t.Context()); err != nil {
		t.Error(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"SELECT url FROM articles GROUP BY url HAVING count(*) > 1",
		"SELECT url FROM raw_pages GROUP BY url HAVING count(*) > 1",
		"SELECT key FROM outbox GROUP BY key HAVING count(*) > 1",
	} {
		if dups := column(t, db, q); len(dups) > 0 {
			t.Errorf("%s: %v", q, dups)
		}
	}
	s := stored{
		articles: column(t, db, "SELECT url FROM articles ORDER BY url"),
		rawPages: column(t, db, "SELECT url FROM raw_pages ORDER BY url"),
		days:     column(t, db, "SELECT outlet || ' ' || day FROM backfill_days ORDER BY outlet, day"),
		outbox:   map[string]string{},
	}
	if err := db.QueryRow("SELECT count(*) FROM articles WHERE clean IS NULL").Scan(&s.unclean); err != nil {
		t.Fatal(err)
	}
	for _, row := range column(t, db, "SELECT subscriber || ' ' || state FROM outbox") {
		sub, state, _ := strings.Cut(row, " ")
		s.outbox[sub] = state
	}
	return s
}

// column runs q and returns its one column as strings.
func column(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// hookedSMTP is the recording SMTP server of serve_test.go with a tripwire
// at each MAIL and after each DATA is recorded.
type hookedSMTP struct {
	rec  *smtpRecorder
	wire *tripwire
	// window holds the index in rec of each message recorded by a DATA
	// at which the child was killed: accepted by the server, never
	// answered.
	mu     sync.Mutex
	window []int
}

func startHookedSMTP(t *testing.T, w *tripwire) *hookedSMTP {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hookedSMTP{rec: &smtpRecorder{port: l.Addr().(*net.TCPAddr).Port}, wire: w}
	srv := smtp.NewServer(h)
	srv.Domain = "localhost"
	// Every kill cuts a connection, which the server would log.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return h
}

func (h *hookedSMTP) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &hookedSession{smtpSession: &smtpSession{r: h.rec}, h: h}, nil
}

type hookedSession struct {
	*smtpSession
	h *hookedSMTP
}

func (s *hookedSession) Mail(from string, opts *smtp.MailOptions) error {
	s.h.wire.hit("MAIL")
	return s.smtpSession.Mail(from, opts)
}

func (s *hookedSession) Data(r io.Reader) error {
	if err := s.smtpSession.Data(r); err != nil {
		return err
	}
	s.h.rec.mu.Lock()
	last := len(s.h.rec.data) - 1
	s.h.rec.mu.Unlock()
	if s.h.wire.hit("DATA") {
		s.h.mu.Lock()
		s.h.window = append(s.h.window, last)
		s.h.mu.Unlock()
	}
	return nil
}

// TestSendSurvivesKill kills `digest -send` to 20 subscribers at spread
// MAIL and DATA commands, then runs it again: that run must send exactly
// what was left, and leave nothing to send.
//
// What the outbox guarantees (package delivery): a row is marked sent right
// after the server accepted its DATA, before the next message is sent. So:
//   - killed at a MAIL (before DATA), every earlier message was accepted
//     and recorded: the rerun sends each remaining digest once, and nothing
//     is delivered twice;
//   - killed after the server accepted a DATA but before the child heard
//     the 250 (the documented window), that one row is still queued and
//     the rerun sends it again, with the same Message-ID: that message,
//     and no other, may arrive twice.
//
// Every subscriber gets the digest in every case, and the store stays
// intact.
func TestSendSurvivesKill(t *testing.T) {
	const subscribers = 20
	outlets, err := sampleoutlets.Start(sampleoutlets.Reference)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(outlets.Close)

	// One crawled store, copied for each scenario.
	seedDir := t.TempDir()
	seed := filepath.Join(seedDir, "seed.db")
	seedConfig := writeCrashConfig(t, seedDir, seed, outlets.URL("isna"), outlets.URL("eghtesad24"), 25, subscribers)
	if code, out, errs := runCmd(t, "crawl", "-config", seedConfig); code != 0 {
		t.Fatalf("crawl exited %d\n%s%s", code, out, errs)
	}
	if _, err := os.Stat(seed + "-wal"); err == nil {
		t.Fatal("the crawl left a write-ahead log: the store was not closed")
	}
	seedData, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}

	// Ten kill points over the 20 messages, two of them killing the
	// resumed run again.
	scenarios := [][]killPoint{
		{{"MAIL", 1}},
		{{"DATA", 1}},
		{{"MAIL", 2}},
		{{"DATA", 6}},
		{{"MAIL", 9}, {"MAIL", 5}},
		{{"DATA", 12}, {"DATA", 3}},
		{{"DATA", 15}},
		{{"MAIL", 18}},
		{{"MAIL", subscribers}},
		{{"DATA", subscribers}},
	}
	for _, kills := range scenarios {
		t.Run(fmt.Sprint(kills), func(t *testing.T) {
			t.Parallel()
			clk := newFileClock(t, sampleoutlets.Reference)
			wire := &tripwire{}
			srv := startHookedSMTP(t, wire)
			dir := t.TempDir()
			db := filepath.Join(dir, "mediadigest.db")
			if err := os.WriteFile(db, seedData, 0o644); err != nil {
				t.Fatal(err)
			}
			config := writeCrashConfig(t, dir, db, outlets.URL("isna"), outlets.URL("eghtesad24"), srv.rec.port, subscribers)
			send := []string{"digest", "-config", config, "-date", "1405/09/05", "-send"}

			for _, k := range kills {
				wire.arm(k)
				if code, out, errs := runMain(t, wire, clk, send...); code != -1 {
					t.Fatalf("digest -send killed at %v exited %d\n%s%s", k, code, out, errs)
				}
				// The rows the dead process had claimed are free once its
				// claim expires.
				clk.Advance(crashLease)
			}
			left := 0
			for _, state := range storedState(t, db).outbox {
				if state == "queued" {
					left++
				}
			}
			wire.arm(killPoint{})
			code, out, errs := runMain(t, wire, clk, send...)
			if want := fmt.Sprintf("sent %d, to retry 0, failed 0", left); code != 0 || !strings.Contains(out, want) {
				t.Fatalf("digest -send after the kills exited %d, want 0 and %q:\n%s%s", code, want, out, errs)
			}

			msgs := srv.rec.messages(t)
			srv.mu.Lock()
			window := map[string]bool{}
			for _, i := range srv.window {
				window[msgs[i].Header.Get("Message-Id")] = true
			}
			srv.mu.Unlock()
			delivered := map[string]int{}   // Message-ID → deliveries
			recipients := map[string]bool{} // To addresses
			for _, m := range msgs {
				delivered[m.Header.Get("Message-Id")]++
				recipients[m.Header.Get("To")] = true
			}
			for id, n := range delivered {
				if n > 1 && !(n == 2 && window[id]) {
					t.Errorf("%s delivered %d times; only a message accepted at the moment of a kill (%v) may arrive twice",
						id, n, slices.Collect(maps.Keys(window)))
				}
			}
			if len(delivered) != subscribers || len(recipients) != subscribers {
				t.Errorf("%d distinct messages to %d recipients, want %d", len(delivered), len(recipients), subscribers)
			}
			for sub, state := range storedState(t, db).outbox {
				if state != "sent" {
					t.Errorf("outbox row of %s is %s, want sent", sub, state)
				}
			}
		})
	}
}
