package scrape

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gocolly/colly/v2"
)

func TestDecode(t *testing.T) {
	const persian = "گزارش ويژه" // Arabic yeh: windows-1256 has no Persian one
	cp1256 := func(s string) []byte { return encode1256(t, s) }
	padding := "<script>" + strings.Repeat("var a = 1;\n", 120) + "</script>"
	// An article paragraph, in letters windows-1256 has, so that one text
	// can be sent in either encoding.
	const para = "به گزارش خبرنگار اقتصادي، قيمت دلار در بازار آزاد تهران امروز با افزايش همراه بود و معامله‌گران از رشد تقاضا در بازار ارز خبر دادند."
	article := "<html><head><title>بازار ارز</title></head><body><h1>افزايش قيمت دلار</h1><p>" + para + "</p><p>" + para + "</p></body></html>"
	tests := []struct {
		name, contentType string
		body              []byte
		want              string // a substring of the decoded text
		err               bool
	}{
		{"utf-8 declared", "text/html; charset=utf-8", []byte("<p>" + persian + "</p>"), "<p>" + persian + "</p>", false},
		{"utf-8 undeclared", "text/html", []byte("<p>" + persian + "</p>"), "<p>" + persian, false},
		{"utf-8 BOM wins over header", "text/html; charset=windows-1256", []byte("\uFEFF<p>" + persian + "</p>"), "<p>" + persian, false},
		{"windows-1256 header", "text/html; charset=windows-1256", cp1256("<p>" + persian + "</p>"), persian, false},
		{"windows-1256 early meta", "text/html", cp1256(`<meta charset="windows-1256"><p>` + persian + "</p>"), persian, false},
		{"windows-1256 meta beyond 1024 bytes", "", cp1256(`<html><head>` + padding + `<meta http-equiv="content-type" content="text/html; charset=windows-1256"></head><p>` + persian + "</p>"), persian, false},
		{"header wins over meta", "text/html; charset=windows-1256", cp1256(`<meta charset="utf-8"><p>` + persian + "</p>"), persian, false},
		{"undeclared and not UTF-8: windows-1256", "text/html", cp1256("<p>" + persian + "</p>"), persian, false},
		{"utf-16 meta means utf-8", "text/html", []byte(`<meta charset="utf-16"><p>` + persian + "</p>"), persian, false},
		{"unknown charset, UTF-8 body", "text/html", []byte(`<meta charset="x-persian-7"><p>` + persian + "</p>"), persian, false},
		{"unknown charset, other bytes", "text/html", append([]byte(`<meta charset="x-persian-7"><p>`), 0xff, 0xfe, 0x81), "", true},
		{"invalid bytes in UTF-8", "text/html; charset=utf-8", []byte("<p>a\xffb</p>"), "<p>a\uFFFDb</p>", false},
		// A windows-1252 curly quote pasted into a UTF-8 page.
		{"undeclared UTF-8 with a stray byte", "text/html", []byte(strings.Replace(article, "امروز", "\x93امروز", 1)), "بازار آزاد تهران \uFFFDامروز با افزايش", false},
		{"undeclared UTF-8 cut inside its last character", "", []byte(article + "<p>پایا")[:len(article)+len("<p>پایا")-1], "<h1>افزايش قيمت دلار</h1>", false},
		{"unknown charset, UTF-8 body with a stray byte", "text/html", []byte(`<meta charset="x-persian-7">` + strings.Replace(article, "امروز", "\xffامروز", 1)), "\uFFFDامروز", false},
		{"undeclared windows-1256 article", "text/html", cp1256(article), "<p>" + para + "</p>", false},
		{"undeclared windows-1256 article, one character valid as UTF-8", "text/html", cp1256(article + "<p>بک</p>"), "<p>" + para + "</p>", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := Decode(tt.body, tt.contentType)
			if tt.err {
				if err == nil {
					t.Fatalf("decode = %q, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(got, []byte(tt.want)) {
				t.Errorf("decode = %q, want it to contain %q", got, tt.want)
			}
			if bytes.HasPrefix(got, []byte("\uFEFF")) {
				t.Error("the BOM survived")
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"1", time.Second, true},
		{"120", 2 * time.Minute, true},
		{"0", 0, true},
		{"-3", 0, true},
		{"86400", maxRetryAfter, true},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{now.Add(time.Hour).Format(http.TimeFormat), maxRetryAfter, true},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		got, ok := retryAfter(&h, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {7, maxBackoff}, {60, maxBackoff},
	}
	for _, tt := range tests {
		if got := backoff(time.Second, tt.attempt); got != tt.want {
			t.Errorf("backoff(1s, %d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "http://x/", Err: err} }
	tests := []struct {
		err    error
		status int
		abort  string
		want   string
	}{
		{errors.New("Not Found"), 404, "", ReasonHTTP4xx},
		{errors.New("Too Many Requests"), 429, "", ReasonHTTP4xx},
		{errors.New("Bad Gateway"), 502, "", ReasonHTTP5xx},
		{errors.New("Not Modified"), 304, "", ReasonRedirect},
		{colly.ErrAbortedAfterHeaders, 0, ReasonTooLarge, ReasonTooLarge},
		{colly.ErrRobotsTxtBlocked, 0, "", ReasonRobots},
		{urlErr(fmt.Errorf("%w: loop", errRedirect)), 0, "", ReasonRedirect},
		{urlErr(timeoutErr{}), 0, "", ReasonTimeout},
		{urlErr(syscall.ECONNRESET), 0, "", ReasonReset},
		{urlErr(io.EOF), 0, "", ReasonReset},
		{urlErr(syscall.ECONNREFUSED), 0, "", ReasonReset},
		{urlErr(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "www.mehrnews.com", IsNotFound: true}}), 0, "", ReasonDNS},
	}
	for _, tt := range tests {
		if got := classify(tt.err, tt.status, tt.abort); got != tt.want {
			t.Errorf("classify(%v, %d, %q) = %q, want %q", tt.err, tt.status, tt.abort, got, tt.want)
		}
	}
}

func TestIsChallenge(t *testing.T) {
	tests := []struct {
		name string
		body string
		want bool
	}{
		{"challenge", `<html><body><script>/* arvancloud */</script></body></html>`, true},
		{"any case", `<title>ArvanCloud</title>`, true},
		{"ordinary page", `<html><body><h1>خبر</h1></body></html>`, false},
		{"long article naming ArvanCloud", `<p>ابرآروان (ArvanCloud)</p>` + strings.Repeat("<p>متن خبر</p>", 4000), false},
	}
	for _, tt := range tests {
		if got := isChallenge([]byte(tt.body)); got != tt.want {
			t.Errorf("%s: isChallenge = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// redirects answers /news/1 through a chain of n redirects.
func redirects(s *site, n int) {
	for k := 0; k <= n; k++ {
		path := "/news/1"
		if k > 0 {
			path = fmt.Sprintf("/hop/%d", k)
		}
		s.handle(path, func(w http.ResponseWriter, r *http.Request) {
			if k == n {
				fmt.Fprint(w, articleHTML("خبر", "متن خبر."))
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/hop/%d", k+1), http.StatusFound)
		})
	}
}

// TestFetchFailsAsCrawlDoes: Fetch (extract URL) and a crawl give one page
// the same fate, with the same reason: one classifier, one redirect limit.
func TestFetchFailsAsCrawlDoes(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(s *site)
		reason string // "" when the page is read
	}{
		{"not found", func(s *site) { s.handle("/news/1", http.NotFound) }, ReasonHTTP4xx},
		{"server error", func(s *site) {
			s.handle("/news/1", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusBadGateway) })
		}, ReasonHTTP5xx},
		{"challenge page", func(s *site) {
			s.handle("/news/1", func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `<html><body>ArvanCloud</body></html>`)
			})
		}, ReasonBlocked},
		{"too long by Content-Length", func(s *site) {
			s.handle("/news/1", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "1000000")
				fmt.Fprint(w, "<html>")
			})
		}, ReasonTooLarge},
		{"no answer in time", func(s *site) {
			s.handle("/news/1", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		}, ReasonTimeout},
		{fmt.Sprintf("%d redirects", maxRedirects), func(s *site) { redirects(s, maxRedirects) }, ""},
		{fmt.Sprintf("%d redirects", maxRedirects+1), func(s *site) { redirects(s, maxRedirects+1) }, ReasonRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSite(t, item{link: "/news/1", published: published})
			tt.setup(s)
			opt := testOptions()
			opt.Retries = -1
			// Short only where the timeout is what the case is about: a
			// slow machine must not time the others out.
			opt.Timeout = 30 * time.Second
			if tt.reason == ReasonTimeout {
				opt.Timeout = 200 * time.Millisecond
			}
			c := New(opt)
			st, err := c.Crawl(t.Context(), s.outlet(), nil, nil, (&sink{}).put)
			if err != nil {
				t.Fatal(err)
			}
			crawled := ""
			if len(st.Errors) > 0 {
				crawled = st.Errors[0].Reason
			}
			_, err = c.Fetch(t.Context(), s.outlet(), s.srv.URL+"/news/1")
			fetched := ""
			if pe, ok := errors.AsType[*PageError](err); ok {
				fetched = pe.Reason
			} else if err != nil {
				t.Fatalf("Fetch: %v, not a *PageError", err)
			}
			if crawled != tt.reason || fetched != tt.reason {
				t.Errorf("crawl failed with %q (%+v), Fetch with %q (%v); want %q for both", crawled, st.Errors, fetched, err, tt.reason)
			}
		})
	}
}
