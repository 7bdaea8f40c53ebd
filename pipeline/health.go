package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"mediadigest/config"
	"mediadigest/model"
	"mediadigest/store"
)

// Health is what /healthz serves and `status` prints.
type Health struct {
	Status   string         `json:"status"` // "ok" or "unhealthy"
	Problems []string       `json:"problems,omitempty"`
	Outlets  []OutletHealth `json:"outlets"`
	Outbox   map[string]int `json:"outbox"`
	// OutboxFailingSince is the creation time of the oldest digest still
	// being retried, if any.
	OutboxFailingSince *time.Time `json:"outbox_failing_since,omitempty"`
	// Leases are the outlets being crawled, by which process and until
	// when; Processes the daemons on this store that beat within the last
	// lease (cluster.lease): they beat every third of it, so a daemon that
	// missed three beats has died, and its leases have expired.
	Leases    []store.Lease   `json:"leases"`
	Processes []store.Process `json:"processes"`
}

// OutletHealth is one outlet's crawl health.
type OutletHealth struct {
	Outlet              string     `json:"outlet"`
	LastSuccess         *time.Time `json:"last_success"`
	LastErrorAt         *time.Time `json:"last_error_at,omitempty"`
	LastError           string     `json:"last_error,omitempty"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	Blocked             bool       `json:"blocked,omitempty"`
}

// Health reads crawl and outbox health from the store. An outlet is a
// problem once it has failed for three of its crawl intervals; the outbox
// once a digest has been failing for over an hour (SPEC §9), or has failed
// for good with nothing delivered to its subscriber since.
func (p *Pipeline) Health(ctx context.Context) (Health, error) {
	h := Health{Status: "ok", Outbox: map[string]int{}}
	rows, err := p.store.Health(ctx)
	if err != nil {
		return h, err
	}
	byOutlet := map[string]OutletHealth{}
	for _, r := range rows {
		oh := OutletHealth{Outlet: r.Outlet, LastError: r.LastErrorText, ConsecutiveFailures: r.ConsecutiveFailures, Blocked: r.LastRun.Blocked}
		if !r.LastSuccess.IsZero() {
			t := r.LastSuccess
			oh.LastSuccess = &t
		}
		if !r.LastError.IsZero() {
			t := r.LastError
			oh.LastErrorAt = &t
		}
		byOutlet[r.Outlet] = oh
	}
	now := p.now()
	for _, o := range p.cfg.Outlets {
		oh, ok := byOutlet[o.ID]
		if !ok {
			oh = OutletHealth{Outlet: o.ID}
		}
		h.Outlets = append(h.Outlets, oh)
		if oh.ConsecutiveFailures >= 3 && p.failingFor(o, oh, now) {
			h.Problems = append(h.Problems, fmt.Sprintf("outlet %s has failed %d crawls in a row: %s", o.ID, oh.ConsecutiveFailures, oh.LastError))
		}
	}
	if h.Outbox, err = p.store.OutboxCounts(ctx); err != nil {
		return h, err
	}
	queued, err := p.store.Outbox(ctx, "queued", 1000)
	if err != nil {
		return h, err
	}
	for _, it := range queued {
		if it.Attempts > 0 && (h.OutboxFailingSince == nil || it.CreatedAt.Before(*h.OutboxFailingSince)) {
			t := it.CreatedAt
			h.OutboxFailingSince = &t
		}
	}
	if h.OutboxFailingSince != nil && now.Sub(*h.OutboxFailingSince) > time.Hour {
		h.Problems = append(h.Problems, fmt.Sprintf("a digest has been failing to send since %s", h.OutboxFailingSince.UTC().Format(time.RFC3339)))
	}
	undelivered, err := p.undelivered(ctx)
	if err != nil {
		return h, err
	}
	for _, it := range undelivered {
		h.Problems = append(h.Problems, fmt.Sprintf("the digest %d for %s (%s to %s) failed for good: %s; after fixing the cause, `mediadigest outbox -retry %d`",
			it.ID, it.Subscriber, it.Window.From.UTC().Format(time.RFC3339), it.Window.To.UTC().Format(time.RFC3339), it.LastReply, it.ID))
	}
	if h.Leases, err = p.store.Leases(ctx, now); err != nil {
		return h, err
	}
	if h.Processes, err = p.store.Processes(ctx, now.Add(-p.cfg.Cluster.Lease.D())); err != nil {
		return h, err
	}
	if len(h.Problems) > 0 {
		h.Status = "unhealthy"
	}
	return h, nil
}

// undelivered returns the digests of configured subscribers that failed
// for good (a 5xx reply, or retries given up) with no later digest of
// theirs delivered since: each is news an analyst never got, and stays a
// problem until it is retried or delivery to that subscriber works again.
func (p *Pipeline) undelivered(ctx context.Context) ([]model.OutboxItem, error) {
	failed, err := p.store.Outbox(ctx, model.OutboxFailed, 100)
	if err != nil || len(failed) == 0 {
		return nil, err
	}
	sent, err := p.store.Outbox(ctx, model.OutboxSent, 1000)
	if err != nil {
		return nil, err
	}
	lastSent := map[string]time.Time{}
	for _, it := range sent {
		if it.Window.To.After(lastSent[it.Subscriber]) {
			lastSent[it.Subscriber] = it.Window.To
		}
	}
	var out []model.OutboxItem
	for _, it := range failed {
		if _, err := p.Subscriber(it.Subscriber); err != nil || lastSent[it.Subscriber].After(it.Window.From) {
			continue
		}
		out = append(out, it)
	}
	return out, nil
}

// failingFor reports whether the outlet has had no success for three of
// its crawl intervals.
func (p *Pipeline) failingFor(o config.Outlet, oh OutletHealth, now time.Time) bool {
	sched, err := cron.ParseStandard(p.cfg.CrawlSchedule(o))
	if err != nil || oh.LastSuccess == nil {
		return true
	}
	// The schedule fires in the configured zone, as the daemon's does: a
	// daily crawl is due at its local hour, not the host's.
	if s, ok := sched.(*cron.SpecSchedule); ok && s.Location == time.Local {
		s.Location = p.cfg.Location
	}
	t := *oh.LastSuccess
	for i := 0; i < 3; i++ {
		t = sched.Next(t)
	}
	return now.After(t)
}
