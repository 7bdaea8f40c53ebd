package pipeline

import (
	"context"
	gomail "github.com/wneessen/go-mail"
	"log/slog"
	"mediadigest/config"
	"mediadigest/mail"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"mediadigest/model"
)

// TestScheduledWindowsTakeLateArrivals lays windows over articles whose
// crawl lagged their publication. A day's window holds the stories
// published in it; a scheduled window (arrival basis) holds the stories
// that arrived in it, so an article published before a digest went out but
// crawled after it reaches the next digest, a copy republished later does
// not bring its story back, and a backfilled old article stays with its
// day.
func TestScheduledWindowsTakeLateArrivals(t *testing.T) {
	p, at := lateArrivals(t)
	digestAt := at(26, 3, 30) // 07:00 Tehran
	tests := []struct {
		name string
		win  model.Window
		want []string // headline URLs, sorted
	}{
		{"day of the 26th by published time", model.Window{From: at(25, 20, 30), To: at(26, 20, 30)},
			[]string{"https://www.isna.ir/news/1", "https://www.isna.ir/news/2"}},
		{"the digest at 07:00 Tehran", model.Window{From: digestAt.Add(-24 * time.Hour), To: digestAt, Basis: model.ByArrival},
			[]string{"https://www.isna.ir/news/1"}},
		{"the next digest", model.Window{From: digestAt, To: digestAt.Add(24 * time.Hour), Basis: model.ByArrival},
			[]string{"https://www.isna.ir/news/2"}},
		{"the backfilled day by published time", model.Window{From: at(15, 20, 30), To: at(16, 20, 30)},
			[]string{"https://www.isna.ir/news/4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stories, err := p.Stories(t.Context(), tt.win)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range stories {
				got = append(got, s.Headline.URL)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("stories %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSendNew sends what arrived since the last digest, as `digest -send`
// does without -date: nothing when nothing arrived, and no row for it, so
// the next window still starts at the last one's end.
func TestSendNew(t *testing.T) {
	now := time.Date(2026, 11, 26, 3, 30, 0, 0, time.UTC)
	p, _ := lateArrivals(t, WithClock(func() time.Time { return now }))
	send := func(wantSent, wantNothing int) {
		t.Helper()
		rep, err := p.SendNew(t.Context(), nil)
		if err != nil || rep.Sent != wantSent || rep.NothingNew != wantNothing {
			t.Fatalf("at %s: %+v, %v; want %d sent, %d with nothing new", now, rep, err, wantSent, wantNothing)
		}
	}
	send(1, 0)
	send(0, 1)
	now = now.Add(5 * time.Hour)
	send(1, 0)

	rows, err := p.store.Outbox(t.Context(), "", 10)
	if err != nil || len(rows) != 2 {
		t.Fatalf("outbox %+v, %v; want two rows", rows, err)
	}
	slices.SortFunc(rows, func(a, b model.OutboxItem) int { return a.Window.From.Compare(b.Window.From) })
	if rows[0].Window.To != rows[1].Window.From || rows[1].Window.To != now || rows[1].Window.Basis != model.ByArrival {
		t.Errorf("windows %+v then %+v: want them to tile up to now, by arrival", rows[0].Window, rows[1].Window)
	}
	d, err := p.Digest(t.Context(), p.cfg.Subscribers[0], rows[1].Window)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Topics) != 1 || len(d.Topics[0].Stories) != 1 || d.Topics[0].Stories[0].URL != "https://www.isna.ir/news/2" {
		t.Errorf("second digest %+v, want only the article crawled after the first", d.Topics)
	}
}

// lateArrivals returns a pipeline over a store of articles whose crawl
// lagged their publication, derived, and a constructor of their times.
func lateArrivals(t *testing.T, opts ...Option) (*Pipeline, func(day, hour, min int) time.Time) {
	t.Helper()
	text := func(name string) []string {
		b, err := os.ReadFile("../dedupe/testdata/eval/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	at := func(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, time.UTC) }
	articles := []model.Article{
		// Crawled ten minutes after its publication, before the digest.
		{URL: "https://www.isna.ir/news/1", Outlet: "isna", Title: "دلار", Published: at(26, 3, 0), FirstSeen: at(26, 3, 10), Raw: text("dollar-1.txt")},
		// Published before the 03:30 UTC digest, crawled after it.
		{URL: "https://www.isna.ir/news/2", Outlet: "isna", Title: "بنزین", Published: at(26, 3, 20), FirstSeen: at(26, 3, 40), Raw: text("benzin-1.txt")},
		// Eghtesad24's copy of the first, republished the next morning.
		{URL: "https://eghtesaad24.ir/fa/news/3/", Outlet: "eghtesad24", Title: "دلار", Published: at(26, 8, 0), FirstSeen: at(26, 8, 5),
			Raw: append(text("dollar-1.txt"), "منبع: ایسنا")},
		// Found by a backfill ten days after its publication.
		{URL: "https://www.isna.ir/news/4", Outlet: "isna", Title: "بورس", Published: at(16, 3, 20), FirstSeen: at(26, 4, 0), Raw: text("bourse-1.txt")},
	}
	cfg := testConfig(t, "windows.yaml", `
store: %[1]s/mediadigest.db
outlets:
  - {id: isna, profile: isna, base_url: "https://www.isna.ir"}
  - {id: eghtesad24, profile: eghtesad24, base_url: "https://eghtesaad24.ir"}
subscribers:
  - email: analyst@example.com
digest:
  from: "Media Digest <digest@example.com>"
  unsubscribe: "mailto:digest-unsubscribe@example.com"
mail: {transport: file, dir: "%[1]s/outbox"}
`)
	st := testStore(t, cfg)
	for i := range articles {
		if _, err := st.UpsertArticle(t.Context(), &articles[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	p, err := New(cfg, st, slog.New(slog.DiscardHandler), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Process(t.Context()); err != nil {
		t.Fatal(err)
	}
	return p, at
}

// TestHoldEnqueue: two processes queuing digests take turns, so neither
// reads a subscriber's last window while the other is about to move it;
// the lease is renewed while held, however long the queuing takes.
func TestHoldEnqueue(t *testing.T) {
	p, _ := lateArrivals(t, WithHolder("daemon"))
	p.cfg.Cluster.Lease = config.Duration(time.Second)
	q, err := New(p.cfg, p.store, slog.New(slog.DiscardHandler), WithHolder("digest -send"))
	if err != nil {
		t.Fatal(err)
	}
	held, release, err := p.HoldEnqueue(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // past one lease: renewed, not expired
	if held.Err() != nil {
		t.Fatalf("the lease was lost while held: %v", context.Cause(held))
	}
	if _, _, err := q.HoldEnqueue(t.Context(), 300*time.Millisecond); err == nil || !strings.Contains(err.Error(), "another process has been queuing digests") {
		t.Fatalf("second holder while the first holds it: %v, want it refused after waiting", err)
	}
	q.queueWait = 300 * time.Millisecond
	if _, err := q.SendNew(t.Context(), nil); err == nil {
		t.Error("SendNew queued digests while another process held the lease")
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		release()
	}()
	_, releaseQ, err := q.HoldEnqueue(t.Context(), time.Minute)
	if err != nil {
		t.Fatalf("second holder once the first released it: %v", err)
	}
	releaseQ()
}

// TestOutboxKeepsItsMessageID: a queued row goes out with the Message-ID
// stored on it, the one logged when it was queued (by whatever version),
// not one computed anew.
func TestOutboxKeepsItsMessageID(t *testing.T) {
	now := time.Date(2026, 11, 26, 3, 30, 0, 0, time.UTC)
	p, _ := lateArrivals(t, WithClock(func() time.Time { return now }))
	win := model.Window{From: now.Add(-24 * time.Hour), To: now, Basis: model.ByArrival}
	if _, _, err := p.store.Enqueue(t.Context(), model.OutboxItem{Key: "legacy key", Subscriber: "analyst@example.com",
		Window: win, MessageID: "digest-legacy@example.com"}); err != nil {
		t.Fatal(err)
	}
	for name, render := range map[string]func() mail.RenderFunc{"one by one": func() mail.RenderFunc { return p.render }, "batch": p.BatchRender} {
		d, err := p.Deliverer()
		if err != nil {
			t.Fatal(err)
		}
		d.Render = render()
		it, err := p.store.OutboxItem(t.Context(), 1)
		if err != nil {
			t.Fatal(err)
		}
		m, err := d.Render(t.Context(), it)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.GetGenHeader(gomail.HeaderMessageID); len(got) != 1 || got[0] != "<digest-legacy@example.com>" {
			t.Errorf("%s: Message-ID %q, want the row's", name, got)
		}
	}
}
