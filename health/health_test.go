package health

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"mediadigest/config"
	"mediadigest/model"
	"mediadigest/store"
)

// TestHealth: which crawl and outbox histories make the service unhealthy,
// and what the problem says.
func TestHealth(t *testing.T) {
	at := func(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, time.UTC) }
	win := func(day int) model.Window { return model.Window{From: at(day-1, 3, 30), To: at(day, 3, 30)} }
	type digest struct {
		subscriber string
		day        int
		state      string // queued (one failed attempt), sent or failed
	}
	tests := []struct {
		name    string
		now     time.Time
		crawls  []store.CrawlRun
		digests []digest
		// processes are registered daemons; leases are held until Expires.
		processes []store.Process
		leases    []store.Lease
		want      string // a problem's text, or "" for healthy
	}{
		{name: "nothing yet", now: at(26, 8, 0)},
		{
			// A daily crawl at 07:00 Tehran (03:30 UTC): three intervals
			// after its last success at day 23's run end at day 26 03:30
			// UTC, whatever the host's zone.
			name: "daily crawl failing for less than three intervals, in Tehran time", now: at(26, 2, 0),
			crawls: []store.CrawlRun{
				{Outlet: "isna", Started: at(23, 3, 30), Finished: at(23, 3, 31)},
				{Outlet: "isna", Started: at(24, 3, 30), Finished: at(24, 3, 31), Err: "feed: connection refused"},
				{Outlet: "isna", Started: at(25, 3, 30), Finished: at(25, 3, 31), Err: "feed: connection refused"},
				{Outlet: "isna", Started: at(25, 20, 0), Finished: at(25, 20, 1), Err: "feed: connection refused"},
			},
		},
		{
			name: "daily crawl failing for three intervals", now: at(26, 4, 0),
			crawls: []store.CrawlRun{
				{Outlet: "isna", Started: at(23, 3, 30), Finished: at(23, 3, 31)},
				{Outlet: "isna", Started: at(24, 3, 30), Finished: at(24, 3, 31), Err: "feed: connection refused"},
				{Outlet: "isna", Started: at(25, 3, 30), Finished: at(25, 3, 31), Err: "feed: connection refused"},
				{Outlet: "isna", Started: at(26, 3, 30), Finished: at(26, 3, 31), Err: "feed: connection refused"},
			},
			want: "outlet isna has failed 3 crawls in a row: feed: connection refused",
		},
		{
			name: "a digest retried for over an hour", now: at(26, 5, 0),
			digests: []digest{{"analyst@example.com", 26, model.OutboxQueued}},
			want:    "a digest has been failing to send since",
		},
		{
			name: "a digest failed for good", now: at(26, 5, 0),
			digests: []digest{{"analyst@example.com", 25, model.OutboxSent}, {"analyst@example.com", 26, model.OutboxFailed}},
			want:    "failed for good: 550 mailbox unavailable; after fixing the cause, `mediadigest outbox -retry 2`",
		},
		{
			name: "a failed digest followed by a delivered one", now: at(27, 5, 0),
			digests: []digest{{"analyst@example.com", 26, model.OutboxFailed}, {"analyst@example.com", 27, model.OutboxSent}},
		},
		{
			name: "a failed digest of a subscriber no longer configured", now: at(26, 5, 0),
			digests: []digest{{"left@example.com", 26, model.OutboxFailed}},
		},
		{
			name: "a failed digest of a subscriber whose address changed case", now: at(26, 5, 0),
			digests: []digest{{"ANALYST@example.com", 26, model.OutboxFailed}},
			want:    "failed for good",
		},
		{
			// cluster.lease 30s: a daemon beats every 10 s.
			name: "a daemon that beat two heartbeats ago", now: at(26, 5, 0),
			processes: []store.Process{{ID: "news1:4242", Host: "news1", PID: 4242, Started: at(26, 4, 0), Heartbeat: at(26, 5, 0).Add(-20 * time.Second)}},
			leases:    []store.Lease{{Name: "crawl:isna", Holder: "news1:4242", Expires: at(26, 5, 0).Add(10 * time.Second)}},
		},
		{
			name: "a daemon silent for over two heartbeats, holding a lease", now: at(26, 5, 0),
			processes: []store.Process{{ID: "news1:4242", Host: "news1", PID: 4242, Started: at(26, 4, 0), Heartbeat: at(26, 5, 0).Add(-21 * time.Second)}},
			leases:    []store.Lease{{Name: "crawl:isna", Holder: "news1:4242", Expires: at(26, 5, 0).Add(9 * time.Second)}},
			want:      "daemon news1:4242 (PID 4242 on news1) is dead: its last heartbeat was at 2026-11-26T04:59:39Z, more than 2 heartbeats (20s) ago; its leases are stale (crawl:isna until 2026-11-26T05:00:09Z)",
		},
		{
			name: "a dead daemon whose leases expired", now: at(26, 5, 0),
			processes: []store.Process{{ID: "news1:4242", Host: "news1", PID: 4242, Started: at(26, 4, 0), Heartbeat: at(26, 4, 30)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, `
timezone: Asia/Tehran
store: %[1]s/mediadigest.db
crawl: {schedule: "0 7 * * *"}
cluster: {lease: 30s}
outlets:
  - {id: isna, profile: isna, base_url: "https://www.isna.ir"}
subscribers:
  - email: analyst@example.com
digest:
  from: "Media Digest <digest@example.com>"
  unsubscribe: "mailto:digest-unsubscribe@example.com"
`)
			st := testStore(t, cfg)
			ctx := t.Context()
			for _, r := range tt.crawls {
				if err := st.RecordCrawl(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			for _, d := range tt.digests {
				w := win(d.day)
				it, _, err := st.Enqueue(ctx, model.OutboxItem{Key: d.subscriber + w.To.String(), Subscriber: d.subscriber, Window: w, CreatedAt: w.To})
				if err != nil {
					t.Fatal(err)
				}
				switch d.state {
				case model.OutboxQueued:
					err = st.MarkRetry(ctx, it.ID, "421 try later", tt.now.Add(time.Minute))
				case model.OutboxSent:
					err = st.MarkSent(ctx, it.ID, "250 ok", w.To)
				case model.OutboxFailed:
					err = st.MarkFailed(ctx, it.ID, "550 mailbox unavailable")
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range tt.processes {
				if err := st.Register(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			for _, l := range tt.leases {
				if won, err := st.TryLease(ctx, l.Name, l.Holder, l.Expires.Add(-time.Hour), time.Hour); err != nil || !won {
					t.Fatalf("TryLease(%s) = %v, %v", l.Name, won, err)
				}
			}
			h, err := Check(ctx, cfg, st, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			problems := strings.Join(h.Problems, "\n")
			switch {
			case tt.want == "" && h.Status != "ok":
				t.Errorf("status %s: %s; want ok", h.Status, problems)
			case tt.want != "" && (h.Status != "unhealthy" || !strings.Contains(problems, tt.want)):
				t.Errorf("status %s: %q; want unhealthy with %q", h.Status, problems, tt.want)
			}
		})
	}
}

// TestReportJSON: the shape /healthz serves: a dead daemon and its stale
// lease are marked, empty lists are [] not null.
func TestReportJSON(t *testing.T) {
	cfg := testConfig(t, `
store: %[1]s/mediadigest.db
outlets:
  - {id: isna, profile: isna, base_url: "https://www.isna.ir"}
cluster: {lease: 30s}
`)
	st := testStore(t, cfg)
	ctx := t.Context()
	now := time.Date(2030, 3, 20, 12, 0, 0, 0, time.UTC)
	h, err := Check(ctx, cfg, st, now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"leases":[]`, `"processes":[]`, `"status":"ok"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/healthz JSON lacks %s: %s", want, b)
		}
	}
	if err := st.Register(ctx, store.Process{ID: "news1:4242", Host: "news1", PID: 4242, Started: now.Add(-time.Hour), Heartbeat: now.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if won, err := st.TryLease(ctx, "crawl:isna", "news1:4242", now.Add(-50*time.Second), time.Minute); err != nil || !won {
		t.Fatalf("TryLease = %v, %v", won, err)
	}
	if h, err = Check(ctx, cfg, st, now); err != nil {
		t.Fatal(err)
	}
	if b, err = json.Marshal(h); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"status":"unhealthy"`, `"holder":"news1:4242"`, `"stale":true`, `"pid":4242`, `"alive":false`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/healthz JSON lacks %s: %s", want, b)
		}
	}
}

func testConfig(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("health.yaml", []byte(fmt.Sprintf(text, t.TempDir())))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func testStore(t *testing.T, cfg *config.Config) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
