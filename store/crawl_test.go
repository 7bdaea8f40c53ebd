package store

import (
	"maps"
	"testing"
	"time"
)

func TestFeedState(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		const feed = "https://www.isna.ir/rss/tp/34"
		if etag, lm, err := s.FeedState(ctx, feed); err != nil || etag != "" || lm != "" {
			t.Errorf("FeedState of an unseen feed = %q, %q, %v; want empty", etag, lm, err)
		}
		for _, st := range []struct{ etag, lastModified string }{
			{`W/"5f3a-1b2c"`, "Thu, 26 Nov 2026 06:30:00 GMT"},
			{`"6a01"`, ""}, // a later response without Last-Modified clears it
		} {
			if err := s.SetFeedState(ctx, feed, st.etag, st.lastModified); err != nil {
				t.Fatal(err)
			}
			etag, lm, err := s.FeedState(ctx, feed)
			if err != nil || etag != st.etag || lm != st.lastModified {
				t.Errorf("FeedState = %q, %q, %v; want %q, %q", etag, lm, err, st.etag, st.lastModified)
			}
		}
	})
}

func TestHealth(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		start := time.Date(2026, 11, 26, 4, 0, 0, 0, time.UTC)
		n := 0
		run := func(outlet, err string, blocked bool) CrawlRun {
			n++
			started := start.Add(time.Duration(n) * 20 * time.Minute)
			return CrawlRun{Outlet: outlet, Started: started, Finished: started.Add(time.Minute), Err: err, Blocked: blocked,
				Fetched: 30, New: 3, Updated: 1, Unchanged: 25, Failed: 1, Failures: map[string]int{"timeout": 1}}
		}
		runs := []CrawlRun{
			run("isna", "feed https://www.isna.ir/rss: 502 Bad Gateway", false),
			run("eghtesad24", "", false),
			run("isna", "", false),
			run("eghtesad24", "", false),
			run("isna", "feed https://www.isna.ir/rss: timeout", false),
			run("eghtesad24", "", false),
			run("isna", "", true), // ArvanCloud challenge page
			run("isna", "feed https://www.isna.ir/rss: connection refused", false),
			run("generic", "no feed configured", false),
		}
		for _, r := range runs {
			if err := s.RecordCrawl(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		want := []OutletCrawls{
			{Outlet: "eghtesad24", LastSuccess: runs[5].Finished, LastRun: runs[5]},
			{Outlet: "generic", LastError: runs[8].Finished, LastErrorText: "no feed configured", ConsecutiveFailures: 1, LastRun: runs[8]},
			{Outlet: "isna", LastSuccess: runs[2].Finished, LastError: runs[7].Finished,
				LastErrorText: "feed https://www.isna.ir/rss: connection refused", ConsecutiveFailures: 3, LastRun: runs[7]},
		}
		got, err := s.OutletCrawls(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("Health returned %d outlets, want %d: %+v", len(got), len(want), got)
		}
		for i, w := range want {
			g := got[i]
			if g.Outlet != w.Outlet || !g.LastSuccess.Equal(w.LastSuccess) || !g.LastError.Equal(w.LastError) ||
				g.LastErrorText != w.LastErrorText || g.ConsecutiveFailures != w.ConsecutiveFailures || !sameRun(g.LastRun, w.LastRun) {
				t.Errorf("health of %s:\n got %+v\nwant %+v", w.Outlet, g, w)
			}
		}

		// A blocked run without an error text still reports why it failed.
		if err := s.RecordCrawl(ctx, run("eghtesad24", "", true)); err != nil {
			t.Fatal(err)
		}
		got, err = s.OutletCrawls(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if h := got[0]; h.ConsecutiveFailures != 1 || h.LastErrorText != "blocked" || !h.LastRun.Blocked {
			t.Errorf("eghtesad24 after a challenge page: %+v, want 1 failure named blocked", h)
		}
	})
}

func sameRun(a, b CrawlRun) bool {
	return a.Outlet == b.Outlet && a.Started.Equal(b.Started) && a.Finished.Equal(b.Finished) &&
		a.Fetched == b.Fetched && a.New == b.New && a.Updated == b.Updated && a.Unchanged == b.Unchanged &&
		a.Failed == b.Failed && maps.Equal(a.Failures, b.Failures) && a.Err == b.Err && a.Blocked == b.Blocked
}

func TestDayDone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		check := func(outlet, day string, want bool) {
			t.Helper()
			if done, err := s.DayDone(ctx, outlet, day); err != nil || done != want {
				t.Errorf("DayDone(%s, %s) = %v, %v; want %v", outlet, day, done, err, want)
			}
		}
		check("isna", "2026-11-25", false)
		for range 2 { // marking twice is harmless
			if err := s.MarkDayDone(ctx, "isna", "2026-11-25"); err != nil {
				t.Fatal(err)
			}
		}
		check("isna", "2026-11-25", true)
		check("isna", "2026-11-26", false)
		check("eghtesad24", "2026-11-25", false)
	})
}
