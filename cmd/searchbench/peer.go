package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"mediadigest/persian"
	"mediadigest/search"
)

// peer is the search mediadigest's engine is measured against: SQLite
// FTS5 as it is usually queried, over the same index — the matching
// articles ranked by FTS5's bm25, the first page of them, no stories,
// no snippets. It is what "by relevance" would cost with FTS5's own
// ranking (docs/search.md says why the engine does not use it).
type peer struct{ db *sql.DB }

func openPeer(path string) (*peer, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		return nil, err
	}
	return &peer{db}, nil
}

// match writes a query of searchbench's classes as an FTS5 query over
// the index's search form: each word quoted, a "phrase" one FTS5 phrase.
func match(q string) string {
	phrase := strings.HasPrefix(q, `"`)
	words := persian.SearchWords(strings.Trim(q, `"`))
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, `"`, `""`)
	}
	if phrase {
		return `"` + strings.Join(words, " ") + `"`
	}
	return `"` + strings.Join(words, `" "`) + `"`
}

// search returns the first page of q's matches by bm25.
func (p *peer) search(ctx context.Context, q string) error {
	rows, err := p.db.QueryContext(ctx, `SELECT rowid FROM search_fts WHERE search_fts MATCH ? ORDER BY bm25(search_fts) LIMIT ?`,
		match(q), search.DefaultPerPage)
	if err != nil {
		return fmt.Errorf("peer, query %q: %w", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
	}
	return rows.Err()
}

// measurePeer times the peer on the queries of cl as measure times the
// engine.
func measurePeer(ctx context.Context, w io.Writer, p *peer, cl class, runs int) error {
	return timeQueries(w, cl, runs, false, func(q string) (time.Duration, bool, error) {
		t := time.Now()
		err := p.search(ctx, q)
		return time.Since(t), false, err
	})
}
