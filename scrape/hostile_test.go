package scrape

import (
	"bytes"
	"compress/gzip"
	"errors"
	"maps"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// maxGrowth bounds what one hostile page may make the crawler allocate in
// all: the 10 MiB body limit read once, plus slack. Any handler below would
// blow far past it if its body were read whole.
const maxGrowth = 100 << 20

// hostileOptions are the crawl defaults of the config (10 MiB bodies), with
// the timeout given and no retries. A case cut off by the body limit gets
// a long timeout, so that a slow machine reading 10 MiB under -race fails
// no case for the wrong reason.
func hostileOptions(timeout time.Duration) Options {
	opt := testOptions()
	opt.MaxBody = 10 << 20
	opt.Timeout = timeout
	opt.Retries = -1
	return opt
}

// filler streams an article page padded to size bytes (size < 0: without
// end) in 32 KiB writes, and stops when the client goes away. It allocates
// nothing per write, so the test measures the crawler's memory alone.
func filler(size int64, withLength bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		head := []byte(articleHTML("خبر 1", "متن خبر.") + "<!--")
		if withLength {
			w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if _, err := w.Write(head); err != nil {
			return
		}
		chunk := []byte(strings.Repeat("x", 32<<10))
		for n := int64(len(head)); size < 0 || n < size; n += int64(len(chunk)) {
			if size >= 0 {
				chunk = chunk[:min(int64(len(chunk)), size-n)]
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
}

// gzipBomb sends 1 GiB of zeros gzip-compressed, about 1 MiB on the wire,
// under the given header: 1024 gzip members of 1 MiB of zeros each, which a
// gzip reader reads as one stream.
func gzipBomb(header, value string) http.HandlerFunc {
	var member bytes.Buffer
	gz := gzip.NewWriter(&member)
	if _, err := gz.Write(make([]byte, 1<<20)); err != nil {
		panic(err)
	}
	if err := gz.Close(); err != nil {
		panic(err)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(header, value)
		if header != "Content-Type" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		for range 1024 {
			if _, err := w.Write(member.Bytes()); err != nil {
				return
			}
		}
	}
}

// trickle sends an endless body one byte every 10 ms.
func trickle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	for {
		if _, err := w.Write([]byte("<")); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-time.After(10 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
	}
}

// TestHostileBodies: pages far larger than max_body, endless or
// decompressing to a gigabyte are cut off with a reason, after reading at
// most max_body of them, and within the request timeout.
func TestHostileBodies(t *testing.T) {
	tests := []struct {
		name    string
		path    string // the hostile resource; "/news/1" unless set
		handler http.HandlerFunc
		reason  string
		msg     string // in the error message
	}{
		{"50 MB page with Content-Length", "", filler(50<<20, true), ReasonTooLarge, "Content-Length 52428800 is over the limit of 10485760 bytes"},
		{"50 MB page without Content-Length", "", filler(50<<20, false), ReasonTooLarge, "body larger than 10485760 bytes"},
		{"endless page", "", filler(-1, false), ReasonTooLarge, "body larger than 10485760 bytes"},
		{"endless page, one byte at a time", "", trickle, ReasonTimeout, "no complete response within 1s (crawl.timeout)"},
		{"gzip bomb with the Content-Encoding the client asked for", "", gzipBomb("Content-Encoding", "gzip"), ReasonTooLarge, "body larger than 10485760 bytes"},
		{"gzip bomb as x-gzip, an encoding the client did not ask for", "", gzipBomb("Content-Encoding", "x-gzip"), ReasonEncoding, `unsupported Content-Encoding "x-gzip"`},
		{"gzip bomb as a gzip file", "", gzipBomb("Content-Type", "application/gzip"), ReasonEncoding, "a compressed file (application/gzip), not a page"},
		// colly would gunzip any body whose URL ends in .xml.gz.
		{"gzip bomb at a .xml.gz URL", "/news/1.xml.gz", gzipBomb("Content-Type", "text/html; charset=utf-8"), ReasonExtract, "title"},
		{"endless robots.txt", "/robots.txt", filler(-1, false), ReasonTooLarge, "robots.txt: body too large: more than 10485760 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t, item{link: "/news/1", published: published})
			path := tt.path
			if path == "" {
				path = "/news/1"
			}
			s.handle(path, tt.handler)
			if strings.HasPrefix(path, "/news/1.") {
				s.handle("/news/1", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, path, http.StatusFound) })
			}
			opt := hostileOptions(30 * time.Second)
			if tt.reason == ReasonTimeout {
				opt = hostileOptions(time.Second)
			}

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			var k sink
			st, err := New(opt).Crawl(t.Context(), s.outlet(), nil, nil, k.put)
			took := time.Since(start)
			runtime.ReadMemStats(&after)

			if grew := after.TotalAlloc - before.TotalAlloc; grew > maxGrowth {
				t.Errorf("the crawl allocated %d MiB, want under %d MiB: the body was read whole", grew>>20, maxGrowth>>20)
			}
			if took > opt.Timeout+10*time.Second {
				t.Errorf("the crawl took %v with a %v timeout", took, opt.Timeout)
			}
			if len(k.pages) != 0 || st.Failures[tt.reason] == 0 {
				t.Fatalf("stats = %+v, %d pages; want a %s failure and no page", st, len(k.pages), tt.reason)
			}
			if path == "/robots.txt" {
				// Without robots.txt nothing may be fetched: the feed fails,
				// and with it the run.
				if err == nil || !strings.Contains(err.Error(), tt.msg) {
					t.Errorf("err = %v, want the run failed saying %q", err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]int{tt.reason: 1}; st.Failed != 1 || !maps.Equal(st.Failures, want) {
				t.Errorf("stats = %+v, want only %v", st, want)
			}
			if e := st.Errors[0]; e.URL != s.srv.URL+"/news/1" || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("Errors[0] = %+v, want /news/1 with a message saying %q", e, tt.msg)
			}
		})
	}
}

// TestRedirectSchemes: a redirect leaves http(s) for nothing, whatever the
// scheme (the off-site case is TestOffSiteRedirect).
func TestRedirectSchemes(t *testing.T) {
	for _, location := range []string{
		"file:///etc/passwd",
		"ftp://127.0.0.1/news/1",
		"javascript:alert(document.cookie)",
		"data:text/html,<h1>خبر</h1>",
		"gopher://127.0.0.1:70/1",
	} {
		t.Run(location, func(t *testing.T) {
			s := newSite(t, item{link: "/news/1", published: published})
			s.handle("/news/1", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", location)
				w.WriteHeader(http.StatusFound)
			})
			var k sink
			st, err := New(testOptions()).Crawl(t.Context(), s.outlet(), nil, nil, k.put)
			if err != nil {
				t.Fatal(err)
			}
			if st.Failures[ReasonRedirect] != 1 || st.Failed != 1 || len(k.pages) != 0 {
				t.Fatalf("stats = %+v, %d pages; want one redirect failure", st, len(k.pages))
			}
			if msg := st.Errors[0].Message; !strings.Contains(msg, "redirect refused") {
				t.Errorf("message %q does not say the redirect was refused", msg)
			}
		})
	}
}

// TestFetchRefusesHostileBodies: the extract command's single fetch keeps
// the same limits as the crawler, and fails with the crawler's reasons.
func TestFetchRefusesHostileBodies(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
		reason  string
	}{
		{"endless page", filler(-1, false), "larger than", ReasonTooLarge},
		{"gzip bomb", gzipBomb("Content-Encoding", "gzip"), "larger than", ReasonTooLarge},
		{"gzip bomb as x-gzip", gzipBomb("Content-Encoding", "x-gzip"), `unsupported Content-Encoding "x-gzip"`, ReasonEncoding},
		{"redirect to a file", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		}, "redirect refused", ReasonRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t)
			s.handle("/news/1", tt.handler)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := New(hostileOptions(30*time.Second)).Fetch(t.Context(), s.outlet(), s.srv.URL+"/news/1")
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Fetch: %v, want an error saying %q", err, tt.want)
			}
			if pe, ok := errors.AsType[*PageError](err); !ok || pe.Reason != tt.reason {
				t.Errorf("Fetch: %#v, want a *PageError for %s", err, tt.reason)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > maxGrowth {
				t.Errorf("Fetch allocated %d MiB, want under %d MiB", grew>>20, maxGrowth>>20)
			}
		})
	}
}
