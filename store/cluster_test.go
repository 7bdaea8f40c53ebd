package store

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"mediadigest/model"
	"mediadigest/store/storetest"
)

func TestLeases(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		const lease, ttl = "crawl:isna", 10 * time.Second
		try := func(holder string, want bool) {
			t.Helper()
			if got, err := s.TryLease(ctx, lease, holder, clock.now(), ttl); err != nil || got != want {
				t.Fatalf("TryLease(%s) at %v = %v, %v; want %v", holder, clock.now(), got, err, want)
			}
		}
		try("a", true)
		try("b", false)
		try("a", true) // a holder may claim again

		clock.advance(8 * time.Second)
		if err := s.RenewLease(ctx, lease, "a", clock.now(), ttl); err != nil {
			t.Fatal(err)
		}
		clock.advance(8 * time.Second) // 16 s after the claim, 8 s after the renewal
		try("b", false)
		if err := s.RenewLease(ctx, lease, "b", clock.now(), ttl); !errors.Is(err, ErrLeaseLost) {
			t.Errorf("RenewLease by a non-holder = %v, want ErrLeaseLost", err)
		}
		held, err := s.Leases(ctx, clock.now())
		if want := []Lease{{lease, "a", clock.now().Add(2 * time.Second)}}; err != nil || !slices.Equal(held, want) {
			t.Errorf("Leases = %v, %v; want %v", held, err, want)
		}

		clock.advance(3 * time.Second) // a's renewal has expired
		if err := s.RenewLease(ctx, lease, "a", clock.now(), ttl); !errors.Is(err, ErrLeaseLost) {
			t.Errorf("RenewLease after expiry = %v, want ErrLeaseLost", err)
		}
		try("b", true)
		try("a", false)
		if err := s.ReleaseLease(ctx, lease, "a"); err != nil { // not a's: no effect
			t.Fatal(err)
		}
		try("a", false)
		if err := s.ReleaseLease(ctx, lease, "b"); err != nil {
			t.Fatal(err)
		}
		if held, err := s.Leases(ctx, clock.now()); err != nil || len(held) != 0 {
			t.Errorf("Leases after release = %v, %v; want none", held, err)
		}
		try("a", true)
	})
}

func TestLeaseHasOneWinner(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		for round := range 5 {
			lease := fmt.Sprintf("crawl:outlet%d", round)
			var mu sync.Mutex
			var winners []string
			var wg sync.WaitGroup
			for i := range 8 {
				holder := fmt.Sprintf("p%d", i)
				wg.Go(func() {
					won, err := s.TryLease(ctx, lease, holder, clock.now(), time.Minute)
					if err != nil {
						t.Error(err)
					}
					if won {
						mu.Lock()
						winners = append(winners, holder)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if len(winners) != 1 {
				t.Errorf("%s: winners %v, want exactly one", lease, winners)
			}
		}
	})
}

func TestProcesses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		start := clock.now()
		for _, id := range []string{"host-a:10", "host-b:20"} {
			if err := s.Register(ctx, Process{ID: id, Host: id[:6], PID: 10, Started: start, Heartbeat: start}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.TryLease(ctx, "crawl:isna", "host-a:10", start, time.Hour); err != nil {
			t.Fatal(err)
		}
		it, _, err := s.Enqueue(ctx, digestItem("analyst@example.com", time.Date(2026, 11, 26, 0, 0, 0, 0, tehran)))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.ClaimDue(ctx, "host-a:10", it.NextTry, time.Hour, 10); err != nil || len(got) != 1 {
			t.Fatalf("ClaimDue = %v, %v; want the item", got, err)
		}
		clock.advance(time.Minute)
		if err := s.Heartbeat(ctx, "host-b:20", clock.now()); err != nil {
			t.Fatal(err)
		}
		alive, err := s.Processes(ctx, start)
		if err != nil || len(alive) != 1 || alive[0].ID != "host-b:20" || !alive[0].Heartbeat.Equal(clock.now()) {
			t.Errorf("Processes beating since the start = %v, %v; want host-b:20 alone", alive, err)
		}

		if err := s.Unregister(ctx, "host-a:10"); err != nil {
			t.Fatal(err)
		}
		if all, err := s.Processes(ctx, time.Time{}); err != nil || len(all) != 1 {
			t.Errorf("Processes after Unregister = %v, %v; want one", all, err)
		}
		if err := s.Heartbeat(ctx, "host-a:10", clock.now()); !errors.Is(err, ErrNotFound) {
			t.Errorf("Heartbeat of an unregistered process = %v, want ErrNotFound", err)
		}
		// Its lease and its claim are free at once.
		if won, err := s.TryLease(ctx, "crawl:isna", "host-b:20", clock.now(), time.Hour); err != nil || !won {
			t.Errorf("lease of an unregistered process: TryLease = %v, %v; want it free", won, err)
		}
		if got, err := s.ClaimDue(ctx, "host-b:20", clock.now(), time.Hour, 10); err != nil || len(got) != 1 {
			t.Errorf("claim of an unregistered process: ClaimDue = %v, %v; want the item free", got, err)
		}

		// A daemon killed without unregistering stays in the table for a
		// day, then the heartbeat of another forgets it.
		if err := s.Register(ctx, Process{ID: "host-c:30", Host: "host-c", PID: 30, Started: clock.now(), Heartbeat: clock.now()}); err != nil {
			t.Fatal(err)
		}
		clock.advance(forgetAfter)
		if err := s.Heartbeat(ctx, "host-b:20", clock.now()); err != nil {
			t.Fatal(err)
		}
		if all, err := s.Processes(ctx, time.Time{}); err != nil || len(all) != 2 {
			t.Errorf("Processes a day after host-c's last beat = %v, %v; want it still listed", all, err)
		}
		clock.advance(time.Second)
		if err := s.Heartbeat(ctx, "host-b:20", clock.now()); err != nil {
			t.Fatal(err)
		}
		if all, err := s.Processes(ctx, time.Time{}); err != nil || len(all) != 1 || all[0].ID != "host-b:20" {
			t.Errorf("Processes after host-c was silent for more than a day = %v, %v; want host-b:20 alone", all, err)
		}
		if none, err := s.Processes(ctx, clock.now()); err != nil || none == nil || len(none) != 0 {
			t.Errorf("Processes beating in the future = %#v, %v; want an empty, non-nil list", none, err)
		}
		if none, err := s.Leases(ctx, clock.now().Add(48*time.Hour)); err != nil || none == nil || len(none) != 0 {
			t.Errorf("Leases held in two days = %#v, %v; want an empty, non-nil list", none, err)
		}
	})
}

// TestReleaseDeadDaemons: on SQLite, the serve lock proves the registered
// daemons dead, and their leases and claims are freed at once; what other
// commands hold stays. On PostgreSQL nothing is released.
func TestReleaseDeadDaemons(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		now := clock.now()
		if err := s.Register(ctx, Process{ID: "dead", Host: "news1", PID: 4242, Started: now, Heartbeat: now}); err != nil {
			t.Fatal(err)
		}
		for lease, holder := range map[string]string{"crawl:isna": "dead", "backfill:isna:1405/09/04": "news1:5151"} {
			if _, err := s.TryLease(ctx, lease, holder, now, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		it, _, err := s.Enqueue(ctx, digestItem("analyst@example.com", time.Date(2026, 11, 26, 0, 0, 0, 0, tehran)))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.ClaimDue(ctx, "dead", it.NextTry, time.Hour, 10); err != nil || len(got) != 1 {
			t.Fatalf("ClaimDue = %v, %v; want the item", got, err)
		}

		dead, err := s.ReleaseDeadDaemons(ctx)
		wantLeases := []string{"backfill:isna:1405/09/04"}
		wantClaimed := 1
		if s.Shared() {
			if err == nil {
				t.Errorf("ReleaseDeadDaemons on PostgreSQL released %v, want it refused", dead)
			}
			wantLeases = []string{"backfill:isna:1405/09/04", "crawl:isna"}
			wantClaimed = 0
		} else if err != nil || len(dead) != 1 || dead[0].ID != "dead" || dead[0].PID != 4242 {
			t.Errorf("ReleaseDeadDaemons = %+v, %v; want the daemon dead", dead, err)
		}

		held, err := s.Leases(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, l := range held {
			names = append(names, l.Name)
		}
		if !slices.Equal(names, wantLeases) {
			t.Errorf("leases held after ReleaseDeadDaemons: %v, want %v", names, wantLeases)
		}
		if got, err := s.ClaimDue(ctx, "news1:6000", now, time.Hour, 10); err != nil || len(got) != wantClaimed {
			t.Errorf("ClaimDue by the new daemon = %v, %v; want %d item(s)", got, err, wantClaimed)
		}
	})
}

func TestClaimDue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, tehran)
		var ids []int64
		for i := range 6 {
			it := digestItem("analyst@example.com", day.AddDate(0, 0, i))
			it.NextTry = clock.now().Add(time.Duration(-i) * time.Minute) // the last one waits longest
			stored, _, err := s.Enqueue(ctx, it)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, stored.ID)
		}
		slices.Reverse(ids)
		claim := func(holder string, limit int) []int64 {
			t.Helper()
			items, err := s.ClaimDue(ctx, holder, clock.now(), time.Minute, limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, it := range items {
				got = append(got, it.ID)
			}
			return got
		}
		if got := claim("a", 4); !slices.Equal(got, ids[:4]) {
			t.Errorf("a claimed %v, want the four longest waiting %v", got, ids[:4])
		}
		if got := claim("b", 10); !slices.Equal(got, ids[4:]) {
			t.Errorf("b claimed %v, want the rest %v", got, ids[4:])
		}
		if err := s.MarkSent(ctx, ids[0], "250 OK", clock.now()); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkRetry(ctx, ids[1], "421 busy", clock.now()); err != nil {
			t.Fatal(err)
		}
		// The retried row's claim ended; the others are still claimed.
		if got := claim("b", 10); !slices.Equal(got, ids[1:2]) {
			t.Errorf("b claimed %v, want the retried row alone %v", got, ids[1:2])
		}
		// a is still sending: it renews its two rows left queued.
		clock.advance(50 * time.Second)
		if n, err := s.RenewClaims(ctx, "a", clock.now().Add(time.Minute)); err != nil || n != 2 {
			t.Errorf("RenewClaims(a) = %d, %v; want its 2 queued rows", n, err)
		}
		clock.advance(20 * time.Second) // b's claims have expired, a's not
		if got, want := claim("c", 10), []int64{ids[4], ids[5], ids[1]}; !slices.Equal(got, want) {
			t.Errorf("c claimed %v, want b's expired rows %v and none of a's renewed ones", got, want)
		}
		clock.advance(2 * time.Minute) // every claim has expired
		// The retried row is due since the retry, the first enqueued row
		// since the start: the same time, so by id.
		if got, want := claim("d", 10), []int64{ids[2], ids[3], ids[4], ids[5], ids[1]}; !slices.Equal(got, want) {
			t.Errorf("d claimed %v after the claims expired, want every queued row %v", got, want)
		}
	})
}

// TestClaimDueConcurrently has several claimers race for the same rows:
// each row must go to exactly one.
func TestClaimDueConcurrently(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		day := time.Date(2026, 1, 1, 0, 0, 0, 0, tehran)
		const rows = 60
		for i := range rows {
			if _, _, err := s.Enqueue(ctx, digestItem("analyst@example.com", day.AddDate(0, 0, i))); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		owner := map[int64]string{}
		var wg sync.WaitGroup
		for i := range 4 {
			holder := fmt.Sprintf("p%d", i)
			wg.Go(func() {
				for {
					items, err := s.ClaimDue(ctx, holder, clock.now(), time.Hour, 5)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, it := range items {
						if prev, ok := owner[it.ID]; ok {
							t.Errorf("row %d claimed by %s and %s", it.ID, prev, holder)
						}
						owner[it.ID] = holder
					}
					n := len(owner)
					mu.Unlock()
					if len(items) == 0 && n == rows {
						return
					}
				}
			})
		}
		wg.Wait()
		if len(owner) != rows {
			t.Errorf("%d rows claimed, want %d", len(owner), rows)
		}
	})
}

func TestCopy(t *testing.T) {
	for _, dir := range []struct{ name, from, to string }{
		{"sqlite to postgres", "sqlite", "postgres"},
		{"postgres to sqlite", "postgres", "sqlite"},
	} {
		t.Run(dir.name, func(t *testing.T) {
			ctx := t.Context()
			src, _ := openBackend(t, backendDSN(t, dir.from))
			dst, _ := openBackend(t, backendDSN(t, dir.to))
			fillStore(t, src)

			counts, err := Copy(ctx, dst, src, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range counts {
				if c.Source == 0 || c.Source != c.Target {
					t.Errorf("%s: %d rows copied to %d; want equal and not zero", c.Table, c.Source, c.Target)
				}
			}
			for _, url := range []string{"https://www.isna.ir/news/1405090500001/", "https://www.isna.ir/news/1405090500002/"} {
				want, err := src.Article(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				got, err := dst.Article(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				if got.ID != want.ID || got.Title != want.Title || !slices.Equal(got.Raw, want.Raw) || got.DateGuessed != want.DateGuessed ||
					!got.Published.Equal(want.Published) || !equalClean(got.Clean, want.Clean) {
					t.Errorf("copied article %s differs:\n got %+v\nwant %+v", url, got, want)
				}
				wantTitles, _ := src.TitleHistory(ctx, url)
				if gotTitles, err := dst.TitleHistory(ctx, url); err != nil || !slices.Equal(gotTitles, wantTitles) {
					t.Errorf("title history %v, %v; want %v", gotTitles, err, wantTitles)
				}
			}
			if h, err := dst.OutletCrawls(ctx); err != nil || len(h) != 1 || !h[0].LastRun.Blocked {
				t.Errorf("copied crawl health = %+v, %v; want isna's blocked run", h, err)
			}
			// New rows get ids after the copied ones.
			a := gasArticle("https://www.isna.ir/news/1405090500003/", time.Date(2026, 11, 26, 12, 0, 0, 0, tehran))
			if _, err := dst.UpsertArticle(ctx, a, nil); err != nil {
				t.Fatalf("insert after copy: %v", err)
			}

			if _, err := Copy(ctx, dst, src, false); err == nil {
				t.Error("Copy into a non-empty store succeeded without force")
			}
			if _, err := Copy(ctx, dst, src, true); err != nil {
				t.Errorf("Copy with force: %v", err)
			}
			if n, err := dst.CountArticles(ctx); err != nil || n != 2 {
				t.Errorf("articles after a forced copy = %d, %v; want the source's 2", n, err)
			}
		})
	}
}

// backendDSN is a fresh store of the named kind.
func backendDSN(t *testing.T, kind string) string {
	for _, b := range backends {
		if b.name == kind {
			return b.dsn(t)
		}
	}
	t.Fatalf("no backend %q", kind)
	return ""
}

// fillStore puts a row in every table Copy moves.
func fillStore(t *testing.T, s *Store) {
	t.Helper()
	ctx := t.Context()
	published := time.Date(2026, 11, 26, 10, 0, 0, 0, tehran)
	for i, url := range []string{"https://www.isna.ir/news/1405090500001/", "https://www.isna.ir/news/1405090500002/"} {
		a := gasArticle(url, published.Add(time.Duration(i)*time.Hour))
		a.DateGuessed = i == 1
		if _, err := s.UpsertArticle(ctx, a, []string{"k1", "k2"}); err != nil {
			t.Fatal(err)
		}
		a.Title += " (ویرایش)"
		if _, err := s.UpsertArticle(ctx, a, []string{"k1", "k2"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveDerived(ctx, []Derived{{ID: a.ID, Clean: model.Clean{Paragraphs: a.Raw[:1],
			Removed: []model.Removed{{Text: a.Raw[1], Reason: "promo"}}}, Topics: []string{"energy"}, Story: "s1"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SavePage(ctx, a, []string{"k1", "k2"}, &RawPage{Body: []byte("<html>" + url + "</html>"), Fetched: published}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetFeedState(ctx, "https://www.isna.ir/rss", `"etag"`, "Thu, 26 Nov 2026 07:00:00 GMT"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordCrawl(ctx, CrawlRun{Outlet: "isna", Started: published, Finished: published.Add(time.Minute),
		Fetched: 3, Blocked: true, Err: "blocked", Failures: map[string]int{"timeout": 1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDayDone(ctx, "isna", "2026-11-26"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Enqueue(ctx, digestItem("analyst@example.com", published)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChangeSubscription(ctx, "analyst@example.com", published, func(sub *model.Subscription) (model.SubscriptionChange, error) {
		sub.Topics = []string{"energy"}
		return model.SubscriptionChange{What: model.ChangeTopics, Via: model.ViaPage, Detail: "energy"}, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestOpenPostgresConcurrently opens one fresh database from several
// goroutines at once, as daemons starting together do: the migrations
// must run once, without errors.
func TestOpenPostgresConcurrently(t *testing.T) {
	dsn := storetest.Postgres(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := Open(t.Context(), dsn)
			if err != nil {
				t.Error(err)
				return
			}
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	s, _ := openBackend(t, dsn)
	ms, err := migrations(migrationFiles, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := schemaVersion(t.Context(), s.r); err != nil || v != len(ms) {
		t.Errorf("schema version %d, %v; want %d", v, err, len(ms))
	}
}

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{"UPDATE t SET a = '?', b = ? WHERE \"c?\" = ?", "UPDATE t SET a = '?', b = $1 WHERE \"c?\" = $2"},
		{"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"},
	}
	for _, tt := range tests {
		if got := postgresDialect.rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := sqliteDialect.rebind(tt.in); got != tt.in {
			t.Errorf("SQLite rebind(%q) = %q, want it unchanged", tt.in, got)
		}
	}
}
