package store

import (
	"context"
	"fmt"
)

// DerivedCounts are the totals of the stored derived views.
type DerivedCounts struct {
	Stories int            // distinct stories of the stored articles
	Removed map[string]int // paragraphs left out of the clean views, by reason
}

// DerivedCounts counts the stories and the removed paragraphs of the
// stored derived views, as a full pass over them reports them
// (pipeline.ProcessReport). Articles not derived yet count for nothing.
// It reads every clean view: for a daemon's start, not for every scrape.
func (s *Store) DerivedCounts(ctx context.Context) (DerivedCounts, error) {
	c := DerivedCounts{Removed: map[string]int{}}
	err := s.r.QueryRowContext(ctx, "SELECT COUNT(DISTINCT story) FROM articles WHERE story <> ''").Scan(&c.Stories)
	if err != nil {
		return DerivedCounts{}, fmt.Errorf("store: count stories: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, s.d.removedReasons)
	if err != nil {
		return DerivedCounts{}, fmt.Errorf("store: count removed paragraphs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var reason string
		var n int
		if err := rows.Scan(&reason, &n); err != nil {
			return DerivedCounts{}, fmt.Errorf("store: count removed paragraphs: %w", err)
		}
		c.Removed[reason] = n
	}
	if err := rows.Err(); err != nil {
		return DerivedCounts{}, fmt.Errorf("store: count removed paragraphs: %w", err)
	}
	return c, nil
}
