package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mediadigest/internal/browsertest"
	"mediadigest/subscription"
)

// twoSubscribers is a config of two subscribers, one with a topic list.
const twoSubscribers = `store: "{DIR}/md.db"
timezone: Asia/Tehran
outlets:
  - {id: isna, profile: isna, base_url: "https://www.isna.ir"}
topics:
  - {id: energy, name: انرژی, keywords: [نفت]}
subscribers:
  - email: analyst@example.com
  - email: energy-desk@example.com
    topics: [energy]
`

// TestSubscribersCommand: ops list the subscribers and pause, resume,
// unsubscribe and re-subscribe one; each change is in the audit log, and
// bad input is a usage error that changes nothing.
func TestSubscribersCommand(t *testing.T) {
	cfg := writeConfig(t, twoSubscribers)
	tests := []struct {
		args []string
		code int
		out  string // in stdout
		err  string // in stderr
	}{
		{[]string{"subscribers"}, 0, "energy-desk@example.com  active  energy", ""},
		{[]string{"subscribers", "pause", "-weeks", "2", "ANALYST@example.com"}, 0, "analyst@example.com  paused until 2026-12-11 10:00", ""},
		{[]string{"subscribers", "resume", "analyst@example.com"}, 0, "analyst@example.com  active  all", ""},
		{[]string{"subscribers", "unsubscribe", "energy-desk@example.com"}, 0, "energy-desk@example.com  unsubscribed  energy  2026-11-27 10:00", ""},
		{[]string{"subscribers", "unsubscribe", "energy-desk@example.com"}, 0, "unsubscribe via command", ""},
		{[]string{"status"}, 0, "subscribers: active 1, paused 0, unsubscribed 1", ""},
		{[]string{"subscribers", "resubscribe", "energy-desk@example.com"}, 0, "active", ""},
		{[]string{"subscribers", "unsubscribe", "stranger@example.com"}, 2, "", "not a configured subscriber"},
		{[]string{"subscribers", "pause", "-weeks", "-1", "analyst@example.com"}, 2, "", "a pause lasts from a day to 26 weeks"},
		{[]string{"subscribers", "pause", "-weeks", "60", "analyst@example.com"}, 2, "", "a pause lasts from a day to 26 weeks"},
		{[]string{"subscribers", "pause"}, 2, "", "pause wants one subscriber EMAIL"},
		{[]string{"subscribers", "forget", "analyst@example.com"}, 2, "", `unknown action "forget"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			args := append([]string{tt.args[0], "-config", cfg}, tt.args[1:]...)
			code, out, errs := runCmd(t, args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.err) {
				t.Errorf("exit %d\nstdout: %s\nstderr: %s\nwant %d, %q, %q", code, out, errs, tt.code, tt.out, tt.err)
			}
		})
	}

	code, out, errs := runCmd(t, "subscribers", "-config", cfg, "log")
	want := `analyst@example.com  2026-11-27 10:00:00 added via config
energy-desk@example.com  2026-11-27 10:00:00 added via config
analyst@example.com  2026-11-27 10:00:00 pause via command (until 2026-12-11T06:30:00Z)
analyst@example.com  2026-11-27 10:00:00 resume via command
energy-desk@example.com  2026-11-27 10:00:00 unsubscribe via command
energy-desk@example.com  2026-11-27 10:00:00 resubscribe via command
`
	if code != 0 || stripSeconds(out) != stripSeconds(want) {
		t.Errorf("subscribers log: exit %d\n%s\nstderr: %s\nwant:\n%s", code, out, errs, want)
	}
	code, out, _ = runCmd(t, "subscribers", "-config", cfg, "-json")
	var list []subscription.Status
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 2 ||
		list[1].State != "active" || list[1].LastChange == nil || list[1].LastChange.What != "resubscribe" {
		t.Errorf("subscribers -json: exit %d, %v:\n%s", code, err, out)
	}
}

// stripSeconds blanks the clock time of log lines: the test clock runs.
func stripSeconds(s string) string {
	return regexp.MustCompile(`\d\d:\d\d:\d\d`).ReplaceAllString(s, "hh:mm:ss")
}

// publicPages gives the fixture's daemon a secret and an https public URL,
// so that its digests carry the one-click and preferences links.
func (f *serveFixture) publicPages(t *testing.T) {
	t.Helper()
	t.Setenv("MEDIADIGEST_TEST_SECRET", "a secret of thirty-two bytes, ok")
	b, err := os.ReadFile(f.config)
	if err != nil {
		t.Fatal(err)
	}
	b = []byte(strings.Replace(string(b), `http: {listen: "127.0.0.1:0"}`,
		`http: {listen: "127.0.0.1:0", public_url: "https://news.example.com", secret_env: MEDIADIGEST_TEST_SECRET}`, 1))
	if err := os.WriteFile(f.config, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// onDaemon turns a link under the public URL into one of the daemon.
func onDaemon(t *testing.T, p *serveProc, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + p.addr + u.RequestURI()
}

// TestServeOneClickUnsubscribe is the "done when": the
// List-Unsubscribe link of a digest the daemon sent, posted as a mail
// client does, unsubscribes the analyst; the next scheduled digest goes
// to the other subscriber alone; `subscribers` shows the analyst
// unsubscribed by link; /healthz and /metrics count them.
func TestServeOneClickUnsubscribe(t *testing.T) {
	f := newServeFixture(t)
	f.publicPages(t)
	db := filepath.Join(f.dir, "mediadigest.db")
	d := startServe(t, f.config, f.clock)
	// The start-up crawls first: the schedule is then running.
	waitFor(t, 30*time.Second, "both outlets crawled", func() bool { return crawled(t, d, f.clock.Now()) })
	f.digestAt(t, hour(11), 2, db)

	var link string
	for _, m := range f.smtp.messages(t) {
		if strings.Contains(m.Header.Get("To"), "analyst@example.com") {
			if m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
				t.Errorf("List-Unsubscribe-Post: %q", m.Header.Get("List-Unsubscribe-Post"))
			}
			if match := regexp.MustCompile(`<(https://[^>]+/u/[^>]+)>`).FindStringSubmatch(m.Header.Get("List-Unsubscribe")); match != nil {
				link = match[1]
			}
		}
	}
	if link == "" {
		t.Fatal("the analyst's digest has no https List-Unsubscribe")
	}
	resp, err := http.Post(onDaemon(t, d, link), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click POST: %d, want 200", resp.StatusCode)
	}

	f.digestAt(t, hour(12), 3, db)
	if got := f.smtp.recipients(t); len(f.smtp.messages(t)) != 3 || f.smtp.messages(t)[2].Header.Get("To") != "<energy-desk@example.com>" {
		t.Errorf("the 12:00 digest went to %v (last To %q); want energy-desk alone", got, f.smtp.messages(t)[2].Header.Get("To"))
	}
	_, health := get(t, "http://"+d.addr+"/healthz")
	if !strings.Contains(string(health), `"unsubscribed": 1`) || !strings.Contains(string(health), `"active": 1`) {
		t.Errorf("/healthz lacks the subscriber counts:\n%s", health)
	}
	_, metrics := get(t, "http://"+d.addr+"/metrics")
	if !strings.Contains(string(metrics), "\nmediadigest_subscribers{state=\"unsubscribed\"} 1\n") {
		t.Errorf("/metrics lacks mediadigest_subscribers{state=\"unsubscribed\"} 1")
	}
	d.stop(t, syscall.SIGTERM, 0)

	code, out, errs := runCmd(t, "subscribers", "-config", f.config)
	if code != 0 || !regexp.MustCompile(`analyst@example.com\s+unsubscribed\s+all\s+2026-11-27 11:00:\d\d unsubscribe via link`).MatchString(out) {
		t.Errorf("subscribers: exit %d\n%s\nstderr: %s\nwant the analyst unsubscribed via link", code, out, errs)
	}
}

// TestPreferencesInBrowser: in a real browser, the preferences link of a
// digest opens the page; unticking a topic and saving makes the next
// digest, as the mail server gets it, lack that topic, while the other
// subscriber's still has it.
func TestPreferencesInBrowser(t *testing.T) {
	f := newServeFixture(t)
	f.publicPages(t)
	db := filepath.Join(f.dir, "mediadigest.db")
	d := startServe(t, f.config, f.clock)
	waitFor(t, 30*time.Second, "both outlets crawled", func() bool { return crawled(t, d, f.clock.Now()) })

	// The link at the foot of the analyst's digest.
	code, text, errs := runCmd(t, "digest", "-config", f.config, "-subscriber", "analyst@example.com", "-format", "text")
	match := regexp.MustCompile(`تنظیم اشتراک: (\S+)`).FindStringSubmatch(text)
	if code != 0 || match == nil {
		t.Fatalf("digest: exit %d, no preferences link:\n%s\n%s", code, text, errs)
	}
	prefs := onDaemon(t, d, match[1])
	unsub := regexp.MustCompile(`لغو اشتراک: (\S+)`).FindStringSubmatch(text)

	// The browser's time (browsertest.Timeout) starts once the daemon
	// has crawled.
	tab := browsertest.Start(t)
	energy := `#topics-form input[value="energy"]`
	if err := chromedp.Do(tab, chromedp.Navigate(prefs), chromedp.WaitVisible(energy)); err != nil {
		t.Fatal(err)
	}
	for _, w := range []int64{375, 1280} {
		browsertest.Screenshot(t, tab, "subscription", w)
	}
	if err := chromedp.Do(tab,
		chromedp.Click(energy),
		chromedp.Click(`#topics-form button`),
		chromedp.WaitVisible(`.notice`),
	); err != nil {
		t.Fatal(err)
	}
	notice, err := chromedp.Run(tab, chromedp.Text(`.notice`))
	if err != nil || !strings.Contains(notice, "ذخیره شد") {
		t.Errorf("after saving: notice %q, %v", notice, err)
	}
	ticked, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('#topics-form input:checked')].map(e => e.value)`))
	if err != nil || fmt.Sprint(ticked) != "[other]" {
		t.Errorf("ticked after saving: %v, %v; want [other]", ticked, err)
	}
	for _, w := range []int64{375, 1280} {
		browsertest.Screenshot(t, tab, "subscription-saved", w)
	}
	if unsub != nil {
		if err := chromedp.Do(tab, chromedp.Navigate(onDaemon(t, d, unsub[1])), chromedp.WaitVisible(`form button`)); err != nil {
			t.Fatal(err)
		}
		for _, w := range []int64{375, 1280} {
			browsertest.Screenshot(t, tab, "unsubscribe", w)
		}
	}

	f.digestAt(t, hour(11), 2, db)
	const heading = "== انرژی =="
	for _, m := range f.smtp.messages(t) {
		body := textPart(t, m)
		switch to := m.Header.Get("To"); {
		case strings.Contains(to, "analyst@example.com") && strings.Contains(body, heading):
			t.Errorf("the analyst's digest still has the energy topic:\n%s", body)
		case strings.Contains(to, "analyst@example.com") && !strings.Contains(body, "== سایر =="):
			t.Errorf("the analyst's digest lacks the other stories:\n%s", body)
		case strings.Contains(to, "energy-desk@example.com") && !strings.Contains(body, heading):
			t.Errorf("energy-desk's digest has no energy topic: the test proves nothing:\n%s", body)
		}
	}
	d.stop(t, syscall.SIGTERM, 0)
}
