package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mediadigest/model"
	"mediadigest/persian"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// runCmd runs one command line in-process and returns its exit status and
// output.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), testClock(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// demo runs the whole demo pipeline into a fresh directory: the sample
// outlets on loopback, crawl, backfill, clean, stories, topics, digest and
// the file outbox.
func demo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	code, out, errs := runCmd(t, "demo", "-out", dir)
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	return dir
}

func readDigest(t *testing.T, dir string) model.Digest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "digest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d model.Digest
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("digest.json: %v", err)
	}
	return d
}

func TestDemoDigest(t *testing.T) {
	d := readDigest(t, demo(t))
	if d.JalaliDate != "1405/09/05" || d.Date != "2026-11-26" || d.Timezone != "Asia/Tehran" {
		t.Errorf("digest day = %s %s %s", d.JalaliDate, d.Date, d.Timezone)
	}
	// The Tehran day 1405/09/05 starts at 20:30 UTC the day before.
	if got := d.Window.From.UTC().Format(time.RFC3339); got != "2026-11-25T20:30:00Z" {
		t.Errorf("window starts %s", got)
	}

	var ids []string
	stories := map[string]model.DigestStory{} // by URL path
	for _, tp := range d.Topics {
		ids = append(ids, tp.ID)
		if len(tp.Stories) == 0 {
			t.Errorf("empty topic %s shown", tp.ID)
		}
		for _, s := range tp.Stories {
			stories[path(s.URL)] = s
			for _, a := range s.Also {
				if _, dup := stories[path(a.URL)]; dup {
					t.Errorf("%s is shown as a story and as an also-in link", a.URL)
				}
				stories[path(a.URL)] = model.DigestStory{Title: "also:" + s.URL}
			}
		}
	}
	// Topics in config order, "other" last, empty ones left out.
	want := []string{"energy", "currency", "bourse", "politics", "sport", "other"}
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("topics = %v, want %v", ids, want)
	}

	// The ISNA story republished by Eghtesad24 (the real sample article)
	// appears once, ISNA's copy as headline, with an "also in" link.
	vaezi, ok := stories["/news/1405090500940"]
	if !ok {
		t.Fatal("the ISNA story republished by Eghtesad24 is missing")
	}
	if len(vaezi.Also) != 1 || path(vaezi.Also[0].URL) != "/fa/news/312480" || vaezi.Also[0].Outlet != "eghtesad24" {
		t.Errorf("also-in of the republished story = %+v", vaezi.Also)
	}
	if topicOf(d, "/news/1405090500940") != "politics" {
		t.Errorf("republished story under %q, want politics", topicOf(d, "/news/1405090500940"))
	}

	// Tehran days: 00:10 on 09/05 is in, 23:50 on 09/04 is not.
	if _, ok := stories["/news/1405090500087"]; !ok {
		t.Error("the article of 00:10 Tehran time (20:40 UTC the day before) is missing")
	}
	if _, ok := stories["/news/1405090406230"]; ok {
		t.Error("the article of 23:50 on the previous Tehran day is in the digest")
	}
	// Same subject, different text: two stories.
	if _, ok := stories["/news/1405090501850"]; !ok {
		t.Error("ISNA's dollar-rate report is missing")
	}
	if s, ok := stories["/fa/news/312489"]; !ok || strings.HasPrefix(s.Title, "also:") {
		t.Error("Eghtesad24's own dollar-rate report should be a story of its own")
	}
	// The advertorial («رپرتاژ آگهی») is paid content, not news.
	if _, ok := stories["/news/1405090504402"]; ok {
		t.Error("the advertorial is in the digest")
	}
	// The cinema article matches no topic: it is under "other".
	if topicOf(d, "/news/1405090503815") != "other" {
		t.Errorf("the cinema article is under %q, want other", topicOf(d, "/news/1405090503815"))
	}
	for _, s := range stories {
		if strings.HasPrefix(s.Summary, "ایسنا/") || strings.HasPrefix(s.Summary, "اقتصاد۲۴") {
			t.Errorf("summary keeps its dateline: %q", s.Summary)
		}
		if strings.Contains(s.Summary, "بیشتر بخوانید") || strings.Contains(s.Summary, "کانال تلگرام") {
			t.Errorf("summary keeps a promo line: %q", s.Summary)
		}
	}
	// An article without a lead is summed up by its first clean paragraph:
	// the promo line it opens with is gone.
	if s := stories["/fa/news/312495"]; !strings.HasPrefix(s.Summary, "بررسی قیمت‌ها در بازار تهران") {
		t.Errorf("summary of the article without a lead = %q, want its first paragraph after the promo line", s.Summary)
	}
}

func topicOf(d model.Digest, urlPath string) string {
	for _, tp := range d.Topics {
		for _, s := range tp.Stories {
			if path(s.URL) == urlPath {
				return tp.ID
			}
		}
	}
	return ""
}

var hostPart = regexp.MustCompile(`^https?://[^/]+`)

func path(u string) string { return hostPart.ReplaceAllString(u, "") }

// TestDemoCleaning checks the clean view of the sample articles through
// `export`, against the demo's store.
func TestDemoCleaning(t *testing.T) {
	dir := demo(t)
	cfg := writeDemoConfig(t, dir)
	code, out, errs := runCmd(t, "export", "-config", cfg)
	if code != 0 {
		t.Fatalf("export exited %d: %s", code, errs)
	}
	articles := map[string]model.Article{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var a model.Article
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("export line: %v", err)
		}
		articles[path(a.URL)] = a
	}
	if len(articles) != 36 {
		t.Errorf("%d articles exported, want the 36 of the sample outlets", len(articles))
	}
	for p, a := range articles {
		if want := p == "/news/1405090504402"; a.Sponsored != want {
			t.Errorf("%s: sponsored %v, want %v (only the advertorial is)", p, a.Sponsored, want)
		}
	}
	for p, a := range articles {
		seen := map[string]bool{}
		for _, para := range a.Paragraphs {
			k := persian.Key(para)
			if seen[k] {
				t.Errorf("%s: paragraph twice in the clean view: %q", p, para)
			}
			seen[k] = true
			for _, marker := range []string{"بیشتر بخوانید", "بیشتر:", "انتهای پیام", "کانال تلگرام اقتصاد۲۴"} {
				if strings.Contains(para, marker) {
					t.Errorf("%s: promo or marker %q left in %q", p, marker, para)
				}
			}
		}
	}

	sample := articles["/fa/news/312480"]
	if n := countReason(sample, model.ReasonPromo); n != 2 {
		t.Errorf("the sample's promo line printed twice: %d promo removals, want 2", n)
	}
	if sample.Source != "isna" || countReason(sample, model.ReasonAttribution) != 1 {
		t.Errorf("sample attribution: source %q, removed %+v", sample.Source, sample.Removed)
	}
	if !strings.HasPrefix(sample.Paragraphs[0], "محمود واعظی") {
		t.Errorf("dateline not cut from the sample's first paragraph: %q", sample.Paragraphs[0])
	}
	if countReason(articles["/fa/news/312417"], model.ReasonDuplicate) != 1 {
		t.Errorf("the spacing-variant duplicate of 312417 was not removed: %+v", articles["/fa/news/312417"].Removed)
	}
	// The Telegram line of every Eghtesad24 article is learned.
	if countReason(articles["/fa/news/312409"], model.ReasonLearned) == 0 {
		t.Errorf("the recurring channel line was not learned: %+v", articles["/fa/news/312409"].Removed)
	}
	if a := articles["/news/1405090500940"]; a.Story == "" || a.Story != articles["/fa/news/312480"].Story {
		t.Errorf("republished copies in different stories: %q vs %q", a.Story, articles["/fa/news/312480"].Story)
	}
	if a := articles["/news/1405090500087"]; a.Published.UTC().Format(time.RFC3339) != "2026-11-25T20:40:00Z" {
		t.Errorf("00:10 Tehran stored as %s, want 2026-11-25T20:40:00Z", a.Published.UTC().Format(time.RFC3339))
	}
}

func countReason(a model.Article, reason string) int {
	n := 0
	for _, r := range a.Removed {
		if r.Reason == reason {
			n++
		}
	}
	return n
}

// writeDemoConfig writes a config that reads the demo's store (the sample
// outlets are gone by then; only stored data is used).
func writeDemoConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "demo.yaml")
	y := `store: ` + filepath.Join(dir, "demo.db") + `
outlets:
  - {id: isna, name: ایسنا, profile: isna, base_url: "http://127.0.0.1:9"}
  - {id: eghtesad24, name: اقتصاد۲۴, profile: eghtesad24, base_url: "http://127.0.0.1:9"}
topics:
  - {id: energy, name: انرژی, keywords: [نفت, گاز]}
subscribers:
  - email: analyst@example.com
`
	if err := os.WriteFile(cfg, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestDemoEML(t *testing.T) {
	dir := demo(t)
	f, err := os.Open(filepath.Join(dir, "digest.eml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msg, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatalf("digest.eml does not parse: %v", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || !strings.Contains(subject, "۵ آذر ۱۴۰۵") {
		t.Errorf("subject %q (%v) lacks the Jalali date", subject, err)
	}
	if to := msg.Header.Get("To"); !strings.Contains(to, "analyst@example.com") {
		t.Errorf("To = %q", to)
	}
	if id := msg.Header.Get("Message-Id"); !regexp.MustCompile(`^<digest-[0-9a-f]+@example\.com>$`).MatchString(id) {
		t.Errorf("Message-ID = %q", id)
	}
	if u := msg.Header.Get("List-Unsubscribe"); u != "<mailto:digest-unsubscribe@example.com>" {
		t.Errorf("List-Unsubscribe = %q", u)
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	types, bodies := mimeParts(t, msg)
	text, html := bodies["text/plain"], bodies["text/html"]
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Errorf("parts = %v, want text/plain then text/html", types)
	}
	for _, want := range []string{"واعظی بر گسترش همکاری‌های تهران و باکو تاکید کرد", "۰۸:۳۰", "لغو اشتراک"} {
		if !strings.Contains(text, want) || !strings.Contains(html, want) {
			t.Errorf("both parts should contain %q", want)
		}
	}
	if !strings.Contains(html, `<html lang="fa" dir="rtl">`) {
		t.Error(`HTML part lacks <html lang="fa" dir="rtl">`)
	}
	if strings.Contains(html, "آزادی بخشی از منابع مالی") {
		t.Error("the sample's promo line reached the mail")
	}
	// 312495 has no lead and opens with a promo line: its summary is its
	// first clean paragraph.
	for name, part := range map[string]string{"text": text, "HTML": html} {
		if !strings.Contains(part, "بررسی قیمت‌ها در بازار تهران") || strings.Contains(part, "بیشتر بخوانید") {
			t.Errorf("the %s part should sum up the article without a lead by its first paragraph, without its promo line", name)
		}
	}
}

// mimeParts reads a digest mail, which must be multipart/alternative with
// UTF-8 parts: the media types of its parts in order, and their bodies by
// type, decoded from quoted-printable.
func mimeParts(t *testing.T, msg *mail.Message) (types []string, bodies map[string]string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("message %s: Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Message-Id"), mt, err)
	}
	bodies = map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return types, bodies
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, cp, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if !strings.EqualFold(cp["charset"], "UTF-8") {
			t.Errorf("%s part charset %q", ct, cp["charset"])
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, ct)
		bodies[ct] = string(body)
	}
}

func TestDemoOutbox(t *testing.T) {
	dir := demo(t)
	emls, err := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	if err != nil || len(emls) != 2 {
		t.Fatalf("outbox holds %d .eml files, want one per demo subscriber (2): %v", len(emls), err)
	}
	// Sending the same day again through the outbox sends nothing.
	cfg := writeDemoConfig(t, dir)
	y, _ := os.ReadFile(cfg)
	y = append(y, []byte("  - email: energy-desk@example.com\n    topics: [energy]\nmail: {transport: file, dir: "+filepath.Join(dir, "outbox")+"}\n")...)
	os.WriteFile(cfg, y, 0o644)
	code, out, errs := runCmd(t, "digest", "-config", cfg, "-date", "1405/09/05", "-send")
	if code != 0 || !strings.Contains(out, "sent 0") {
		t.Errorf("second send: exit %d, %q %q; want nothing sent", code, out, errs)
	}
	again, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	if len(again) != 2 {
		t.Errorf("outbox holds %d .eml files after a second send, want 2", len(again))
	}
}

// TestDemoGoldenHTML compares the demo's digest.html with the golden file,
// loopback ports replaced. Update with: go test ./cmd/mediadigest -update
func TestDemoGoldenHTML(t *testing.T) {
	dir := demo(t)
	got, err := os.ReadFile(filepath.Join(dir, "digest.html"))
	if err != nil {
		t.Fatal(err)
	}
	got = regexp.MustCompile(`http://127\.0\.0\.1:\d+`).ReplaceAll(got, []byte("http://sample-outlet"))
	golden := filepath.Join("testdata", "demo-digest.html")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/mediadigest -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("digest.html differs from %s; look at it, then run go test ./cmd/mediadigest -update", golden)
	}
}

// signalWriter collects what is written and closes ready once it holds
// want.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	want  string
	ready chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if w.ready != nil && strings.Contains(w.buf.String(), w.want) {
		close(w.ready)
		w.ready = nil
	}
	return n, err
}

// TestDemoKeep: demo -keep leaves the sample outlets up with a config
// that the other commands can use on them, until interrupted.
func TestDemoKeep(t *testing.T) {
	dir := t.TempDir()
	ready := make(chan struct{})
	out := &signalWriter{want: "until Ctrl-C", ready: ready}
	ctx, cancel := context.WithCancel(t.Context())
	code := make(chan int)
	go func() {
		var errb bytes.Buffer
		code <- run(ctx, testClock(), []string{"demo", "-keep", "-out", dir}, out, &errb)
	}()
	select {
	case <-ready:
	case c := <-code:
		t.Fatalf("demo -keep exited %d before serving", c)
	}
	cfg := filepath.Join(dir, "demo.yaml")
	c, stdout, stderr := runCmd(t, "crawl", "-config", cfg)
	if c != 0 || !strings.Contains(stdout, "isna") {
		t.Errorf("crawl with %s: exit %d\n%s\n%s", cfg, c, stdout, stderr)
	}
	cancel()
	if c := <-code; c != 0 {
		t.Errorf("demo -keep exited %d after the interrupt, want 0", c)
	}
}

// TestDigestStoriesAreExportStories: the digest and export read the same
// stored stories. Every story of the demo's digest is exactly the set of
// articles that share its story id in `export` (its paid copies aside),
// shown under the first topic export gives its headline.
func TestDigestStoriesAreExportStories(t *testing.T) {
	dir := demo(t)
	d := readDigest(t, dir)
	code, out, errs := runCmd(t, "export", "-config", writeDemoConfig(t, dir))
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errs)
	}
	byStory := map[string][]string{} // story → URLs, paid ones left out
	topics := map[string][]string{}  // URL → ranked topics
	for line := range strings.Lines(out) {
		var a model.Article
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		if a.Story == "" {
			t.Errorf("%s has no story in export", a.URL)
		}
		topics[a.URL] = a.Topics
		if !a.Sponsored {
			byStory[a.Story] = append(byStory[a.Story], a.URL)
		}
	}
	stories := 0
	for _, tp := range d.Topics {
		for _, s := range tp.Stories {
			stories++
			got := []string{s.URL}
			for _, a := range s.Also {
				got = append(got, a.URL)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(byStory[s.ID]))
			if !slices.Equal(got, want) {
				t.Errorf("story %s: the digest shows %v, export gives the story %v", s.ID, got, want)
			}
			section := model.OtherTopicID
			if ts := topics[s.URL]; len(ts) > 0 {
				section = ts[0]
			}
			if tp.ID != section {
				t.Errorf("story %s is under %s in the digest, its headline's first topic in export is %s", s.ID, tp.ID, section)
			}
		}
	}
	if stories < 10 {
		t.Errorf("the demo's digest shows %d stories; the check wants the sample day's", stories)
	}
}
