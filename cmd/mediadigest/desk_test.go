package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDeskFromTheDigest: with http.public_url, the story links of a digest
// lead to the desk that serve serves; the sign-in link `link` prints opens
// a session; then the story page of the petrol quota story, which
// Eghtesad24 republished from ISNA, shows what Eghtesad24 changed. Without
// the session it shows nothing.
func TestDeskFromTheDigest(t *testing.T) {
	f := newServeFixture(t)
	f.publicPages(t)
	d := startServe(t, f.config, f.clock)
	waitFor(t, 30*time.Second, "both outlets crawled", func() bool { return crawled(t, d, f.clock.Now()) })

	// The daemon records a crawl, then derives the stories of what it
	// stored; a digest reads the stored stories, so until that pass ends
	// the story has no desk link yet.
	petrol := regexp.MustCompile(`سهمیه بنزین آذرماه به کارت‌های سوخت واریز شد[^\n]*\n(?:[^\n]*\n)*?\s*در میز خبر: (https://news\.example\.com/story/s[0-9a-f]{16})\n`)
	var story []string
	for deadline := time.Now().Add(30 * time.Second); story == nil; time.Sleep(100 * time.Millisecond) {
		code, text, errs := runCmd(t, "digest", "-config", f.config, "-subscriber", "analyst@example.com", "-date", "1405/09/05", "-format", "text")
		if story = petrol.FindStringSubmatch(text); code != 0 || story == nil && time.Now().After(deadline) {
			t.Fatalf("digest: exit %d, no desk link of the petrol quota story within 30s:\n%s\n%s", code, text, errs)
		}
	}
	if c, body := get(t, onDaemon(t, d, story[1])); c != http.StatusForbidden || strings.Contains(string(body), "پارسال") {
		t.Errorf("the story page without a session: %d", c)
	}

	code, link, errs := runCmd(t, "link", "-config", f.config, "analyst@example.com")
	if code != 0 || !strings.HasPrefix(link, "https://news.example.com/login?t=") {
		t.Fatalf("link: exit %d\n%s\n%s", code, link, errs)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar}
	for _, step := range []struct{ url, want string }{
		{onDaemon(t, d, strings.TrimSpace(link)), "<h1>خبرهای امروز، جمعه ۶ آذر ۱۴۰۵</h1>"},
		{onDaemon(t, d, story[1]), `مشابه <del>پارسال</del> <ins>سال گذشته</ins> حدود ۷ درصد بیشتر است. <del>بخشی از این افزایش`},
	} {
		resp, err := browser.Get(step.url)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), step.want) {
			t.Errorf("GET %s: %d, lacks %s:\n%.3000s", step.url, resp.StatusCode, step.want, body)
		}
	}
	d.stop(t, syscall.SIGTERM, 0)
}
