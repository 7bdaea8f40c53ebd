package store

import (
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"mediadigest/model"
)

// digestItem is the outbox record of the Tehran day starting at day for
// one subscriber.
func digestItem(subscriber string, day time.Time) model.OutboxItem {
	w := model.Window{From: day, To: day.AddDate(0, 0, 1)}
	return model.OutboxItem{
		Key:        subscriber + "|" + w.From.UTC().Format(time.RFC3339) + "|" + w.To.UTC().Format(time.RFC3339),
		Subscriber: subscriber,
		Window:     w,
		MessageID:  "<digest." + day.Format("20060102") + "." + subscriber + "@example.com>",
	}
}

func TestEnqueueOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		in := digestItem("analyst@example.com", time.Date(2026, 11, 26, 0, 0, 0, 0, tehran))
		first, created, err := s.Enqueue(ctx, in)
		if err != nil || !created {
			t.Fatalf("first Enqueue: created %v, %v", created, err)
		}
		if first.ID == 0 || first.State != model.OutboxQueued || first.Attempts != 0 ||
			!first.CreatedAt.Equal(clock.now()) || !first.NextTry.Equal(clock.now()) ||
			!first.Window.From.Equal(in.Window.From) || !first.Window.To.Equal(in.Window.To) || first.MessageID != in.MessageID {
			t.Errorf("first Enqueue stored %+v", first)
		}

		clock.advance(time.Hour)
		again := in
		again.MessageID = "<other@example.com>"
		second, created, err := s.Enqueue(ctx, again)
		if err != nil || created {
			t.Fatalf("second Enqueue: created %v, %v; want the existing row", created, err)
		}
		if second != first {
			t.Errorf("second Enqueue returned %+v, want the stored %+v", second, first)
		}
		if counts, err := s.OutboxCounts(ctx); err != nil || counts[model.OutboxQueued] != 1 {
			t.Errorf("OutboxCounts = %v, %v; want one queued", counts, err)
		}
		if _, _, err := s.Enqueue(ctx, model.OutboxItem{Subscriber: "analyst@example.com"}); err == nil {
			t.Error("Enqueue without a key succeeded")
		}
	})
}

func TestOutboxLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		day := time.Date(2026, 11, 26, 0, 0, 0, 0, tehran)
		now := clock.now()
		enqueue := func(it model.OutboxItem) int64 {
			t.Helper()
			stored, _, err := s.Enqueue(ctx, it)
			if err != nil {
				t.Fatal(err)
			}
			return stored.ID
		}
		a := enqueue(digestItem("a@example.com", day))
		b := enqueue(digestItem("b@example.com", day))
		later := digestItem("c@example.com", day)
		later.NextTry = now.Add(time.Hour)
		c := enqueue(later)

		due := func(at time.Time, want ...int64) {
			t.Helper()
			items, err := s.Due(ctx, at, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, it := range items {
				got = append(got, it.ID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("Due(%s) = %v, want %v", at.Format(time.TimeOnly), got, want)
			}
		}
		due(now, a, b)
		due(now.Add(time.Hour), a, b, c)

		// a: delivered on the first attempt.
		if err := s.MarkSent(ctx, a, "250 2.0.0 Ok: queued as 4Xk2", now); err != nil {
			t.Fatal(err)
		}
		// b: a temporary failure, then a permanent one, then the operator's retry.
		if err := s.MarkRetry(ctx, b, "451 4.3.0 try again later", now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		due(now)
		due(now.Add(10*time.Minute), b)
		if err := s.MarkFailed(ctx, b, "550 5.1.1 mailbox unavailable"); err != nil {
			t.Fatal(err)
		}
		due(now.Add(2*time.Hour), c)

		checkItem := func(id int64, state string, attempts int, reply string) model.OutboxItem {
			t.Helper()
			it, err := s.OutboxItem(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if it.State != state || it.Attempts != attempts || it.LastReply != reply {
				t.Errorf("item %d: %s after %d attempts (%q), want %s after %d (%q)",
					id, it.State, it.Attempts, it.LastReply, state, attempts, reply)
			}
			return it
		}
		if it := checkItem(a, model.OutboxSent, 1, "250 2.0.0 Ok: queued as 4Xk2"); !it.SentAt.Equal(now) {
			t.Errorf("SentAt = %v, want %v", it.SentAt, now)
		}
		checkItem(b, model.OutboxFailed, 2, "550 5.1.1 mailbox unavailable")

		counts, err := s.OutboxCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{model.OutboxQueued: 1, model.OutboxSent: 1, model.OutboxFailed: 1, model.OutboxCancelled: 0}; !maps.Equal(counts, want) {
			t.Errorf("OutboxCounts = %v, want %v", counts, want)
		}
		failed, err := s.Outbox(ctx, model.OutboxFailed, 0)
		if err != nil || len(failed) != 1 || failed[0].ID != b {
			t.Errorf("Outbox(failed) = %+v, %v; want item %d", failed, err, b)
		}
		all, err := s.Outbox(ctx, "", 2)
		if err != nil || len(all) != 2 || all[0].ID != c || all[1].ID != b {
			t.Errorf("Outbox(all, 2) = %+v, %v; want items %d, %d (newest first)", all, err, c, b)
		}

		requeued := now.Add(3 * time.Hour)
		if it, err := s.Requeue(ctx, b, requeued); err != nil || it.State != model.OutboxQueued || !it.NextTry.Equal(requeued) {
			t.Fatalf("Requeue of a failed item = %+v, %v", it, err)
		}
		checkItem(b, model.OutboxQueued, 0, "550 5.1.1 mailbox unavailable")
		due(requeued.Add(-time.Second), c)
		due(requeued, c, b)

		// b fails again, temporarily: it waits out its backoff, unless the
		// operator makes it due now, which keeps its attempts.
		if err := s.MarkRetry(ctx, b, "451 4.3.0 try again later", requeued.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		due(requeued, c)
		if _, err := s.Requeue(ctx, b, requeued); err != nil {
			t.Fatalf("Requeue of a queued item: %v", err)
		}
		checkItem(b, model.OutboxQueued, 1, "451 4.3.0 try again later")
		due(requeued, c, b)

		// Transitions from the wrong state, or of a missing item, are refused.
		tests := []struct {
			name string
			err  error
			want error
		}{
			{"sent again", s.MarkSent(ctx, a, "250 ok", now), ErrState},
			{"retry a sent item", s.MarkRetry(ctx, a, "451", now), ErrState},
			{"fail a sent item", s.MarkFailed(ctx, a, "550"), ErrState},
			{"requeue a sent item", requeueErr(s.Requeue(ctx, a, now)), ErrState},
			{"requeue a missing item", requeueErr(s.Requeue(ctx, 999, now)), ErrNotFound},
			{"missing item", s.MarkSent(ctx, 999, "250 ok", now), ErrNotFound},
		}
		for _, tt := range tests {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, tt.err, tt.want)
			}
		}
		if _, err := s.OutboxItem(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("OutboxItem(999) = %v, want ErrNotFound", err)
		}
		checkItem(a, model.OutboxSent, 1, "250 2.0.0 Ok: queued as 4Xk2")
	})
}

func requeueErr(_ model.OutboxItem, err error) error { return err }

// TestRequeueOnlyWhatWasNotSent: outbox -retry makes a row due now and
// claims it alone, never a sent one, nor one another process is sending.
func TestRequeueOnlyWhatWasNotSent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		now := clock.now()
		day := time.Date(2026, 11, 26, 0, 0, 0, 0, tehran)
		var ids []int64
		for _, sub := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			it, _, err := s.Enqueue(ctx, digestItem(sub, day))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, it.ID)
		}
		sent, waiting, other := ids[0], ids[1], ids[2]
		if err := s.MarkSent(ctx, sent, "250 2.0.0 Ok: queued as 4Xk2", now); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkRetry(ctx, waiting, "421 4.7.0 try again later", now.Add(30*time.Minute)); err != nil {
			t.Fatal(err)
		}

		_, err := s.Requeue(ctx, sent, now)
		want := "store: requeue outbox item 1: outbox item in wrong state: it was sent to a@example.com at 2026-11-26T04:30:00Z (250 2.0.0 Ok: queued as 4Xk2), and a digest is sent once"
		if !errors.Is(err, ErrState) || err.Error() != want {
			t.Errorf("Requeue of a sent item = %v, want %q", err, want)
		}

		if _, err := s.Requeue(ctx, waiting, now); err != nil {
			t.Fatal(err)
		}
		const ttl = time.Minute
		for _, tt := range []struct {
			holder string
			id     int64
			want   []int64
		}{
			{"retry", waiting, []int64{waiting}},
			{"daemon", waiting, nil}, // claimed by retry
			{"retry", sent, nil},
		} {
			items, err := s.ClaimItem(ctx, tt.holder, tt.id, now, ttl)
			var got []int64
			for _, it := range items {
				got = append(got, it.ID)
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("ClaimItem(%s, %d) = %v, %v; want %v", tt.holder, tt.id, got, err, tt.want)
			}
		}
		// The other due item was left for the next delivery.
		if items, err := s.ClaimDue(ctx, "daemon", now, ttl, 10); err != nil || len(items) != 1 || items[0].ID != other {
			t.Errorf("ClaimDue after ClaimItem = %+v, %v; want item %d only", items, err, other)
		}
	})
}

func TestLastWindowEnd(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		const who = "analyst@example.com"
		if _, ok, err := s.LastWindowEnd(ctx, who); err != nil || ok {
			t.Errorf("LastWindowEnd before any digest: ok %v, %v; want false", ok, err)
		}
		day := time.Date(2026, 11, 25, 0, 0, 0, 0, tehran)
		// Enqueued out of order, and another subscriber's later window.
		for _, it := range []model.OutboxItem{
			digestItem(who, day.AddDate(0, 0, 1)),
			digestItem(who, day),
			digestItem("other@example.com", day.AddDate(0, 0, 5)),
		} {
			if _, _, err := s.Enqueue(ctx, it); err != nil {
				t.Fatal(err)
			}
		}
		end, ok, err := s.LastWindowEnd(ctx, who)
		if want := day.AddDate(0, 0, 2); err != nil || !ok || !end.Equal(want) {
			t.Errorf("LastWindowEnd = %v, %v, %v; want %v", end, ok, err, want)
		}
	})
}
