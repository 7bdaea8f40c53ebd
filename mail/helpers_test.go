package mail

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"os"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	gomail "github.com/wneessen/go-mail"

	"mediadigest/digest"
	"mediadigest/model"
)

const (
	from        = "Media Digest <digest@example.com>"
	unsubscribe = "mailto:digest-unsubscribe@example.com"
)

// fixture is testdata/digest.json (the digest package's golden digest) and
// its rendered parts.
type fixture struct {
	digest     model.Digest
	html, text []byte
}

func loadFixture(t testing.TB) fixture {
	t.Helper()
	b, err := os.ReadFile("testdata/digest.json")
	if err != nil {
		t.Fatal(err)
	}
	var d model.Digest
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("testdata/digest.json: %v", err)
	}
	return render(t, d)
}

func render(t testing.TB, d model.Digest) fixture {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	r, err := digest.NewRenderer("", digest.RenderOptions{Location: loc, Unsubscribe: unsubscribe})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{digest: d}
	if f.html, err = r.HTML(d); err != nil {
		t.Fatal(err)
	}
	if f.text, err = r.Text(d); err != nil {
		t.Fatal(err)
	}
	return f
}

// header is a valid Header for the fixture's subscriber.
func (f fixture) header() Header {
	return Header{
		From:        from,
		MessageID:   "digest-0123456789abcdef0123456789abcdef@example.com",
		Unsubscribe: []string{unsubscribe},
		Date:        time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC),
	}
}

// parsed is a digest mail read back with the standard library only.
type parsed struct {
	header     netmail.Header
	subject    string
	parts      []string // content types, in order
	partHeader []map[string][]string
	text, html string
}

func parse(t testing.TB, raw []byte) parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	p := parsed{header: msg.Header}
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		body, err := io.ReadAll(part) // quoted-printable is decoded by the reader
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		ct := part.Header.Get("Content-Type")
		p.parts = append(p.parts, ct)
		p.partHeader = append(p.partHeader, part.Header)
		switch {
		case strings.HasPrefix(ct, "text/plain"):
			p.text = string(body)
		case strings.HasPrefix(ct, "text/html"):
			p.html = string(body)
		}
	}
	return p
}

func raw(t testing.TB, m *gomail.Msg) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// plainSMTP is a transport to a test server on loopback, without TLS.
func plainSMTP(t testing.TB, host string, port int) *SMTP {
	t.Helper()
	s, err := NewSMTP(SMTPConfig{Host: host, Port: port, TLS: TLSNone, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
