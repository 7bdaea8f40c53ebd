package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"mediadigest/model"
)

// stallingTransport accepts every message, the first one only after
// stall, and counts what it accepted.
type stallingTransport struct {
	stall time.Duration
	mu    *sync.Mutex
	sent  map[string]int // by To
}

func (s stallingTransport) Send(ctx context.Context, msgs []*gomail.Msg, result func(int, error)) {
	for i, m := range msgs {
		if i == 0 {
			time.Sleep(s.stall)
		}
		s.mu.Lock()
		to, _ := m.GetRecipients()
		s.sent[fmt.Sprint(to)]++
		s.mu.Unlock()
		result(i, nil)
	}
}

// TestSlowBatchKeepsItsClaims: a daemon whose batch takes three times the
// claim lifetime to send keeps its rows; another daemon delivering
// meanwhile sends none of them, and each digest goes out once.
func TestSlowBatchKeepsItsClaims(t *testing.T) {
	cfg := testConfig(t, "claims.yaml", `
store: %[1]s/mediadigest.db
cluster: {lease: 1s}
outlets:
  - {id: isna, profile: isna, base_url: "http://127.0.0.1:1", feeds: [/rss]}
subscribers:
  - email: a@example.com
  - email: b@example.com
  - email: c@example.com
digest:
  from: "Media Digest <digest@example.com>"
mail: {transport: file, dir: "%[1]s/outbox"}
`)
	st := testStore(t, cfg)
	var mu sync.Mutex
	sent := map[string]int{}
	deliverer := func(holder string, stall time.Duration) func() (int, error) {
		p, err := New(cfg, st, slog.New(slog.DiscardHandler), WithHolder(holder))
		if err != nil {
			t.Fatal(err)
		}
		d, err := p.Deliverer()
		if err != nil {
			t.Fatal(err)
		}
		d.Transport = stallingTransport{stall: stall, mu: &mu, sent: sent}
		return func() (int, error) {
			rep, err := d.Deliver(t.Context(), time.Now())
			return rep.Sent, err
		}
	}
	slow, quick := deliverer("slow", 3*time.Second), deliverer("quick", 0)

	day := time.Date(2026, 11, 26, 0, 0, 0, 0, cfg.Location)
	win := model.Window{From: day, To: day.AddDate(0, 0, 1)}
	d, err := New(cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	md, err := d.Deliverer()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range cfg.Subscribers {
		if _, _, err := md.Enqueue(t.Context(), s.Email, win, time.Now()); err != nil {
			t.Fatal(err)
		}
	}

	type result struct {
		sent int
		err  error
	}
	done := make(chan result)
	go func() {
		n, err := slow()
		done <- result{n, err}
	}()
	// The slow daemon has claimed every row and is stalled on the first
	// message; its one-second claims would have lapsed twice by the end.
	time.Sleep(500 * time.Millisecond)
	for range 5 {
		if n, err := quick(); err != nil || n != 0 {
			t.Errorf("the other daemon sent %d, %v while the first held the claims; want 0", n, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if r := <-done; r.err != nil || r.sent != 3 {
		t.Errorf("the slow daemon sent %d, %v; want all 3", r.sent, r.err)
	}
	for _, s := range cfg.Subscribers {
		if n := sent[fmt.Sprint([]string{"<" + s.Email + ">"})]; n != 1 {
			t.Errorf("%s got %d digests, want 1 (sent: %v)", s.Email, n, sent)
		}
	}
}

// TestUnsubscribeHeaderPerSubscriber: List-Unsubscribe carries the
// subscriber's own link when the configured one has "{email}".
func TestUnsubscribeHeaderPerSubscriber(t *testing.T) {
	cfg := testConfig(t, "unsubscribe.yaml", `
store: %[1]s/mediadigest.db
outlets:
  - {id: isna, profile: isna, base_url: "http://127.0.0.1:1", feeds: [/rss]}
subscribers:
  - email: energy-desk@example.com
digest:
  from: "Media Digest <digest@example.com>"
  unsubscribe: "https://news.example.com/unsubscribe?u={email}"
mail: {transport: file, dir: "%[1]s/outbox"}
`)
	p, err := New(cfg, testStore(t, cfg), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 26, 0, 0, 0, 0, cfg.Location)
	d, err := p.Digest(t.Context(), cfg.Subscribers[0], model.Window{From: day, To: day.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Message(d, "")
	if err != nil {
		t.Fatal(err)
	}
	want := "<https://news.example.com/unsubscribe?u=energy-desk%40example.com>"
	if got := m.GetGenHeader(gomail.HeaderListUnsubscribe); len(got) != 1 || got[0] != want {
		t.Errorf("List-Unsubscribe = %q, want %q", got, want)
	}
}
