package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// FeedState returns the ETag and Last-Modified validators of the last
// response of the feed, both "" when it was never fetched.
func (s *Store) FeedState(ctx context.Context, feedURL string) (etag, lastModified string, err error) {
	err = s.r.QueryRowContext(ctx, "SELECT etag, last_modified FROM feed_state WHERE feed_url = ?", feedURL).
		Scan(&etag, &lastModified)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("store: feed state of %s: %w", feedURL, err)
	}
	return etag, lastModified, nil
}

// SetFeedState records the validators of the feed's latest response.
func (s *Store) SetFeedState(ctx context.Context, feedURL, etag, lastModified string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO feed_state (feed_url, etag, last_modified, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (feed_url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
			updated_at = excluded.updated_at`,
		feedURL, etag, lastModified, fmtTime(s.now()))
	if err != nil {
		return fmt.Errorf("store: set feed state of %s: %w", feedURL, err)
	}
	return nil
}

// CrawlRun is one crawl of one outlet. The run failed when Err is set or
// the outlet answered with a challenge page (Blocked); Failures counts the
// pages that failed, by reason, within the run.
type CrawlRun struct {
	Outlet                                   string
	Started, Finished                        time.Time
	Fetched, New, Updated, Unchanged, Failed int
	Failures                                 map[string]int
	Err                                      string
	Blocked                                  bool
}

// RecordCrawl stores one finished run.
func (s *Store) RecordCrawl(ctx context.Context, r CrawlRun) error {
	failures := r.Failures
	if failures == nil {
		failures = map[string]int{}
	}
	fj, err := jsonText(failures)
	if err != nil {
		return fmt.Errorf("store: record crawl of %s: %w", r.Outlet, err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO crawl_runs
		(outlet, started, finished, fetched, new, updated, unchanged, failed, failures, error, blocked)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Outlet, fmtTime(r.Started), fmtTime(r.Finished), r.Fetched, r.New, r.Updated, r.Unchanged, r.Failed,
		fj, r.Err, r.Blocked)
	if err != nil {
		return fmt.Errorf("store: record crawl of %s: %w", r.Outlet, err)
	}
	return nil
}

// OutletCrawls sums up the crawl runs of one outlet. ConsecutiveFailures
// counts the failed runs since the last successful one.
type OutletCrawls struct {
	Outlet              string
	LastSuccess         time.Time // Finished of the latest successful run
	LastError           time.Time // Finished of the latest failed run
	LastErrorText       string
	ConsecutiveFailures int
	LastRun             CrawlRun
}

// OutletCrawls sums up the crawl runs of every outlet that has some, ordered
// by outlet.
func (s *Store) OutletCrawls(ctx context.Context) ([]OutletCrawls, error) {
	// Runs are ordered by (started, id) throughout: id breaks ties between
	// runs recorded with the same start time.
	rows, err := s.r.QueryContext(ctx, `
		WITH ranked AS (
			SELECT *, error <> '' OR blocked AS bad,
				ROW_NUMBER() OVER (PARTITION BY outlet ORDER BY started DESC, id DESC) AS recency
			FROM crawl_runs),
		good AS (SELECT outlet, MIN(recency) AS recency FROM ranked WHERE NOT bad GROUP BY outlet),
		bad AS (SELECT outlet, MIN(recency) AS recency FROM ranked WHERE bad GROUP BY outlet)
		SELECT r.outlet, r.started, r.finished, r.fetched, r.new, r.updated, r.unchanged, r.failed,
			r.failures, r.error, r.blocked,
			COALESCE(g.finished, ''), COALESCE(b.finished, ''),
			CASE WHEN b.error = '' THEN 'blocked' ELSE COALESCE(b.error, '') END,
			(SELECT COUNT(*) FROM ranked x WHERE x.outlet = r.outlet AND x.bad
				AND x.recency < COALESCE(good.recency, x.recency + 1))
		FROM ranked r
		LEFT JOIN good ON good.outlet = r.outlet
		LEFT JOIN ranked g ON g.outlet = r.outlet AND g.recency = good.recency
		LEFT JOIN bad ON bad.outlet = r.outlet
		LEFT JOIN ranked b ON b.outlet = r.outlet AND b.recency = bad.recency
		WHERE r.recency = 1
		ORDER BY r.outlet`)
	if err != nil {
		return nil, fmt.Errorf("store: crawl health: %w", err)
	}
	defer rows.Close()
	var out []OutletCrawls
	for rows.Next() {
		var h OutletCrawls
		r := &h.LastRun
		err := rows.Scan(&r.Outlet, timeCol{&r.Started}, timeCol{&r.Finished}, &r.Fetched, &r.New, &r.Updated,
			&r.Unchanged, &r.Failed, jsonCol{&r.Failures}, &r.Err, &r.Blocked,
			timeCol{&h.LastSuccess}, timeCol{&h.LastError}, &h.LastErrorText, &h.ConsecutiveFailures)
		if err != nil {
			return nil, fmt.Errorf("store: crawl health: %w", err)
		}
		h.Outlet = r.Outlet
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: crawl health: %w", err)
	}
	return out, nil
}

// DayDone reports whether the backfill of the outlet's archive day (as the
// caller spells it, e.g. "2026-11-26") has finished.
func (s *Store) DayDone(ctx context.Context, outlet, day string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, "SELECT 1 FROM backfill_days WHERE outlet = ? AND day = ?", outlet, day).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: backfill state of %s %s: %w", outlet, day, err)
	}
	return true, nil
}

// MarkDayDone records that the backfill of the outlet's day has finished;
// marking it again is harmless.
func (s *Store) MarkDayDone(ctx context.Context, outlet, day string) error {
	_, err := s.w.ExecContext(ctx, "INSERT INTO backfill_days (outlet, day, done_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		outlet, day, fmtTime(s.now()))
	if err != nil {
		return fmt.Errorf("store: mark backfill of %s %s done: %w", outlet, day, err)
	}
	return nil
}
