package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"mediadigest/model"
)

// Enqueue records a digest to send, keyed by it.Key (subscriber and
// window). A new item starts queued with no attempts, NextTry defaulting to
// CreatedAt and CreatedAt to now; created is true. When the key exists the
// stored item is returned unchanged and created is false: that is how a
// digest is never sent twice.
func (s *Store) Enqueue(ctx context.Context, it model.OutboxItem) (model.OutboxItem, bool, error) {
	if it.Key == "" {
		return model.OutboxItem{}, false, fmt.Errorf("store: enqueue digest for %s: empty key", it.Subscriber)
	}
	if it.CreatedAt.IsZero() {
		it.CreatedAt = s.now()
	}
	if it.NextTry.IsZero() {
		it.NextTry = it.CreatedAt
	}
	var stored model.OutboxItem
	var created bool
	err := s.inTx(ctx, func(tx *tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO outbox
			(key, subscriber, window_from, window_to, basis, message_id, state, next_try, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
			it.Key, it.Subscriber, fmtTime(it.Window.From), fmtTime(it.Window.To), string(it.Window.Basis), it.MessageID, model.OutboxQueued,
			fmtTime(it.NextTry), fmtTime(it.CreatedAt))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		created = n == 1
		stored, err = outboxWhere(ctx, tx, "key = ?", it.Key)
		return err
	})
	if err != nil {
		return model.OutboxItem{}, false, fmt.Errorf("store: enqueue %s: %w", it.Key, err)
	}
	return stored, created, nil
}

// Due returns up to limit queued items whose NextTry is not after now,
// the longest waiting first.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]model.OutboxItem, error) {
	items, err := s.outboxList(ctx, "WHERE state = ? AND next_try <= ? ORDER BY next_try, id", limit,
		model.OutboxQueued, fmtTime(now))
	if err != nil {
		return nil, fmt.Errorf("store: due outbox items: %w", err)
	}
	return items, nil
}

// MarkSent records the delivery of a queued item.
func (s *Store) MarkSent(ctx context.Context, id int64, reply string, at time.Time) error {
	return s.transition(ctx, "mark sent", id, model.OutboxQueued,
		"state = ?, attempts = attempts + 1, last_reply = ?, sent_at = ?", model.OutboxSent, reply, fmtTime(at))
}

// MarkRetry records a failed attempt that may succeed later: the item stays
// queued until next.
func (s *Store) MarkRetry(ctx context.Context, id int64, reply string, next time.Time) error {
	return s.transition(ctx, "mark for retry", id, model.OutboxQueued,
		"attempts = attempts + 1, last_reply = ?, next_try = ?", reply, fmtTime(next))
}

// MarkFailed records a permanent failure; the item is not retried unless
// requeued.
func (s *Store) MarkFailed(ctx context.Context, id int64, reply string) error {
	return s.transition(ctx, "mark failed", id, model.OutboxQueued,
		"state = ?, attempts = attempts + 1, last_reply = ?", model.OutboxFailed, reply)
}

// MarkSending records that the message of queued item id goes to the mail
// server now, before it does: an unsubscription committed from then on
// leaves the item to its sender and waits for its outcome (Sending)
// instead of cancelling it. ErrState when the item is no longer queued
// (it was cancelled meanwhile): it must not be sent.
func (s *Store) MarkSending(ctx context.Context, id int64, now time.Time) error {
	res, err := s.w.ExecContext(ctx, "UPDATE outbox SET sending = ? WHERE id = ? AND state = ?", fmtTime(now), id, model.OutboxQueued)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = s.stateError(ctx, id, model.OutboxQueued)
		}
	}
	if err != nil {
		return fmt.Errorf("store: mark outbox item %d as going out: %w", id, err)
	}
	return nil
}

// stateError says why item id is not in state want: ErrNotFound or
// ErrState.
func (s *Store) stateError(ctx context.Context, id int64, want string) error {
	var state string
	err := s.w.QueryRowContext(ctx, "SELECT state FROM outbox WHERE id = ?", id).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: it is %s, want %s", ErrState, state, want)
}

// MarkCancelled drops a queued item that must not go out: its subscriber
// receives no digest any more (docs/subscriptions.md).
func (s *Store) MarkCancelled(ctx context.Context, id int64, reason string) error {
	return s.transition(ctx, "cancel", id, model.OutboxQueued, "state = ?, last_reply = ?", model.OutboxCancelled, reason)
}

// Requeue makes item id due at now and returns it. A failed item goes
// back in the queue with a fresh count of attempts, so the sender's retry
// limit applies anew; a queued one waiting out its backoff keeps its
// attempts, and its claim: a process may be sending it right now. The last
// reply is kept until the next attempt replaces it. A sent item is refused
// with ErrState, as a digest is sent once; so is a cancelled one, as its
// subscriber left.
func (s *Store) Requeue(ctx context.Context, id int64, now time.Time) (model.OutboxItem, error) {
	var it model.OutboxItem
	err := s.inTx(ctx, func(tx *tx) error {
		var err error
		if it, err = outboxWhere(ctx, tx, "id = ?"+s.d.forUpdate, id); err != nil {
			return err
		}
		switch it.State {
		case model.OutboxSent:
			return fmt.Errorf("%w: it was sent to %s at %s (%s), and a digest is sent once", ErrState,
				it.Subscriber, it.SentAt.UTC().Format(time.RFC3339), it.LastReply)
		case model.OutboxCancelled:
			return fmt.Errorf("%w: it was %s, and is not sent to a subscriber who left (see `mediadigest subscribers`)", ErrState, it.LastReply)
		case model.OutboxFailed:
			it.Attempts = 0
			_, err = tx.ExecContext(ctx, "UPDATE outbox SET state = ?, attempts = 0, next_try = ? WHERE id = ?",
				model.OutboxQueued, fmtTime(now), id)
		default:
			_, err = tx.ExecContext(ctx, "UPDATE outbox SET next_try = ? WHERE id = ?", fmtTime(now), id)
		}
		it.State, it.NextTry = model.OutboxQueued, now
		return err
	})
	if err != nil {
		return model.OutboxItem{}, fmt.Errorf("store: requeue outbox item %d: %w", id, err)
	}
	return it, nil
}

// transition applies set to item id if it is in state from, and ends the
// item's claim (ClaimDue) and its MarkSending. Otherwise it reports ErrNotFound or ErrState, so
// a digest already sent is never marked for another delivery.
func (s *Store) transition(ctx context.Context, op string, id int64, from, set string, args ...any) error {
	err := s.inTx(ctx, func(tx *tx) error {
		var state string
		err := tx.QueryRowContext(ctx, "SELECT state FROM outbox WHERE id = ?"+s.d.forUpdate, id).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if state != from {
			return fmt.Errorf("%w: it is %s, want %s", ErrState, state, from)
		}
		_, err = tx.ExecContext(ctx, "UPDATE outbox SET "+set+", claimed_by = '', claim_expires = '', sending = '' WHERE id = ?", append(args, id)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: %s outbox item %d: %w", op, id, err)
	}
	return nil
}

// Outbox returns up to limit items in the given state ("" for all; limit
// <= 0 for no limit), newest first.
func (s *Store) Outbox(ctx context.Context, state string, limit int) ([]model.OutboxItem, error) {
	where, args := "", []any(nil)
	if state != "" {
		where, args = "WHERE state = ?", []any{state}
	}
	items, err := s.outboxList(ctx, where+" ORDER BY id DESC", limit, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list outbox: %w", err)
	}
	return items, nil
}

// OutboxItem returns one item, or an error wrapping ErrNotFound.
func (s *Store) OutboxItem(ctx context.Context, id int64) (model.OutboxItem, error) {
	it, err := outboxWhere(ctx, s.r, "id = ?", id)
	if err != nil {
		return model.OutboxItem{}, fmt.Errorf("store: outbox item %d: %w", id, err)
	}
	return it, nil
}

// OutboxCounts returns the number of items in each state, every state
// present.
func (s *Store) OutboxCounts(ctx context.Context) (map[string]int, error) {
	counts := map[string]int{model.OutboxQueued: 0, model.OutboxSent: 0, model.OutboxFailed: 0, model.OutboxCancelled: 0}
	rows, err := s.r.QueryContext(ctx, "SELECT state, COUNT(*) FROM outbox GROUP BY state")
	if err != nil {
		return nil, fmt.Errorf("store: count outbox: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("store: count outbox: %w", err)
		}
		counts[state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: count outbox: %w", err)
	}
	return counts, nil
}

// LastWindowEnd returns the end of the latest window enqueued for the
// subscriber, whatever its state; ok is false when there is none.
// Scheduled digests start from it, so nothing is missed or repeated.
func (s *Store) LastWindowEnd(ctx context.Context, subscriber string) (end time.Time, ok bool, err error) {
	err = s.r.QueryRowContext(ctx, "SELECT COALESCE(MAX(window_to), '') FROM outbox WHERE subscriber = ?", subscriber).
		Scan(timeCol{&end})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: last digest window of %s: %w", subscriber, err)
	}
	return end, !end.IsZero(), nil
}

const outboxColumns = `id, key, subscriber, window_from, window_to, basis, message_id, state, attempts,
	last_reply, next_try, created_at, sent_at`

const outboxSelect = "SELECT " + outboxColumns + " FROM outbox "

func scanOutbox(sc interface{ Scan(...any) error }) (model.OutboxItem, error) {
	var it model.OutboxItem
	err := sc.Scan(&it.ID, &it.Key, &it.Subscriber, timeCol{&it.Window.From}, timeCol{&it.Window.To}, &it.Window.Basis, &it.MessageID,
		&it.State, &it.Attempts, &it.LastReply, timeCol{&it.NextTry}, timeCol{&it.CreatedAt}, timeCol{&it.SentAt})
	return it, err
}

// outboxWhere reads the one item matching cond, or ErrNotFound.
func outboxWhere(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, cond string, args ...any) (model.OutboxItem, error) {
	it, err := scanOutbox(q.QueryRowContext(ctx, outboxSelect+"WHERE "+cond, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return model.OutboxItem{}, ErrNotFound
	}
	return it, err
}

// outboxList reads the items of a query tail (WHERE … ORDER BY …), at most
// limit of them when limit > 0.
func (s *Store) outboxList(ctx context.Context, tail string, limit int, args ...any) ([]model.OutboxItem, error) {
	if limit > 0 {
		tail += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.r.QueryContext(ctx, outboxSelect+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []model.OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// DueCounts are the queued outbox items due at a time: Unclaimed ones
// nobody is sending, Claimed ones a process is sending (its claim has not
// expired), with those processes.
type DueCounts struct {
	Unclaimed, Claimed int
	Holders            []string
}

// OutboxDue counts the queued items due at now, claimed or not.
func (s *Store) OutboxDue(ctx context.Context, now time.Time) (DueCounts, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT CASE WHEN claimed_by <> '' AND claim_expires > ? THEN claimed_by ELSE '' END AS holder, COUNT(*)
		FROM outbox WHERE state = ? AND next_try <= ? GROUP BY holder ORDER BY holder`,
		fmtTime(now), model.OutboxQueued, fmtTime(now))
	if err != nil {
		return DueCounts{}, fmt.Errorf("store: count due outbox items: %w", err)
	}
	defer rows.Close()
	var c DueCounts
	for rows.Next() {
		var holder string
		var n int
		if err := rows.Scan(&holder, &n); err != nil {
			return DueCounts{}, fmt.Errorf("store: count due outbox items: %w", err)
		}
		if holder == "" {
			c.Unclaimed += n
			continue
		}
		c.Claimed += n
		c.Holders = append(c.Holders, holder)
	}
	if err := rows.Err(); err != nil {
		return DueCounts{}, fmt.Errorf("store: count due outbox items: %w", err)
	}
	return c, nil
}
