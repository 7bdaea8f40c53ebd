package pipeline

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The pages of an old Persian news site under scrape/testdata/charset: one
// saved in windows-1256, one served as UTF-8 under a windows-1256
// declaration.
const (
	cp1256Page     = "../scrape/testdata/charset/cp1256-article.html"
	mislabeledPage = "../scrape/testdata/charset/utf8-declared-cp1256.html"
	charsetTitle   = "عرضه ارز در سامانه معاملات آغاز شد"
	charsetLast    = "وی در پایان تاکید کرد: «هیچ کمبودی در ذخایر ارزی کشور وجود ندارد و بازار در هفته های آینده به ثبات می رسد.»"
)

// charsetPipeline is a pipeline over one outlet at baseURL whose profile
// reads the pages above, logging into log.
func charsetPipeline(t *testing.T, baseURL string, log *bytes.Buffer) *Pipeline {
	t.Helper()
	prof := filepath.Join(t.TempDir(), "old.yaml")
	err := os.WriteFile(prof, []byte(`
id: old
name: خبرگزاری نمونه
feeds: [/rss]
article_url: '^/news/(\d+)'
selectors:
  title: h1
  body: "div.body p"
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, "charset.yaml", `
store: %[1]s/mediadigest.db
crawl: {delay: 0s, timeout: 5s, retries: 0}
outlets:
  - {id: old, profile: "%[2]s", base_url: "%[3]s"}
`, prof, baseURL)
	p, err := New(cfg, testStore(t, cfg), Options{Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExtractFileDecodes: `extract FILE` reads a saved page as the crawl
// does: a windows-1256 page as its text, a UTF-8 page declared
// windows-1256 as UTF-8 with one warning naming the file.
func TestExtractFileDecodes(t *testing.T) {
	for _, tt := range []struct {
		file string
		warn bool
	}{{cp1256Page, false}, {mislabeledPage, true}} {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			var log bytes.Buffer
			p := charsetPipeline(t, "https://old.example", &log)
			a, err := p.Extract(t.Context(), "old", tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if a.Title != charsetTitle || len(a.Raw) != 5 || a.Raw[4] != charsetLast {
				t.Errorf("title %q, paragraphs %q; want %q and 5 paragraphs ending %q", a.Title, a.Raw, charsetTitle, charsetLast)
			}
			warnings := strings.Count(log.String(), "but is UTF-8")
			if named := strings.Count(log.String(), "file="+tt.file); tt.warn && (warnings != 1 || named != 1) || !tt.warn && warnings != 0 {
				t.Errorf("log:\n%s\nwant %v warning naming the file", log.String(), tt.warn)
			}
		})
	}
}

// TestCrawlAndReprocessDecode: a page served as windows-1256 but UTF-8
// is stored as its text, and reprocess reads the stored page back the
// same.
func TestCrawlAndReprocessDecode(t *testing.T) {
	page, err := os.ReadFile(mislabeledPage)
	if err != nil {
		t.Fatal(err)
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/rss":
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>نمونه</title><link>%[1]s</link><description>نمونه</description>
<item><title>ارز</title><link>%[1]s/news/82716</link></item>
</channel></rss>`, srv.URL)
		case "/news/82716":
			w.Header().Set("Content-Type", "text/html; charset=windows-1256")
			w.Write(page)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	var log bytes.Buffer
	p := charsetPipeline(t, srv.URL, &log)
	if _, err := p.Crawl(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	check := func(step string) {
		t.Helper()
		a, err := p.store.Article(t.Context(), srv.URL+"/news/82716")
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if a.Title != charsetTitle || len(a.Raw) != 5 || a.Raw[4] != charsetLast {
			t.Errorf("%s: title %q, paragraphs %q; want %q and 5 paragraphs ending %q", step, a.Title, a.Raw, charsetTitle, charsetLast)
		}
	}
	check("crawl")
	if n := strings.Count(log.String(), "but is UTF-8"); n != 1 {
		t.Errorf("%d warnings of the page declared windows-1256, want 1:\n%s", n, log.String())
	}
	if n, err := p.Reprocess(t.Context(), "old"); err != nil || n != 1 {
		t.Fatalf("reprocess: %d, %v", n, err)
	}
	check("reprocess")
	if n := strings.Count(log.String(), "but is UTF-8"); n != 1 {
		t.Errorf("reprocess warned again of the stored page:\n%s", log.String())
	}
}
