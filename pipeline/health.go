package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"mediadigest/config"
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
// once a digest has been failing for over an hour (SPEC §9).
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

// failingFor reports whether the outlet has had no success for three of
// its crawl intervals.
func (p *Pipeline) failingFor(o config.Outlet, oh OutletHealth, now time.Time) bool {
	sched, err := cron.ParseStandard(p.cfg.CrawlSchedule(o))
	if err != nil || oh.LastSuccess == nil {
		return true
	}
	t := *oh.LastSuccess
	for i := 0; i < 3; i++ {
		t = sched.Next(t)
	}
	return now.After(t)
}
