package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"mediadigest/model"
)

// SearchTerm is one thing a search looks for: any of its phrases, each a
// run of words of the search form (persian.SearchWords) that must occur
// one after the other in a title, a lead or the paragraphs.
type SearchTerm [][]string

// SearchQuery selects articles of the search index.
type SearchQuery struct {
	Include []SearchTerm // each must occur; at least one
	Exclude []SearchTerm // none may occur
	Outlet  string       // only articles of this outlet id, when set
	Topic   string       // only articles of this topic id, when set
	// From and To bound the published time, [From, To), to the second;
	// a zero time does not bound.
	From, To time.Time
	// Articles, when not nil, limits the matches to these articles.
	Articles []int64
	// After continues a search after the last match of a previous call.
	After SearchCursor
	// Heads asks for the search form of each match's title and lead.
	Heads bool
	// Limit is the most matches returned; it must be positive.
	Limit int
}

// SearchCursor is where a search stopped; the zero value starts from the
// newest match.
type SearchCursor struct {
	key, article int64
	set          bool
}

// SearchMatch is one article that matches a search.
type SearchMatch struct {
	Article int64
	Story   string
	// Title and Lead are the search forms (persian.Search) of the
	// article's title and lead when the query asked for Heads.
	Title, Lead string
	// Cursor is where a search after this match continues.
	Cursor SearchCursor
}

// SearchMatches returns up to q.Limit indexed articles that match q,
// newest first (by published time), starting after q.After.
func (s *Store) SearchMatches(ctx context.Context, q SearchQuery) ([]SearchMatch, error) {
	if err := checkSearch(q); err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	var query string
	var args []any
	if s.d.name == postgresDialect.name {
		query, args = postgresSearch(q)
	} else {
		query, args = sqliteSearch(q)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	defer rows.Close()
	var out []SearchMatch
	for rows.Next() {
		var m SearchMatch
		if err := rows.Scan(&m.Cursor.key, &m.Cursor.article, &m.Story, &m.Title, &m.Lead); err != nil {
			return nil, fmt.Errorf("store: search: %w", err)
		}
		m.Article, m.Cursor.set = m.Cursor.article, true
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: search: %w", err)
	}
	return out, nil
}

// checkSearch refuses a query no database could run: the search package
// never makes one.
func checkSearch(q SearchQuery) error {
	if len(q.Include) == 0 {
		return errors.New("no term to look for")
	}
	if q.Limit <= 0 {
		return fmt.Errorf("limit %d: want a positive number", q.Limit)
	}
	if q.Articles != nil && len(q.Articles) == 0 {
		return errors.New("an empty list of articles")
	}
	for _, t := range append(append([]SearchTerm{}, q.Include...), q.Exclude...) {
		if len(t) == 0 {
			return errors.New("a term without phrases")
		}
		for _, p := range t {
			if len(p) == 0 {
				return errors.New("an empty phrase")
			}
			for _, w := range p {
				if w == "" || strings.ContainsAny(w, " \"'\\") {
					return fmt.Errorf("%q is not a word of the search form", w)
				}
			}
		}
	}
	return nil
}

// textColumns are the columns of search_fts that hold text.
const textColumns = "{title lead body}"

// sqliteSearch is q for FTS5. Every word is a quoted string, so nothing
// typed is read as FTS5 syntax (NEAR, AND, *, ^, column filters).
func sqliteSearch(q SearchQuery) (string, []any) {
	expr := textColumns + " : (" + ftsTerms(q.Include, " AND ") + ")"
	if len(q.Exclude) > 0 {
		expr = "(" + expr + ") NOT (" + textColumns + " : (" + ftsTerms(q.Exclude, " OR ") + "))"
	}
	if q.Outlet != "" {
		expr = "(" + expr + ") AND (meta : " + ftsString(ftsMeta('o', q.Outlet)) + ")"
	}
	if q.Topic != "" {
		expr = "(" + expr + ") AND (meta : " + ftsString(ftsMeta('t', q.Topic)) + ")"
	}
	var b strings.Builder
	if q.Heads {
		b.WriteString("SELECT search_fts.rowid, d.article_id, d.story, h.title, h.lead FROM search_fts" +
			" JOIN search_docs d ON d.doc = search_fts.rowid JOIN search_heads h ON h.doc = search_fts.rowid")
	} else {
		b.WriteString("SELECT search_fts.rowid, d.article_id, d.story, '', '' FROM search_fts" +
			" JOIN search_docs d ON d.doc = search_fts.rowid")
	}
	b.WriteString(" WHERE search_fts MATCH ?")
	args := []any{expr}
	if !q.From.IsZero() {
		b.WriteString(" AND search_fts.rowid >= ?")
		args = append(args, secondKey(q.From, false))
	}
	if !q.To.IsZero() {
		b.WriteString(" AND search_fts.rowid < ?")
		args = append(args, secondKey(q.To, true))
	}
	if q.After.set {
		b.WriteString(" AND search_fts.rowid < ?")
		args = append(args, q.After.key)
	}
	if q.Articles != nil {
		// Driven by the articles' entries: the full-text query is then
		// checked for each of them, not run over the whole index.
		b.WriteString(" AND search_fts.rowid IN (SELECT doc FROM search_docs WHERE article_id IN (" + placeholders(len(q.Articles)) + "))")
		args = append(args, int64Args(q.Articles)...)
	}
	b.WriteString(" ORDER BY search_fts.rowid DESC LIMIT ?")
	return b.String(), append(args, q.Limit)
}

// ftsTerms joins terms with op, each as its phrases joined with OR.
func ftsTerms(terms []SearchTerm, op string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		alts := make([]string, len(t))
		for j, p := range t {
			alts[j] = ftsString(strings.Join(p, " "))
		}
		parts[i] = "(" + strings.Join(alts, " OR ") + ")"
	}
	return strings.Join(parts, op)
}

// ftsString quotes s as an FTS5 string: a phrase of its words.
func ftsString(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// postgresSearch is q for PostgreSQL's text search, with the tsquery
// written as a literal of quoted lexemes (never parsed by to_tsquery).
func postgresSearch(q SearchQuery) (string, []any) {
	tsq := tsTerms(q.Include, " & ")
	for _, t := range q.Exclude {
		tsq += " & !" + tsTerms([]SearchTerm{t}, "")
	}
	if q.Outlet != "" {
		tsq += " & " + lexeme(tsMeta('o', q.Outlet))
	}
	if q.Topic != "" {
		tsq += " & " + lexeme(tsMeta('t', q.Topic))
	}
	var b strings.Builder
	heads := "'', ''"
	if q.Heads {
		heads = "d.title, d.lead"
	}
	b.WriteString("SELECT d.doc, d.article_id, d.story, " + heads + " FROM search_docs d WHERE d.tsv @@ CAST(? AS tsquery)")
	args := []any{tsq}
	if !q.From.IsZero() {
		b.WriteString(" AND d.doc >= ?")
		args = append(args, secondKey(q.From, false))
	}
	if !q.To.IsZero() {
		b.WriteString(" AND d.doc < ?")
		args = append(args, secondKey(q.To, true))
	}
	if q.After.set {
		b.WriteString(" AND (d.doc, d.article_id) < (?, ?)")
		args = append(args, q.After.key, q.After.article)
	}
	if q.Articles != nil {
		b.WriteString(" AND d.article_id IN (" + placeholders(len(q.Articles)) + ")")
		args = append(args, int64Args(q.Articles)...)
	}
	b.WriteString(" ORDER BY d.doc DESC, d.article_id DESC LIMIT ?")
	return b.String(), append(args, q.Limit)
}

// tsTerms joins terms with op, each as its phrases joined with |.
func tsTerms(terms []SearchTerm, op string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		alts := make([]string, len(t))
		for j, p := range t {
			ls := make([]string, len(p))
			for k, w := range p {
				ls[k] = lexeme(w)
			}
			alts[j] = "(" + strings.Join(ls, " <-> ") + ")"
		}
		parts[i] = "(" + strings.Join(alts, " | ") + ")"
	}
	return strings.Join(parts, op)
}

// ArticleHead is an article as a list shows it.
type ArticleHead struct {
	ID        int64
	URL       string
	Outlet    string
	Title     string
	Published time.Time
	Story     string
}

// StoryArticles returns the articles of the stories, each story's in order
// of publication (then id), by story id. A story with no stored article
// is not in the map.
func (s *Store) StoryArticles(ctx context.Context, stories []string) (map[string][]ArticleHead, error) {
	out := map[string][]ArticleHead{}
	if len(stories) == 0 {
		return out, nil
	}
	args := make([]any, len(stories))
	for i, st := range stories {
		args[i] = st
	}
	err := s.heads(ctx, "story IN ("+placeholders(len(stories))+")", args, func(h ArticleHead) {
		out[h.Story] = append(out[h.Story], h)
	})
	if err != nil {
		return nil, fmt.Errorf("store: articles of %d stories: %w", len(stories), err)
	}
	return out, nil
}

// ArticleHeads returns the articles with these ids, by id; ids not stored
// are not in the map.
func (s *Store) ArticleHeads(ctx context.Context, ids []int64) (map[int64]ArticleHead, error) {
	out := map[int64]ArticleHead{}
	if len(ids) == 0 {
		return out, nil
	}
	err := s.heads(ctx, "id IN ("+placeholders(len(ids))+")", int64Args(ids), func(h ArticleHead) { out[h.ID] = h })
	if err != nil {
		return nil, fmt.Errorf("store: articles by id: %w", err)
	}
	return out, nil
}

func (s *Store) heads(ctx context.Context, cond string, args []any, fn func(ArticleHead)) error {
	rows, err := s.r.QueryContext(ctx, "SELECT id, url, outlet, title, published, story FROM articles WHERE "+cond+
		" ORDER BY published, id", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h ArticleHead
		if err := rows.Scan(&h.ID, &h.URL, &h.Outlet, &h.Title, timeCol{&h.Published}, &h.Story); err != nil {
			return err
		}
		fn(h)
	}
	return rows.Err()
}

// ArticleText is what a search result shows of an article's text.
type ArticleText struct {
	Title string
	Clean model.Clean // zero when the article has no derived view
}

// ArticleTexts returns the titles and clean views of the articles with
// these ids, by id; ids not stored are not in the map.
func (s *Store) ArticleTexts(ctx context.Context, ids []int64) (map[int64]ArticleText, error) {
	out := map[int64]ArticleText{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, "SELECT id, title, clean FROM articles WHERE id IN ("+placeholders(len(ids))+")", int64Args(ids)...)
	if err != nil {
		return nil, fmt.Errorf("store: texts of articles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var t ArticleText
		if err := rows.Scan(&id, &t.Title, jsonCol{&t.Clean}); err != nil {
			return nil, fmt.Errorf("store: texts of articles: %w", err)
		}
		out[id] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: texts of articles: %w", err)
	}
	return out, nil
}
