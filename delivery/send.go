package delivery

import (
	"context"
	"errors"
	"fmt"

	gomail "github.com/wneessen/go-mail"

	"mediadigest/internal/lease"
	"mediadigest/mail"
	"mediadigest/model"
	"mediadigest/store"
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
		m.log.Info("outbox delivered", "sent", rep.Sent, "retry", rep.Retry, "failed", rep.Failed, "cancelled", rep.Cancelled)
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
// accepted row unmarked. Each message goes out only once goingOut has
// found its subscriber still receiving; a row found otherwise ends the
// connection, and the rows after it go out on another.
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
		switch {
		case errors.Is(err, ErrNotReceiving):
			errs = append(errs, m.cancel(record, &rep, it, err))
		case err != nil:
			errs = append(errs, m.fail(ctx, record, &rep, it, fmt.Errorf("render: %w", err)))
		default:
			batch = append(batch, it)
			msgs = append(msgs, msg)
		}
	}
	for len(batch) > 0 {
		n := m.sendRun(ctx, record, &rep, &errs, batch, msgs)
		batch, msgs = batch[n:], msgs[n:]
	}
	return rep, errors.Join(errs...)
}

// sendRun sends the messages of batch over one connection until one must
// not go out, and returns how many rows it dealt with: those sent or
// failed, and the one that stopped it.
func (m *Manager) sendRun(ctx, record context.Context, rep *Report, errs *[]error, batch []model.OutboxItem, msgs []*gomail.Msg) int {
	if !m.goingOut(ctx, record, rep, errs, batch[0]) {
		return 1
	}
	// Stopping the transport's context sends nothing more on this
	// connection (mail.Transport); the rows left untried go on the next.
	run, stop := context.WithCancel(ctx)
	defer stop()
	stopped := len(batch)
	m.tr.Send(run, msgs, func(i int, err error) {
		if i >= stopped {
			return
		}
		it := batch[i]
		if err != nil {
			*errs = append(*errs, m.fail(ctx, record, rep, it, err))
		} else if err := m.st.MarkSent(record, it.ID, mail.Reply(msgs[i]), m.clk.Now()); err != nil {
			*errs = append(*errs, fmt.Errorf("delivery: mark outbox row %d (%s) sent: %w", it.ID, it.Subscriber, err))
		} else {
			rep.Sent++
			m.log.Debug("digest sent", "subscriber", it.Subscriber, "message_id", it.MessageID, "reply", mail.Reply(msgs[i]))
		}
		if i+1 < len(batch) && ctx.Err() == nil && !m.goingOut(ctx, record, rep, errs, batch[i+1]) {
			stopped = i + 1
			stop()
		}
	})
	return min(stopped+1, len(batch))
}

// goingOut reports whether the message of row it may go to the mail
// server now, and marks it as going out (MarkSending) when it may. The
// mark comes before the check of its subscriber: an unsubscription
// committed before the mark has cancelled the row (MarkSending refuses
// it), one committed after the mark waits for this row's outcome before
// it answers, and one in between is seen by the check, which cancels the
// row. So no digest goes out once an unsubscription has been confirmed
// (docs/subscriptions.md).
func (m *Manager) goingOut(ctx, record context.Context, rep *Report, errs *[]error, it model.OutboxItem) bool {
	if err := m.st.MarkSending(ctx, it.ID, m.clk.Now()); err != nil {
		if errors.Is(err, store.ErrState) {
			rep.Cancelled++
			m.log.Info("digest dropped before it went out", "subscriber", it.Subscriber, "message_id", it.MessageID, "reason", err)
		} else {
			*errs = append(*errs, fmt.Errorf("delivery: outbox row %d (%s) not sent: %w", it.ID, it.Subscriber, err))
		}
		return false
	}
	_, err := m.audience.Recipient(ctx, it.Subscriber)
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrNotReceiving):
		*errs = append(*errs, m.cancel(record, rep, it, err))
	case errors.Is(err, ErrNoRecipient):
		*errs = append(*errs, m.fail(ctx, record, rep, it, fmt.Errorf("%w: %w", mail.ErrPermanent, err)))
	default:
		*errs = append(*errs, m.fail(ctx, record, rep, it, err))
	}
	return false
}

// cancel drops row it, whose subscriber receives no digest now (why).
func (m *Manager) cancel(record context.Context, rep *Report, it model.OutboxItem, why error) error {
	if err := m.st.MarkCancelled(record, it.ID, "cancelled: "+why.Error()); err != nil {
		return fmt.Errorf("delivery: cancel outbox row %d (%s): %w", it.ID, it.Subscriber, err)
	}
	rep.Cancelled++
	m.log.Info("digest dropped before it went out", "subscriber", it.Subscriber, "message_id", it.MessageID, "reason", why)
	return nil
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
