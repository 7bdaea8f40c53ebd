package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	netmail "net/mail"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"mediadigest/clock"
	"mediadigest/delivery"
	"mediadigest/model"
	"mediadigest/sampleoutlets"
	"mediadigest/store"
)

// runMainEnv makes the test binary run main instead of the tests, so the
// daemon tests start the real command in a process of its own, which they
// can signal and kill.
const runMainEnv = "MEDIADIGEST_TEST_RUN_MAIN"

// nowEnv tells such a process what time it is at its start (RFC 3339): its
// clock then runs from there at the system's pace.
const nowEnv = "MEDIADIGEST_TEST_NOW"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		clk := clock.System()
		if s := os.Getenv(nowEnv); s != "" {
			start, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", nowEnv, err)
				os.Exit(2)
			}
			clk = clock.Offset(start)
		}
		if path := os.Getenv(clockEnv); path != "" {
			clk = fileClock{path}
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, clk, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// serveConfig is a daemon config over the sample outlets, crawling every
// 20 minutes and sending a digest every hour through an SMTP server on
// loopback. The daemons run on the fixture's clock: the schedules fire
// when the test moves it.
const serveConfig = `timezone: Asia/Tehran
store: %[1]s/mediadigest.db
http: {listen: "127.0.0.1:0"}
log: {format: json, level: info}
crawl: {schedule: "*/20 * * * *", delay: 0s, parallelism: 4, timeout: 10s, retries: 1}
outlets:
  - {id: isna, profile: isna, base_url: "%[2]s"}
  - {id: eghtesad24, profile: eghtesad24, base_url: "%[3]s"}
topics:
  - {id: energy, name: انرژی, keywords: [نفت, گاز, بنزین]}
subscribers:
  - email: analyst@example.com
  - email: energy-desk@example.com
    topics: [energy]
digest:
  schedule: "0 * * * *"
  from: "Media Digest <digest@example.com>"
  unsubscribe: "mailto:digest-unsubscribe@example.com"
mail:
  transport: smtp
  smtp: {host: 127.0.0.1, port: %[4]d, tls: none, password_env: MEDIADIGEST_TEST_UNSET_PASSWORD}
`

// serveFixture is a config over the sample outlets, a recording SMTP
// server, and the clock the daemons share with the test, five minutes
// after sampleoutlets.Reference: the morning after the sample days, at
// 10:05 in Tehran.
type serveFixture struct {
	dir, config string
	smtp        *smtpRecorder
	clock       fileClock
}

func newServeFixture(t *testing.T) *serveFixture {
	t.Helper()
	outlets, err := sampleoutlets.Start(sampleoutlets.Reference)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(outlets.Close)
	f := &serveFixture{dir: t.TempDir(), smtp: startSMTP(t), clock: newFileClock(t, sampleoutlets.Reference.Add(5*time.Minute))}
	f.config = filepath.Join(f.dir, "mediadigest.yaml")
	cfg := fmt.Sprintf(serveConfig, f.dir, outlets.URL("isna"), outlets.URL("eghtesad24"), f.smtp.port)
	if err := os.WriteFile(f.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// hour is the digest time h o'clock on the fixture's day, in Tehran.
func hour(h int) time.Time {
	return time.Date(2026, 11, 27, h, 0, 0, 0, sampleoutlets.Reference.Location())
}

// digestAt moves the clock to t, when digests are due, and waits until
// the server has got n messages in all and the outbox is empty: nothing
// is on the wire when the test goes on.
func (f *serveFixture) digestAt(t *testing.T, t0 time.Time, n int, outbox string) {
	t.Helper()
	f.clock.Set(t0)
	waitFor(t, 30*time.Second, fmt.Sprintf("%d digests in all after %s", n, t0.Format(time.TimeOnly)), func() bool {
		return len(f.smtp.messages(t)) >= n && queued(t, outbox) == 0
	})
	if got := len(f.smtp.messages(t)); got != n {
		t.Fatalf("the server got %d digests, want %d", got, n)
	}
}

// queued counts the queued outbox rows of the store.
func queued(t *testing.T, dsn string) int {
	t.Helper()
	st, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts, err := st.OutboxCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return counts[model.OutboxQueued]
}

// crawled reports whether /healthz shows both outlets crawled since t0.
func crawled(t *testing.T, p *serveProc, since time.Time) bool {
	t.Helper()
	var h struct {
		Outlets []struct {
			Outlet      string     `json:"outlet"`
			LastSuccess *time.Time `json:"last_success"`
		} `json:"outlets"`
	}
	_, body := get(t, "http://"+p.addr+"/healthz")
	if json.Unmarshal(body, &h) != nil || len(h.Outlets) != 2 {
		return false
	}
	for _, o := range h.Outlets {
		if o.LastSuccess == nil || o.LastSuccess.Before(since) {
			return false
		}
	}
	return true
}

// TestServeDeliversOnceAcrossRestarts runs the daemon over a morning of
// hourly digests, stopped and restarted, once with SIGKILL: each
// subscriber gets one digest an hour, windows following each other, and
// no digest twice.
func TestServeDeliversOnceAcrossRestarts(t *testing.T) {
	f := newServeFixture(t)
	db := filepath.Join(f.dir, "mediadigest.db")

	d := startServe(t, f.config, f.clock)
	base := "http://" + d.addr
	// At its first start, the daemon crawls both outlets (never crawled):
	// the crawls it missed.
	waitFor(t, 30*time.Second, "both outlets crawled", func() bool { return crawled(t, d, f.clock.Now()) })
	// The digest waits for the missed crawls to end, their metrics
	// counted.
	f.digestAt(t, hour(11), 2, db)
	_, metrics := get(t, base+"/metrics")
	for _, series := range []string{
		`mediadigest_crawl_pages_fetched_total{outlet="isna"} `,
		`mediadigest_crawl_last_success_timestamp_seconds{outlet="eghtesad24"} `,
		`mediadigest_job_duration_seconds_count{outlet="isna",task="crawl"} `,
		`go_goroutines `,
	} {
		if !bytes.Contains(metrics, []byte("\n"+series)) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	var stored int
	for line := range strings.Lines(string(metrics)) {
		if n, err := fmt.Sscanf(line, "mediadigest_articles_stored %d", &stored); n == 1 && err == nil {
			break
		}
	}
	if stored == 0 {
		t.Errorf("/metrics counts no stored article after both outlets were crawled:\n%s", metrics)
	}
	if code, body := get(t, base+"/preview?date=1405/09/05&subscriber=energy-desk@example.com"); code != http.StatusOK || !bytes.Contains(body, []byte("<html")) {
		t.Errorf("/preview: %d %.200s", code, body)
	}
	d.stop(t, syscall.SIGTERM, 0)

	// A restart then a kill, another restart then a graceful stop, each
	// after the next hour's digests went out.
	for i, end := range []struct {
		sig  syscall.Signal
		exit int
	}{{syscall.SIGKILL, -1}, {syscall.SIGTERM, 0}} {
		d := startServe(t, f.config, f.clock)
		f.digestAt(t, hour(12+i), 4+2*i, db)
		d.stop(t, end.sig, end.exit)
	}
	checkDelivered(t, db, f.smtp.messages(t), 3)
}

// checkDelivered compares what the server got with the outbox: each
// Message-ID arrived once, each from a sent row, and each subscriber's
// windows, one per digest run, follow each other without gap or overlap.
func checkDelivered(t *testing.T, db string, msgs []*netmail.Message, runs int) {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Outbox(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]model.OutboxItem{}
	windows := map[string][]model.Window{}
	for _, r := range rows {
		if r.State == model.OutboxSent {
			sent["<"+r.MessageID+">"] = r
		}
		windows[r.Subscriber] = append(windows[r.Subscriber], r.Window)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		id := m.Header.Get("Message-Id")
		if seen[id] {
			t.Errorf("message %s delivered twice", id)
		}
		seen[id] = true
		if r, ok := sent[id]; !ok || !strings.Contains(m.Header.Get("To"), r.Subscriber) {
			t.Errorf("message %s to %s has no sent outbox row for that subscriber", id, m.Header.Get("To"))
		}
	}
	if len(seen) != len(sent) {
		t.Errorf("server got %d messages, outbox says %d sent", len(seen), len(sent))
	}
	for sub, ws := range windows {
		slices.SortFunc(ws, func(a, b model.Window) int { return a.From.Compare(b.From) })
		for i := 1; i < len(ws); i++ {
			if !ws[i].From.Equal(ws[i-1].To) {
				t.Errorf("%s: window %v does not start where %v ends", sub, ws[i], ws[i-1])
			}
		}
		if len(ws) != runs {
			t.Errorf("%s: %d windows over %d runs, want one a run", sub, len(ws), runs)
		}
	}
}

func TestServeRefusesSecondDaemon(t *testing.T) {
	f := newServeFixture(t)
	first := startServe(t, f.config, f.clock)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, os.Args[0], "serve", "-config", f.config)
	second.Env = mainEnv(f.clock.path)
	var stderr bytes.Buffer
	second.Stderr = &stderr
	err := second.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("second serve: %v, want exit status 1; stderr:\n%s", err, stderr.String())
	}
	if want := fmt.Sprintf("PID %d", first.cmd.Process.Pid); !strings.Contains(stderr.String(), want) {
		t.Errorf("second serve's stderr does not name %s:\n%s", want, stderr.String())
	}
	first.stop(t, syscall.SIGTERM, 0)
}

// TestServeTakesOverFromAKilledDaemon starts serve on a store left by a
// daemon killed with SIGKILL half-way through a crawl of isna, after it
// had sent the analyst the digest of the day before the sample days. The
// dead daemon's lease is released at once (on SQLite the serve lock
// proves it dead), so isna's missed crawl runs, and the digest then sent
// carries the sample days' stories.
func TestServeTakesOverFromAKilledDaemon(t *testing.T) {
	f := newServeFixture(t)
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(f.dir, "mediadigest.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	if err := st.Register(ctx, store.Process{ID: "dead", Host: "news1", PID: 4242, Started: now.Add(-time.Hour), Heartbeat: now}); err != nil {
		t.Fatal(err)
	}
	if won, err := st.TryLease(ctx, "crawl:isna", "dead", now, time.Hour); err != nil || !won {
		t.Fatalf("TryLease = %v, %v", won, err)
	}
	tehran := sampleoutlets.Reference.Location()
	dayBefore := model.Window{From: time.Date(2026, 11, 24, 0, 0, 0, 0, tehran), To: time.Date(2026, 11, 25, 0, 0, 0, 0, tehran)}
	sentBefore(t, st, "analyst@example.com", dayBefore)
	st.Close()

	d := startServe(t, f.config, f.clock)
	// The catch-up crawls, then the digest from the end of the last one
	// to 10:00, the hour missed; what the crawls found arrived after it,
	// and goes out at 11:00.
	// The 11:00 digest would take the catch-up's window if it queued
	// first: the clock moves once the catch-up has sent.
	waitFor(t, 30*time.Second, "the catch-up's digest", func() bool {
		return crawled(t, d, now) && strings.Contains(d.log.String(), `"msg":"job finished","task":"catch-up"`)
	})
	f.digestAt(t, hour(11), 3, filepath.Join(f.dir, "mediadigest.db"))
	const headline = "قیمت نفت برنت از ۷۰ دلار گذشت" // ISNA, 1405/09/04 23:50
	waitFor(t, 30*time.Second, "a digest to the analyst with the sample days' stories", func() bool {
		for _, m := range f.smtp.messages(t) {
			if strings.Contains(m.Header.Get("To"), "analyst@example.com") && strings.Contains(textPart(t, m), headline) {
				return true
			}
		}
		return false
	})
	d.stop(t, syscall.SIGTERM, 0)
	for _, want := range []string{
		`"msg":"a daemon died without stopping: its leases and outbox claims are released","id":"dead","pid":4242`,
		`"msg":"SMTP password variable is empty; digests will be retried until a restart provides it","password_env":"MEDIADIGEST_TEST_UNSET_PASSWORD"`,
	} {
		if !strings.Contains(d.log.String(), want) {
			t.Errorf("the daemon's log lacks %s", want)
		}
	}
}

// sentBefore records a digest to subscriber for win as sent by an earlier
// daemon.
func sentBefore(t *testing.T, st *store.Store, subscriber string, win model.Window) {
	t.Helper()
	it := enqueue(t, st, subscriber, win, win.To)
	if err := st.MarkSent(t.Context(), it.ID, "250 ok", win.To); err != nil {
		t.Fatal(err)
	}
}

// enqueue queues the digest of subscriber for win, due at now, as the
// daemon or `digest -send` queue it.
func enqueue(t *testing.T, st *store.Store, subscriber string, win model.Window, now time.Time) model.OutboxItem {
	t.Helper()
	const from = "Media Digest <digest@example.com>"
	it, _, err := st.Enqueue(t.Context(), model.OutboxItem{Key: delivery.Key(subscriber, win), Subscriber: subscriber, Window: win,
		MessageID: delivery.MessageID(subscriber, win, from), NextTry: now, CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// textPart returns the text/plain part of a digest.
func textPart(t *testing.T, m *netmail.Message) string {
	t.Helper()
	_, bodies := mimeParts(t, m)
	return bodies["text/plain"]
}

// TestServeLocksBeforeOpening: a second serve (a newer binary, say) is
// refused before it opens the store, whose schema it would migrate under
// the running daemon.
func TestServeLocksBeforeOpening(t *testing.T) {
	f := newServeFixture(t)
	db := filepath.Join(f.dir, "mediadigest.db")
	release, err := store.AcquireLock(t.Context(), db, "serve", os.Getpid(), "news1")
	if err != nil {
		t.Fatal(err)
	}
	defer release()

	code, _, stderr := runCmd(t, "serve", "-config", f.config)
	if want := fmt.Sprintf("is in use by PID %d on news1", os.Getpid()); code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("serve while the store is locked: exit %d, stderr %q; want 1 naming the holder (%s)", code, stderr, want)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("serve refused by the lock opened the store all the same: %v", err)
	}
}

// TestOutboxRetry: -retry delivers the one row asked for, failed or
// waiting out its backoff, and refuses a sent one.
func TestOutboxRetry(t *testing.T) {
	f := newServeFixture(t)
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(f.dir, "mediadigest.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tehran := sampleoutlets.Reference.Location()
	day := model.Window{From: time.Date(2026, 11, 26, 0, 0, 0, 0, tehran), To: time.Date(2026, 11, 27, 0, 0, 0, 0, tehran)}
	now := testClock().Now()
	rows := map[string]model.OutboxItem{}
	for _, sub := range []string{"sent@example.com", "failed@example.com", "waiting@example.com", "due@example.com", "claimed@example.com"} {
		rows[sub] = enqueue(t, st, sub, day, now)
	}
	for _, err := range []error{
		st.MarkSent(ctx, rows["sent@example.com"].ID, "250 2.0.0 Ok: queued as 4Xk2", now),
		st.MarkFailed(ctx, rows["failed@example.com"].ID, "550 5.1.1 mailbox unavailable"),
		st.MarkRetry(ctx, rows["waiting@example.com"].ID, "421 4.7.0 try again later", now.Add(time.Hour)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	// A daemon is sending this one.
	if claimed, err := st.ClaimItem(ctx, "news1:4242", rows["claimed@example.com"].ID, now, time.Hour); err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimItem = %v, %v", claimed, err)
	}
	// The subscribers are in the config, else the digests could not be
	// rendered.
	cfg, err := os.ReadFile(f.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.Replace(cfg, []byte("subscribers:\n"), []byte("subscribers:\n  - email: failed@example.com\n  - email: waiting@example.com\n  - email: due@example.com\n"), 1)
	if err := os.WriteFile(f.config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		row     string
		code    int
		out     string // in stdout
		err     string // in stderr
		arrived []string
	}{
		{"sent@example.com", 1, "", "was sent to sent@example.com at", nil},
		{"claimed@example.com", 1, "", "is being delivered by another process", nil},
		{"waiting@example.com", 0, "sent 1, to retry 0, failed 0", "", []string{"waiting@example.com"}},
		{"failed@example.com", 0, "sent 1, to retry 0, failed 0", "", []string{"waiting@example.com", "failed@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.row, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "outbox", "-config", f.config, "-retry", fmt.Sprint(rows[tt.row].ID))
			if code != tt.code || !strings.Contains(stdout, tt.out) || !strings.Contains(stderr, tt.err) {
				t.Errorf("outbox -retry (%s): exit %d\nstdout: %s\nstderr: %s\nwant exit %d, %q, %q", tt.row, code, stdout, stderr, tt.code, tt.out, tt.err)
			}
			if got := f.smtp.recipients(t); !slices.Equal(got, tt.arrived) {
				t.Errorf("the server got digests for %v, want %v", got, tt.arrived)
			}
		})
	}
	if it, err := st.OutboxItem(ctx, rows["due@example.com"].ID); err != nil || it.State != model.OutboxQueued || it.Attempts != 0 {
		t.Errorf("the row not asked for is %+v, %v; want it queued and untried", it, err)
	}
}

// serveProc is a running `mediadigest serve`.
type serveProc struct {
	cmd  *exec.Cmd
	addr string // of its HTTP server
	done chan struct{}
	log  *logBuffer // its stderr, complete once done is closed
}

// logBuffer is a daemon's log as written so far: safe to read while the
// daemon writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe starts the daemon on the clock and waits until it serves
// HTTP.
func startServe(t *testing.T, config string, clk fileClock) *serveProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "-config", config)
	cmd.Env = mainEnv(clk.path)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, done: make(chan struct{}), log: &logBuffer{}}
	addr := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.log.Write(append(sc.Bytes(), '\n'))
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving HTTP" {
				addr <- line.Addr
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("daemon %d log:\n%s", cmd.Process.Pid, p.log)
		}
	})
	select {
	case p.addr = <-addr:
	case <-p.done:
		t.Fatalf("serve exited before serving HTTP:\n%s", p.log)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start serving HTTP within 30 s")
	}
	return p
}

// stop sends sig and waits up to 30 s for the daemon to exit with status
// want (-1: killed by the signal). The tests stop daemons while their
// clock stands still between two schedules: no digest is on the wire then.
func (p *serveProc) stop(t *testing.T, sig syscall.Signal, want int) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not exit within 30 s of %v", sig)
	}
	if got := p.cmd.ProcessState.ExitCode(); got != want {
		t.Errorf("serve exited with %d after %v, want %d", got, sig, want)
	}
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// waitFor polls cond every 100 ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, timeout)
		}
	}
}

// smtpRecorder is an SMTP server on loopback that accepts every message.
type smtpRecorder struct {
	port int
	mu   sync.Mutex
	data [][]byte
}

func startSMTP(t *testing.T) *smtpRecorder {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &smtpRecorder{port: l.Addr().(*net.TCPAddr).Port}
	srv := smtp.NewServer(r)
	srv.Domain = "localhost"
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

// messages parses what the server accepted, in order.
func (r *smtpRecorder) messages(t *testing.T) []*netmail.Message {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var msgs []*netmail.Message
	for _, d := range r.data {
		m, err := netmail.ReadMessage(bytes.NewReader(d))
		if err != nil {
			t.Fatalf("the SMTP server got an unparsable message: %v\n%s", err, d)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// recipients lists the distinct To addresses received.
func (r *smtpRecorder) recipients(t *testing.T) []string {
	t.Helper()
	var to []string
	for _, m := range r.messages(t) {
		if a, err := netmail.ParseAddress(m.Header.Get("To")); err == nil && !slices.Contains(to, a.Address) {
			to = append(to, a.Address)
		}
	}
	return to
}

func (r *smtpRecorder) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{r: r}, nil }

type smtpSession struct{ r *smtpRecorder }

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *smtpSession) Reset()                               {}
func (s *smtpSession) Logout() error                        { return nil }

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.data = append(s.r.data, b)
	return nil
}
