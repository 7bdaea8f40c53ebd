package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// copyTable is one table Copy moves: its columns, which of them are
// booleans (INTEGER on SQLite, BOOLEAN on PostgreSQL, so they are read as
// Go bools to be written in the other form), and the order that keeps
// insertion order where it matters (title history).
type copyTable struct {
	name    string
	columns []string
	bools   []string
	order   func(d *dialect) string
}

// copyTables are in dependency order: articles before what refers to them.
// Leases, process registrations and outbox claims belong to running
// daemons and are not copied.
var copyTables = []copyTable{
	{name: "articles", columns: []string{"id", "url", "outlet", "title", "kicker", "lead", "section", "tags", "published",
		"date_guessed", "first_seen", "updated_at", "stored_at", "raw", "clean", "topics", "story"},
		bools: []string{"date_guessed"}, order: func(*dialect) string { return "id" }},
	{name: "article_titles", columns: []string{"article_id", "title", "seen_at"},
		order: func(d *dialect) string { return d.titleSeq }},
	{name: "paragraph_hashes", columns: []string{"article_id", "outlet", "hash", "runes", "published"},
		order: func(*dialect) string { return "article_id, hash" }},
	{name: "raw_pages", columns: []string{"url", "outlet", "fetched", "size", "body"},
		order: func(*dialect) string { return "url" }},
	{name: "feed_state", columns: []string{"feed_url", "etag", "last_modified", "updated_at"},
		order: func(*dialect) string { return "feed_url" }},
	{name: "crawl_runs", columns: []string{"id", "outlet", "started", "finished", "fetched", "new", "updated", "unchanged",
		"failed", "failures", "error", "blocked"},
		bools: []string{"blocked"}, order: func(*dialect) string { return "id" }},
	{name: "backfill_days", columns: []string{"outlet", "day", "done_at"},
		order: func(*dialect) string { return "outlet, day" }},
	{name: "outbox", columns: []string{"id", "key", "subscriber", "window_from", "window_to", "basis", "message_id", "state",
		"attempts", "last_reply", "next_try", "created_at", "sent_at"},
		order: func(*dialect) string { return "id" }},
	// An unsubscription must survive a move to another store.
	{name: "subscriptions", columns: []string{"email", "topics", "paused_until", "unsubscribed_at", "resumed_at", "removed_at", "updated_at"},
		order: func(*dialect) string { return "email" }},
	{name: "subscription_changes", columns: []string{"id", "email", "at", "what", "via", "detail"},
		order: func(*dialect) string { return "id" }},
}

// ErrNotEmpty is returned (wrapped) by Copy when the target store holds
// data and force is false.
var ErrNotEmpty = errors.New("target store is not empty")

// TableCount is the number of rows of one table in the source and the
// target of a Copy.
type TableCount struct {
	Table          string
	Source, Target int
}

// Copy copies every article (raw paragraphs, derived view, title history,
// paragraph keys), raw page, feed state, crawl run, finished backfill day,
// outbox item, subscription and subscription change of src into dst,
// keeping their ids, and builds dst's search index, in one transaction of
// dst, then counts the rows of each table on both sides. It refuses a dst
// that holds any of them unless force, which empties dst first.
//
// src must not be written meanwhile (stop the daemon): the counts would
// differ, and Copy then fails.
func Copy(ctx context.Context, dst, src *Store, force bool) ([]TableCount, error) {
	if !force {
		for _, t := range copyTables {
			n, err := dst.count(ctx, t.name)
			if err != nil {
				return nil, err
			}
			if n > 0 {
				return nil, fmt.Errorf("store: copy into %s: %w: its table %s has %d rows", dst.name, ErrNotEmpty, t.name, n)
			}
		}
	}
	err := dst.inTx(ctx, func(tx *tx) error {
		for i := len(copyTables) - 1; i >= 0; i-- {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+copyTables[i].name); err != nil {
				return fmt.Errorf("empty %s: %w", copyTables[i].name, err)
			}
		}
		for _, t := range copyTables {
			if err := copyRows(ctx, tx, src, t); err != nil {
				return fmt.Errorf("table %s: %w", t.name, err)
			}
		}
		for _, q := range dst.d.resetIDs {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("reset id sequences: %w", err)
			}
		}
		// The search index is made of the articles, in each database's
		// own form: it is built rather than copied.
		if _, err := indexAll(ctx, false, inOne(tx)); err != nil {
			return fmt.Errorf("build the search index: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: copy %s into %s: %w", src.name, dst.name, err)
	}

	counts := make([]TableCount, len(copyTables))
	var differ []string
	for i, t := range copyTables {
		c := TableCount{Table: t.name}
		if c.Source, err = src.count(ctx, t.name); err != nil {
			return nil, err
		}
		if c.Target, err = dst.count(ctx, t.name); err != nil {
			return nil, err
		}
		if c.Source != c.Target {
			differ = append(differ, fmt.Sprintf("%s %d ≠ %d", t.name, c.Source, c.Target))
		}
		counts[i] = c
	}
	if len(differ) > 0 {
		return counts, fmt.Errorf("store: copy %s into %s: row counts differ (was the source written meanwhile?): %s",
			src.name, dst.name, strings.Join(differ, ", "))
	}
	return counts, nil
}

// copyRows streams the rows of t from src into the transaction.
func copyRows(ctx context.Context, dst *tx, src *Store, t copyTable) error {
	cols := strings.Join(t.columns, ", ")
	rows, err := src.r.QueryContext(ctx, "SELECT "+cols+" FROM "+t.name+" t ORDER BY "+t.order(src.d))
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	defer rows.Close()
	ins, err := dst.PrepareContext(ctx, "INSERT INTO "+t.name+" ("+cols+") VALUES ("+
		strings.TrimSuffix(strings.Repeat("?, ", len(t.columns)), ", ")+")")
	if err != nil {
		return fmt.Errorf("prepare insert: %w", err)
	}
	defer ins.Close()
	vals := make([]any, len(t.columns))
	for i, c := range t.columns {
		vals[i] = new(any)
		for _, b := range t.bools {
			if c == b {
				vals[i] = new(bool)
			}
		}
	}
	args := make([]any, len(vals))
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return fmt.Errorf("read: %w", err)
		}
		for i, v := range vals {
			switch v := v.(type) {
			case *bool:
				args[i] = *v
			case *any:
				args[i] = *v
			}
		}
		if _, err := ins.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// count returns the number of rows of a table.
func (s *Store) count(ctx context.Context, table string) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count %s of %s: %w", table, s.name, err)
	}
	return n, nil
}
