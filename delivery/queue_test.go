package delivery

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"mediadigest/digest"
	"mediadigest/model"
	"mediadigest/schedule"
)

// lateArrivals stores articles whose crawl lagged their publication,
// derived, around the fixture's start (07:00 Tehran, 03:30 UTC).
func lateArrivals(t *testing.T, f *fixture) {
	t.Helper()
	at := func(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, time.UTC) }
	f.storeArticles(t,
		// Crawled ten minutes after its publication, before the digest.
		article{url: "https://www.isna.ir/news/1", outlet: "isna", title: "دلار", published: at(27, 3, 0), arrived: at(27, 3, 10), text: "dollar-1.txt"},
		// Published before the 03:30 UTC digest, crawled after it.
		article{url: "https://www.isna.ir/news/2", outlet: "isna", title: "بنزین", published: at(27, 3, 20), arrived: at(27, 3, 40), text: "benzin-1.txt"},
		// Eghtesad24's copy of the first, republished the next morning.
		article{url: "https://eghtesaad24.ir/fa/news/3/", outlet: "eghtesad24", title: "دلار", published: at(27, 8, 0), arrived: at(27, 8, 5),
			text: "dollar-1.txt", extra: []string{"منبع: ایسنا"}},
	)
}

// TestSinceLast sends what arrived since the last digest, as `digest
// -send` does without -date: nothing when nothing arrived, and no row for
// it, so the next window still starts at the last one's end.
func TestSinceLast(t *testing.T) {
	f := newFixture(t, fixtureOptions{subscribers: []string{"analyst@example.com"}})
	lateArrivals(t, f)
	send := func(wantQueued, wantNothing int) {
		t.Helper()
		q, err := f.m.Queue(t.Context(), SinceLast(f.clk.Now()))
		if err != nil || len(q.Queued) != wantQueued || q.NothingNew != wantNothing {
			t.Fatalf("at %s: %+v, %v; want %d queued, %d with nothing new", f.clk.Now(), q, err, wantQueued, wantNothing)
		}
		if rep, err := f.m.Send(t.Context()); err != nil || rep.Sent != wantQueued {
			t.Fatalf("at %s: sent %+v, %v; want %d", f.clk.Now(), rep, err, wantQueued)
		}
	}
	send(1, 0)
	send(0, 1)
	f.clk.Advance(5 * time.Hour)
	send(1, 0)

	rows, err := f.st.Outbox(t.Context(), "", 10)
	if err != nil || len(rows) != 2 {
		t.Fatalf("outbox %+v, %v; want two rows", rows, err)
	}
	slices.SortFunc(rows, func(a, b model.OutboxItem) int { return a.Window.From.Compare(b.Window.From) })
	if !rows[0].Window.To.Equal(rows[1].Window.From) || !rows[1].Window.To.Equal(f.clk.Now()) || rows[1].Window.Basis != model.ByArrival {
		t.Errorf("windows %+v then %+v: want them to tile up to now, by arrival", rows[0].Window, rows[1].Window)
	}
	d, err := f.m.Digest(t.Context(), digest.Subscriber{Email: "analyst@example.com"}, rows[1].Window)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Topics) != 1 || len(d.Topics[0].Stories) != 1 || d.Topics[0].Stories[0].URL != "https://www.isna.ir/news/2" {
		t.Errorf("second digest %+v, want only the article crawled after the first", d.Topics)
	}
}

// TestQueueLease: two processes queuing digests take turns, so neither
// reads a subscriber's last window while the other is about to move it;
// the lease is renewed while held, however long the queuing takes, and a
// waiter gives up after its wait with a message saying why.
func TestQueueLease(t *testing.T) {
	f := newFixture(t, fixtureOptions{subscribers: []string{"analyst@example.com"}})
	daemon := f.manager(t, Options{Holder: "daemon"})
	send := f.manager(t, Options{Holder: "digest -send"})
	held, release, err := daemon.holdQueue(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	// Past four leases: renewed, not expired.
	for range 12 {
		if !f.clk.Settle(1, 10*time.Second) {
			t.Fatal("the lease's renewal never went to sleep")
		}
		f.clk.Advance(10 * time.Second)
	}
	if !f.clk.Settle(1, 10*time.Second) {
		t.Fatal("the lease's renewal did not go back to sleep")
	}
	if held.Err() != nil {
		t.Fatalf("the lease was lost while held: %v", context.Cause(held))
	}
	// The other waits, polling, and gives up once its wait has passed on
	// the clock.
	refused := make(chan error, 1)
	go func() {
		_, _, err := send.holdQueue(t.Context(), time.Second)
		refused <- err
	}()
	select {
	case err := <-refused:
		t.Fatalf("the waiter gave up before its wait passed: %v", err)
	case <-time.After(3 * queuePoll):
	}
	f.clk.Advance(2 * time.Second) // and the holder renews
	select {
	case err := <-refused:
		if err == nil || !strings.Contains(err.Error(), "another process has been queuing digests for over 1s") {
			t.Fatalf("second holder while the first holds it: %v, want it refused after waiting", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter did not give up after its wait")
	}
	// Queue waits past the lease (cluster.lease + 10 s): it has the lease
	// once the first releases it.
	queued := make(chan error, 1)
	go func() {
		_, err := send.Queue(t.Context(), Day(day()))
		queued <- err
	}()
	select {
	case err := <-queued:
		t.Fatalf("Queue went on while another process held the lease: %v", err)
	case <-time.After(3 * queuePoll):
	}
	release()
	select {
	case err := <-queued:
		if err != nil {
			t.Fatalf("Queue once the first released the lease: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Queue did not take the released lease")
	}
	if rows, err := f.st.Outbox(t.Context(), "", 0); err != nil || len(rows) != 1 {
		t.Errorf("outbox %v, %v; want the one row queued", rows, err)
	}
}

// TestOutboxKeepsItsMessageID: a queued row goes out with the Message-ID
// stored on it, the one logged when it was queued (by whatever version),
// not one computed anew.
func TestOutboxKeepsItsMessageID(t *testing.T) {
	f := newFixture(t, fixtureOptions{subscribers: []string{"analyst@example.com"}})
	win := model.Window{From: start.Add(-24 * time.Hour), To: start, Basis: model.ByArrival}
	if _, _, err := f.st.Enqueue(t.Context(), model.OutboxItem{Key: "legacy key", Subscriber: "analyst@example.com",
		Window: win, MessageID: "digest-legacy@example.com"}); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.m.Send(t.Context()); err != nil || rep.Sent != 1 {
		t.Fatalf("Send = %+v, %v", rep, err)
	}
	if got := string(f.srv.Messages()[0].Data); !strings.Contains(got, "Message-ID: <digest-legacy@example.com>") {
		t.Errorf("the message sent lacks the row's Message-ID:\n%.600s", got)
	}
}

// TestUnsubscribeHeaderPerSubscriber: List-Unsubscribe carries the
// subscriber's own link when the configured one has "{email}".
func TestUnsubscribeHeaderPerSubscriber(t *testing.T) {
	f := newFixture(t, fixtureOptions{subscribers: []string{"energy-desk@example.com"}, unsubscribe: "https://news.example.com/unsubscribe?u={email}"})
	d, err := f.m.Digest(t.Context(), digest.Subscriber{Email: "energy-desk@example.com"}, day())
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.m.Message(d, MessageID(d.Subscriber, d.Window, f.cfg.Digest.From), "")
	if err != nil {
		t.Fatal(err)
	}
	want := "<https://news.example.com/unsubscribe?u=energy-desk%40example.com>"
	if got := m.GetGenHeader(gomail.HeaderListUnsubscribe); len(got) != 1 || got[0] != want {
		t.Errorf("List-Unsubscribe = %q, want %q", got, want)
	}
}

// TestNoRecipient: a row queued for a subscriber who left the config
// fails for good when its turn comes, and is not tried again.
func TestNoRecipient(t *testing.T) {
	f := newFixture(t, fixtureOptions{subscribers: []string{"analyst@example.com"}})
	if _, _, err := f.st.Enqueue(t.Context(), model.OutboxItem{Key: Key("left@example.com", day()), Subscriber: "left@example.com",
		Window: day(), MessageID: MessageID("left@example.com", day(), f.cfg.Digest.From)}); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.m.Send(t.Context()); err != nil || rep.Failed != 1 {
		t.Fatalf("Send = %+v, %v; want the row failed", rep, err)
	}
	if row := f.row(t, "left@example.com"); row.State != model.OutboxFailed || !strings.Contains(row.LastReply, "not in the config's subscribers") {
		t.Errorf("row %s (%s), want failed naming the cause", row.State, row.LastReply)
	}
}

// TestAddressesIgnoreCase: a subscriber is the same whatever the case of
// their address, in the config or on a row.
func TestAddressesIgnoreCase(t *testing.T) {
	f := newFixture(t, fixtureOptions{subscribers: []string{"analyst@example.com"}})
	if _, err := f.m.Subscriber(t.Context(), "ANALYST@EXAMPLE.COM"); err != nil {
		t.Errorf("Subscriber(ANALYST@EXAMPLE.COM) = %v, want the configured analyst", err)
	}
	if Key("ANALYST@example.com", day()) != Key("analyst@example.com", day()) {
		t.Error("an outbox key depends on the case of the address")
	}
}

// TestQueueOneAtATime: two queuings of one process at once, as a daemon's
// start-up catch-up and its scheduled digest can be, queue windows that
// follow each other, never two from the same latest end (which would mail
// the same stories twice). The queuing lease lets its holder in again: it
// is no guard within a process.
func TestQueueOneAtATime(t *testing.T) {
	subs := []string{"a@example.com", "b@example.com", "c@example.com"}
	f := newFixture(t, fixtureOptions{subscribers: subs})
	s, err := schedule.Parse("0 7 * * *", tehran)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Queue(t.Context(), Scheduled(s, start)); err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		go1 := make(chan struct{})
		errs := make(chan error, 2)
		for _, days := range []int{2*round + 1, 2*round + 2} {
			go func() {
				<-go1
				_, err := f.m.Queue(t.Context(), Scheduled(s, start.AddDate(0, 0, days)))
				errs <- err
			}()
		}
		close(go1)
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
	rows, err := f.st.Outbox(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	ends := map[string]time.Time{}
	slices.SortFunc(rows, func(a, b model.OutboxItem) int { return a.Window.From.Compare(b.Window.From) })
	for _, r := range rows {
		if r.Window.From.Before(ends[r.Subscriber]) {
			t.Errorf("%s: window %s–%s overlaps the one before, ending %s", r.Subscriber, r.Window.From, r.Window.To, ends[r.Subscriber])
		}
		ends[r.Subscriber] = r.Window.To
	}
	for _, sub := range subs {
		if want := start.AddDate(0, 0, 40); !ends[sub].Equal(want) {
			t.Errorf("%s: the windows end at %s, want %s", sub, ends[sub], want)
		}
	}
}
