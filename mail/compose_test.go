package mail

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func TestComposeGolden(t *testing.T) {
	f := loadFixture(t)
	h := f.header()
	h.Boundary = "mediadigest-golden-boundary"
	m, err := Compose(f.digest, f.html, f.text, h)
	if err != nil {
		t.Fatal(err)
	}
	got := raw(t, m)
	path := filepath.Join("testdata", "golden", "digest.eml")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./mail -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; run go test ./mail -update and review the diff", path)
	}
}

func TestComposeHeaders(t *testing.T) {
	f := loadFixture(t)
	tests := []struct {
		name, unsubscribe, wantList string
		wantPost                    bool
	}{
		{"mailto", "mailto:digest-unsubscribe@example.com", "<mailto:digest-unsubscribe@example.com>", false},
		{"https gets one-click", "https://example.com/unsubscribe?t=abc", "<https://example.com/unsubscribe?t=abc>", true},
		{"https and mailto", "https://example.com/u/abc mailto:digest-unsubscribe@example.com", "<https://example.com/u/abc>, <mailto:digest-unsubscribe@example.com>", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := f.header()
			h.Unsubscribe = strings.Fields(tt.unsubscribe)
			m, err := Compose(f.digest, f.html, f.text, h)
			if err != nil {
				t.Fatal(err)
			}
			p := parse(t, raw(t, m))
			if got := p.header.Get("List-Unsubscribe"); got != tt.wantList {
				t.Errorf("List-Unsubscribe = %q, want %q", got, tt.wantList)
			}
			post := p.header.Get("List-Unsubscribe-Post")
			if tt.wantPost && post != "List-Unsubscribe=One-Click" || !tt.wantPost && post != "" {
				t.Errorf("List-Unsubscribe-Post = %q, want it only for https", post)
			}
			if want := "خلاصه اخبار — پنجشنبه ۵ آذر ۱۴۰۵"; p.subject != want {
				t.Errorf("Subject = %q, want %q", p.subject, want)
			}
			if got, want := p.header.Get("Message-Id"), "<"+h.MessageID+">"; got != want {
				t.Errorf("Message-ID = %q, want %q", got, want)
			}
			if got := p.header.Get("To"); got != "<analyst@example.com>" {
				t.Errorf("To = %q, want the digest's subscriber", got)
			}
			if got := p.header.Get("Precedence"); got != "bulk" {
				t.Errorf("Precedence = %q, want bulk", got)
			}
		})
	}
}

func TestComposeRejects(t *testing.T) {
	f := loadFixture(t)
	tests := []struct {
		name   string
		change func(*Header)
	}{
		{"bad From", func(h *Header) { h.From = "not an address" }},
		{"bad To", func(h *Header) { h.To = "a@b\r\nBcc: x@y" }},
		{"http unsubscribe", func(h *Header) { h.Unsubscribe = []string{"http://example.com/u"} }},
		{"script unsubscribe", func(h *Header) { h.Unsubscribe = []string{"javascript:alert(1)"} }},
		{"header break in unsubscribe", func(h *Header) { h.Unsubscribe = []string{"mailto:u@example.com\r\nBcc: x@y"} }},
		{"space in unsubscribe", func(h *Header) { h.Unsubscribe = []string{"mailto:u@example.com Bcc:x@y"} }},
		{"no unsubscribe", func(h *Header) { h.Unsubscribe = nil }},
		{"a bad one beside a good one", func(h *Header) { h.Unsubscribe = []string{"mailto:u@example.com", "javascript:alert(1)"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := f.header()
			tt.change(&h)
			_, err := Compose(f.digest, f.html, f.text, h)
			if !errors.Is(err, ErrPermanent) {
				t.Errorf("Compose error = %v, want one wrapping ErrPermanent", err)
			}
		})
	}
	h := f.header()
	h.MessageID = ""
	if _, err := Compose(f.digest, f.html, f.text, h); err == nil {
		t.Error("Compose accepted a message without Message-ID")
	}
}

// A hostile scraped title reaches the bodies only: escaped in HTML, on one
// line in the text, and never as a header; a line break in the subject is
// encoded, not a new header.
func TestHostileTitleStaysInBody(t *testing.T) {
	f := loadFixture(t)
	hostile := "قرارداد <script>alert(1)</script> نفت & گاز\r\nBcc: victim@example.com"
	f.digest.Topics[0].Stories[0].Title = hostile
	f.digest.Topics[0].Stories[0].Summary = "خلاصه\r\n\r\nX-Injected: yes"
	f = render(t, f.digest)
	h := f.header()
	// Subjects are ours, yet go-mail must encode even a line break in one.
	h.Subject = "خلاصه\r\nBcc: victim@example.com"
	m, err := Compose(f.digest, f.html, f.text, h)
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, raw(t, m))

	var keys []string
	for k := range p.header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"Content-Type", "Date", "From", "List-Unsubscribe", "Message-Id", "Mime-Version", "Precedence",
		"Subject", "To", "User-Agent", "X-Auto-Response-Suppress", "X-Mailer"}
	if !slices.Equal(keys, want) {
		t.Errorf("header fields = %q, want %q", keys, want)
	}
	for i, ph := range p.partHeader {
		for k := range ph {
			if k != "Content-Type" && k != "Content-Transfer-Encoding" {
				t.Errorf("part %d has header %q", i, k)
			}
		}
	}
	if !strings.Contains(p.html, "قرارداد &lt;script&gt;alert(1)&lt;/script&gt; نفت &amp; گاز") || strings.Contains(p.html, "<script>") {
		t.Error("HTML part does not show the title escaped")
	}
	// The text part is plain text: the title is there as written, but on one
	// line, so that no line of the body starts with "Bcc:".
	if !strings.Contains(p.text, "* قرارداد <script>alert(1)</script> نفت & گاز Bcc: victim@example.com\r\n") {
		t.Errorf("text part lacks the title on one line:\n%s", p.text)
	}
	for _, line := range strings.Split(p.text, "\n") {
		if strings.HasPrefix(line, "Bcc:") || strings.HasPrefix(line, "X-Injected:") {
			t.Errorf("text part has a header-like line %q", line)
		}
	}
}
