package pipeline

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mediadigest/clock"
	"mediadigest/delivery"
	"mediadigest/digest"
	"mediadigest/jalali"
	"mediadigest/stories"
)

// hostileURL is the path of testdata/isna-hostile.html on the test outlet.
const hostileURL = "/news/1405090599999"

// hostileOutlet serves ISNA's markup with a title, lead and paragraphs
// carrying markup, scripts and CRLF header lines, listed in its feed.
func hostileOutlet(t *testing.T) *httptest.Server {
	t.Helper()
	page, err := os.ReadFile("testdata/isna-hostile.html")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nAllow: /\n")
	})
	mux.HandleFunc(hostileURL, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/rss", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>ایسنا</title><link>%[1]s</link><description>ایسنا</description>
<item><title>&lt;script&gt;alert(1)&lt;/script&gt;</title><link>%[1]s%[2]s</link><pubDate>Thu, 26 Nov 2026 06:45:00 GMT</pubDate></item>
</channel></rss>`, srv.URL, hostileURL)
	})
	return srv
}

// TestHostileArticleReachesMailAsText crawls the hostile page with the
// whole pipeline and mails its day's digest through the file transport:
// the scraped text must arrive as text in both parts, and nothing of it may
// reach the header.
func TestHostileArticleReachesMailAsText(t *testing.T) {
	srv := hostileOutlet(t)
	cfg := testConfig(t, "hostile.yaml", `
store: %[1]s/mediadigest.db
crawl: {delay: 0s, timeout: 5s, retries: 0}
outlets:
  - {id: isna, profile: isna, base_url: "%[2]s", feeds: [/rss]}
topics:
  - {id: currency, name: ارز, keywords: [دلار]}
subscribers:
  - email: analyst@example.com
digest:
  from: "Media Digest <digest@example.com>"
  unsubscribe: "mailto:digest-unsubscribe@example.com"
mail: {transport: file, dir: "%[1]s/outbox"}
`, srv.URL)
	st := testStore(t, cfg)
	clk := clock.NewFake(time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC))
	p := newPipeline(t, cfg, st, clk)
	rep, err := p.Crawl(t.Context(), nil)
	if err != nil || rep.Outlets[0].New != 1 {
		t.Fatalf("crawl: %+v, %v; want the hostile page stored", rep.Outlets, err)
	}
	day, err := jalali.ParseDay("1405/09/05")
	if err != nil {
		t.Fatal(err)
	}
	win := digest.DayWindow(day.Time(cfg.Location), cfg.Location)
	art, err := st.Article(t.Context(), srv.URL+hostileURL)
	if err != nil {
		t.Fatal(err)
	}
	// Markup in the page is dropped, text that looks like markup kept as
	// text, line breaks folded.
	raw := strings.Join(art.Raw, "\n")
	if !strings.Contains(raw, "منتشر شده <img src=x onerror=alert(1)> در سامانه") || strings.Contains(raw, `alert("body")`) ||
		strings.Contains(raw, "\r") || strings.Contains(raw, "document.cookie") {
		t.Errorf("stored paragraphs:\n%s", raw)
	}
	m, err := delivery.New(cfg, st, stories.New(st, cfg.Cleaning.StoryWindow.D()), delivery.ConfigAudience(cfg),
		delivery.Options{Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Queue(t.Context(), delivery.Day(win)); err != nil {
		t.Fatal(err)
	}
	if sent, err := m.Send(t.Context()); err != nil || sent.Sent != 1 {
		t.Fatalf("send: %+v, %v; want one digest", sent, err)
	}
	files, err := filepath.Glob(filepath.Join(cfg.Mail.Dir, "*.eml"))
	if err != nil || len(files) != 1 {
		t.Fatalf("outbox holds %v (%v), want one .eml", files, err)
	}
	eml, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}

	head, _, _ := bytes.Cut(eml, []byte("\r\n\r\n"))
	if bytes.Contains(head, []byte("evil@")) || bytes.Contains(head, []byte("alert")) {
		t.Errorf("scraped text reached the header:\n%s", head)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(eml))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Bcc", "Cc", "Reply-To"} {
		if v, ok := msg.Header[k]; ok {
			t.Errorf("header %s: %q", k, v)
		}
	}
	if to, err := msg.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "analyst@example.com" {
		t.Errorf("To = %v (%v), want analyst@example.com alone", to, err)
	}

	text, html := parts(t, msg)
	for _, want := range []string{
		`>&lt;script&gt;alert(1)&lt;/script&gt; نرخ دلار &amp; &#34;x&#34; Bcc: evil@example.com</a>`,
		`مبادله &lt;img src=x onerror=alert(1)&gt; ارز و طلا`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML part lacks the escaped text %s", want)
		}
	}
	for _, bad := range []string{"<script", "<img", "onerror=\"", "javascript:", "<b>"} {
		if strings.Contains(strings.ToLower(html), bad) {
			t.Errorf("the HTML part carries markup from the page: %s", bad)
		}
	}
	for _, want := range []string{
		`<script>alert(1)</script> نرخ دلار & "x" Bcc: evil@example.com`,
		`مبادله <img src=x onerror=alert(1)> ارز و طلا`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the text part lacks %q:\n%s", want, text)
		}
	}
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, "Bcc:") || strings.HasPrefix(line, "Content-Type:") {
			t.Errorf("a line of the text part reads like a header: %q", line)
		}
	}
}

// parts returns the decoded text and HTML parts of a digest mail.
func parts(t *testing.T, msg *netmail.Message) (text, html string) {
	t.Helper()
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return text, html
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		switch ct := part.Header.Get("Content-Type"); {
		case strings.HasPrefix(ct, "text/plain"):
			text = string(body)
		case strings.HasPrefix(ct, "text/html"):
			html = string(body)
		}
	}
}
