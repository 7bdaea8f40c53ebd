package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"mediadigest/model"
)

// ErrNoChange is returned by the function given to ChangeSubscription when
// the subscription is already as asked: nothing is written, no audit line.
var ErrNoChange = errors.New("subscription already as asked")

// Subscriptions returns every stored subscription, by address.
func (s *Store) Subscriptions(ctx context.Context) ([]model.Subscription, error) {
	rows, err := s.r.QueryContext(ctx, subscriptionSelect+" ORDER BY email")
	if err != nil {
		return nil, fmt.Errorf("store: list subscriptions: %w", err)
	}
	defer rows.Close()
	var out []model.Subscription
	for rows.Next() {
		sub, err := scanSubscription(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list subscriptions: %w", err)
		}
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list subscriptions: %w", err)
	}
	return out, nil
}

// Subscription returns the stored subscription of email (any case): the
// zero one, with the lower-cased Email, when nothing is stored.
func (s *Store) Subscription(ctx context.Context, email string) (model.Subscription, error) {
	sub, err := subscriptionOf(ctx, s.r, email, "")
	if err != nil {
		return model.Subscription{}, fmt.Errorf("store: subscription of %s: %w", email, err)
	}
	return sub, nil
}

// ChangeSubscription is the one way a subscription changes: in one
// transaction it reads the subscription of email (the zero one when none
// is stored), lets change modify it and say what it did, stores it with
// that audit line, and — when the subscriber receives nothing at now any
// more — cancels their queued digests that are not on the wire
// (CancelQueued). change returning ErrNoChange writes nothing and is no
// error; any other error is returned and writes nothing either. It
// returns the subscription as stored.
func (s *Store) ChangeSubscription(ctx context.Context, email string, now time.Time,
	change func(*model.Subscription) (model.SubscriptionChange, error)) (model.Subscription, error) {
	var sub model.Subscription
	err := s.inTx(ctx, func(tx *tx) error {
		var err error
		if sub, err = subscriptionOf(ctx, tx, email, s.d.forUpdate); err != nil {
			return err
		}
		line, err := change(&sub)
		if errors.Is(err, ErrNoChange) {
			return nil
		}
		if err != nil {
			return err
		}
		sub.UpdatedAt = now
		var topics any // NULL: the config's
		if sub.Topics != nil {
			if topics, err = jsonText(sub.Topics); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO subscriptions
			(email, topics, paused_until, unsubscribed_at, resumed_at, removed_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (email) DO UPDATE SET topics = excluded.topics, paused_until = excluded.paused_until,
				unsubscribed_at = excluded.unsubscribed_at, resumed_at = excluded.resumed_at,
				removed_at = excluded.removed_at, updated_at = excluded.updated_at`,
			sub.Email, topics, fmtTime(sub.PausedUntil), fmtTime(sub.UnsubscribedAt), fmtTime(sub.ResumedAt),
			fmtTime(sub.RemovedAt), fmtTime(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO subscription_changes (email, at, what, via, detail) VALUES (?, ?, ?, ?, ?)",
			sub.Email, fmtTime(now), line.What, line.Via, line.Detail); err != nil {
			return err
		}
		if sub.State(now) == model.SubscriberActive && sub.RemovedAt.IsZero() {
			return nil
		}
		_, err = cancelQueued(ctx, tx, sub.Email, now, "cancelled: "+line.What+" by "+line.Via)
		return err
	})
	if err != nil {
		return model.Subscription{}, fmt.Errorf("store: change the subscription of %s: %w", email, err)
	}
	return sub, nil
}

// SubscriptionChanges returns up to limit audit lines (limit <= 0: all)
// of email, or of everyone when email is "", newest first.
func (s *Store) SubscriptionChanges(ctx context.Context, email string, limit int) ([]model.SubscriptionChange, error) {
	q, args := "SELECT id, email, at, what, via, detail FROM subscription_changes", []any{}
	if email != "" {
		q, args = q+" WHERE email = ?", append(args, strings.ToLower(email))
	}
	q += " ORDER BY id DESC"
	if limit > 0 {
		q, args = q+" LIMIT ?", append(args, limit)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: subscription changes: %w", err)
	}
	defer rows.Close()
	var out []model.SubscriptionChange
	for rows.Next() {
		var c model.SubscriptionChange
		if err := rows.Scan(&c.ID, &c.Email, timeCol{&c.At}, &c.What, &c.Via, &c.Detail); err != nil {
			return nil, fmt.Errorf("store: subscription changes: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: subscription changes: %w", err)
	}
	return out, nil
}

// Sending counts the digests of subscriber (any case) whose message is on
// the wire at now: marked by MarkSending, not yet recorded, and claimed by
// a process whose claim has not expired. An unsubscription waits for them
// before it answers, so that no digest goes out after it.
func (s *Store) Sending(ctx context.Context, subscriber string, now time.Time) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox
		WHERE state = ? AND sending <> '' AND claim_expires > ? AND lower(subscriber) = ?`,
		model.OutboxQueued, fmtTime(now), strings.ToLower(subscriber)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: digests of %s being sent: %w", subscriber, err)
	}
	return n, nil
}

// cancelQueued cancels the queued digests of subscriber (lower-cased),
// except those whose message is on the wire (sending, under a live
// claim): the sender records those. It returns how many it cancelled.
func cancelQueued(ctx context.Context, tx *tx, subscriber string, now time.Time, reason string) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE outbox SET state = ?, last_reply = ?, claimed_by = '', claim_expires = '', sending = ''
		WHERE state = ? AND lower(subscriber) = ? AND (sending = '' OR claim_expires <= ?)`,
		model.OutboxCancelled, reason, model.OutboxQueued, subscriber, fmtTime(now))
	if err != nil {
		return 0, fmt.Errorf("cancel the queued digests of %s: %w", subscriber, err)
	}
	return res.RowsAffected()
}

const subscriptionSelect = `SELECT email, topics, paused_until, unsubscribed_at, resumed_at, removed_at, updated_at
	FROM subscriptions`

func scanSubscription(sc interface{ Scan(...any) error }) (model.Subscription, error) {
	var sub model.Subscription
	err := sc.Scan(&sub.Email, jsonCol{&sub.Topics}, timeCol{&sub.PausedUntil}, timeCol{&sub.UnsubscribedAt},
		timeCol{&sub.ResumedAt}, timeCol{&sub.RemovedAt}, timeCol{&sub.UpdatedAt})
	return sub, err
}

// subscriptionOf reads the subscription of email, the zero one when none
// is stored; lock ends the query (forUpdate in a transaction).
func subscriptionOf(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, email, lock string) (model.Subscription, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	sub, err := scanSubscription(q.QueryRowContext(ctx, subscriptionSelect+" WHERE email = ?"+lock, email))
	if errors.Is(err, sql.ErrNoRows) {
		return model.Subscription{Email: email}, nil
	}
	return sub, err
}
