package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"mediadigest/model"
	"mediadigest/persian"
)

// Outcome says what UpsertArticle did.
type Outcome string

// Outcomes of UpsertArticle.
const (
	OutcomeNew       Outcome = "new"
	OutcomeUpdated   Outcome = "updated"
	OutcomeUnchanged Outcome = "unchanged"
)

// UpsertArticle stores a by its canonical URL and sets a.ID and a.FirstSeen
// from the stored row.
//
// A new article is inserted with a.FirstSeen (the current time when zero).
// A stored one is updated when its title, kicker, lead, raw paragraphs,
// published time, section or tags changed; a changed title is appended to
// the title history. The clean view, topics and story are left alone: they
// are derived data, written by SaveDerived.
//
// keys are the paragraph keys (docs/cleaning.md, persian.Key form) of a.Raw;
// duplicates and empty keys are ignored. They are stored as their
// persian.KeyHash and length, and replace the article's stored keys
// whenever they differ, even for an unchanged article, so improved
// normalisation reaches old articles on the next crawl.
func (s *Store) UpsertArticle(ctx context.Context, a *model.Article, keys []string) (Outcome, error) {
	return s.SavePage(ctx, a, keys, nil)
}

// RawPage is a fetched page, kept gzip-compressed so that a profile fix can
// be re-applied without crawling again (Reprocess).
type RawPage struct {
	Body    []byte
	Fetched time.Time
}

// SavePage stores the article extracted from a fetched page as
// UpsertArticle does and, when page is not nil, the page itself (replacing
// an earlier copy), in one transaction: both or neither are stored, and a
// crawl pays for one commit an article, not two.
func (s *Store) SavePage(ctx context.Context, a *model.Article, keys []string, page *RawPage) (Outcome, error) {
	if err := checkArticle(a); err != nil {
		return "", fmt.Errorf("store: upsert article %s: %w", a.URL, err)
	}
	tags, err := jsonText(stringList(a.Tags))
	if err != nil {
		return "", fmt.Errorf("store: upsert article %s: %w", a.URL, err)
	}
	raw, err := jsonText(stringList(a.Raw))
	if err != nil {
		return "", fmt.Errorf("store: upsert article %s: %w", a.URL, err)
	}
	var z []byte
	if page != nil {
		if z, err = s.compress(page.Body); err != nil {
			return "", fmt.Errorf("store: compress raw page %s: %w", a.URL, err)
		}
	}
	now := fmtTime(s.now())
	published := fmtTime(a.Published)

	var outcome Outcome
	err = s.inTx(ctx, func(tx *tx) error {
		if page != nil {
			if err := saveRawPage(ctx, tx, a.URL, a.Outlet, z, len(page.Body), page.Fetched); err != nil {
				return err
			}
		}
		// FOR UPDATE (PostgreSQL): a concurrent upsert of the same URL waits
		// for this one, so the title history gets each edit once.
		old, err := articleRow(ctx, tx, "a.url = ?"+s.d.forUpdate, a.URL)
		if errors.Is(err, ErrNotFound) {
			firstSeen := a.FirstSeen
			if firstSeen.IsZero() {
				firstSeen = s.now()
			}
			var id int64
			err = tx.QueryRowContext(ctx, `INSERT INTO articles
				(url, outlet, title, kicker, lead, section, tags, published, date_guessed, first_seen, updated_at, stored_at, raw)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO NOTHING RETURNING id`,
				a.URL, a.Outlet, a.Title, a.Kicker, a.RawLead, a.Section, tags, published, a.DateGuessed,
				fmtTime(firstSeen), now, now, raw).Scan(&id)
			switch {
			case err == nil:
				outcome, a.ID, a.FirstSeen = OutcomeNew, id, firstSeen
				if err := addTitle(ctx, tx, a.ID, a.Title, fmtTime(a.FirstSeen)); err != nil {
					return err
				}
				return insertKeys(ctx, tx, a, storedKeys(keys))
			case errors.Is(err, sql.ErrNoRows):
				// Another process inserted the URL since the read above
				// (PostgreSQL; SQLite's single writer rules that out):
				// this is an upsert of the article it stored.
				old, err = articleRow(ctx, tx, "a.url = ?"+s.d.forUpdate, a.URL)
			}
		}
		if err != nil {
			return err
		}
		a.ID, a.FirstSeen = old.ID, old.FirstSeen
		outcome = OutcomeUnchanged
		if !sameContent(old, a) {
			outcome = OutcomeUpdated
			_, err := tx.ExecContext(ctx, `UPDATE articles SET
				outlet = ?, title = ?, kicker = ?, lead = ?, section = ?, tags = ?, published = ?,
				date_guessed = ?, updated_at = ?, raw = ?
				WHERE id = ?`,
				a.Outlet, a.Title, a.Kicker, a.RawLead, a.Section, tags, published, a.DateGuessed, now, raw, a.ID)
			if err != nil {
				return err
			}
			if old.Title != a.Title {
				if err := addTitle(ctx, tx, a.ID, a.Title, now); err != nil {
					return err
				}
			}
			// Its derived view waits for the next pass; its title and
			// published time are searched by from now on.
			if err := reindex(ctx, tx, a.ID); err != nil {
				return err
			}
		}
		return syncKeys(ctx, tx, a, storedKeys(keys), outcome == OutcomeUpdated)
	})
	if err != nil {
		return "", fmt.Errorf("store: upsert article %s: %w", a.URL, err)
	}
	return outcome, nil
}

// checkArticle rejects what the store cannot keep faithfully: JSON would
// silently replace invalid UTF-8 in the raw paragraphs, and the clean view
// must be recomputable from exactly what was extracted.
func checkArticle(a *model.Article) error {
	switch {
	case a.URL == "":
		return errors.New("empty URL")
	case a.Outlet == "":
		return errors.New("empty outlet")
	case a.Published.IsZero():
		return errors.New("no published time")
	}
	for i, p := range a.Raw {
		if !utf8.ValidString(p) {
			return fmt.Errorf("raw paragraph %d is not valid UTF-8", i+1)
		}
	}
	for _, t := range a.Tags {
		if !utf8.ValidString(t) {
			return fmt.Errorf("tag %q is not valid UTF-8", t)
		}
	}
	return nil
}

// sameContent reports whether the crawled fields of a equal the stored ones.
func sameContent(old, a *model.Article) bool {
	return old.Outlet == a.Outlet && old.Title == a.Title && old.Kicker == a.Kicker &&
		old.RawLead == a.RawLead && old.Section == a.Section && old.Published.Equal(a.Published) &&
		old.DateGuessed == a.DateGuessed && slices.Equal(old.Tags, a.Tags) && slices.Equal(old.Raw, a.Raw)
}

func addTitle(ctx context.Context, tx *tx, id int64, title, seen string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO article_titles (article_id, title, seen_at) VALUES (?, ?, ?)", id, title, seen)
	return err
}

// storedKey is a paragraph key as the store keeps it.
type storedKey struct {
	hash  int64 // persian.KeyHash, as SQL's signed integer
	runes int
}

// storedKeys returns the stored form of paragraph keys, sorted by hash,
// without duplicates and empty keys.
func storedKeys(keys []string) []storedKey {
	ks := make([]storedKey, 0, len(keys))
	for _, k := range keys {
		if k != "" {
			ks = append(ks, storedKey{int64(persian.KeyHash(k)), utf8.RuneCountInString(k)})
		}
	}
	slices.SortFunc(ks, func(a, b storedKey) int { return cmp.Compare(a.hash, b.hash) })
	return slices.CompactFunc(ks, func(a, b storedKey) bool { return a.hash == b.hash })
}

// syncKeys makes the stored paragraph keys of a stored article equal want
// (from storedKeys). When the article changed its published time may have
// too, so the keys are rewritten even if the set is the same.
func syncKeys(ctx context.Context, tx *tx, a *model.Article, want []storedKey, changed bool) error {
	if !changed {
		rows, err := tx.QueryContext(ctx, "SELECT hash, runes FROM paragraph_hashes WHERE article_id = ? ORDER BY hash", a.ID)
		if err != nil {
			return err
		}
		var have []storedKey
		for rows.Next() {
			var k storedKey
			if err := rows.Scan(&k.hash, &k.runes); err != nil {
				rows.Close()
				return err
			}
			have = append(have, k)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		if slices.Equal(have, want) {
			return nil
		}
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM paragraph_hashes WHERE article_id = ?", a.ID); err != nil {
		return err
	}
	return insertKeys(ctx, tx, a, want)
}

// insertKeys stores the paragraph keys of an article that has none, in one
// statement for up to keysPerInsert keys rather than one per key: storing
// a new article's keys is most of the cost of storing it.
func insertKeys(ctx context.Context, tx *tx, a *model.Article, keys []storedKey) error {
	published := fmtTime(a.Published)
	for chunk := range slices.Chunk(keys, keysPerInsert) {
		var q strings.Builder
		q.WriteString("INSERT INTO paragraph_hashes (article_id, outlet, hash, runes, published) VALUES ")
		args := make([]any, 0, 5*len(chunk))
		for i, k := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, a.ID, a.Outlet, k.hash, k.runes, published)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// keysPerInsert keeps an insert's parameters (5 a key) well under SQLite's
// limit of 32766.
const keysPerInsert = 1000

// HasArticle reports whether an article with this canonical URL is stored.
func (s *Store) HasArticle(ctx context.Context, url string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, "SELECT 1 FROM articles WHERE url = ?", url).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: look up article %s: %w", url, err)
	}
	return true, nil
}

// Article returns the stored article with this canonical URL, or an error
// wrapping ErrNotFound.
func (s *Store) Article(ctx context.Context, url string) (*model.Article, error) {
	a, err := articleRow(ctx, s.r, "a.url = ?", url)
	if err != nil {
		return nil, fmt.Errorf("store: article %s: %w", url, err)
	}
	return a, nil
}

// EditedTitles returns the title history (oldest first) of every article
// whose title changed since it was first stored, by article id. Edits are
// rare, so the map is small however large the store.
func (s *Store) EditedTitles(ctx context.Context) (map[int64][]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT t.article_id, t.title FROM article_titles t
		WHERE t.article_id IN (SELECT article_id FROM article_titles GROUP BY article_id HAVING COUNT(*) > 1)
		ORDER BY t.article_id, `+s.d.titleSeq)
	if err != nil {
		return nil, fmt.Errorf("store: edited titles: %w", err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var id int64
		var title string
		if err := rows.Scan(&id, &title); err != nil {
			return nil, fmt.Errorf("store: edited titles: %w", err)
		}
		out[id] = append(out[id], title)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: edited titles: %w", err)
	}
	return out, nil
}

// LastFetched returns when the article at url was last fetched: the time of
// its stored raw page, or its first-seen time when it has none (stores from
// before raw pages were kept). ok is false when the URL is not stored. The
// crawler compares it with a feed item's date to tell an edit it has not
// fetched yet from one it has.
func (s *Store) LastFetched(ctx context.Context, url string) (fetched time.Time, ok bool, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT COALESCE(r.fetched, a.first_seen) FROM articles a
		LEFT JOIN raw_pages r ON r.url = a.url WHERE a.url = ?`, url).Scan(timeCol{&fetched})
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: last fetch of %s: %w", url, err)
	}
	return fetched, true, nil
}

// TitleHistory returns every title the article has carried, oldest first;
// the last one is its current title.
func (s *Store) TitleHistory(ctx context.Context, url string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT t.title FROM article_titles t
		JOIN articles a ON a.id = t.article_id
		WHERE a.url = ? ORDER BY `+s.d.titleSeq, url)
	if err != nil {
		return nil, fmt.Errorf("store: title history of %s: %w", url, err)
	}
	defer rows.Close()
	var titles []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("store: title history of %s: %w", url, err)
		}
		titles = append(titles, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: title history of %s: %w", url, err)
	}
	if len(titles) == 0 {
		return nil, fmt.Errorf("store: title history of %s: %w", url, ErrNotFound)
	}
	return titles, nil
}

// ArticleQuery selects stored articles. Zero fields do not restrict.
type ArticleQuery struct {
	Outlet string
	Story  string    // the articles of one story
	Since  time.Time // published at or after
	Until  time.Time // published before
	Limit  int
	// NoRaw leaves Article.Raw empty: a reader of the clean view (a
	// digest) saves reading and decoding every raw paragraph.
	NoRaw bool
}

// Articles returns the articles q selects, ordered by published time, then
// URL, with their clean view, topics and story.
func (s *Store) Articles(ctx context.Context, q ArticleQuery) ([]model.Article, error) {
	var out []model.Article
	err := s.ForEachArticle(ctx, q, func(a *model.Article) error {
		out = append(out, *a)
		return nil
	})
	return out, err
}

// ForEachArticle calls fn for each article q selects, in the order of
// Articles, without holding them all in memory. fn may call other Store
// methods, writes included: the rows are read from their own connection.
// An error from fn stops the walk and is returned as is.
func (s *Store) ForEachArticle(ctx context.Context, q ArticleQuery, fn func(*model.Article) error) error {
	var where []string
	var args []any
	if q.Outlet != "" {
		where, args = append(where, "a.outlet = ?"), append(args, q.Outlet)
	}
	if q.Story != "" {
		where, args = append(where, "a.story = ?"), append(args, q.Story)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "a.published >= ?"), append(args, fmtTime(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "a.published < ?"), append(args, fmtTime(q.Until))
	}
	query := articleSelect
	if q.NoRaw {
		query = strings.Replace(query, "a.raw,", "'[]',", 1)
	}
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY a.published, a.url"
	if q.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}

	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: list articles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return fmt.Errorf("store: list articles: %w", err)
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: list articles: %w", err)
	}
	return nil
}

// Derived is what the later stages compute for one stored article.
type Derived struct {
	ID     int64
	Clean  model.Clean
	Topics []string
	Story  string
}

// SaveDerived stores the clean view, topics and story of each article in
// one transaction: a reprocess either lands whole or not at all. The
// search index entry of each article is rewritten in the same transaction
// when what it indexes changed.
func (s *Store) SaveDerived(ctx context.Context, updates []Derived) error {
	cleans := make([]*model.Clean, len(updates))
	for i := range updates {
		cleans[i] = &updates[i].Clean
	}
	bodies := searchBodies(cleans)
	err := s.inTx(ctx, func(tx *tx) error {
		upd, err := tx.PrepareContext(ctx, "UPDATE articles SET clean = ?, topics = ?, story = ? WHERE id = ? RETURNING title, outlet, published")
		if err != nil {
			return err
		}
		defer upd.Close()
		ix, err := newIndexer(ctx, tx)
		if err != nil {
			return err
		}
		defer ix.close()
		for i, d := range updates {
			clean, err := jsonText(d.Clean)
			if err != nil {
				return fmt.Errorf("article %d: %w", d.ID, err)
			}
			topics, err := jsonText(stringList(d.Topics))
			if err != nil {
				return fmt.Errorf("article %d: %w", d.ID, err)
			}
			var title, outlet string
			var published time.Time
			err = upd.QueryRowContext(ctx, clean, topics, d.Story, d.ID).Scan(&title, &outlet, timeCol{&published})
			if errors.Is(err, sql.ErrNoRows) {
				err = ErrNotFound
			}
			if err != nil {
				return fmt.Errorf("article %d: %w", d.ID, err)
			}
			e := newSearchEntry(d.ID, title, outlet, published, bodies[i], d.Topics, d.Story)
			if err := ix.put(ctx, &e, false); err != nil {
				return err
			}
		}
		return ix.flush(ctx)
	})
	if err != nil {
		return fmt.Errorf("store: save derived views of %d articles: %w", len(updates), err)
	}
	return nil
}

// KeyOccurrences returns, for each paragraph key found in at least two
// articles of the outlet, by its persian.KeyHash, its length and the
// published times of those articles, oldest first. A key of a single
// stored article is left out: it cannot reach the learned-line threshold
// of docs/cleaning.md (3 articles) even together with an article not yet stored,
// and keeping it would load every paragraph of the outlet into memory.
func (s *Store) KeyOccurrences(ctx context.Context, outlet string) (map[uint64]model.KeyUse, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT hash, runes, published FROM (
			SELECT hash, runes, published, COUNT(*) OVER (PARTITION BY hash) AS n
			FROM paragraph_hashes WHERE outlet = ?) AS k
		WHERE n > 1 ORDER BY hash, published`, outlet)
	if err != nil {
		return nil, fmt.Errorf("store: paragraph keys of %s: %w", outlet, err)
	}
	defer rows.Close()
	occ := make(map[uint64]model.KeyUse)
	for rows.Next() {
		var hash int64
		var runes int
		var published time.Time
		if err := rows.Scan(&hash, &runes, timeCol{&published}); err != nil {
			return nil, fmt.Errorf("store: paragraph keys of %s: %w", outlet, err)
		}
		u := occ[uint64(hash)]
		u.Runes = runes
		u.Published = append(u.Published, published)
		occ[uint64(hash)] = u
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: paragraph keys of %s: %w", outlet, err)
	}
	return occ, nil
}

// CountArticles returns the number of stored articles.
func (s *Store) CountArticles(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM articles").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count articles: %w", err)
	}
	return n, nil
}

const articleSelect = `SELECT a.id, a.url, a.outlet, a.title, a.kicker, a.lead, a.section, a.tags,
	a.published, a.date_guessed, a.first_seen, a.raw, a.clean, a.topics, a.story FROM articles a`

// articleRow reads the one article matching cond, or ErrNotFound.
func articleRow(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, cond string, args ...any) (*model.Article, error) {
	rows, err := q.QueryContext(ctx, articleSelect+" WHERE "+cond, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, ErrNotFound
	}
	return scanArticle(rows)
}

func scanArticle(rows *sql.Rows) (*model.Article, error) {
	var a model.Article
	err := rows.Scan(&a.ID, &a.URL, &a.Outlet, &a.Title, &a.Kicker, &a.RawLead, &a.Section, jsonCol{&a.Tags},
		timeCol{&a.Published}, &a.DateGuessed, timeCol{&a.FirstSeen}, jsonCol{&a.Raw}, jsonCol{&a.Clean},
		jsonCol{&a.Topics}, &a.Story)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Changes says what happened to the articles since a time: Earliest is the
// earliest published time among the articles stored or updated at or after
// since, or never given a derived view; Updated whether any of them was
// edited after it was stored (an edit may have moved its published time).
// Found is false when there are none. Times are the clock of the process
// that wrote them.
type Changes struct {
	Found    bool
	Earliest time.Time
	Updated  bool
}

// Changes reports the changes to the articles since a time.
func (s *Store) Changes(ctx context.Context, since time.Time) (Changes, error) {
	var c Changes
	var changed, underived time.Time
	var updated int
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MIN(published), ''), COALESCE(MAX(CASE WHEN stored_at < updated_at THEN 1 ELSE 0 END), 0)
		FROM articles WHERE updated_at >= ?`, fmtTime(since)).Scan(timeCol{&changed}, &updated)
	if err == nil {
		err = s.r.QueryRowContext(ctx, "SELECT COALESCE(MIN(published), '') FROM articles WHERE clean IS NULL").Scan(timeCol{&underived})
	}
	if err != nil {
		return c, fmt.Errorf("store: changes since %s: %w", since.Format(time.RFC3339), err)
	}
	for _, t := range []time.Time{changed, underived} {
		if !t.IsZero() && (!c.Found || t.Before(c.Earliest)) {
			c.Found, c.Earliest = true, t
		}
	}
	c.Updated = updated == 1
	return c, nil
}
