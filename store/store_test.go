package store

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf8"

	"mediadigest/persian"
	"mediadigest/store/storetest"
)

// openTest opens a fresh SQLite store in a temporary directory, closed at
// the end of the test, with a clock the test controls.
func openTest(t testing.TB) (*Store, *fakeClock) {
	t.Helper()
	return openBackend(t, filepath.Join(t.TempDir(), "mediadigest.db"))
}

// openBackend opens a fresh store on dsn like openTest.
func openBackend(t testing.TB, dsn string) (*Store, *fakeClock) {
	t.Helper()
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	clock := &fakeClock{t: time.Date(2026, 11, 26, 4, 30, 0, 0, time.UTC)}
	s.now = clock.now
	return s, clock
}

// backends name a fresh, empty store of each kind.
var backends = []struct {
	name string
	dsn  func(t testing.TB) string
}{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "mediadigest.db") }},
	{"postgres", storetest.Postgres},
}

// forEachBackend runs fn as a subtest on a fresh store of each kind.
func forEachBackend(t *testing.T, fn func(t *testing.T, s *Store, clock *fakeClock)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, clock := openBackend(t, b.dsn(t))
			fn(t, s, clock)
		})
	}
}

// fakeClock is a settable time source.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestOpenMigratesOnce(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mediadigest.db")
	ms, err := migrations(migrationFiles, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second open must find nothing to do
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		var rows, newest int
		if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*), MAX(version) FROM schema_version").Scan(&rows, &newest); err != nil {
			t.Fatal(err)
		}
		if rows != len(ms) || newest != len(ms) {
			t.Errorf("schema_version has %d rows up to %d, want %d", rows, newest, len(ms))
		}
		if err := s.IntegrityCheck(ctx); err != nil {
			t.Error(err)
		}
		var mode string
		if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q, %v; want wal", mode, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mediadigest.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, "INSERT INTO schema_version (version, applied_at) VALUES (999, '')"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, path)
	if err == nil || !strings.Contains(err.Error(), "schema version 999") || !strings.Contains(err.Error(), "upgrade") {
		t.Errorf("Open of a newer schema: err = %v, want it to name version 999 and say upgrade", err)
	}
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if s, err := Open(t.Context(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
}

func TestReaderIsReadOnly(t *testing.T) {
	s, _ := openTest(t)
	_, err := s.r.ExecContext(t.Context(), "INSERT INTO backfill_days (outlet, day, done_at) VALUES ('isna', '2026-11-26', '')")
	if err == nil {
		t.Error("a write through the read pool succeeded")
	}
}

func TestTxRollsBackOnError(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		boom := errors.New("boom")
		err := s.inTx(ctx, func(tx *tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO backfill_days (outlet, day, done_at) VALUES ('isna', '2026-11-26', '')"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("inTx = %v, want boom", err)
		}
		if done, err := s.DayDone(ctx, "isna", "2026-11-26"); err != nil || done {
			t.Errorf("DayDone after rollback = %v, %v; want false", done, err)
		}
	})
}

func TestTimeRoundTrip(t *testing.T) {
	for _, in := range []time.Time{
		{},
		time.Date(2026, 11, 26, 7, 30, 0, 0, tehran),
		time.Date(2026, 11, 25, 23, 59, 59, 999999999, time.UTC),
	} {
		var out time.Time
		if err := (timeCol{&out}).Scan(fmtTime(in)); err != nil {
			t.Fatal(err)
		}
		if !out.Equal(in) {
			t.Errorf("round trip of %v gave %v", in, out)
		}
	}
	// Stored times must sort as they compare.
	a, b := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), time.Date(2026, 11, 26, 10, 0, 0, 5, tehran)
	if (fmtTime(a) < fmtTime(b)) != a.Before(b) {
		t.Errorf("%s and %s sort differently from the times", fmtTime(a), fmtTime(b))
	}
}

func TestMigrationNames(t *testing.T) {
	step := &fstest.MapFile{Data: []byte("CREATE TABLE t (a);")}
	tests := []struct {
		name  string
		files fstest.MapFS
		want  []int // versions; nil when the set must be refused
	}{
		{"in order", fstest.MapFS{"migrations/sqlite/0001_init.sql": step, "migrations/sqlite/0002_more.sql": step}, []int{1, 2}},
		{"none", fstest.MapFS{}, []int{}},
		{"gap", fstest.MapFS{"migrations/sqlite/0001_init.sql": step, "migrations/sqlite/0003_more.sql": step}, nil},
		{"no number", fstest.MapFS{"migrations/sqlite/init.sql": step}, nil},
		{"starts at 2", fstest.MapFS{"migrations/sqlite/0002_init.sql": step}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := migrations(tt.files, "sqlite")
			if tt.want == nil {
				if err == nil {
					t.Errorf("accepted %v", ms)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []int{}
			for _, m := range ms {
				got = append(got, m.version)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("versions %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMigrateStepIsAtomic(t *testing.T) {
	s, _ := openTest(t)
	ctx := t.Context()
	ms, err := migrations(migrationFiles, "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	next := len(ms) + 1
	broken := append(slices.Clone(ms), migration{version: next, name: "broken.sql",
		sql: "CREATE TABLE half_done (a UNIQUE); INSERT INTO half_done VALUES (1); INSERT INTO half_done VALUES (1);"})
	if err := s.migrate(ctx, broken); err == nil {
		t.Fatal("a failing step was applied")
	}
	if v, err := schemaVersion(ctx, s.r); err != nil || v != len(ms) {
		t.Errorf("schema version after a failed step = %d, %v; want %d", v, err, len(ms))
	}
	if _, err := s.r.ExecContext(ctx, "SELECT * FROM half_done"); err == nil {
		t.Error("the failed step left its first table behind")
	}

	good := append(slices.Clone(ms), migration{version: next, name: "good.sql",
		sql: "CREATE TABLE added (a); INSERT INTO added VALUES (1);"})
	if err := s.migrate(ctx, good); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM added").Scan(&n); err != nil || n != 1 {
		t.Errorf("added table has %d rows, %v; want 1", n, err)
	}
	if v, err := schemaVersion(ctx, s.r); err != nil || v != next {
		t.Errorf("schema version = %d, %v; want %d", v, err, next)
	}
}

// TestHashKeysMigration: a store of schema 2, with paragraph keys as text,
// is upgraded to hashed keys without losing one, paging through them.
func TestHashKeysMigration(t *testing.T) {
	defer func(n int) { hashBatch = n }(hashBatch)
	hashBatch = 3
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		ms, err := migrations(migrationFiles, s.d.name)
		if err != nil {
			t.Fatal(err)
		}
		// Back to schema 2: the old table, as 0001 created it, holding
		// the keys of two articles.
		i := strings.Index(ms[0].sql, "CREATE TABLE paragraph_keys")
		oldTable := ms[0].sql[i : i+strings.Index(ms[0].sql[i:], ";")]
		keys := map[int64][]string{}
		for n, url := range []string{"https://eghtesaad24.ir/fa/news/1/", "https://eghtesaad24.ir/fa/news/2/"} {
			a := gasArticle(url, time.Date(2026, 11, 25, 6+n, 0, 0, 0, time.UTC))
			if _, err := s.UpsertArticle(ctx, a, nil); err != nil {
				t.Fatal(err)
			}
			keys[a.ID] = []string{"انتهایپیام", "کانالتلگرام", "پاراگراف" + strings.Repeat("ی", n+1)}
		}
		err = s.inTx(ctx, func(tx *tx) error {
			if err := undoSearch(ctx, tx); err != nil {
				return err
			}
			for _, q := range []string{
				// Undo 0009 (above), 0008, 0007, 0006, 0005, 0004, then 0003.
				"DROP INDEX articles_days",
				"DROP TABLE subscription_changes", "DROP TABLE subscriptions", "ALTER TABLE outbox DROP COLUMN sending",
				"DROP INDEX articles_story",
				"ALTER TABLE outbox DROP COLUMN basis",
				"DROP INDEX articles_updated", "DROP INDEX articles_underived", "ALTER TABLE articles DROP COLUMN stored_at",
				"DROP TABLE paragraph_hashes", oldTable, "DELETE FROM schema_version WHERE version >= 3",
			} {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return err
				}
			}
			for id, ks := range keys {
				for _, k := range ks {
					if _, err := tx.ExecContext(ctx, "INSERT INTO paragraph_keys (article_id, outlet, key, published) VALUES (?, 'isna', ?, ?)",
						id, k, fmtTime(time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC))); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		if err := s.migrate(ctx, ms); err != nil {
			t.Fatal(err)
		}
		if v, err := schemaVersion(ctx, s.r); err != nil || v != len(ms) {
			t.Errorf("schema version %d, %v; want %d", v, err, len(ms))
		}
		if _, err := s.r.ExecContext(ctx, "SELECT 1 FROM paragraph_keys"); err == nil {
			t.Error("paragraph_keys is still there")
		}
		for id, ks := range keys {
			var want []string
			for _, k := range ks {
				want = append(want, fmt.Sprintf("%d/%d", int64(persian.KeyHash(k)), utf8.RuneCountInString(k)))
			}
			var got []string
			rows, err := s.r.QueryContext(ctx, "SELECT hash, runes FROM paragraph_hashes WHERE article_id = ?", id)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var h int64
				var n int
				if err := rows.Scan(&h, &n); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%d/%d", h, n))
			}
			rows.Close()
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("article %d: hashes %v, want %v", id, got, want)
			}
		}
	})
}
