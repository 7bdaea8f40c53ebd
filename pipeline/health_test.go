package pipeline

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"mediadigest/model"
	"mediadigest/scrape"
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
		want    string // a problem's text, or "" for healthy
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, "health.yaml", `
timezone: Asia/Tehran
store: %[1]s/mediadigest.db
crawl: {schedule: "0 7 * * *"}
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
			p, err := New(cfg, st, slog.New(slog.DiscardHandler), WithClock(func() time.Time { return tt.now }))
			if err != nil {
				t.Fatal(err)
			}
			h, err := p.Health(ctx)
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

// TestCrawlRecordedAsFailed: which crawls count as an outlet's failure
// besides an error: one whose article pages all failed (a changed layout),
// not a quiet one with a bad feed or a single odd page.
func TestCrawlRecordedAsFailed(t *testing.T) {
	tests := []struct {
		name   string
		stats  scrape.Stats
		failed bool
	}{
		{"quiet crawl, one feed failing", scrape.Stats{Skipped: 12, Failed: 1}, false},
		{"one odd page among none stored", scrape.Stats{Pages: 1, Fetched: 1, Failed: 1}, false},
		{"a page failing among stored ones", scrape.Stats{Pages: 5, Fetched: 5, New: 4, Failed: 1}, false},
		{"every page failing extraction", scrape.Stats{Pages: 4, Fetched: 4, Failed: 4, Errors: []scrape.PageError{{URL: "https://www.isna.ir/news/1", Reason: scrape.ReasonExtract, Message: "no article title"}}}, true},
		{"every page answering 403", scrape.Stats{Pages: 3, Failed: 3}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, "record.yaml", `
store: %[1]s/mediadigest.db
outlets:
  - {id: isna, profile: isna, base_url: "https://www.isna.ir"}
`)
			st := testStore(t, cfg)
			p, err := New(cfg, st, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			tt.stats.Outlet = "isna"
			if err := p.record(t.Context(), time.Now(), tt.stats, nil); err != nil {
				t.Fatal(err)
			}
			h, err := p.Health(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Outlets[0].ConsecutiveFailures == 1; got != tt.failed {
				t.Errorf("recorded as failed: %v (%q), want %v", got, h.Outlets[0].LastError, tt.failed)
			}
		})
	}
}
