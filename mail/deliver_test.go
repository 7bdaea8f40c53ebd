package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"mediadigest/mail/internal/smtptest"
	"mediadigest/model"
)

var now = time.Date(2026, 11, 27, 3, 30, 0, 0, time.UTC)

func plainSMTP(t testing.TB, host string, port int) *SMTP {
	t.Helper()
	s, err := NewSMTP(SMTPConfig{Host: host, Port: port, TLS: TLSNone, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// deliverer returns a Deliverer over a fresh fake outbox holding one queued
// row per subscriber, all due at now.
func deliverer(t testing.TB, tr Transport, subscribers ...string) (*Deliverer, *fakeOutbox) {
	t.Helper()
	f := loadFixture(t)
	box := &fakeOutbox{}
	d := &Deliverer{
		Outbox: box, Transport: tr, Render: f.renderer(), From: from,
		Logger: slog.New(slog.DiscardHandler),
	}
	for _, s := range subscribers {
		if _, created, err := d.Enqueue(context.Background(), s, f.digest.Window, now); err != nil || !created {
			t.Fatalf("Enqueue(%s) = %v, %v", s, created, err)
		}
	}
	return d, box
}

// recipients lists who the server accepted messages for, in order.
func recipients(s *smtptest.Server) []string {
	var to []string
	for _, m := range s.Messages() {
		to = append(to, strings.Join(m.To, ","))
	}
	return to
}

// refused is an address where nothing listens.
func refused(t testing.TB) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1", port
}

func TestDeliverFaults(t *testing.T) {
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
			srv := smtptest.Start(t, smtptest.Options{})
			srv.SetFaults(tt.faults)
			host, port := srv.Host, srv.Port
			if tt.down {
				host, port = refused(t)
			}
			d, box := deliverer(t, plainSMTP(t, host, port), a, b, c)

			rep, err := d.Deliver(context.Background(), now)
			if err != nil {
				t.Fatal(err)
			}
			if rep != tt.report {
				t.Errorf("Report = %+v, want %+v", rep, tt.report)
			}
			for sub, state := range tt.want {
				row := box.row(t, sub)
				if row.State != state || row.Attempts != 1 {
					t.Errorf("%s: state %s after %d attempts (%s), want %s after 1", sub, row.State, row.Attempts, row.LastReply, state)
				}
				if state == model.OutboxQueued && !row.NextTry.Equal(now.Add(time.Minute)) {
					t.Errorf("%s: next try %v, want a minute later", sub, row.NextTry)
				}
				if want := tt.reply[sub]; !strings.Contains(row.LastReply, want) {
					t.Errorf("%s: last reply %q lacks %q", sub, row.LastReply, want)
				}
			}

			// The same outbox against a healthy server, once the retries are
			// due, delivers exactly what is missing.
			srv.SetFaults(smtptest.Faults{})
			d.Transport = plainSMTP(t, srv.Host, srv.Port)
			if _, err := d.Deliver(context.Background(), now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			got := count(recipients(srv))
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

func TestEnqueueTwiceSendsOnce(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	d, box := deliverer(t, plainSMTP(t, srv.Host, srv.Port), "a@example.com")
	f := loadFixture(t)

	again, created, err := d.Enqueue(context.Background(), "A@example.com", f.digest.Window, now.Add(time.Minute))
	if err != nil || created {
		t.Fatalf("second Enqueue = %v, %v; want the existing row", created, err)
	}
	if again.ID != box.row(t, "a@example.com").ID {
		t.Errorf("second Enqueue returned row %d, want the first", again.ID)
	}
	for range 2 {
		if _, err := d.Deliver(context.Background(), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server received %d messages, want 1", n)
	}
}

func TestConnectionReuse(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	subs := make([]string, 20)
	for i := range subs {
		subs[i] = fmt.Sprintf("reader%02d@example.com", i)
	}
	d, _ := deliverer(t, plainSMTP(t, srv.Host, srv.Port), subs...)
	rep, err := d.Deliver(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 20 || len(srv.Messages()) != 20 {
		t.Errorf("sent %d, server has %d; want 20", rep.Sent, len(srv.Messages()))
	}
	if n := srv.Sessions(); n != 1 {
		t.Errorf("%d SMTP sessions for one batch, want 1", n)
	}
}

// markOrder wraps an outbox and notes, at each MarkSent, how many messages
// the server holds.
type markOrder struct {
	*fakeOutbox
	srv  *smtptest.Server
	seen []int
}

func (o *markOrder) MarkSent(ctx context.Context, id int64, reply string, at time.Time) error {
	o.seen = append(o.seen, len(o.srv.Messages()))
	return o.fakeOutbox.MarkSent(ctx, id, reply, at)
}

// Each row is marked sent before the next message goes out, so that a
// crash can leave at most one accepted message unrecorded (and sent again).
func TestDeliverMarksEachBeforeTheNext(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	subs := []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"}
	d, box := deliverer(t, plainSMTP(t, srv.Host, srv.Port), subs...)
	order := &markOrder{fakeOutbox: box, srv: srv}
	d.Outbox = order
	if _, err := d.Deliver(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2, 3, 4}; !slices.Equal(order.seen, want) {
		t.Errorf("the server held %v messages at each MarkSent, want %v", order.seen, want)
	}
}

// A delivered message, read back with the standard library.
func TestDeliveredMessage(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	d, box := deliverer(t, plainSMTP(t, srv.Host, srv.Port), "analyst@example.com")
	if _, err := d.Deliver(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("server has %d messages, want 1", len(msgs))
	}
	if msgs[0].From != "digest@example.com" || strings.Join(msgs[0].To, ",") != "analyst@example.com" {
		t.Errorf("envelope %s → %v", msgs[0].From, msgs[0].To)
	}
	p := parse(t, msgs[0].Data)
	if want := []string{"text/plain; charset=UTF-8", "text/html; charset=UTF-8"}; strings.Join(p.parts, "|") != strings.Join(want, "|") {
		t.Errorf("parts = %q, want %q (text first)", p.parts, want)
	}
	row := box.row(t, "analyst@example.com")
	for k, want := range map[string]string{
		"From":             `"Media Digest" <digest@example.com>`,
		"To":               "<analyst@example.com>",
		"Date":             "Fri, 27 Nov 2026 07:00:00 +0000",
		"Message-Id":       "<" + row.MessageID + ">",
		"List-Unsubscribe": "<" + unsubscribe + ">",
	} {
		if got := p.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.HasSuffix(row.MessageID, "@example.com") {
		t.Errorf("Message-ID %q is not in the sender's domain", row.MessageID)
	}
	if !strings.Contains(p.subject, "پنجشنبه ۵ آذر ۱۴۰۵") {
		t.Errorf("Subject %q lacks the Jalali date", p.subject)
	}
	if !strings.Contains(p.html, `<html lang="fa" dir="rtl">`) || !strings.Contains(p.text, "لغو اشتراک: "+unsubscribe) {
		t.Error("parts do not hold the rendered digest")
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
			srv := smtptest.Start(t, smtptest.Options{})
			if tt.fault {
				srv.SetFaults(smtptest.Faults{Rcpt: map[string]*smtp.SMTPError{"a@example.com": busy}})
			}
			d, box := deliverer(t, plainSMTP(t, srv.Host, srv.Port), "a@example.com")
			box.rows[0].Attempts = tt.attempts
			box.rows[0].CreatedAt = now.Add(-tt.age)
			if _, err := d.Deliver(context.Background(), now); err != nil {
				t.Fatal(err)
			}
			row := box.row(t, "a@example.com")
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
		if got := backoff(tt.n); got != tt.want {
			t.Errorf("backoff(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

// A cancelled run leaves untried rows due and untouched.
func TestDeliverCancelled(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	d, box := deliverer(t, plainSMTP(t, srv.Host, srv.Port), "a@example.com", "b@example.com")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := d.Deliver(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (Report{}) {
		t.Errorf("Report = %+v, want nothing done", rep)
	}
	for _, sub := range []string{"a@example.com", "b@example.com"} {
		if row := box.row(t, sub); row.State != model.OutboxQueued || row.Attempts != 0 {
			t.Errorf("%s: %s after %d attempts, want queued and untried", sub, row.State, row.Attempts)
		}
	}
	if len(srv.Messages()) != 0 {
		t.Error("a cancelled run sent mail")
	}
}

func BenchmarkDeliver(b *testing.B) {
	srv := smtptest.Start(b, smtptest.Options{})
	subs := make([]string, 200)
	for i := range subs {
		subs[i] = fmt.Sprintf("reader%03d@example.com", i)
	}
	for b.Loop() {
		b.StopTimer()
		d, _ := deliverer(b, plainSMTP(b, srv.Host, srv.Port), subs...)
		b.StartTimer()
		rep, err := d.Deliver(context.Background(), now)
		if err != nil || rep.Sent != len(subs) {
			b.Fatalf("Deliver = %+v, %v", rep, err)
		}
	}
	b.ReportMetric(float64(b.N*len(subs))/b.Elapsed().Seconds(), "msgs/s")
}
