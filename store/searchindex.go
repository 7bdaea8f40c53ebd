package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mediadigest/model"
	"mediadigest/persian"
)

// The search index (migration 0006, docs/search.md) holds the search form
// (persian.Search) of each derived article's title, clean lead and clean
// paragraphs. It is written in the transaction that writes what it is
// made of: SaveDerived (a derived view), SavePage (an edited title or
// published time), Copy and the migration that creates it (everything).

// Limits of what is indexed of one article, the same on both databases so
// that both find the same articles. PostgreSQL keeps positions up to 16383
// and lexemes up to 2 KiB; no news article comes near either.
const (
	// MaxSearchWordRunes is the longest word indexed; longer ones (a URL
	// or base64 run glued into a paragraph) are left out, and a query
	// holding one cannot match.
	MaxSearchWordRunes = 100
	// maxIndexedWords caps the words indexed of one article.
	maxIndexedWords = 16000
	// searchFormVersion is part of every entry's hash: a change to the
	// search form or to what is indexed bumps it, and RebuildSearchIndex
	// (or the next derived-views pass) rewrites every entry.
	searchFormVersion = 1
)

// searchEntry is what the index holds of one article.
type searchEntry struct {
	article int64
	key     int64 // docKey of its published time
	story   string
	// title, lead and body are search forms, words separated by spaces.
	title, lead, body string
	outlet            string
	topics            []string
	hash              int64
}

// newSearchEntry builds the index entry of an article from its current
// title and its derived view.
func newSearchEntry(id int64, title, outlet string, published time.Time, clean *model.Clean, topics []string, story string) searchEntry {
	budget := maxIndexedWords
	e := searchEntry{article: id, key: docKey(published, id), story: story, outlet: outlet, topics: topics}
	var b strings.Builder
	e.title = searchText(&b, &budget, title)
	e.lead = searchText(&b, &budget, clean.Lead)
	e.body = searchText(&b, &budget, clean.Paragraphs...)
	h := fnv.New64a()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(e.key))
	h.Write(n[:])
	for _, s := range append([]string{strconv.Itoa(searchFormVersion), e.story, e.title, e.lead, e.body, e.outlet}, e.topics...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	e.hash = int64(h.Sum64())
	return e
}

// searchText returns the search form of texts as one string of words,
// leaving out words over MaxSearchWordRunes and any past the budget.
func searchText(b *strings.Builder, budget *int, texts ...string) string {
	b.Reset()
	for _, t := range texts {
		for w := range strings.SplitSeq(persian.Search(t), " ") {
			if w == "" || *budget <= 0 || len(w) > MaxSearchWordRunes && utf8.RuneCountInString(w) > MaxSearchWordRunes {
				continue
			}
			*budget--
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
	}
	return b.String()
}

// ftsMeta is the word of search_fts's meta column for an outlet ('o') or
// topic ('t') id: hex, so that the ascii tokenizer keeps it one word
// whatever the id holds.
func ftsMeta(kind byte, id string) string {
	return string(kind) + hex.EncodeToString([]byte(id))
}

// tsMeta is the lexeme of an outlet ('o') or topic ('t') id in a
// tsvector: its colon is in no word of the search form, so no word of a
// query can match it.
func tsMeta(kind byte, id string) string {
	return string(kind) + ":" + id
}

// meta returns the outlet and topic words of e, made by token.
func (e *searchEntry) meta(token func(byte, string) string) []string {
	out := []string{token('o', e.outlet)}
	for _, t := range e.topics {
		out = append(out, token('t', t))
	}
	return out
}

// secondBits are the low bits of a docKey, below the published second.
const secondBits = 20

// docKey orders index entries by published time: the Unix second, then
// the low bits of the article id, so that the articles of one second
// rarely share a key. SQLite's FTS5 needs a unique rowid: there a clash
// moves on to the next free low bits of the same second (sqliteIndexer).
func docKey(published time.Time, id int64) int64 {
	return published.Unix()<<secondBits | id&(1<<secondBits-1)
}

// secondKey is the first docKey of the second holding t, rounded up when
// up (for an exclusive upper bound).
func secondKey(t time.Time, up bool) int64 {
	sec := t.Unix()
	if up && t.Nanosecond() > 0 {
		sec++
	}
	return sec << secondBits
}

// indexer writes index entries in one transaction.
type indexer interface {
	// put writes e unless the entry stored for its article has its hash;
	// force writes it anyway. What put leaves to write is written by
	// flush, which must come before the transaction commits.
	put(ctx context.Context, e *searchEntry, force bool) error
	flush(ctx context.Context) error
	close() error
}

func newIndexer(ctx context.Context, tx *tx) (indexer, error) {
	if tx.d.name == postgresDialect.name {
		return newPostgresIndexer(ctx, tx)
	}
	return newSQLiteIndexer(ctx, tx)
}

// sqliteIndexer writes search_docs as it goes, and search_fts all at once
// at the end. FTS5 keeps the words of the rows inserted in memory until
// the next savepoint, which every statement that may fail halfway opens
// (an insert into search_docs, with its unique and foreign keys), and
// writes them out then as a segment of the index: interleaved, each
// article would be a segment of its own, and merging them was most of the
// cost of indexing (BENCHMARKS.md).
type sqliteIndexer struct {
	tx                           *tx
	find, taken, del, doc, heads *sql.Stmt
	pending                      []ftsRow
}

// ftsRow is a row of search_fts.
type ftsRow struct {
	doc                     int64
	title, lead, body, meta string
}

func newSQLiteIndexer(ctx context.Context, tx *tx) (*sqliteIndexer, error) {
	ix := &sqliteIndexer{tx: tx}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&ix.find, "SELECT doc, hash FROM search_docs WHERE article_id = ?"},
		{&ix.taken, "SELECT 1 FROM search_docs WHERE doc = ?"},
		// The trigger of search_docs deletes the search_fts row.
		{&ix.del, "DELETE FROM search_docs WHERE article_id = ?"},
		{&ix.doc, "INSERT INTO search_docs (doc, article_id, story, hash) VALUES (?, ?, ?, ?)"},
		{&ix.heads, "INSERT INTO search_heads (doc, title, lead) VALUES (?, ?, ?)"},
	} {
		st, err := tx.PrepareContext(ctx, p.query)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("prepare search index writes: %w", err), ix.close())
		}
		*p.dst = st
	}
	return ix, nil
}

func (ix *sqliteIndexer) put(ctx context.Context, e *searchEntry, force bool) error {
	var doc, hash int64
	err := ix.find.QueryRowContext(ctx, e.article).Scan(&doc, &hash)
	switch {
	case err == nil && hash == e.hash && !force:
		return nil
	case err == nil:
		if _, err := ix.del.ExecContext(ctx, e.article); err != nil {
			return fmt.Errorf("index article %d: %w", e.article, err)
		}
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("index article %d: %w", e.article, err)
	}
	doc, err = ix.freeKey(ctx, e.key)
	if err != nil {
		return fmt.Errorf("index article %d: %w", e.article, err)
	}
	if _, err := ix.doc.ExecContext(ctx, doc, e.article, e.story, e.hash); err != nil {
		return fmt.Errorf("index article %d: %w", e.article, err)
	}
	if _, err := ix.heads.ExecContext(ctx, doc, e.title, e.lead); err != nil {
		return fmt.Errorf("index article %d: %w", e.article, err)
	}
	ix.pending = append(ix.pending, ftsRow{doc, e.title, e.lead, e.body, strings.Join(e.meta(ftsMeta), " ")})
	return nil
}

// ftsRowsPerInsert keeps an insert's parameters (5 a row) well under
// SQLite's limit.
const ftsRowsPerInsert = 1000

// flush inserts the pending rows of search_fts, several per statement.
func (ix *sqliteIndexer) flush(ctx context.Context) error {
	for chunk := range slices.Chunk(ix.pending, ftsRowsPerInsert) {
		args := make([]any, 0, 5*len(chunk))
		for _, r := range chunk {
			args = append(args, r.doc, r.title, r.lead, r.body, r.meta)
		}
		q := "INSERT INTO search_fts (rowid, title, lead, body, meta) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", len(chunk)), ", ")
		if _, err := ix.tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("write the search index: %w", err)
		}
	}
	ix.pending = ix.pending[:0]
	return nil
}

// freeKey returns key, or the next key of the same second no entry holds.
func (ix *sqliteIndexer) freeKey(ctx context.Context, key int64) (int64, error) {
	const low = 1<<secondBits - 1
	second := key &^ low
	for i := int64(0); i <= low; i++ {
		k := second | (key+i)&low
		var one int
		err := ix.taken.QueryRowContext(ctx, k).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return k, nil
		}
		if err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("more than %d articles published in the second of key %d", low+1, key)
}

func (ix *sqliteIndexer) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{ix.find, ix.taken, ix.del, ix.doc, ix.heads} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

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

// indexArticles (re)writes the index entries of the stored articles ids
// that have a derived view, and removes those of the ones without.
func indexArticles(ctx context.Context, tx *tx, ix indexer, force bool, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, title, outlet, published, clean, topics, story FROM articles
		WHERE id IN (`+placeholders(len(ids))+`) AND clean IS NOT NULL`, int64Args(ids)...)
	if err != nil {
		return fmt.Errorf("read articles to index: %w", err)
	}
	var entries []searchEntry
	for rows.Next() {
		var id int64
		var title, outlet, story string
		var published time.Time
		var clean model.Clean
		var topics []string
		if err := rows.Scan(&id, &title, &outlet, timeCol{&published}, jsonCol{&clean}, jsonCol{&topics}, &story); err != nil {
			rows.Close()
			return fmt.Errorf("read articles to index: %w", err)
		}
		entries = append(entries, newSearchEntry(id, title, outlet, published, &clean, topics, story))
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("read articles to index: %w", err)
	}
	for i := range entries {
		if err := ix.put(ctx, &entries[i], force); err != nil {
			return err
		}
	}
	return ix.flush(ctx)
}

// placeholders returns "?, ?, …", n of them.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func int64Args(ids []int64) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// indexBatch is how many articles the index is rebuilt for at a time.
var indexBatch = 500

// indexAll writes the index entries of every derived article, by id from
// the first after after, indexBatch articles per call of batch, which
// runs each batch in a transaction (one for all in a migration, one each
// for RebuildSearchIndex), and removes those of underived articles.
func indexAll(ctx context.Context, force bool, batch func(func(*tx) error) error) (int, error) {
	var last int64
	total := 0
	for {
		var n int
		err := batch(func(tx *tx) error {
			rows, err := tx.QueryContext(ctx, "SELECT id FROM articles WHERE id > ? AND clean IS NOT NULL ORDER BY id LIMIT ?", last, indexBatch)
			if err != nil {
				return err
			}
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return err
			}
			n = len(ids)
			if n == 0 {
				_, err := tx.ExecContext(ctx, "DELETE FROM search_docs WHERE article_id IN (SELECT id FROM articles WHERE clean IS NULL)")
				return err
			}
			last = ids[n-1]
			ix, err := newIndexer(ctx, tx)
			if err != nil {
				return err
			}
			return errors.Join(indexArticles(ctx, tx, ix, force, ids), ix.close())
		})
		if err != nil {
			return total, err
		}
		total += n
		if n == 0 {
			return total, nil
		}
	}
}

// RebuildSearchIndex rewrites the search index entry of every derived
// article, a batch of articles per transaction, then merges the index
// into one segment (SQLite), and returns the number of articles indexed.
// The index is kept in step as articles are derived; this is for an
// index suspected out of step, or made by an older search form.
func (s *Store) RebuildSearchIndex(ctx context.Context) (int, error) {
	n, err := indexAll(ctx, true, func(fn func(*tx) error) error { return s.inTx(ctx, fn) })
	if err == nil {
		err = s.OptimizeSearchIndex(ctx)
	}
	if err != nil {
		return n, fmt.Errorf("store: rebuild the search index of %s: %w", s.path, err)
	}
	return n, nil
}

// OptimizeSearchIndex merges SQLite's full-text index into one segment,
// which makes searches faster after many articles were indexed at once (a
// backfill, a rebuild). It takes a while on a large store and holds the
// write lock meanwhile. PostgreSQL maintains its index itself: there it
// does nothing.
func (s *Store) OptimizeSearchIndex(ctx context.Context) error {
	if s.d.name == postgresDialect.name {
		return nil
	}
	if _, err := s.w.ExecContext(ctx, "INSERT INTO search_fts (search_fts) VALUES ('optimize')"); err != nil {
		return fmt.Errorf("store: optimize the search index of %s: %w", s.path, err)
	}
	return nil
}

// buildSearchIndex is the Go part of 0006_search: the index of the
// articles an existing store holds.
func buildSearchIndex(ctx context.Context, t *tx) error {
	_, err := indexAll(ctx, false, inOne(t))
	return err
}

// reindex rewrites the index entries of stored articles, in tx.
func reindex(ctx context.Context, tx *tx, ids ...int64) error {
	ix, err := newIndexer(ctx, tx)
	if err != nil {
		return err
	}
	return errors.Join(indexArticles(ctx, tx, ix, false, ids), ix.close())
}

// inOne runs every batch of indexAll in the transaction t.
func inOne(t *tx) func(func(*tx) error) error {
	return func(fn func(*tx) error) error { return fn(t) }
}
