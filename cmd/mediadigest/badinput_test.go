package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

// TestBadInputLosesNothing runs the failures of issue 2's "bad input" on a
// store the demo filled: each gives its exit status and names what failed,
// and the stored articles come out of it exactly as they went in.
func TestBadInputLosesNothing(t *testing.T) {
	cfg := writeDemoConfig(t, demo(t))
	export := func() string {
		t.Helper()
		code, out, errs := runCmd(t, "export", "-config", cfg)
		if code != 0 || strings.Count(out, "\n") == 0 {
			t.Fatalf("export: exit %d, %d lines\n%s", code, strings.Count(out, "\n"), errs)
		}
		return out
	}
	// The demo derived its views with its own topics: derive them again
	// with this config's (a crawl does) before taking the reference.
	if code, _, errs := runCmd(t, "crawl", "-config", cfg); code != 1 {
		t.Fatalf("crawl of unreachable outlets: exit %d, want 1\n%s", code, errs)
	}
	before := export()

	// An outlet whose feed lists a page without ISNA's markup: its layout
	// changed, say.
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	const page = "/news/1405090512345/changed-layout"
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "User-agent: *\nAllow: /\n") })
	mux.HandleFunc("/rss", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>ایسنا</title>
<item><title>خبر</title><link>%s%s</link><pubDate>Thu, 26 Nov 2026 06:45:00 GMT</pubDate></item></channel></rss>`, srv.URL, page)
	})
	// The crawler fetches the canonical URL, without the slug.
	mux.HandleFunc(strings.TrimSuffix(page, "/changed-layout"), func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!DOCTYPE html><html lang="fa"><head><title>خبر</title></head><body><main><h2>خبر</h2><p>متن خبر</p></main></body></html>`)
	})
	y, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	changed := writeConfig(t, strings.Replace(string(y), `base_url: "http://127.0.0.1:9"`, `base_url: "`+srv.URL+`"`, 1)+
		"crawl: {retries: 0, timeout: 5s, delay: 0s}\n")

	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout or stderr
	}{
		{"unreachable outlets", []string{"crawl", "-config", cfg}, 1, "127.0.0.1:9"},
		{"a page without the outlet's markup", []string{"crawl", "-config", changed, "-outlet", "isna"}, 1, "no article title"},
		{"a date in no known form", []string{"digest", "-config", cfg, "-date", "26/11/2026"}, 2, "-date"},
		{"a day still running sent", []string{"digest", "-config", cfg, "-date", "2099-01-01", "-send"}, 2, "not over"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCmd(t, tt.args...)
			if code != tt.code || !strings.Contains(out+errs, tt.want) {
				t.Errorf("exit %d, want %d naming %q\nstdout: %s\nstderr: %s", code, tt.code, tt.want, out, errs)
			}
		})
	}
	if after := export(); after != before {
		t.Errorf("the stored articles changed:\nbefore:\n%.2000s\nafter:\n%.2000s", before, after)
	}
}
