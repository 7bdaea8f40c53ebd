package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mediadigest/model"
	"mediadigest/sampleoutlets"
	"mediadigest/store"
)

func writeConfig(t *testing.T, y string) string {
	t.Helper()
	dir := t.TempDir()
	y = strings.ReplaceAll(y, "{DIR}", dir)
	p := filepath.Join(dir, "mediadigest.yaml")
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const minimal = `store: "{DIR}/md.db"
outlets:
  - {id: isna, profile: isna, base_url: "BASE"}
topics:
  - {id: energy, name: انرژی, keywords: [نفت]}
subscribers:
  - email: a@example.com
`

func TestUsageAndExitCodes(t *testing.T) {
	good := writeConfig(t, strings.Replace(minimal, "BASE", "https://www.isna.ir", 1))
	bad := writeConfig(t, "outlets:\n  - id: isna\n    colour: red\n")
	tests := []struct {
		name    string
		args    []string
		code    int
		wantErr string // in stderr
		wantOut string // in stdout
	}{
		{"no command", nil, 2, "usage: mediadigest COMMAND", ""},
		{"help", []string{"-h"}, 0, "Commands:", ""},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`, ""},
		{"command help", []string{"digest", "-h"}, 0, "-subscriber", ""},
		{"bad flag", []string{"crawl", "-nope"}, 2, "flag provided but not defined", ""},
		{"missing config", []string{"crawl", "-config", filepath.Join(t.TempDir(), "none.yaml")}, 2, "mediadigest.example.yaml", ""},
		{"check ok", []string{"check", "-config", good}, 0, "", ": ok (1 outlets"},
		{"check problems", []string{"check", "-config", bad}, 2, "2 problem(s)", `mediadigest.yaml:3: unknown key "colour"`},
		{"bad date", []string{"digest", "-config", good, "-date", "yesterday"}, 2, "-date", ""},
		{"bad format", []string{"digest", "-config", good, "-format", "pdf"}, 2, `-format "pdf"`, ""},
		{"unknown subscriber", []string{"digest", "-config", good, "-subscriber", "x@example.com"}, 2, "unknown subscriber", ""},
		{"unknown outlet", []string{"crawl", "-config", good, "-outlet", "tabnak"}, 2, `unknown outlet "tabnak"`, ""},
		{"backfill needs flags", []string{"backfill", "-config", good}, 2, "-outlet and -from are required", ""},
		{"backfill bad range", []string{"backfill", "-config", good, "-outlet", "isna", "-from", "1405/09/05", "-to", "1405/09/01"}, 2, "is before", ""},
		{"extract needs a page", []string{"extract", "-config", good, "-outlet", "isna"}, 2, "one URL or FILE", ""},
		{"export bad since", []string{"export", "-config", good, "-since", "soon"}, 2, "-since", ""},
		{"empty digest prints", []string{"digest", "-config", good, "-date", "2026-11-26", "-format", "json"}, 0, "", `"jalali_date": "1405/09/05"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCmd(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errs)
			}
			if !strings.Contains(errs, tt.wantErr) {
				t.Errorf("stderr %q lacks %q", errs, tt.wantErr)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout %q lacks %q", out, tt.wantOut)
			}
		})
	}
}

// TestCrawlUnreachableOutlet: a dead outlet fails the run (exit 1) with its
// URL named, and what was stored before stays.
func TestCrawlUnreachableOutlet(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	cfg := writeConfig(t, strings.Replace(minimal, "BASE", url, 1)+"crawl: {retries: 0, timeout: 2s, delay: 0s}\n")
	code, out, errs := runCmd(t, "crawl", "-config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if !strings.Contains(out+errs, url) {
		t.Errorf("output does not name the unreachable URL %s:\n%s\n%s", url, out, errs)
	}
	code, out, _ = runCmd(t, "status", "-config", cfg)
	if code != 0 || !strings.Contains(out, "failures in a row 1") {
		t.Errorf("status after a failed crawl: exit %d\n%s", code, out)
	}
}

// TestCrawlTwiceThenBackfill is the new user's path on the sample outlets:
// crawl twice stores every feed article once, backfill of the sample days
// finds the articles missing from the feeds, and a second backfill fetches
// nothing.
func TestCrawlTwiceThenBackfill(t *testing.T) {
	srv, err := sampleoutlets.Start(sampleoutlets.Reference)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := writeConfig(t, `store: "{DIR}/md.db"
crawl: {delay: 0s}
outlets:
  - {id: isna, profile: isna, base_url: "`+srv.URL("isna")+`", feeds: [/rss, /rss/tp/34]}
  - {id: eghtesad24, profile: eghtesad24, base_url: "`+srv.URL("eghtesad24")+`"}
topics:
  - {id: energy, name: انرژی, keywords: [نفت, گاز]}
subscribers:
  - email: a@example.com
`)
	count := func() int {
		code, out, errs := runCmd(t, "export", "-config", cfg)
		if code != 0 {
			t.Fatalf("export: %s", errs)
		}
		return strings.Count(out, "\n")
	}
	code, out, errs := runCmd(t, "crawl", "-config", cfg)
	if code != 0 || !strings.Contains(out, "isna         new 15") || !strings.Contains(out, "eghtesad24   new 12") {
		t.Fatalf("first crawl: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runCmd(t, "crawl", "-config", cfg)
	if code != 0 || strings.Contains(out, "new 1") || !strings.Contains(out, "isna         new 0") {
		t.Fatalf("second crawl should store nothing new: exit %d\n%s", code, out)
	}
	if n := count(); n != 27 {
		t.Errorf("%d articles after two crawls, want 27", n)
	}
	for _, id := range []string{"isna", "eghtesad24"} {
		code, out, errs = runCmd(t, "backfill", "-config", cfg, "-outlet", id, "-from", "2026-11-25", "-to", "1405/09/05")
		if code != 0 {
			t.Fatalf("backfill %s: exit %d\n%s\n%s", id, code, out, errs)
		}
	}
	if n := count(); n != 36 {
		t.Errorf("%d articles after backfill, want the 36 of the sample outlets", n)
	}
	code, out, _ = runCmd(t, "backfill", "-config", cfg, "-outlet", "isna", "-from", "1405/09/04", "-to", "1405/09/05")
	if code != 0 || !strings.Contains(out, "new 0") || !strings.Contains(out, "failed 0") {
		t.Errorf("second backfill: exit %d\n%s", code, out)
	}
}

// TestCrawlBlockedOutlet: a challenge page is an error for that outlet (exit
// 1, one clear line), never an article.
func TestCrawlBlockedOutlet(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<html><head><title>Checking your browser</title></head><body><script src="/cdn-cgi/arvancloud/challenge.js"></script></body></html>`))
	}))
	defer srv.Close()
	cfg := writeConfig(t, strings.Replace(minimal, "BASE", srv.URL, 1)+"crawl: {retries: 0, delay: 0s}\n")
	code, out, errs := runCmd(t, "crawl", "-config", cfg)
	if code != 1 || !strings.Contains(out, "BLOCKED") || !strings.Contains(errs, "challenge page") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	code, out, _ = runCmd(t, "export", "-config", cfg)
	if code != 0 || out != "" {
		t.Errorf("a challenge page was stored as an article: %q", out)
	}
}

// TestExportUnderived: an article stored by a crawl killed before its
// derived-views pass exports with its raw paragraphs and "derived": false,
// never "paragraphs": null; empty lists are [], and an unknown -outlet is
// refused.
func TestExportUnderived(t *testing.T) {
	cfg := writeConfig(t, strings.Replace(minimal, "BASE", "https://www.isna.ir", 1))
	st, err := store.Open(t.Context(), filepath.Join(filepath.Dir(cfg), "md.db"))
	if err != nil {
		t.Fatal(err)
	}
	a := &model.Article{URL: "https://www.isna.ir/news/1405090501372/", Outlet: "isna", Title: "سهمیه بنزین آذرماه واریز شد",
		Published: testClock().Now().Add(-time.Hour), Raw: []string{"سهمیه بنزین آذرماه به کارت‌های سوخت واریز شد."}}
	if _, err := st.UpsertArticle(t.Context(), a, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, out, errs := runCmd(t, "export", "-config", cfg)
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errs)
	}
	for _, want := range []string{`"derived":false`, `"paragraphs":["سهمیه بنزین آذرماه به کارت‌های سوخت واریز شد."]`, `"removed":[]`, `"tags":[]`, `"topics":[]`} {
		if !strings.Contains(out, want) {
			t.Errorf("export lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "null") {
		t.Errorf("export prints null:\n%s", out)
	}
	if code, _, errs := runCmd(t, "export", "-config", cfg, "-outlet", "tabnak"); code != 2 || !strings.Contains(errs, `unknown outlet "tabnak"`) {
		t.Errorf("export -outlet tabnak: exit %d, %s; want 2 naming the outlet", code, errs)
	}
}

// TestSendEverythingDue: `digest -send` to 1,500 subscribers sends all
// 1,500, batch after batch, and exits 0 (it once stopped after its first
// 1,000 and said the rest were due later).
func TestSendEverythingDue(t *testing.T) {
	var subs strings.Builder
	for i := range 1500 {
		fmt.Fprintf(&subs, "  - email: reader%04d@example.com\n", i)
	}
	cfg := writeConfig(t, `store: "{DIR}/md.db"
outlets:
  - {id: isna, profile: isna, base_url: "https://www.isna.ir"}
subscribers:
`+subs.String()+`mail: {transport: file, dir: "{DIR}/outbox"}
`)
	code, out, errs := runCmd(t, "digest", "-config", cfg, "-date", "1405/09/05", "-send")
	if code != 0 || !strings.Contains(out, "queued 1500, sent 1500, to retry 0, failed 0") {
		t.Errorf("digest -send: exit %d\n%s%s", code, out, errs)
	}
	files, err := filepath.Glob(filepath.Join(filepath.Dir(cfg), "outbox", "*.eml"))
	if err != nil || len(files) != 1500 {
		t.Errorf("%d digests written, %v; want 1500", len(files), err)
	}
}
