package scrape

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	// The title and last paragraph of the pages under testdata/charset,
	// with the Arabic yeh of windows-1256 (the UTF-8 page has the Persian
	// one).
	title1256 = "عرضه ارز در سامانه معاملات آغاز شد"
	lastPara  = "وي در پايان تاکيد کرد: «هيچ کمبودي در ذخاير ارزي کشور وجود ندارد و بازار در هفته هاي آينده به ثبات مي رسد.»"
)

func readPage(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/charset/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodePages: whole pages of an old Persian news site, one saved in
// windows-1256 as it served them (its <meta> past the first KiB, behind a
// script), one served as UTF-8 under a windows-1256 declaration, the
// misconfiguration that made mojibake of such pages: each reads as its
// text, and only the second warns.
func TestDecodePages(t *testing.T) {
	persian := func(s string) string { return strings.ReplaceAll(s, "ي", "ی") }
	tests := []struct {
		name, file, contentType string
		title                   string
		warning                 string // in the warning; "" for none
	}{
		{"windows-1256, declared by meta", "cp1256-article.html", "", title1256, ""},
		{"windows-1256, declared by header and meta", "cp1256-article.html", "text/html; charset=windows-1256", title1256, ""},
		{"UTF-8 declared windows-1256 by meta", "utf8-declared-cp1256.html", "", persian(title1256), "declares charset windows-1256 but is UTF-8"},
		{"UTF-8 declared windows-1256 by header", "utf8-declared-cp1256.html", "text/html; charset=windows-1256", persian(title1256), "declares charset windows-1256 but is UTF-8"},
		{"UTF-8 declared ISO-8859-6 by header", "utf8-declared-cp1256.html", "text/html; charset=ISO-8859-6", persian(title1256), "declares charset iso-8859-6 but is UTF-8"},
		{"UTF-8 declared UTF-8", "utf8-declared-cp1256.html", "text/html; charset=utf-8", persian(title1256), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, warning, err := Decode(readPage(t, tt.file), tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(text, []byte("<h1>"+tt.title+"</h1>")) {
				t.Errorf("no <h1>%s</h1> in the decoded page: %.300q", tt.title, text)
			}
			if bytes.ContainsRune(text, utf8.RuneError) {
				t.Error("the decoded page holds U+FFFD")
			}
			switch {
			case tt.warning == "" && warning != "":
				t.Errorf("warning %q, want none", warning)
			case !strings.Contains(warning, tt.warning):
				t.Errorf("warning %q, want one saying %q", warning, tt.warning)
			}
		})
	}
}

// TestCrawlDecodesMislabelledPages: the crawl and Fetch (extract URL)
// store and return a page served as windows-1256 but holding UTF-8 as its
// text, with one warning naming its URL; a true windows-1256 page as its
// text, without one.
func TestCrawlDecodesMislabelledPages(t *testing.T) {
	s := newSite(t, item{link: "/news/1", published: published}, item{link: "/news/2", published: published})
	serve := func(name string) http.HandlerFunc {
		page := readPage(t, name)
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=windows-1256")
			w.Write(page)
		}
	}
	s.handle("/news/1", serve("utf8-declared-cp1256.html"))
	s.handle("/news/2", serve("cp1256-article.html"))
	log := newLogRecorder("")
	opt := testOptions()
	opt.MaxBody = 1 << 20
	opt.Logger = slog.New(log)
	c := New(opt)
	var k sink
	st, err := c.Crawl(t.Context(), s.outlet(), nil, nil, k.put)
	if err != nil || st.New != 2 {
		t.Fatalf("crawl: %+v, %v; want 2 new", st, err)
	}
	persian := func(s string) string { return strings.ReplaceAll(s, "ي", "ی") }
	// Extraction writes the Persian yeh for the Arabic one.
	want := map[string]struct{ title, last string }{
		s.srv.URL + "/news/1": {persian(title1256), persian(lastPara)},
		s.srv.URL + "/news/2": {persian(title1256), persian(lastPara)},
	}
	pages := k.byURL()
	for u, w := range want {
		a := pages[u].Article
		if a.Title != w.title || len(a.Raw) != 5 || a.Raw[4] != w.last {
			t.Errorf("%s: title %q, paragraphs %q; want %q and 5 paragraphs ending %q", u, a.Title, a.Raw, w.title, w.last)
		}
	}
	for _, u := range []string{s.srv.URL + "/news/1", s.srv.URL + "/news/2"} {
		got, err := c.Fetch(t.Context(), s.outlet(), u)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(got, []byte("<h1>"+want[u].title+"</h1>")) {
			t.Errorf("Fetch %s: no <h1>%s</h1>: %.300q", u, want[u].title, got)
		}
	}
	var warned []string
	log.mu.Lock()
	for _, r := range log.recs {
		if strings.Contains(r.Message, "but is UTF-8") {
			r.Attrs(func(a slog.Attr) bool {
				if a.Key == "url" {
					warned = append(warned, a.Value.String())
				}
				return true
			})
		}
	}
	log.mu.Unlock()
	if fmt.Sprint(warned) != fmt.Sprint([]string{s.srv.URL + "/news/1", s.srv.URL + "/news/1"}) {
		t.Errorf("warnings for %q, want one for /news/1 from the crawl and one from Fetch", warned)
	}
}
