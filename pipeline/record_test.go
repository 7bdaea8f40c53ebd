package pipeline

import (
	"testing"

	"mediadigest/scrape"
)

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
			p := newPipeline(t, cfg, st, testClock())
			tt.stats.Outlet = "isna"
			if err := p.record(t.Context(), p.clk.Now(), tt.stats, nil); err != nil {
				t.Fatal(err)
			}
			runs, err := st.OutletCrawls(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got := runs[0].ConsecutiveFailures == 1; got != tt.failed {
				t.Errorf("recorded as failed: %v (%q), want %v", got, runs[0].LastErrorText, tt.failed)
			}
		})
	}
}
