package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"os"
	"slices"
	"strings"
	"sync"
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
		MessageID:   MessageID(f.digest.Subscriber, f.digest.Window, from),
		Unsubscribe: unsubscribe,
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

// fakeOutbox keeps rows in memory with the semantics Outbox documents.
type fakeOutbox struct {
	mu   sync.Mutex
	rows []model.OutboxItem
}

func (o *fakeOutbox) Enqueue(_ context.Context, it model.OutboxItem) (model.OutboxItem, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.rows {
		if r.Key == it.Key {
			return r, false, nil
		}
	}
	it.ID = int64(len(o.rows) + 1)
	o.rows = append(o.rows, it)
	return it, true, nil
}

func (o *fakeOutbox) Due(_ context.Context, now time.Time, limit int) ([]model.OutboxItem, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var due []model.OutboxItem
	for _, r := range o.rows {
		if r.State == model.OutboxQueued && !r.NextTry.After(now) && len(due) < limit {
			due = append(due, r)
		}
	}
	return due, nil
}

func (o *fakeOutbox) MarkSent(_ context.Context, id int64, reply string, at time.Time) error {
	return o.update(id, func(r *model.OutboxItem) { r.State, r.LastReply, r.SentAt = model.OutboxSent, reply, at })
}

func (o *fakeOutbox) MarkRetry(_ context.Context, id int64, reply string, next time.Time) error {
	return o.update(id, func(r *model.OutboxItem) { r.LastReply, r.NextTry = reply, next })
}

func (o *fakeOutbox) MarkFailed(_ context.Context, id int64, reply string) error {
	return o.update(id, func(r *model.OutboxItem) { r.State, r.LastReply = model.OutboxFailed, reply })
}

func (o *fakeOutbox) update(id int64, f func(*model.OutboxItem)) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range o.rows {
		if o.rows[i].ID == id {
			o.rows[i].Attempts++
			f(&o.rows[i])
			return nil
		}
	}
	return errors.New("no such row")
}

// row returns the row of subscriber.
func (o *fakeOutbox) row(t testing.TB, subscriber string) model.OutboxItem {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	i := slices.IndexFunc(o.rows, func(r model.OutboxItem) bool { return r.Subscriber == subscriber })
	if i < 0 {
		t.Fatalf("no outbox row for %s", subscriber)
	}
	return o.rows[i]
}

// renderer composes the fixture's digest for any outbox row, as the
// pipeline does after rebuilding the digest from the store.
func (f fixture) renderer() RenderFunc {
	return func(_ context.Context, it model.OutboxItem) (*gomail.Msg, error) {
		d := f.digest
		d.Subscriber = it.Subscriber
		h := f.header()
		h.MessageID = it.MessageID
		return Compose(d, f.html, f.text, h)
	}
}

// count tallies the recipients of messages.
func count(msgs []string) map[string]int {
	n := map[string]int{}
	for _, m := range msgs {
		n[m]++
	}
	return n
}
