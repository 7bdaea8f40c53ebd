package mail

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	gomail "github.com/wneessen/go-mail"

	"mediadigest/model"
)

// Outbox is the durable record of digests to send (SPEC §9), as the
// Deliverer needs it.
type Outbox interface {
	// Enqueue inserts it unless a row with its Key exists, and returns the
	// stored row and whether it was inserted.
	Enqueue(ctx context.Context, it model.OutboxItem) (model.OutboxItem, bool, error)
	// Due returns up to limit queued rows whose NextTry is not after now,
	// oldest first.
	Due(ctx context.Context, now time.Time, limit int) ([]model.OutboxItem, error)
	// MarkSent, MarkRetry and MarkFailed record the outcome of one attempt
	// (each counts one in Attempts) with the server's reply or the error.
	MarkSent(ctx context.Context, id int64, reply string, at time.Time) error
	MarkRetry(ctx context.Context, id int64, reply string, next time.Time) error
	MarkFailed(ctx context.Context, id int64, reply string) error
}

// Holder is an Outbox whose Due claims rows for a while (several daemons
// sharing one outbox). Deliver calls Hold once it has due rows and release
// when it returns, so the claims outlive a batch that takes longer to send
// than one claim lasts.
type Holder interface {
	Hold(ctx context.Context) (release func())
}

// RenderFunc builds the message of an outbox row. It must build the same
// message every time for the same row (the digest of the row's subscriber
// and window, and the row's Message-ID), so that a retry is a resend.
type RenderFunc func(ctx context.Context, it model.OutboxItem) (*gomail.Msg, error)

// Defaults of Deliverer.
const (
	DefaultBatch       = 1000
	DefaultMaxAttempts = 12
	DefaultMaxAge      = 24 * time.Hour
)

// Deliverer sends what the outbox holds.
//
// Every digest is enqueued before anything is sent, and the row is the
// only record of it: running twice enqueues once and sends once. A row is
// marked sent right after the server accepted its DATA, before the next
// message goes out. If the process dies (or the outbox cannot be written)
// between that acceptance and MarkSent, the row is still queued and is sent
// again on the next run: delivery is at most once except for that one
// message, and the resend carries the same Message-ID, by which receivers
// and their duplicate filters recognise it.
//
// Failures: a permanent one (a 5xx reply, a malformed address) fails the
// row at once. A temporary one (4xx, no connection, a connection lost)
// retries after 1m, 2m, 4m, … up to 1h between attempts, so MaxAttempts
// attempts span about six hours; the row fails after MaxAttempts attempts
// or once it is MaxAge old, as a digest a day late is superseded by the
// next one. Age alone never fails a row that was not tried: a digest missed
// while the daemon was down is still sent once (SPEC §9).
type Deliverer struct {
	Outbox    Outbox
	Transport Transport
	Render    RenderFunc
	From      string // sender address: the domain of the Message-IDs

	Batch       int           // rows per Deliver; 0 is DefaultBatch
	MaxAttempts int           // 0 is DefaultMaxAttempts
	MaxAge      time.Duration // 0 is DefaultMaxAge
	Logger      *slog.Logger  // nil is slog.Default()
}

// Report counts the outcomes of one Deliver.
type Report struct {
	Sent, Retry, Failed int
}

// Enqueue records the digest of subscriber for win in the outbox, due at
// now, with its stable key and Message-ID. It returns the stored row and
// whether it is new; an existing row, whatever its state, is left alone.
func (d *Deliverer) Enqueue(ctx context.Context, subscriber string, win model.Window, now time.Time) (model.OutboxItem, bool, error) {
	it := model.OutboxItem{
		Key:        key(subscriber, win),
		Subscriber: subscriber,
		Window:     win,
		MessageID:  MessageID(subscriber, win, d.From),
		State:      model.OutboxQueued,
		NextTry:    now,
		CreatedAt:  now,
	}
	got, created, err := d.Outbox.Enqueue(ctx, it)
	if err != nil {
		return model.OutboxItem{}, false, fmt.Errorf("mail: enqueue digest for %s: %w", subscriber, err)
	}
	return got, created, nil
}

// Deliver sends the rows due at now in one batch (one connection) and
// records each outcome. Rows left untried because ctx was cancelled stay
// due. The error reports outbox failures; delivery failures are in the
// Report and on the rows.
func (d *Deliverer) Deliver(ctx context.Context, now time.Time) (Report, error) {
	var rep Report
	items, err := d.Outbox.Due(ctx, now, cmp.Or(d.Batch, DefaultBatch))
	if err != nil {
		return rep, fmt.Errorf("mail: read due outbox rows: %w", err)
	}
	if len(items) == 0 {
		return rep, nil
	}
	if h, ok := d.Outbox.(Holder); ok {
		defer h.Hold(ctx)()
	}
	// An outcome must be recorded even when the caller is cancelling:
	// a sent row left queued would be sent again.
	record := context.WithoutCancel(ctx)
	var errs []error

	batch := make([]model.OutboxItem, 0, len(items))
	msgs := make([]*gomail.Msg, 0, len(items))
	for _, it := range items {
		m, err := d.Render(ctx, it)
		if err != nil {
			errs = append(errs, d.fail(ctx, record, &rep, it, now, fmt.Errorf("render: %w", err)))
			continue
		}
		batch = append(batch, it)
		msgs = append(msgs, m)
	}
	// Each outcome is recorded before the transport sends the next
	// message: a crash leaves at most one accepted row unmarked.
	d.Transport.Send(ctx, msgs, func(i int, err error) {
		it := batch[i]
		if err != nil {
			errs = append(errs, d.fail(ctx, record, &rep, it, now, err))
			return
		}
		accepted := reply(msgs[i])
		if err := d.Outbox.MarkSent(record, it.ID, accepted, now); err != nil {
			errs = append(errs, fmt.Errorf("mail: mark outbox row %d (%s) sent: %w", it.ID, it.Subscriber, err))
			return
		}
		rep.Sent++
		d.logger().Debug("digest sent", "subscriber", it.Subscriber, "message_id", it.MessageID, "reply", accepted)
	})
	d.logger().Info("outbox delivered", "sent", rep.Sent, "retry", rep.Retry, "failed", rep.Failed)
	return rep, errors.Join(errs...)
}

// fail records a failed attempt; it returns only an error of the outbox.
func (d *Deliverer) fail(ctx, record context.Context, rep *Report, it model.OutboxItem, now time.Time, cause error) error {
	if ctx.Err() != nil && errors.Is(cause, ctx.Err()) {
		return nil // never tried: the row stays due
	}
	log := d.logger().With("subscriber", it.Subscriber, "message_id", it.MessageID, "error", cause)
	attempts := it.Attempts + 1
	msg := cause.Error()
	var err error
	var count *int
	switch {
	case Permanent(cause):
		err, count = d.Outbox.MarkFailed(record, it.ID, msg), &rep.Failed
		log.Error("digest failed permanently")
	case attempts >= cmp.Or(d.MaxAttempts, DefaultMaxAttempts) || now.Sub(it.CreatedAt) >= cmp.Or(d.MaxAge, DefaultMaxAge):
		err, count = d.Outbox.MarkFailed(record, it.ID, fmt.Sprintf("gave up after %d attempts: %s", attempts, msg)), &rep.Failed
		log.Error("digest failed, giving up", "attempts", attempts)
	default:
		next := now.Add(backoff(attempts))
		err, count = d.Outbox.MarkRetry(record, it.ID, msg, next), &rep.Retry
		log.Warn("digest not sent, will retry", "attempts", attempts, "next", next)
	}
	if err != nil {
		return fmt.Errorf("mail: record failure of outbox row %d (%s): %w", it.ID, it.Subscriber, err)
	}
	*count++
	return nil
}

// backoff is the wait after the n-th failed attempt: 1m, 2m, 4m, …, at most
// 1h.
func backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 7 { // 2^6 minutes is already over the cap
		return time.Hour
	}
	return min(time.Minute<<(n-1), time.Hour)
}

func (d *Deliverer) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}
