package delivery

import (
	"context"
	"errors"
	"fmt"

	gomail "github.com/wneessen/go-mail"

	"mediadigest/internal/lease"
	"mediadigest/mail"
	"mediadigest/model"
)

// Send delivers every row due now, a batch (one connection) at a time,
// until none is left, and records each outcome. The rows it sends are
// claimed for this process, so of several processes sharing the outbox
// each row goes to one; the claims are renewed while it sends, so a slow
// server never lets them lapse to another process mid-batch. Rows left
// untried because ctx ended stay due. The error reports store failures;
// delivery failures are in the Report and on the rows.
func (m *Manager) Send(ctx context.Context) (Report, error) {
	m.sending.Lock()
	defer m.sending.Unlock()
	var rep Report
	release := m.holdClaims(ctx)
	defer release()
	found := builders{}
	for ctx.Err() == nil {
		items, err := m.st.ClaimDue(ctx, m.holder, m.clk.Now(), m.lease, m.batch)
		if err != nil {
			return rep, fmt.Errorf("delivery: claim due outbox rows: %w", err)
		}
		if len(items) == 0 {
			break
		}
		r, err := m.sendBatch(ctx, items, found)
		rep.add(r)
		if err != nil {
			return rep, err
		}
	}
	if rep != (Report{}) {
		m.log.Info("outbox delivered", "sent", rep.Sent, "retry", rep.Retry, "failed", rep.Failed)
	}
	return rep, nil
}

// Retry delivers outbox row id now, and no other: a failed row goes back
// in the queue with fresh attempts, a queued one waiting out its backoff
// becomes due; a sent one is refused. ErrClaimed when another process is
// sending it.
func (m *Manager) Retry(ctx context.Context, id int64) (model.OutboxItem, Report, error) {
	m.sending.Lock()
	defer m.sending.Unlock()
	it, err := m.st.Requeue(ctx, id, m.clk.Now())
	if err != nil {
		return it, Report{}, err
	}
	items, err := m.st.ClaimItem(ctx, m.holder, id, m.clk.Now(), m.lease)
	if err != nil {
		return it, Report{}, fmt.Errorf("delivery: claim outbox row %d: %w", id, err)
	}
	if len(items) == 0 {
		return it, Report{}, fmt.Errorf("outbox row %d (%s) %w", id, it.Subscriber, ErrClaimed)
	}
	release := m.holdClaims(ctx)
	defer release()
	rep, err := m.sendBatch(ctx, items, builders{})
	return items[0], rep, err
}

// ErrClaimed says another process is delivering a row.
var ErrClaimed = errors.New("is being delivered by another process (a daemon?): see `mediadigest outbox -state queued`")

// holdClaims renews this process's claims every third of their lifetime
// until release. Once this process dies, its claims lapse within
// cluster.lease and another process sends what it left.
func (m *Manager) holdClaims(ctx context.Context) (release func()) {
	return lease.Keep(ctx, m.clk, m.lease/3, func(ctx context.Context) bool {
		if _, err := m.st.RenewClaims(ctx, m.holder, m.clk.Now().Add(m.lease)); err != nil {
			m.log.Warn("outbox claims not renewed; another process may send them once they lapse", "error", err)
		}
		return true
	})
}

// sendBatch sends claimed rows over one connection and records each
// outcome before the next message goes out: a crash leaves at most one
// accepted row unmarked.
func (m *Manager) sendBatch(ctx context.Context, items []model.OutboxItem, found builders) (Report, error) {
	var rep Report
	// An outcome must be recorded even when the caller is cancelling: a
	// sent row left queued would be sent again.
	record := context.WithoutCancel(ctx)
	var errs []error
	batch := make([]model.OutboxItem, 0, len(items))
	msgs := make([]*gomail.Msg, 0, len(items))
	for _, it := range items {
		msg, err := m.render(ctx, it, found)
		if err != nil {
			errs = append(errs, m.fail(ctx, record, &rep, it, fmt.Errorf("render: %w", err)))
			continue
		}
		batch = append(batch, it)
		msgs = append(msgs, msg)
	}
	m.tr.Send(ctx, msgs, func(i int, err error) {
		it := batch[i]
		if err != nil {
			errs = append(errs, m.fail(ctx, record, &rep, it, err))
			return
		}
		accepted := mail.Reply(msgs[i])
		if err := m.st.MarkSent(record, it.ID, accepted, m.clk.Now()); err != nil {
			errs = append(errs, fmt.Errorf("delivery: mark outbox row %d (%s) sent: %w", it.ID, it.Subscriber, err))
			return
		}
		rep.Sent++
		m.log.Debug("digest sent", "subscriber", it.Subscriber, "message_id", it.MessageID, "reply", accepted)
	})
	return rep, errors.Join(errs...)
}

// render builds the message of a row: the digest of its recipient and
// window from the stored stories, with the row's Message-ID (the one
// logged when it was queued, and the one a resend after a crash must
// carry, whatever the version that renders it computes).
func (m *Manager) render(ctx context.Context, it model.OutboxItem, found builders) (*gomail.Msg, error) {
	sub, err := m.audience.Recipient(ctx, it.Subscriber)
	if err != nil {
		if errors.Is(err, ErrNoRecipient) {
			// The subscriber left the config after the row was queued.
			return nil, fmt.Errorf("%w: %w", mail.ErrPermanent, err)
		}
		return nil, err
	}
	b, err := found.of(ctx, m, it.Window)
	if err != nil {
		return nil, err
	}
	return m.message(m.build(b, sub), it.MessageID, "")
}

// fail records a failed attempt (docs/windows.md): a permanent failure (a
// 5xx reply, a malformed address) fails the row at once; a temporary one
// (4xx, no connection, a connection lost) retries after 1m, 2m, 4m, … up
// to 1h between attempts, until MaxAttempts attempts or MaxAge since the
// row was queued, as a digest a day late is superseded by the next one.
// Age alone never fails a row that was not tried: a digest missed while
// the daemon was down is still sent once. fail returns only an error of
// the store.
func (m *Manager) fail(ctx, record context.Context, rep *Report, it model.OutboxItem, cause error) error {
	if ctx.Err() != nil && errors.Is(cause, ctx.Err()) {
		return nil // never tried: the row stays due
	}
	now := m.clk.Now()
	log := m.log.With("subscriber", it.Subscriber, "message_id", it.MessageID, "error", cause)
	attempts := it.Attempts + 1
	msg := cause.Error()
	var err error
	var count *int
	switch {
	case mail.Permanent(cause):
		err, count = m.st.MarkFailed(record, it.ID, msg), &rep.Failed
		log.Error("digest failed permanently")
	case attempts >= m.attempts || now.Sub(it.CreatedAt) >= m.maxAge:
		err, count = m.st.MarkFailed(record, it.ID, fmt.Sprintf("gave up after %d attempts: %s", attempts, msg)), &rep.Failed
		log.Error("digest failed, giving up", "attempts", attempts)
	default:
		next := now.Add(Backoff(attempts))
		err, count = m.st.MarkRetry(record, it.ID, msg, next), &rep.Retry
		log.Warn("digest not sent, will retry", "attempts", attempts, "next", next)
	}
	if err != nil {
		return fmt.Errorf("delivery: record failure of outbox row %d (%s): %w", it.ID, it.Subscriber, err)
	}
	*count++
	return nil
}
