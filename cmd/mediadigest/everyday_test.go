package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"mediadigest/clock"
	"mediadigest/jalali"
	"mediadigest/store"
)

// tehran is Iran's zone, as the sample outlets and the demo config use it.
var tehran = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		panic(err)
	}
	return loc
}()

// TestEveryDay runs every path whose outcome depends on the date — the
// demo, `demo -keep` then `serve` (its catch-up and a scheduled digest),
// `crawl` then `digest -send`, a backfill by Jalali day — with the clock
// on days where calendars turn: a day in 2027, the last day of a Jalali
// year, a day in 2030, and either side of a Jalali month's end at night.
// Each must come out as on any other day: yesterday's sample stories in
// the demo's digest, in serve's next scheduled digest, in what `digest
// -send` sends, and the two sample days backfilled.
func TestEveryDay(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2027, 7, 15, 10, 0, 0, 0, tehran),
		time.Date(2027, 3, 20, 14, 0, 0, 0, tehran),   // 29 Esfand 1405, the last day of the year
		time.Date(2030, 5, 5, 9, 30, 0, 0, tehran),    // 1409/02/15
		time.Date(2026, 12, 21, 23, 50, 0, 0, tehran), // 1405/09/30, Azar's last day, ten to midnight
		time.Date(2026, 12, 22, 0, 10, 0, 0, tehran),  // 1405/10/01, ten past midnight
	} {
		t.Run(jalali.Of(at).String()+" "+at.Format("15:04"), func(t *testing.T) {
			t.Parallel()
			everyDay(t, clock.NewFake(at))
		})
	}
}

func everyDay(t *testing.T, clk *clock.Fake) {
	start := clk.Now()
	yesterday := jalali.Of(start.In(tehran)).AddDays(-1)
	dir := t.TempDir()
	cmd := func(args ...string) (int, string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(t.Context(), clk, args, &out, &errb)
		return code, out.String(), errb.String()
	}

	// The demo, kept up: yesterday's digest, with the sample stories.
	ctx, stopDemo := context.WithCancel(t.Context())
	defer stopDemo()
	ready := make(chan struct{})
	out := &signalWriter{want: "until Ctrl-C", ready: ready}
	demoDone := make(chan int, 1)
	go func() {
		var errb bytes.Buffer
		demoDone <- run(ctx, clk, []string{"demo", "-keep", "-out", dir}, out, &errb)
	}()
	select {
	case <-ready:
	case code := <-demoDone:
		t.Fatalf("demo -keep exited %d before serving:\n%s", code, out.buf.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("demo -keep did not start within 2 minutes")
	}
	var d struct {
		JalaliDate string `json:"jalali_date"`
		Topics     []struct {
			Stories []struct{ Title string } `json:"stories"`
		} `json:"topics"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "digest.json"))
	if err != nil || json.Unmarshal(b, &d) != nil {
		t.Fatalf("digest.json: %v\n%s", err, b)
	}
	if d.JalaliDate != yesterday.String() || !bytes.Contains(b, []byte(gasoline)) || bytes.Contains(b, []byte(brent)) {
		t.Errorf("the demo's digest is of %s:\n%s\nwant yesterday, %s, with the sample stories of that day alone", d.JalaliDate, b, yesterday)
	}

	// serve on the demo's config: the catch-up digest at its start, then
	// the next scheduled one (every five minutes), which holds what the
	// demo crawled.
	config := filepath.Join(dir, "demo.yaml")
	outbox := filepath.Join(dir, "outbox")
	serveCtx, stopServe := context.WithCancel(t.Context())
	serveDone := make(chan int, 1)
	var serveLog logBuffer
	go func() {
		serveDone <- run(serveCtx, clk, []string{"serve", "-config", config, "-listen", "127.0.0.1:0"}, &bytes.Buffer{}, &serveLog)
	}()
	// The demo mailed yesterday's digest to both subscribers; the
	// catch-up covers the rest of today up to the last five-minute mark,
	// before anything arrived: two more, empty.
	waitFiles(t, outbox, 4)
	next := start.Truncate(5 * time.Minute).Add(5 * time.Minute)
	clk.Set(next)
	waitFiles(t, outbox, 6)
	stopServe()
	if code := <-serveDone; code != 0 {
		t.Errorf("serve exited %d:\n%s", code, serveLog.String())
	}
	if text := newestTo(t, outbox, "analyst@example.com"); !strings.Contains(text, brent) {
		t.Errorf("serve's scheduled digest at %s lacks the sample stories:\n%s", next.In(tehran).Format(time.DateTime), text)
	}

	// Another store over the same outlets: crawl, then `digest -send` a
	// minute later sends what the crawl found.
	other := filepath.Join(t.TempDir(), "other.yaml")
	yaml, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	otherDir := filepath.Dir(other)
	yaml = regexp.MustCompile(`(?m)^store: .*$`).ReplaceAll(yaml, []byte(fmt.Sprintf("store: %q", filepath.Join(otherDir, "other.db"))))
	yaml = bytes.ReplaceAll(yaml, []byte(outbox), []byte(filepath.Join(otherDir, "outbox")))
	if err := os.WriteFile(other, yaml, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := cmd("crawl", "-config", other); code != 0 {
		t.Fatalf("crawl: exit %d\n%s%s", code, out, errs)
	}
	clk.Advance(time.Minute)
	if code, out, errs := cmd("digest", "-send", "-config", other); code != 0 || !strings.Contains(out, "sent 2") {
		t.Errorf("digest -send: exit %d\n%s%s", code, out, errs)
	}
	if text := newestTo(t, filepath.Join(otherDir, "outbox"), "analyst@example.com"); !strings.Contains(text, "واعظی بر گسترش همکاری‌های تهران و باکو تاکید کرد") {
		t.Errorf("digest -send lacks what the crawl found:\n%s", text)
	}
	// A backfill of the two sample days, by their Jalali dates, stores
	// the articles the feeds left out.
	if code, out, errs := cmd("backfill", "-config", other, "-outlet", "isna", "-from", yesterday.AddDays(-1).String(), "-to", yesterday.String()); code != 0 {
		t.Fatalf("backfill: exit %d\n%s%s", code, out, errs)
	}
	st, err := store.Open(t.Context(), filepath.Join(otherDir, "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	isna, err := st.Articles(t.Context(), store.ArticleQuery{Outlet: "isna"})
	if err != nil || len(isna) != sampleArticles/2 {
		t.Errorf("%d ISNA articles after the backfill, %v; want all %d", len(isna), err, sampleArticles/2)
	}
	for _, a := range isna {
		if day := jalali.Of(a.Published.In(tehran)); day != yesterday && day != yesterday.AddDays(-1) {
			t.Errorf("%s published %s, not on the sample days %s and %s", a.URL, day, yesterday.AddDays(-1), yesterday)
		}
	}
	stopDemo()
	if code := <-demoDone; code != 0 {
		t.Errorf("demo -keep exited %d", code)
	}
}

// brent and gasoline are the titles of ISNA's sample articles of the
// first and second sample days.
const (
	brent    = "قیمت نفت برنت از ۷۰ دلار گذشت"
	gasoline = "سهمیه بنزین آذرماه به کارت‌های سوخت واریز شد"
)

// waitFiles waits until dir holds n .eml files.
func waitFiles(t *testing.T, dir string, n int) {
	t.Helper()
	waitFor(t, time.Minute, fmt.Sprintf("%d digests in %s", n, dir), func() bool {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		return len(files) >= n
	})
}

// newestTo returns the text part of the digest to subscriber in dir that
// covers the latest window.
func newestTo(t *testing.T, dir, subscriber string) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	var newest string
	var latest time.Time
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Header.Get("To"), subscriber) {
			continue
		}
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if info.ModTime().After(latest) || newest == "" {
			latest, newest = info.ModTime(), textPart(t, m)
		}
	}
	return newest
}
