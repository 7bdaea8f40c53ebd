package pipeline

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"mediadigest/clock"
	"mediadigest/config"
	"mediadigest/model"
	"mediadigest/store"
)

// testConfig parses a config text in which %[1]s is a fresh directory (for
// the store and the outbox) and %[2]s… are args.
func testConfig(t *testing.T, name, text string, args ...any) *config.Config {
	t.Helper()
	cfg, err := config.Parse(name, []byte(fmt.Sprintf(text, append([]any{t.TempDir()}, args...)...)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// testStore opens cfg's store, closed when the test ends.
func testStore(t testing.TB, cfg *config.Config) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// testClock is a clock that stands still at a time of its own, far from
// the sample days, until the test moves it.
func testClock() *clock.Fake {
	return clock.NewFake(time.Date(2027, 3, 20, 20, 20, 0, 0, time.UTC)) // 29 Esfand 1405, 23:50 in Tehran
}

// newPipeline builds the pipeline of cfg over st on clk.
func newPipeline(t testing.TB, cfg *config.Config, st *store.Store, clk clock.Clock) *Pipeline {
	t.Helper()
	p, err := New(cfg, st, Options{Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// lateArrivals returns a pipeline over a store of four derived articles,
// three of ISNA and one of Eghtesad24, whose crawl lagged their
// publication, and a constructor of their times.
func lateArrivals(t *testing.T) (*Pipeline, func(day, hour, min int) time.Time) {
	t.Helper()
	text := func(name string) []string {
		b, err := os.ReadFile("../dedupe/testdata/eval/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	at := func(day, hour, min int) time.Time { return time.Date(2026, 11, day, hour, min, 0, 0, time.UTC) }
	articles := []model.Article{
		{URL: "https://www.isna.ir/news/1", Outlet: "isna", Title: "دلار", Published: at(26, 3, 0), FirstSeen: at(26, 3, 10), Raw: text("dollar-1.txt")},
		{URL: "https://www.isna.ir/news/2", Outlet: "isna", Title: "بنزین", Published: at(26, 3, 20), FirstSeen: at(26, 3, 40), Raw: text("benzin-1.txt")},
		{URL: "https://eghtesaad24.ir/fa/news/3/", Outlet: "eghtesad24", Title: "دلار", Published: at(26, 8, 0), FirstSeen: at(26, 8, 5),
			Raw: append(text("dollar-1.txt"), "منبع: ایسنا")},
		{URL: "https://www.isna.ir/news/4", Outlet: "isna", Title: "بورس", Published: at(16, 3, 20), FirstSeen: at(26, 4, 0), Raw: text("bourse-1.txt")},
	}
	cfg := testConfig(t, "windows.yaml", `
store: %[1]s/mediadigest.db
outlets:
  - {id: isna, profile: isna, base_url: "https://www.isna.ir"}
  - {id: eghtesad24, profile: eghtesad24, base_url: "https://eghtesaad24.ir"}
`)
	st := testStore(t, cfg)
	for i := range articles {
		if _, err := st.UpsertArticle(t.Context(), &articles[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	p := newPipeline(t, cfg, st, testClock())
	if _, err := p.Process(t.Context()); err != nil {
		t.Fatal(err)
	}
	return p, at
}
