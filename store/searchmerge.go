package store

import (
	"context"
	"fmt"
	"time"
)

// mergeStep is how many pages of the full-text index (about 4 KB each)
// one step of OptimizeSearchIndex writes. A step holds the store's write
// lock for a fraction of a second on a store of a million articles, so
// other writes go on while the index is merged
// (docs/search.md#merging-the-index).
const mergeStep = 2000

// mergePause is how long OptimizeSearchIndex leaves the write lock free
// between two steps. A writer waiting for the lock retries every 100 ms
// once it has waited a while (SQLite's busy handler): without the pause
// the next step took the lock first, step after step, and a writer beside
// the merge of a million articles waited up to 3.8 s, near the store's
// 5 s busy timeout (BENCHMARKS.md, §9).
const mergePause = 100 * time.Millisecond

// OptimizeSearchIndex merges SQLite's full-text index into one segment,
// which makes searches faster once many articles were indexed (a backfill,
// a rebuild, months of crawls). It works in steps of one short
// transaction each, FTS5's incremental merge, and stops when a step finds
// nothing left to merge, or when ctx ends: the index stays whole, what
// was merged so far one segment among the rest, and the next call merges
// them all. Articles indexed meanwhile make FTS5 start the merge over, so
// callers keep their own indexing out of it (pipeline.MergeSearchIndex). PostgreSQL maintains its index
// itself: there it does nothing.
func (s *Store) OptimizeSearchIndex(ctx context.Context) error {
	_, err := s.mergeSearchIndex(ctx, mergeStep, mergePause)
	return err
}

// mergeSearchIndex merges the index in steps of pages pages, pause apart,
// and returns how many steps merged something.
func (s *Store) mergeSearchIndex(ctx context.Context, pages int, pause time.Duration) (int, error) {
	if s.d.name == postgresDialect.name {
		return 0, nil
	}
	for steps := 0; ; steps++ {
		if steps > 0 && pause > 0 {
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return steps, fmt.Errorf("store: merge the search index of %s: %w", s.path, ctx.Err())
			case <-t.C:
			}
		}
		var worked bool
		err := s.inTx(ctx, func(t *tx) error {
			var err error
			worked, err = mergeSearchStep(ctx, t, pages)
			return err
		})
		if err != nil {
			return steps, fmt.Errorf("store: merge the search index of %s: %w", s.path, err)
		}
		if !worked {
			return steps, nil
		}
	}
}

// mergeSearchStep runs one step of FTS5's incremental merge in t, writing
// about pages pages, and reports whether it merged anything. A negative
// page count treats every segment as one level, so the steps end with a
// single segment; a step
// with nothing to merge changes fewer than two rows (FTS5's documented
// test, by sqlite3_total_changes, here total_changes() on t's connection).
func mergeSearchStep(ctx context.Context, t *tx, pages int) (bool, error) {
	var before, after int64
	if err := t.QueryRowContext(ctx, "SELECT total_changes()").Scan(&before); err != nil {
		return false, err
	}
	if _, err := t.ExecContext(ctx, "INSERT INTO search_fts (search_fts, rank) VALUES ('merge', ?)", -pages); err != nil {
		return false, err
	}
	if err := t.QueryRowContext(ctx, "SELECT total_changes()").Scan(&after); err != nil {
		return false, err
	}
	return after-before >= 2, nil
}

// SearchIndexSegments returns how many segments SQLite's full-text index
// is made of: one when merged, more as articles are indexed, and each
// segment is read by every search. 0 on PostgreSQL.
func (s *Store) SearchIndexSegments(ctx context.Context) (int, error) {
	if s.d.name == postgresDialect.name {
		return 0, nil
	}
	var n int
	// Every segment has an entry in the table of its leaves' first terms.
	if err := s.r.QueryRowContext(ctx, "SELECT count(DISTINCT segid) FROM search_fts_idx").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count the search index's segments in %s: %w", s.path, err)
	}
	return n, nil
}
