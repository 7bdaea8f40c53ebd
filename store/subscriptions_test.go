package store

import (
	"errors"
	"slices"
	"testing"
	"time"

	"mediadigest/model"
)

// unsubscribe is a change that unsubscribes at now through via.
func unsubscribe(now time.Time, via string) func(*model.Subscription) (model.SubscriptionChange, error) {
	return func(sub *model.Subscription) (model.SubscriptionChange, error) {
		if !sub.UnsubscribedAt.IsZero() {
			return model.SubscriptionChange{}, ErrNoChange
		}
		sub.UnsubscribedAt = now
		return model.SubscriptionChange{What: model.ChangeUnsubscribe, Via: via}, nil
	}
}

// TestChangeSubscription: a change writes the state and its audit line
// together, cancels the subscriber's queued digests except the one on the
// wire, and writes nothing when there is nothing to change or the change
// fails.
func TestChangeSubscription(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		now := clock.now()
		if sub, err := s.Subscription(ctx, " Analyst@Example.com"); err != nil || sub.Email != "analyst@example.com" ||
			sub.Topics != nil || sub.State(now) != model.SubscriberActive {
			t.Fatalf("Subscription of a subscriber never seen = %+v, %v; want the zero one, lower-cased and active", sub, err)
		}

		day := time.Date(2026, 11, 25, 0, 0, 0, 0, tehran)
		queued, _, err := s.Enqueue(ctx, digestItem("Analyst@Example.com", day))
		if err != nil {
			t.Fatal(err)
		}
		onWire, _, err := s.Enqueue(ctx, digestItem("Analyst@Example.com", day.AddDate(0, 0, 1)))
		if err != nil {
			t.Fatal(err)
		}
		other, _, err := s.Enqueue(ctx, digestItem("energy-desk@example.com", day))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.ClaimItem(ctx, "news1:42", onWire.ID, now, time.Hour); err != nil || len(got) != 1 {
			t.Fatalf("ClaimItem = %v, %v", got, err)
		}
		if err := s.MarkSending(ctx, onWire.ID, now); err != nil {
			t.Fatal(err)
		}

		// A change that fails writes nothing.
		boom := errors.New("boom")
		if _, err := s.ChangeSubscription(ctx, "analyst@example.com", now, func(sub *model.Subscription) (model.SubscriptionChange, error) {
			sub.UnsubscribedAt = now
			return model.SubscriptionChange{}, boom
		}); !errors.Is(err, boom) {
			t.Errorf("a failing change returned %v, want boom", err)
		}
		if subs, err := s.Subscriptions(ctx); err != nil || len(subs) != 0 {
			t.Errorf("after a failing change: %v, %v; want nothing stored", subs, err)
		}

		clock.advance(time.Minute)
		at := clock.now()
		sub, err := s.ChangeSubscription(ctx, "ANALYST@example.com", at, unsubscribe(at, model.ViaLink))
		if err != nil {
			t.Fatal(err)
		}
		if sub.Email != "analyst@example.com" || !sub.UnsubscribedAt.Equal(at) || !sub.UpdatedAt.Equal(at) || sub.State(at) != model.SubscriberUnsubscribed {
			t.Errorf("after unsubscribing: %+v", sub)
		}
		if stored, err := s.Subscription(ctx, "analyst@example.com"); err != nil || !stored.UnsubscribedAt.Equal(at) || stored.Topics != nil {
			t.Errorf("stored %+v, %v; want unsubscribed at %s with the config's topics", stored, err, at)
		}
		for _, want := range []struct {
			id    int64
			state string
		}{{queued.ID, model.OutboxCancelled}, {onWire.ID, model.OutboxQueued}, {other.ID, model.OutboxQueued}} {
			it, err := s.OutboxItem(ctx, want.id)
			if err != nil || it.State != want.state {
				t.Errorf("outbox row %d (%s): %s, %v; want %s", want.id, it.Subscriber, it.State, err, want.state)
			}
		}
		if it, _ := s.OutboxItem(ctx, queued.ID); it.LastReply != "cancelled: unsubscribe by link" {
			t.Errorf("the cancelled row says %q", it.LastReply)
		}
		if n, err := s.Sending(ctx, "analyst@EXAMPLE.com", at); err != nil || n != 1 {
			t.Errorf("Sending = %d, %v; want the row on the wire", n, err)
		}
		// Once its sender records it, nothing is on the wire.
		if err := s.MarkSent(ctx, onWire.ID, "250 ok", at); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Sending(ctx, "analyst@example.com", at); err != nil || n != 0 {
			t.Errorf("Sending after MarkSent = %d, %v; want 0", n, err)
		}

		// Unsubscribing again changes nothing and logs nothing.
		clock.advance(time.Minute)
		if again, err := s.ChangeSubscription(ctx, "analyst@example.com", clock.now(), unsubscribe(clock.now(), model.ViaLink)); err != nil ||
			!again.UnsubscribedAt.Equal(at) {
			t.Errorf("unsubscribing twice: %+v, %v; want the first time kept", again, err)
		}
		// Topics are stored as chosen; an empty choice is not the config's.
		for _, topics := range [][]string{{"energy", model.OtherTopicID}, {}} {
			if _, err := s.ChangeSubscription(ctx, "energy-desk@example.com", clock.now(), func(sub *model.Subscription) (model.SubscriptionChange, error) {
				sub.Topics = topics
				return model.SubscriptionChange{What: model.ChangeTopics, Via: model.ViaCommand}, nil
			}); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Subscription(ctx, "energy-desk@example.com"); err != nil || got.Topics == nil || !slices.Equal(got.Topics, topics) {
				t.Errorf("topics stored as %#v, %v; want %#v", got.Topics, err, topics)
			}
		}
		if it, err := s.OutboxItem(ctx, other.ID); err != nil || it.State != model.OutboxQueued {
			t.Errorf("a change of topics touched the outbox: %s, %v", it.State, err)
		}

		lines, err := s.SubscriptionChanges(ctx, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range lines {
			got = append(got, l.Email+" "+l.What+" "+l.Via)
		}
		want := []string{"energy-desk@example.com topics command", "energy-desk@example.com topics command", "analyst@example.com unsubscribe link"}
		if !slices.Equal(got, want) {
			t.Errorf("audit log %q, want %q", got, want)
		}
		if lines, err := s.SubscriptionChanges(ctx, "Analyst@example.com", 1); err != nil || len(lines) != 1 || !lines[0].At.Equal(at) {
			t.Errorf("the analyst's latest change: %+v, %v", lines, err)
		}
		if subs, err := s.Subscriptions(ctx); err != nil || len(subs) != 2 || subs[0].Email != "analyst@example.com" {
			t.Errorf("Subscriptions = %+v, %v", subs, err)
		}
	})
}

// TestCancelledDigests: a cancelled row is never marked for sending,
// sent, nor requeued; claiming a row again forgets a dead sender's
// MarkSending.
func TestCancelledDigests(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		now := clock.now()
		it, _, err := s.Enqueue(ctx, digestItem("analyst@example.com", time.Date(2026, 11, 25, 0, 0, 0, 0, tehran)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimItem(ctx, "dead:1", it.ID, now, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkSending(ctx, it.ID, now); err != nil {
			t.Fatal(err)
		}
		// The sender died: its claim lapses, another claims the row.
		clock.advance(2 * time.Minute)
		if n, err := s.Sending(ctx, "analyst@example.com", clock.now()); err != nil || n != 0 {
			t.Errorf("Sending under a lapsed claim = %d, %v; want 0", n, err)
		}
		if got, err := s.ClaimDue(ctx, "news2:7", clock.now(), time.Minute, 10); err != nil || len(got) != 1 {
			t.Fatalf("ClaimDue = %v, %v", got, err)
		}
		if n, err := s.Sending(ctx, "analyst@example.com", clock.now()); err != nil || n != 0 {
			t.Errorf("Sending after a new claim = %d, %v; want 0 until its sender marks it", n, err)
		}
		if err := s.MarkCancelled(ctx, it.ID, "cancelled: unsubscribe by page"); err != nil {
			t.Fatal(err)
		}
		for name, err := range map[string]error{
			"MarkSending": s.MarkSending(ctx, it.ID, clock.now()),
			"MarkSent":    s.MarkSent(ctx, it.ID, "250 ok", clock.now()),
			"MarkFailed":  s.MarkFailed(ctx, it.ID, "550"),
		} {
			if !errors.Is(err, ErrState) {
				t.Errorf("%s of a cancelled row: %v, want ErrState", name, err)
			}
		}
		if _, err := s.Requeue(ctx, it.ID, clock.now()); !errors.Is(err, ErrState) {
			t.Errorf("Requeue of a cancelled row: %v, want ErrState", err)
		}
		if err := s.MarkSending(ctx, 4242, clock.now()); !errors.Is(err, ErrNotFound) {
			t.Errorf("MarkSending of no row: %v, want ErrNotFound", err)
		}
		if counts, err := s.OutboxCounts(ctx); err != nil || counts[model.OutboxCancelled] != 1 || counts[model.OutboxQueued] != 0 {
			t.Errorf("OutboxCounts = %v, %v; want one cancelled", counts, err)
		}
		if end, ok, err := s.LastWindowEnd(ctx, "analyst@example.com"); err != nil || !ok || !end.Equal(it.Window.To) {
			t.Errorf("LastWindowEnd = %v, %v, %v; a cancelled window counts as had", end, ok, err)
		}
	})
}

// TestSubscriptionsMigration: the outbox rows of a store of schema 6 keep
// every column through 0007, and the outbox then takes the state
// cancelled and no unknown one.
func TestSubscriptionsMigration(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		ms, err := migrations(migrationFiles, s.d.name)
		if err != nil {
			t.Fatal(err)
		}
		sent, _, err := s.Enqueue(ctx, digestItem("analyst@example.com", time.Date(2026, 11, 25, 0, 0, 0, 0, tehran)))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.MarkSent(ctx, sent.ID, "250 2.0.0 queued", clock.now()); err != nil {
			t.Fatal(err)
		}
		claimed, _, err := s.Enqueue(ctx, digestItem("analyst@example.com", time.Date(2026, 11, 26, 0, 0, 0, 0, tehran)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimItem(ctx, "news1:42", claimed.ID, clock.now(), time.Hour); err != nil {
			t.Fatal(err)
		}
		before, err := s.Outbox(ctx, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		// Back to schema 6, on PostgreSQL with its old constraint (0008
		// undone first).
		undo := []string{"DROP INDEX articles_days", "DROP TABLE subscription_changes", "DROP TABLE subscriptions", "ALTER TABLE outbox DROP COLUMN sending"}
		if s.d.name == "postgres" {
			undo = append(undo, "ALTER TABLE outbox DROP CONSTRAINT outbox_state_check",
				"ALTER TABLE outbox ADD CONSTRAINT outbox_state_check CHECK (state IN ('queued', 'sent', 'failed'))")
		}
		undo = append(undo, "DELETE FROM schema_version WHERE version >= 7")
		err = s.inTx(ctx, func(tx *tx) error {
			if err := undoSearch(ctx, tx); err != nil {
				return err
			}
			for _, q := range undo {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.migrate(ctx, ms); err != nil {
			t.Fatal(err)
		}
		after, err := s.Outbox(ctx, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(after, before) {
			t.Errorf("outbox after 0007:\n%+v\nwant\n%+v", after, before)
		}
		var holder string
		if err := s.r.QueryRowContext(ctx, "SELECT claimed_by FROM outbox WHERE id = ?", claimed.ID).Scan(&holder); err != nil || holder != "news1:42" {
			t.Errorf("claim after 0007: %q, %v", holder, err)
		}
		if err := s.MarkCancelled(ctx, claimed.ID, "cancelled"); err != nil {
			t.Errorf("cancelling after 0007: %v", err)
		}
		if _, err := s.w.ExecContext(ctx, "UPDATE outbox SET state = 'lost' WHERE id = ?", sent.ID); err == nil {
			t.Error("the outbox took an unknown state")
		}
	})
}
