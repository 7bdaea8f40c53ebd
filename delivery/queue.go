package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"mediadigest/internal/lease"
	"mediadigest/model"
)

// queueLease names the store-wide lease under which digests are queued.
const queueLease = "digest:enqueue"

// queuePoll is how often a process waiting for the queuing lease tries it,
// in real time: it waits for another process, not for a time of day. How
// long it waits at most is counted on the manager's clock, as the
// holder's lease expires on it.
const queuePoll = 200 * time.Millisecond

// QueueReport is what one Queue did.
type QueueReport struct {
	Queued []model.OutboxItem // the rows it created, in recipient order
	// NothingNew counts the recipients left out by a plan that skips empty
	// digests: nothing arrived for them since their latest one.
	NothingNew int
}

// Queue puts the digest of each recipient's window under plan p in the
// outbox, due now, unless a row for that subscriber and window exists:
// queuing the same window twice queues it once. Reading a recipient's
// latest window and queuing the next happen under the store-wide queuing
// lease, so that two processes — the daemon's schedule and a `digest
// -send` by hand, or two daemons of a shared store — never queue windows
// from the same end, which would mail the same stories twice. Queue waits
// for the lease past a dead holder's expiry; when it still cannot have
// it, nothing is lost: the next run's windows start at each recipient's
// latest window end.
func (m *Manager) Queue(ctx context.Context, p Plan) (QueueReport, error) {
	m.queuing.Lock()
	defer m.queuing.Unlock()
	var rep QueueReport
	ctx, release, err := m.holdQueue(ctx, m.lease+10*time.Second)
	if err != nil {
		return rep, err
	}
	defer release()
	subs, err := m.audience.Recipients(ctx)
	if err != nil {
		return rep, fmt.Errorf("delivery: recipients: %w", err)
	}
	now := m.clk.Now()
	log := m.log.With("task", p.Task)
	found := builders{}
	var errs []error
	for _, sub := range subs {
		lastEnd, _, err := m.st.LastWindowEnd(ctx, sub.Email)
		if err != nil {
			errs = append(errs, fmt.Errorf("delivery: latest window of %s: %w", sub.Email, err))
			continue
		}
		// Back from a pause or an unsubscription: what arrived meanwhile
		// is not theirs (docs/subscriptions.md).
		lastEnd = maxTime(lastEnd, sub.Since)
		win, ok := p.next(lastEnd)
		if !ok {
			if p.skipEmpty {
				rep.NothingNew++ // nothing can have arrived since
			}
			continue
		}
		if p.skipEmpty {
			b, err := found.of(ctx, m, win)
			if err != nil {
				return rep, err
			}
			if len(b.For(sub).Topics) == 0 {
				rep.NothingNew++
				continue
			}
		}
		it, created, err := m.st.Enqueue(ctx, model.OutboxItem{
			Key:        Key(sub.Email, win),
			Subscriber: sub.Email,
			Window:     win,
			MessageID:  MessageID(sub.Email, win, m.cfg.Digest.From),
			State:      model.OutboxQueued,
			NextTry:    now,
			CreatedAt:  now,
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("delivery: queue the digest of %s: %w", sub.Email, err))
			continue
		}
		if created {
			rep.Queued = append(rep.Queued, it)
			log.Info("digest queued", "subscriber", sub.Email, "from", win.From.In(m.cfg.Location),
				"to", win.To.In(m.cfg.Location), "message_id", it.MessageID)
		}
	}
	return rep, errors.Join(errs...)
}

// holdQueue takes the queuing lease, waiting up to wait (on the manager's
// clock) while another process holds it, and renews it until release. The
// returned context ends if the lease is lost: queue nothing more then. A
// holder that dies leaves the lease to expire after cluster.lease, so a
// wait longer than that always ends with the lease.
func (m *Manager) holdQueue(ctx context.Context, wait time.Duration) (_ context.Context, release func(), err error) {
	deadline := m.clk.Now().Add(wait)
	for {
		held, free, ok, err := lease.Hold(ctx, m.st, m.clk, queueLease, m.holder, m.lease)
		if err != nil {
			return ctx, nil, fmt.Errorf("delivery: %w", err)
		}
		if ok {
			return held, func() {
				if err := free(); err != nil {
					m.log.Warn("digest queuing lease not released: others wait until it expires", "error", err)
				}
			}, nil
		}
		if m.clk.Now().After(deadline) {
			return ctx, nil, fmt.Errorf("delivery: another process has been queuing digests for over %s (lease %s, see `mediadigest status -json`); try again later", wait, queueLease)
		}
		poll := time.NewTimer(queuePoll)
		select {
		case <-ctx.Done():
			poll.Stop()
			return ctx, nil, ctx.Err()
		case <-poll.C:
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
