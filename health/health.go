// Package health says whether mediadigest does its work: each outlet's
// crawls, the outbox, and the daemons sharing the store with their leases
// (docs/operations.md); and counts the subscribers by state. /healthz serves its Report, `status` prints it.
package health

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"mediadigest/config"
	"mediadigest/model"
	"mediadigest/schedule"
	"mediadigest/store"
)

// Store is what the check reads: *store.Store implements it.
type Store interface {
	OutletCrawls(ctx context.Context) ([]store.OutletCrawls, error)
	OutboxCounts(ctx context.Context) (map[string]int, error)
	Outbox(ctx context.Context, state string, limit int) ([]model.OutboxItem, error)
	Leases(ctx context.Context, now time.Time) ([]store.Lease, error)
	Processes(ctx context.Context, since time.Time) ([]store.Process, error)
	Subscriptions(ctx context.Context) ([]model.Subscription, error)
}

// Report is what /healthz serves and `status` prints.
type Report struct {
	Status   string         `json:"status"` // "ok" or "unhealthy"
	Problems []string       `json:"problems,omitempty"`
	Outlets  []Outlet       `json:"outlets"`
	Outbox   map[string]int `json:"outbox"`
	// OutboxFailingSince is the creation time of the oldest digest still
	// being retried, if any.
	OutboxFailingSince *time.Time `json:"outbox_failing_since,omitempty"`
	// Leases are the work being done (crawls, backfill days, queuing), by
	// which process and until when; a lease of a dead process is stale.
	Leases []Lease `json:"leases"`
	// Processes are the daemons registered on this store; a process that
	// missed two heartbeats is dead.
	Processes []Process `json:"processes"`
	// Subscribers counts the configured subscribers by state: active,
	// paused, unsubscribed (docs/subscriptions.md).
	Subscribers map[string]int `json:"subscribers"`
}

// Outlet is one outlet's crawl health.
type Outlet struct {
	Outlet              string     `json:"outlet"`
	LastSuccess         *time.Time `json:"last_success"`
	LastErrorAt         *time.Time `json:"last_error_at,omitempty"`
	LastError           string     `json:"last_error,omitempty"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	Blocked             bool       `json:"blocked,omitempty"`
}

// Lease is a lease with whether its holder is dead.
type Lease struct {
	store.Lease
	Stale bool `json:"stale,omitempty"`
}

// Process is a registered daemon with whether it still beats.
type Process struct {
	store.Process
	Alive bool `json:"alive"`
}

// Check reads the health of the service of cfg from st at now. An outlet
// is a problem once it has failed for three of its crawl intervals; the
// outbox once a digest has been failing for over an hour, or has failed
// for good with nothing delivered to its subscriber since; a daemon that
// missed two heartbeats (it beats every third of cluster.lease) is dead,
// and a problem while it holds leases: they hold its work back until they
// expire.
func Check(ctx context.Context, cfg *config.Config, st Store, now time.Time) (Report, error) {
	h := Report{Status: "ok", Outbox: map[string]int{}, Leases: []Lease{}, Processes: []Process{}}
	if err := outlets(ctx, cfg, st, now, &h); err != nil {
		return h, err
	}
	if err := outbox(ctx, cfg, st, now, &h); err != nil {
		return h, err
	}
	if err := processes(ctx, cfg, st, now, &h); err != nil {
		return h, err
	}
	stored, err := st.Subscriptions(ctx)
	if err != nil {
		return h, err
	}
	h.Subscribers = Subscribers(cfg, stored, now)
	if len(h.Problems) > 0 {
		h.Status = "unhealthy"
	}
	return h, nil
}

func outlets(ctx context.Context, cfg *config.Config, st Store, now time.Time, h *Report) error {
	rows, err := st.OutletCrawls(ctx)
	if err != nil {
		return err
	}
	byOutlet := map[string]Outlet{}
	for _, r := range rows {
		oh := Outlet{Outlet: r.Outlet, LastError: r.LastErrorText, ConsecutiveFailures: r.ConsecutiveFailures, Blocked: r.LastRun.Blocked}
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
	for _, o := range cfg.Outlets {
		oh, ok := byOutlet[o.ID]
		if !ok {
			oh = Outlet{Outlet: o.ID}
		}
		h.Outlets = append(h.Outlets, oh)
		if oh.ConsecutiveFailures >= 3 && failingFor(cfg, o, oh, now) {
			h.Problems = append(h.Problems, fmt.Sprintf("outlet %s has failed %d crawls in a row: %s", o.ID, oh.ConsecutiveFailures, oh.LastError))
		}
	}
	return nil
}

// failingFor reports whether the outlet has had no success for three of
// its crawl intervals, counted in the configured zone as the daemon
// schedules them: a daily crawl is due at its local hour, not the host's.
func failingFor(cfg *config.Config, o config.Outlet, oh Outlet, now time.Time) bool {
	sched, err := schedule.Parse(cfg.CrawlSchedule(o), cfg.Location)
	if err != nil || oh.LastSuccess == nil {
		return true
	}
	t := *oh.LastSuccess
	for range 3 {
		t = sched.Next(t)
	}
	return now.After(t)
}

func outbox(ctx context.Context, cfg *config.Config, st Store, now time.Time, h *Report) error {
	var err error
	if h.Outbox, err = st.OutboxCounts(ctx); err != nil {
		return err
	}
	queued, err := st.Outbox(ctx, model.OutboxQueued, 1000)
	if err != nil {
		return err
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
	undelivered, err := undelivered(ctx, cfg, st)
	if err != nil {
		return err
	}
	for _, it := range undelivered {
		h.Problems = append(h.Problems, fmt.Sprintf("the digest %d for %s (%s to %s) failed for good: %s; after fixing the cause, `mediadigest outbox -retry %d`",
			it.ID, it.Subscriber, it.Window.From.UTC().Format(time.RFC3339), it.Window.To.UTC().Format(time.RFC3339), it.LastReply, it.ID))
	}
	return nil
}

// undelivered returns the digests of configured subscribers that failed
// for good (a 5xx reply, or retries given up) with no later digest of
// theirs delivered since: each is news an analyst never got, and stays a
// problem until it is retried or delivery to that subscriber works again.
func undelivered(ctx context.Context, cfg *config.Config, st Store) ([]model.OutboxItem, error) {
	failed, err := st.Outbox(ctx, model.OutboxFailed, 100)
	if err != nil || len(failed) == 0 {
		return nil, err
	}
	sent, err := st.Outbox(ctx, model.OutboxSent, 1000)
	if err != nil {
		return nil, err
	}
	lastSent := map[string]time.Time{}
	for _, it := range sent {
		k := strings.ToLower(it.Subscriber)
		if it.Window.To.After(lastSent[k]) {
			lastSent[k] = it.Window.To
		}
	}
	var out []model.OutboxItem
	for _, it := range failed {
		configured := slices.ContainsFunc(cfg.Subscribers, func(s config.Subscriber) bool { return strings.EqualFold(s.Email, it.Subscriber) })
		if !configured || lastSent[strings.ToLower(it.Subscriber)].After(it.Window.From) {
			continue
		}
		out = append(out, it)
	}
	return out, nil
}

// beatsMissed is how many heartbeats a daemon may miss before it counts as
// dead. A daemon beats every third of cluster.lease, so one that missed
// two may still hold leases for a third of it: they are stale, and the
// other daemons take the work over once they expire.
const beatsMissed = 2

func processes(ctx context.Context, cfg *config.Config, st Store, now time.Time, h *Report) error {
	procs, err := st.Processes(ctx, time.Time{})
	if err != nil {
		return err
	}
	beat := cfg.Cluster.Lease.D() / 3
	dead := map[string]bool{}
	for _, p := range procs {
		alive := now.Sub(p.Heartbeat) <= beatsMissed*beat
		h.Processes = append(h.Processes, Process{Process: p, Alive: alive})
		if !alive {
			dead[p.ID] = true
		}
	}
	leases, err := st.Leases(ctx, now)
	if err != nil {
		return err
	}
	held := map[string][]string{}
	for _, l := range leases {
		stale := dead[l.Holder]
		h.Leases = append(h.Leases, Lease{Lease: l, Stale: stale})
		if stale {
			held[l.Holder] = append(held[l.Holder], l.Name+" until "+l.Expires.UTC().Format(time.RFC3339))
		}
	}
	for _, p := range h.Processes {
		ls := held[p.ID]
		if p.Alive || len(ls) == 0 {
			// A dead daemon that holds nothing any more holds no work
			// back: it is listed, not a problem.
			continue
		}
		h.Problems = append(h.Problems, fmt.Sprintf("daemon %s (PID %d on %s) is dead: its last heartbeat was at %s, more than %d heartbeats (%s) ago; "+
			"its leases are stale (%s): the others take its work over then, or at once when a daemon starts on a SQLite store",
			p.ID, p.PID, p.Host, p.Heartbeat.UTC().Format(time.RFC3339), beatsMissed, beatsMissed*beat, strings.Join(ls, ", ")))
	}
	return nil
}

// Subscribers counts the configured subscribers of cfg by their state at
// now (model.Subscription.State), given the stored subscriptions; every
// state is present. An address the config no longer lists is not
// counted: it receives nothing.
func Subscribers(cfg *config.Config, stored []model.Subscription, now time.Time) map[string]int {
	byEmail := make(map[string]model.Subscription, len(stored))
	for _, s := range stored {
		byEmail[s.Email] = s
	}
	counts := map[string]int{model.SubscriberActive: 0, model.SubscriberPaused: 0, model.SubscriberUnsubscribed: 0}
	for _, c := range cfg.Subscribers {
		counts[byEmail[strings.ToLower(c.Email)].State(now)]++
	}
	return counts
}
