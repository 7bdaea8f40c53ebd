package delivery

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	gomail "github.com/wneessen/go-mail"

	"mediadigest/internal/smtptest"
	"mediadigest/mail"
	"mediadigest/model"
	"mediadigest/store"
)

// plainSMTP is a transport to the test server at port, without TLS.
func plainSMTP(t testing.TB, port int) *mail.SMTP {
	t.Helper()
	s, err := mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: mail.TLSNone, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendFaults(t *testing.T) {
	const a, b, c = "a@example.com", "b@example.com", "c@example.com"
	tempRcpt := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Mailbox busy, try later"}
	permRcpt := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user"}
	tempData := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Queue full"}
	tests := []struct {
		name   string
		down   bool
		faults smtptest.Faults
		want   map[string]string // subscriber → state after the first run
		reply  map[string]string // subscriber → text its LastReply holds
		report Report
	}{
		{
			name:   "healthy",
			want:   map[string]string{a: model.OutboxSent, b: model.OutboxSent, c: model.OutboxSent},
			reply:  map[string]string{b: "250 2.0.0 OK: queued"},
			report: Report{Sent: 3},
		},
		{
			name:   "server down",
			down:   true,
			want:   map[string]string{a: model.OutboxQueued, b: model.OutboxQueued, c: model.OutboxQueued},
			reply:  map[string]string{a: "connection refused"},
			report: Report{Retry: 3},
		},
		{
			name:   "421 greeting",
			faults: smtptest.Faults{Greeting: "421 4.3.2 Service not available, closing channel"},
			want:   map[string]string{a: model.OutboxQueued, b: model.OutboxQueued, c: model.OutboxQueued},
			reply:  map[string]string{c: `421 "4.3.2 Service not available`},
			report: Report{Retry: 3},
		},
		{
			name:   "451 on RCPT",
			faults: smtptest.Faults{Rcpt: map[string]*smtp.SMTPError{b: tempRcpt}},
			want:   map[string]string{a: model.OutboxSent, b: model.OutboxQueued, c: model.OutboxSent},
			reply:  map[string]string{b: `451 "4.3.0 Mailbox busy`},
			report: Report{Sent: 2, Retry: 1},
		},
		{
			name:   "550 on RCPT",
			faults: smtptest.Faults{Rcpt: map[string]*smtp.SMTPError{b: permRcpt}},
			want:   map[string]string{a: model.OutboxSent, b: model.OutboxFailed, c: model.OutboxSent},
			reply:  map[string]string{b: `550 "5.1.1 No such user`},
			report: Report{Sent: 2, Failed: 1},
		},
		{
			name:   "451 after DATA",
			faults: smtptest.Faults{Data: map[string]*smtp.SMTPError{b: tempData}},
			want:   map[string]string{a: model.OutboxSent, b: model.OutboxQueued, c: model.OutboxSent},
			reply:  map[string]string{b: `451 "4.3.0 Queue full`},
			report: Report{Sent: 2, Retry: 1},
		},
		{
			name:   "connection cut after DATA",
			faults: smtptest.Faults{Cut: map[string]bool{b: true}},
			// b may have been accepted; c was never tried on the lost connection.
			want:   map[string]string{a: model.OutboxSent, b: model.OutboxQueued, c: model.OutboxQueued},
			reply:  map[string]string{b: "EOF", c: "connection was lost"},
			report: Report{Sent: 1, Retry: 2},
		},
		{
			name:   "connection cut after the 250 reply",
			faults: smtptest.Faults{CutAfterAccept: map[string]bool{b: true}},
			// go-mail reports b's failed RSET as a send error, yet b arrived.
			want:   map[string]string{a: model.OutboxSent, b: model.OutboxSent, c: model.OutboxQueued},
			reply:  map[string]string{b: "250 2.0.0 OK: queued", c: "connection was lost"},
			report: Report{Sent: 2, Retry: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := fixtureOptions{subscribers: []string{a, b, c}}
			if tt.down {
				o.port = refused(t)
			}
			f := newFixture(t, o)
			f.srv.SetFaults(tt.faults)
			f.queueDay(t)

			rep, err := f.m.Send(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if rep != tt.report {
				t.Errorf("Report = %+v, want %+v", rep, tt.report)
			}
			for sub, state := range tt.want {
				row := f.row(t, sub)
				if row.State != state || row.Attempts != 1 {
					t.Errorf("%s: state %s after %d attempts (%s), want %s after 1", sub, row.State, row.Attempts, row.LastReply, state)
				}
				if state == model.OutboxQueued && !row.NextTry.Equal(start.Add(time.Minute)) {
					t.Errorf("%s: next try %v, want a minute later", sub, row.NextTry)
				}
				if want := tt.reply[sub]; !strings.Contains(row.LastReply, want) {
					t.Errorf("%s: last reply %q lacks %q", sub, row.LastReply, want)
				}
			}

			// The same outbox against a healthy server, once the retries are
			// due, delivers exactly what is missing.
			f.srv.SetFaults(smtptest.Faults{})
			healthy := f.manager(t, Options{Transport: plainSMTP(t, f.srv.Port)})
			f.clk.Advance(time.Hour)
			if _, err := healthy.Send(t.Context()); err != nil {
				t.Fatal(err)
			}
			got := f.received()
			for _, sub := range []string{a, b, c} {
				want := 1
				if tt.want[sub] == model.OutboxFailed {
					want = 0
				}
				if got[sub] != want {
					t.Errorf("%s received %d times after the re-run, want %d", sub, got[sub], want)
				}
			}
		})
	}
}

func TestQueueTwiceSendsOnce(t *testing.T) {
	f := newFixture(t, fixtureOptions{subscribers: []string{"a@example.com"}})
	first := f.queueDay(t)
	f.clk.Advance(time.Minute)
	if again := f.queueDay(t); len(first) != 1 || len(again) != 0 {
		t.Fatalf("queued %d then %d rows, want 1 then none", len(first), len(again))
	}
	for range 2 {
		if _, err := f.m.Send(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.srv.Messages()); n != 1 {
		t.Errorf("server received %d messages, want 1", n)
	}
}

// TestSendEverythingDue: one Send delivers every due row, however many
// batches that takes (a `digest -send` once stopped at its first 1,000).
func TestSendEverythingDue(t *testing.T) {
	subs := make([]string, 25)
	for i := range subs {
		subs[i] = fmt.Sprintf("reader%02d@example.com", i)
	}
	f := newFixture(t, fixtureOptions{subscribers: subs, options: Options{Batch: 10}})
	f.queueDay(t)
	rep, err := f.m.Send(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 25 || len(f.srv.Messages()) != 25 {
		t.Errorf("sent %d, server has %d; want all 25 in three batches", rep.Sent, len(f.srv.Messages()))
	}
	if n := f.srv.Sessions(); n != 3 {
		t.Errorf("%d SMTP sessions for three batches, want 3 (one per batch)", n)
	}
	due, err := f.st.OutboxDue(t.Context(), f.clk.Now())
	if err != nil || due.Unclaimed+due.Claimed != 0 {
		t.Errorf("OutboxDue after Send = %+v, %v; want nothing due", due, err)
	}
}

// markOrder is the store, noting at each MarkSent how many messages the
// server holds.
type markOrder struct {
	*store.Store
	srv  *smtptest.Server
	seen []int
}

func (o *markOrder) MarkSent(ctx context.Context, id int64, reply string, at time.Time) error {
	o.seen = append(o.seen, len(o.srv.Messages()))
	return o.Store.MarkSent(ctx, id, reply, at)
}

// TestSendMarksEachBeforeTheNext: each row is marked sent before the next
// message goes out, so that a crash can leave at most one accepted message
// unrecorded (and sent again).
func TestSendMarksEachBeforeTheNext(t *testing.T) {
	f := newFixture(t, fixtureOptions{subscribers: []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"}})
	f.queueDay(t)
	order := &markOrder{Store: f.st, srv: f.srv}
	m, err := New(f.cfg, order, f.m.stories, f.m.audience, Options{Clock: f.clk, Logger: f.m.log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Send(t.Context()); err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2, 3, 4}; !slices.Equal(order.seen, want) {
		t.Errorf("the server held %v messages at each MarkSent, want %v", order.seen, want)
	}
}

func TestGiveUp(t *testing.T) {
	busy := &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	tests := []struct {
		name     string
		attempts int
		age      time.Duration
		fault    bool
		want     string
	}{
		{"retries below the limits", 5, time.Hour, true, model.OutboxQueued},
		{"fails at the last attempt", DefaultMaxAttempts - 1, time.Hour, true, model.OutboxFailed},
		{"fails when too old", 1, DefaultMaxAge, true, model.OutboxFailed},
		{"an old row never tried is still sent", 0, 3 * DefaultMaxAge, false, model.OutboxSent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fixtureOptions{subscribers: []string{"a@example.com"}})
			if tt.fault {
				f.srv.SetFaults(smtptest.Faults{Rcpt: map[string]*smtp.SMTPError{"a@example.com": busy}})
			}
			it := f.queueDay(t)[0]
			for range tt.attempts {
				if err := f.st.MarkRetry(t.Context(), it.ID, "421 try later", it.CreatedAt); err != nil {
					t.Fatal(err)
				}
			}
			f.clk.Advance(tt.age)
			if _, err := f.m.Send(t.Context()); err != nil {
				t.Fatal(err)
			}
			row := f.row(t, "a@example.com")
			if row.State != tt.want {
				t.Errorf("state %s (%s), want %s", row.State, row.LastReply, tt.want)
			}
			if tt.want == model.OutboxFailed && !strings.Contains(row.LastReply, "gave up") {
				t.Errorf("last reply %q does not say it gave up", row.LastReply)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		n    int
		want time.Duration
	}{
		{0, time.Minute}, {1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute},
		{6, 32 * time.Minute}, {7, time.Hour}, {12, time.Hour}, {100, time.Hour},
	}
	for _, tt := range tests {
		if got := Backoff(tt.n); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

// TestSendCancelled: a cancelled run leaves untried rows due and untouched.
func TestSendCancelled(t *testing.T) {
	f := newFixture(t, fixtureOptions{subscribers: []string{"a@example.com", "b@example.com"}})
	f.queueDay(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	rep, err := f.m.Send(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (Report{}) {
		t.Errorf("Report = %+v, want nothing done", rep)
	}
	for _, sub := range []string{"a@example.com", "b@example.com"} {
		if row := f.row(t, sub); row.State != model.OutboxQueued || row.Attempts != 0 {
			t.Errorf("%s: %s after %d attempts, want queued and untried", sub, row.State, row.Attempts)
		}
	}
	if len(f.srv.Messages()) != 0 {
		t.Error("a cancelled run sent mail")
	}
}

// TestRetry: Retry sends the one row asked for, failed or waiting out its
// backoff, leaves the others, and refuses a sent one or one another
// process is sending.
func TestRetry(t *testing.T) {
	subs := []string{"sent@example.com", "failed@example.com", "waiting@example.com", "due@example.com", "claimed@example.com"}
	f := newFixture(t, fixtureOptions{subscribers: subs})
	rows := map[string]model.OutboxItem{}
	for _, it := range f.queueDay(t) {
		rows[it.Subscriber] = it
	}
	ctx := t.Context()
	now := f.clk.Now()
	for _, err := range []error{
		f.st.MarkSent(ctx, rows["sent@example.com"].ID, "250 2.0.0 Ok: queued as 4Xk2", now),
		f.st.MarkFailed(ctx, rows["failed@example.com"].ID, "550 5.1.1 mailbox unavailable"),
		f.st.MarkRetry(ctx, rows["waiting@example.com"].ID, "421 4.7.0 try again later", now.Add(time.Hour)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if claimed, err := f.st.ClaimItem(ctx, "news1:4242", rows["claimed@example.com"].ID, now, time.Hour); err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimItem = %v, %v", claimed, err)
	}
	tests := []struct {
		row     string
		err     string
		arrived []string
	}{
		{"sent@example.com", "it was sent to sent@example.com at", nil},
		{"claimed@example.com", "being delivered by another process", nil},
		{"waiting@example.com", "", []string{"waiting@example.com"}},
		{"failed@example.com", "", []string{"waiting@example.com", "failed@example.com"}},
	}
	for _, tt := range tests {
		_, rep, err := f.m.Retry(ctx, rows[tt.row].ID)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("Retry(%s) = %v, want %q", tt.row, err, tt.err)
		case tt.err == "" && (err != nil || rep != Report{Sent: 1}):
			t.Errorf("Retry(%s) = %+v, %v; want it sent", tt.row, rep, err)
		}
		var got []string
		for _, m := range f.srv.Messages() {
			got = append(got, m.To...)
		}
		if !slices.Equal(got, tt.arrived) {
			t.Errorf("after Retry(%s) the server got %v, want %v", tt.row, got, tt.arrived)
		}
	}
	if it := f.row(t, "due@example.com"); it.State != model.OutboxQueued || it.Attempts != 0 {
		t.Errorf("the row not asked for is %+v; want it queued and untried", it)
	}
}

// stallingTransport accepts every message, the first only once the test
// releases it (closing stalled when it starts to wait), and counts what it
// accepted.
type stallingTransport struct {
	release chan struct{}
	stalled chan struct{}
	mu      *sync.Mutex
	sent    map[string]int // by To
}

func (s stallingTransport) Send(ctx context.Context, msgs []*gomail.Msg, result func(int, error)) {
	for i, m := range msgs {
		if i == 0 && s.release != nil {
			close(s.stalled)
			<-s.release
		}
		s.mu.Lock()
		to, _ := m.GetRecipients()
		s.sent[fmt.Sprint(to)]++
		s.mu.Unlock()
		result(i, nil)
	}
}

// TestSlowBatchKeepsItsClaims: a process whose batch takes three times the
// claim lifetime to send keeps its rows; another process sending
// meanwhile sends none of them, and each digest goes out once.
func TestSlowBatchKeepsItsClaims(t *testing.T) {
	subs := []string{"a@example.com", "b@example.com", "c@example.com"}
	f := newFixture(t, fixtureOptions{subscribers: subs})
	var mu sync.Mutex
	sent := map[string]int{}
	release, stalled := make(chan struct{}), make(chan struct{})
	slow := f.manager(t, Options{Holder: "slow", Transport: stallingTransport{release: release, stalled: stalled, mu: &mu, sent: sent}})
	quick := f.manager(t, Options{Holder: "quick", Transport: stallingTransport{mu: &mu, sent: sent}})
	f.queueDay(t)

	type result struct {
		rep Report
		err error
	}
	done := make(chan result)
	go func() {
		rep, err := slow.Send(t.Context())
		done <- result{rep, err}
	}()
	// The slow process's renewal goes to sleep before it claims the rows:
	// the other process may try only once it holds them.
	select {
	case <-stalled:
	case r := <-done:
		t.Fatalf("the slow process returned %+v, %v before sending", r.rep, r.err)
	case <-time.After(10 * time.Second):
		t.Fatal("the slow process never began to send")
	}
	// The slow process has claimed every row and is stalled on the first
	// message; its claims (cluster.lease, 30 s) would have lapsed three
	// times over by the end, but are renewed every 10 s.
	for range 9 {
		if !f.clk.Settle(1, 10*time.Second) { // the claims' renewal sleeps
			t.Fatal("the slow process never went to sleep renewing its claims")
		}
		f.clk.Advance(10 * time.Second)
		// Renewed, and asleep again, before the other process tries.
		if !f.clk.Settle(1, 10*time.Second) {
			t.Fatal("the slow process did not go back to sleep after renewing its claims")
		}
		if rep, err := quick.Send(t.Context()); err != nil || rep.Sent != 0 {
			t.Errorf("the other process sent %d, %v while the first held the claims; want 0", rep.Sent, err)
		}
	}
	close(release)
	if r := <-done; r.err != nil || r.rep.Sent != 3 {
		t.Errorf("the slow process sent %+v, %v; want all 3", r.rep, r.err)
	}
	for _, s := range subs {
		if n := sent[fmt.Sprint([]string{"<" + s + ">"})]; n != 1 {
			t.Errorf("%s got %d digests, want 1 (sent: %v)", s, n, sent)
		}
	}
}
