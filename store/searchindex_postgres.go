package store

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// postgresIndexer writes search_docs, with the tsvector built here.
type postgresIndexer struct {
	upsert *sql.Stmt
}

func newPostgresIndexer(ctx context.Context, tx *tx) (*postgresIndexer, error) {
	st, err := tx.PrepareContext(ctx, `INSERT INTO search_docs (article_id, doc, story, hash, tsv, title, lead)
		VALUES (?, ?, ?, ?, CAST(? AS tsvector), ?, ?)
		ON CONFLICT (article_id) DO UPDATE SET doc = excluded.doc, story = excluded.story, hash = excluded.hash,
			tsv = excluded.tsv, title = excluded.title, lead = excluded.lead
		WHERE search_docs.hash <> excluded.hash OR ?`)
	if err != nil {
		return nil, fmt.Errorf("prepare search index writes: %w", err)
	}
	return &postgresIndexer{upsert: st}, nil
}

func (ix *postgresIndexer) put(ctx context.Context, e *searchEntry, force bool) error {
	if _, err := ix.upsert.ExecContext(ctx, e.article, e.key, e.story, e.hash, tsvector(e), e.title, e.lead, force); err != nil {
		return fmt.Errorf("index article %d: %w", e.article, err)
	}
	return nil
}

func (ix *postgresIndexer) flush(context.Context) error { return nil }

func (ix *postgresIndexer) close() error { return ix.upsert.Close() }

// PostgreSQL's limits on a tsvector.
const (
	maxPosition     = 16383
	maxPositions    = 256 // of one lexeme
	maxTsvectorSize = 512 << 10
)

// tsvector returns e as the text of a PostgreSQL tsvector: each word with
// its positions and weight (A title, B lead, D paragraphs), the columns one
// position apart so that no phrase spans two of them, and the meta tokens
// without positions.
func tsvector(e *searchEntry) string {
	positions := map[string][]string{}
	size := 0
	pos := 0
	for i, col := range []string{e.title, e.lead, e.body} {
		weight := [...]string{"A", "B", ""}[i]
		pos++ // the gap between columns
		for w := range strings.SplitSeq(col, " ") {
			if w == "" {
				continue
			}
			pos++
			if pos > maxPosition {
				break
			}
			ps, seen := positions[w]
			if !seen {
				if size += len(w) + 8; size > maxTsvectorSize {
					continue
				}
			}
			if len(ps) < maxPositions {
				positions[w] = append(ps, strconv.Itoa(pos)+weight)
			}
		}
	}
	var b strings.Builder
	for _, w := range slices.Sorted(maps.Keys(positions)) {
		b.WriteString(lexeme(w))
		b.WriteByte(':')
		b.WriteString(strings.Join(positions[w], ","))
		b.WriteByte(' ')
	}
	for _, m := range e.meta(tsMeta) {
		b.WriteString(lexeme(m))
		b.WriteByte(' ')
	}
	return strings.TrimSuffix(b.String(), " ")
}

// lexeme quotes a word for a tsvector or tsquery literal. Words of the
// search form hold neither quotes nor backslashes; escaping them anyway
// keeps a literal from ever being read other than as one word.
func lexeme(w string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(w) + "'"
}
