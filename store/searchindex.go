package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"mediadigest/model"
	"mediadigest/persian"
)

// The search index (migration 0009, docs/search.md) holds the search form
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
	// maxIndexedWords caps the words indexed of an article's title, and
	// of its lead and paragraphs.
	maxIndexedWords = 8000
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

// searchBody is the search form of an article's clean lead and
// paragraphs: most of the work of indexing it, done before its write
// transaction, on every core (searchBodies).
type searchBody struct {
	lead, body string
}

func newSearchBody(clean *model.Clean) searchBody {
	budget := maxIndexedWords
	var b strings.Builder
	lead := searchText(&b, &budget, clean.Lead)
	return searchBody{lead: lead, body: searchText(&b, &budget, clean.Paragraphs...)}
}

// searchBodies returns the searchBody of each clean view, on every core
// when there are many.
func searchBodies(cleans []*model.Clean) []searchBody {
	out := make([]searchBody, len(cleans))
	workers := min(runtime.GOMAXPROCS(0), len(cleans)/32+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(cleans); i += workers {
				out[i] = newSearchBody(cleans[i])
			}
		})
	}
	wg.Wait()
	return out
}

// newSearchEntry builds the index entry of an article from its current
// title and the search form of its derived view.
func newSearchEntry(id int64, title, outlet string, published time.Time, body searchBody, topics []string, story string) searchEntry {
	budget := maxIndexedWords
	var b strings.Builder
	e := searchEntry{article: id, key: docKey(published, id), story: story, outlet: outlet, topics: topics,
		title: searchText(&b, &budget, title), lead: body.lead, body: body.body}
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

// sqliteIndexer writes the entries put into it at flush, a chunk of
// articles at a time, several rows per statement: one statement per
// article and table made indexing cost the derived-views pass as much as
// all its other writes (BENCHMARKS.md). The rows of search_fts go last:
// FTS5 keeps the words of the rows inserted in memory until the next
// savepoint, which every statement that may fail halfway opens (an insert
// into search_docs, with its unique and foreign keys), and writes them
// out then as a segment of the index; interleaved, each article would be
// a segment of its own, to be merged.
type sqliteIndexer struct {
	tx      *tx
	pending []pendingEntry
}

type pendingEntry struct {
	e     searchEntry
	force bool
}

func newSQLiteIndexer(_ context.Context, tx *tx) (*sqliteIndexer, error) {
	return &sqliteIndexer{tx: tx}, nil
}

func (ix *sqliteIndexer) put(_ context.Context, e *searchEntry, force bool) error {
	ix.pending = append(ix.pending, pendingEntry{*e, force})
	return nil
}

// indexChunk is how many entries sqliteIndexer writes at a time; with 5
// parameters a row, far below SQLite's limit of 32766.
const indexChunk = 500

func (ix *sqliteIndexer) flush(ctx context.Context) error {
	for chunk := range slices.Chunk(ix.pending, indexChunk) {
		if err := ix.write(ctx, chunk); err != nil {
			return fmt.Errorf("write the search index: %w", err)
		}
	}
	ix.pending = ix.pending[:0]
	return nil
}

// write writes the entries of ps whose article's stored entry has another
// hash, or none (or all when forced).
func (ix *sqliteIndexer) write(ctx context.Context, ps []pendingEntry) error {
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.e.article
	}
	stored, err := ix.int64Pairs(ctx, "SELECT article_id, hash FROM search_docs WHERE article_id IN", ids)
	if err != nil {
		return err
	}
	var stale []int64
	var es []*searchEntry
	for i := range ps {
		p := &ps[i]
		hash, ok := stored[p.e.article]
		if ok && hash == p.e.hash && !p.force {
			continue
		}
		if ok {
			stale = append(stale, p.e.article)
			delete(stored, p.e.article) // an article put twice is deleted once
		}
		es = append(es, &p.e)
	}
	if len(es) == 0 {
		return nil
	}
	// The trigger of search_docs deletes the rows of search_fts and
	// search_heads.
	if len(stale) > 0 {
		if _, err := ix.tx.ExecContext(ctx, "DELETE FROM search_docs WHERE article_id IN ("+placeholders(len(stale))+")", int64Args(stale)...); err != nil {
			return err
		}
	}
	docs, err := ix.keys(ctx, es)
	if err != nil {
		return err
	}
	docRows := make([]any, 0, 4*len(es))
	headRows := make([]any, 0, 3*len(es))
	ftsRows := make([]any, 0, 5*len(es))
	for i, e := range es {
		docRows = append(docRows, docs[i], e.article, e.story, e.hash)
		headRows = append(headRows, docs[i], e.title, e.lead)
		ftsRows = append(ftsRows, docs[i], e.title, e.lead, e.body, strings.Join(e.meta(ftsMeta), " "))
	}
	for _, ins := range []struct {
		table string
		args  []any
		width int
	}{
		{"search_docs (doc, article_id, story, hash)", docRows, 4},
		{"search_heads (doc, title, lead)", headRows, 3},
		{"search_fts (rowid, title, lead, body, meta)", ftsRows, 5},
	} {
		row := "(" + placeholders(ins.width) + ")"
		q := "INSERT INTO " + ins.table + " VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", len(es)), ", ")
		if _, err := ix.tx.ExecContext(ctx, q, ins.args...); err != nil {
			return err
		}
	}
	return nil
}

// keys returns the rowid of each entry: its key, or when another entry
// holds that, the next free one of the same second.
func (ix *sqliteIndexer) keys(ctx context.Context, es []*searchEntry) ([]int64, error) {
	want := make([]int64, len(es))
	for i, e := range es {
		want[i] = e.key
	}
	taken, err := ix.int64Pairs(ctx, "SELECT doc, 0 FROM search_docs WHERE doc IN", want)
	if err != nil {
		return nil, err
	}
	const low = 1<<secondBits - 1
	for i, k := range want {
		second := k &^ low
		for n := int64(1); ; n++ {
			if _, clash := taken[k]; !clash {
				break
			}
			if n > low {
				return nil, fmt.Errorf("more than %d articles published in the second of key %d", low+1, want[i])
			}
			k = second | (want[i]+n)&low
			var one int
			err := ix.tx.QueryRowContext(ctx, "SELECT 1 FROM search_docs WHERE doc = ?", k).Scan(&one)
			switch {
			case err == nil:
				taken[k] = 0
			case !errors.Is(err, sql.ErrNoRows):
				return nil, err
			}
		}
		taken[k] = 0 // held by this entry from now on
		want[i] = k
	}
	return want, nil
}

// int64Pairs runs query (ending "… IN") over ids and returns its rows,
// two integers each, as a map from the first to the second.
func (ix *sqliteIndexer) int64Pairs(ctx context.Context, query string, ids []int64) (map[int64]int64, error) {
	rows, err := ix.tx.QueryContext(ctx, query+" ("+placeholders(len(ids))+")", int64Args(ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]int64, len(ids))
	for rows.Next() {
		var k, v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

func (ix *sqliteIndexer) close() error { return nil }

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
	type article struct {
		id                   int64
		title, outlet, story string
		published            time.Time
		clean                model.Clean
		topics               []string
	}
	var as []article
	for rows.Next() {
		var a article
		if err := rows.Scan(&a.id, &a.title, &a.outlet, timeCol{&a.published}, jsonCol{&a.clean}, jsonCol{&a.topics}, &a.story); err != nil {
			rows.Close()
			return fmt.Errorf("read articles to index: %w", err)
		}
		as = append(as, a)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("read articles to index: %w", err)
	}
	cleans := make([]*model.Clean, len(as))
	for i := range as {
		cleans[i] = &as[i].clean
	}
	for i, body := range searchBodies(cleans) {
		a := &as[i]
		e := newSearchEntry(a.id, a.title, a.outlet, a.published, body, a.topics, a.story)
		if err := ix.put(ctx, &e, force); err != nil {
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

// buildSearchIndex is the Go part of 0009_search: the index of the
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
