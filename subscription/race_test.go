package subscription

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mediadigest/delivery"
	"mediadigest/digest"
	"mediadigest/internal/smtptest"
	"mediadigest/model"
)

// The tests below interleave a one-click unsubscription with the sending
// of the digests, at each point where they can meet, and check that no
// digest reaches the subscriber once the 200 has been answered.

// answer is the outcome of a one-click POST, and the recipients the mail
// server had accepted by the time it came.
type answer struct {
	r        response
	received []string
}

// unsubscribeAsync posts the one-click unsubscription of email.
func (f *fixture) unsubscribeAsync(t *testing.T, email string) <-chan answer {
	link := f.local(t, f.unsubscribeLink(t, email))
	done := make(chan answer, 1)
	go func() {
		r := post(t, link, form, oneClick)
		done <- answer{r, f.received()}
	}()
	return done
}

// sendAsync runs one Send of m.
func sendAsync(t *testing.T, m *delivery.Manager) <-chan delivery.Report {
	done := make(chan delivery.Report, 1)
	go func() {
		rep, err := m.Send(context.Background())
		if err != nil {
			t.Errorf("Send: %v", err)
		}
		done <- rep
	}()
	return done
}

// recv waits for a value of ch.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("no %s within 20 s", what)
		panic("unreachable")
	}
}

// waitUnsubscribed waits until the store says email unsubscribed: the
// POST has committed.
func (f *fixture) waitUnsubscribed(t *testing.T, email string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if state, _ := f.state(t, email); state == model.SubscriberUnsubscribed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not unsubscribed within 20 s", email)
		}
	}
}

// notYet fails if the POST has already answered.
func notYet(t *testing.T, ch <-chan answer, while string) {
	t.Helper()
	select {
	case a := <-ch:
		t.Fatalf("the unsubscription answered %d while %s", a.r.code, while)
	default:
	}
}

// enqueue queues the day's digest of each subscriber, in this order.
func (f *fixture) enqueue(t *testing.T, emails ...string) {
	t.Helper()
	win := digest.DayWindow(start.In(tehran).AddDate(0, 0, -1), tehran)
	for _, e := range emails {
		if _, _, err := f.st.Enqueue(t.Context(), model.OutboxItem{Key: delivery.Key(e, win), Subscriber: e, Window: win,
			MessageID: delivery.MessageID(e, win, f.cfg.Digest.From), NextTry: f.clk.Now(), CreatedAt: f.clk.Now()}); err != nil {
			t.Fatal(err)
		}
	}
}

// holdFor makes the mail server hold the next message to email once its
// data is in, until release is closed; onWire says it holds it.
func (f *fixture) holdFor(email string) (onWire, release chan struct{}) {
	onWire, release = make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.smtp.SetFaults(smtptest.Faults{Hold: map[string]func(){email: func() {
		once.Do(func() {
			close(onWire)
			<-release
		})
	}}})
	return onWire, release
}

// nextDigest queues and sends what arrived since each recipient's last
// digest, an hour later.
func (f *fixture) nextDigest(t *testing.T) {
	t.Helper()
	f.clk.Advance(time.Hour)
	if _, err := f.mail.Queue(t.Context(), delivery.Day(digest.DayWindow(start.In(tehran), tehran))); err != nil {
		t.Fatal(err)
	}
	if _, err := f.mail.Send(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestUnsubscribeWhileOnTheWire: the analyst's digest is with the mail
// server when the mail client posts the unsubscription. The answer waits
// until the server has accepted it and the outbox says so: the digest
// went out before the 200, and none after.
func TestUnsubscribeWhileOnTheWire(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		f.enqueue(t, "Analyst@Example.com", "energy-desk@example.com")
		onWire, release := f.holdFor("Analyst@Example.com")
		sent := sendAsync(t, f.mail)
		recv(t, onWire, "digest on the wire")

		answered := f.unsubscribeAsync(t, "analyst@example.com")
		f.waitUnsubscribed(t, "analyst@example.com")
		notYet(t, answered, "the digest was on the wire")
		close(release)

		a := recv(t, answered, "answer")
		if a.r.code != http.StatusOK || !slices.Contains(a.received, "Analyst@Example.com") {
			t.Errorf("answered %d with %v accepted; want 200 after the digest on the wire was accepted", a.r.code, a.received)
		}
		if rep := recv(t, sent, "end of Send"); rep.Sent != 2 {
			t.Errorf("Send: %+v, want both sent (the analyst's was on the wire)", rep)
		}
		f.nextDigest(t)
		if got := f.received(); !slices.Equal(got, []string{"Analyst@Example.com", "energy-desk@example.com", "energy-desk@example.com"}) {
			t.Errorf("the server got digests for %v; want none to the analyst after the unsubscription", got)
		}
	})
}

// TestUnsubscribeBeforeItsTurn: the unsubscription comes while another
// subscriber's digest is on the wire and the analyst's waits its turn in
// the same batch. It answers at once; the analyst's digest is cancelled,
// never sent.
func TestUnsubscribeBeforeItsTurn(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		f.enqueue(t, "energy-desk@example.com", "Analyst@Example.com")
		onWire, release := f.holdFor("energy-desk@example.com")
		sent := sendAsync(t, f.mail)
		recv(t, onWire, "digest on the wire")

		a := recv(t, f.unsubscribeAsync(t, "analyst@example.com"), "answer while another digest is on the wire")
		if a.r.code != http.StatusOK || len(a.received) != 0 {
			t.Errorf("answered %d with %v accepted; want 200 at once", a.r.code, a.received)
		}
		close(release)
		if rep := recv(t, sent, "end of Send"); rep.Sent != 1 || rep.Cancelled != 1 {
			t.Errorf("Send: %+v, want 1 sent and the analyst's cancelled", rep)
		}
		f.nextDigest(t)
		if got := f.received(); !slices.Equal(got, []string{"energy-desk@example.com", "energy-desk@example.com"}) {
			t.Errorf("the server got digests for %v; want none to the analyst", got)
		}
		rows, err := f.st.Outbox(t.Context(), model.OutboxCancelled, 0)
		if err != nil || len(rows) != 1 || rows[0].Subscriber != "Analyst@Example.com" || !strings.HasPrefix(rows[0].LastReply, "cancelled: unsubscribe by link") {
			t.Errorf("cancelled rows %+v, %v; want the analyst's, saying why", rows, err)
		}
	})
}

// gate is an audience that stops the sender at its n-th look at one
// subscriber, until released.
type gate struct {
	delivery.Audience
	email            string
	n                int
	reached, release chan struct{}
}

func (g *gate) Recipient(ctx context.Context, email string) (digest.Subscriber, error) {
	if strings.EqualFold(email, g.email) {
		if g.n--; g.n == 0 {
			close(g.reached)
			<-g.release
		}
	}
	return g.Audience.Recipient(ctx, email)
}

// TestUnsubscribeBetweenMarkAndCheck: the sender has marked the analyst's
// digest as going out and not yet checked the subscriber when the
// unsubscription commits. The answer waits; the sender's check sees the
// unsubscription and cancels the digest; then the 200 comes.
func TestUnsubscribeBetweenMarkAndCheck(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		f.enqueue(t, "Analyst@Example.com", "energy-desk@example.com")
		// The sender looks at the analyst twice: to render the digest,
		// then once the row is marked.
		g := &gate{Audience: f.subs, email: "analyst@example.com", n: 2, reached: make(chan struct{}), release: make(chan struct{})}
		sent := sendAsync(t, f.manager(t, g))
		recv(t, g.reached, "sender between the mark and the check")

		answered := f.unsubscribeAsync(t, "analyst@example.com")
		f.waitUnsubscribed(t, "analyst@example.com")
		notYet(t, answered, "the digest was marked as going out")
		close(g.release)

		if a := recv(t, answered, "answer"); a.r.code != http.StatusOK {
			t.Errorf("answered %d, want 200", a.r.code)
		}
		if rep := recv(t, sent, "end of Send"); rep.Sent != 1 || rep.Cancelled != 1 {
			t.Errorf("Send: %+v, want 1 sent and the analyst's cancelled", rep)
		}
		f.nextDigest(t)
		if got := f.received(); !slices.Equal(got, []string{"energy-desk@example.com", "energy-desk@example.com"}) {
			t.Errorf("the server got digests for %v; want none to the analyst", got)
		}
	})
}
