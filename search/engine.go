// Package search is the analysts' desk's search engine: the query
// language, the search over the store's full-text index (one hit per
// story, newest first or by relevance, counted up to MaxResults), and
// the snippets of the hits with the matched words marked, in the display
// form. docs/search.md describes what matches what and what the index
// costs.
//
// The desk's pages and the search command call Engine.Search with a Query
// and render the Results; a query the engine refuses comes back as an
// *Error with a message for the person who typed it.
package search

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"mediadigest/persian"
	"mediadigest/store"
)

// Index is the store as the engine reads it.
type Index interface {
	SearchMatches(ctx context.Context, q store.SearchQuery) ([]store.SearchMatch, error)
	StoryArticles(ctx context.Context, stories []string) (map[string][]store.ArticleHead, error)
	ArticleHeads(ctx context.Context, ids []int64) (map[int64]store.ArticleHead, error)
	ArticleTexts(ctx context.Context, ids []int64) (map[int64]store.ArticleText, error)
}

// Order is the order of the hits.
type Order string

const (
	Newest Order = "" // newest story first: by its newest matching article
	// Relevance puts first the stories with an article whose title holds
	// every term, then those with one whose lead does, then the others,
	// each newest first, among the MaxResults newest stories found.
	Relevance Order = "relevance"
)

// Limits of a search.
const (
	// MaxResults is how many stories a search counts and pages through;
	// past it Results.More is set ("more than 1,000"). Narrowing the
	// query or the dates reaches older stories.
	MaxResults     = 1000
	DefaultPerPage = 20
	MaxPerPage     = 100
)

// Query is one search.
type Query struct {
	Text   string // words, "phrases", -excluded (docs/search.md)
	Outlet string // outlet id, or "" for all
	Topic  string // topic id, or "" for all
	// From and To bound the published time, [From, To); Dates reads them
	// as typed. A zero time does not bound.
	From, To time.Time
	Order    Order
	Page     int // from 1; 0 is 1
	PerPage  int // 0 is DefaultPerPage
}

// Results is one page of the hits of a query.
type Results struct {
	Total   int  // stories found, up to MaxResults
	More    bool // more than MaxResults stories match
	Page    int  // this page, from 1
	Pages   int  // pages of PerPage hits, 0 when nothing matched
	PerPage int
	Hits    []Hit
}

// Hit is one story of the results.
type Hit struct {
	Story string // "" for an article not grouped into a story yet
	// Article is the article the hit shows: the story's newest matching
	// article, or its best match in relevance order.
	Article store.ArticleHead
	Title   []Span // Article's title, matched words marked
	Snippet []Span // a passage of Article's lead or paragraphs
	// Articles are every article of the story, oldest first.
	Articles []StoryArticle
	Outlets  int // distinct outlets among Articles
}

// StoryArticle is an article of a hit's story.
type StoryArticle struct {
	store.ArticleHead
	Matched bool // it matches the query too
}

// Span is a piece of a title or snippet: matched words, or text between.
type Span struct {
	Text string
	Hit  bool
}

// Plain returns spans as text, the marks dropped.
func Plain(spans []Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Text)
	}
	return b.String()
}

// Engine runs searches over an Index. It is safe for concurrent use.
type Engine struct {
	idx     Index
	outlets map[string]bool
	topics  map[string]bool
}

// Options are the ids the filters may name: a query naming another gets an
// *Error. A nil list accepts any id.
type Options struct {
	Outlets []string
	Topics  []string
}

// New returns an engine over idx.
func New(idx Index, opts Options) *Engine {
	set := func(ids []string) map[string]bool {
		if ids == nil {
			return nil
		}
		m := make(map[string]bool, len(ids))
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	return &Engine{idx: idx, outlets: set(opts.Outlets), topics: set(opts.Topics)}
}

// matchBatch is how many matches are read from the index at a time:
// enough for MaxResults stories when one in five has a second matching
// article (a tenth of the generated corpus's articles are copies).
const matchBatch = 1200

// Search runs q and returns the page it asks for. A query the engine
// refuses gets an *Error; any other error is the store's.
func (e *Engine) Search(ctx context.Context, q Query) (*Results, error) {
	p, err := parse(q.Text)
	if err != nil {
		return nil, err
	}
	if err := e.check(&q); err != nil {
		return nil, err
	}
	sq := store.SearchQuery{
		Include: p.include, Exclude: p.exclude, Outlet: q.Outlet, Topic: q.Topic,
		From: q.From, To: q.To, Heads: q.Order == Relevance, Limit: matchBatch,
	}
	found, err := e.stories(ctx, sq)
	if err != nil {
		return nil, err
	}
	if q.Order == Relevance {
		// Stable: the newest first within a tier.
		slices.SortStableFunc(found.list, func(a, b *story) int { return cmp.Compare(b.tier, a.tier) })
	}
	res := &Results{Total: len(found.list), More: found.more, Page: q.Page, PerPage: q.PerPage}
	res.Pages = (res.Total + q.PerPage - 1) / q.PerPage
	if q.Page > max(res.Pages, 1) {
		return nil, queryError("page", fmt.Sprintf("این جست‌وجو %s صفحه دارد.", persian.Digits(fmt.Sprint(res.Pages))),
			"page %d is past the last page (%d)", q.Page, res.Pages)
	}
	page := found.list[min((q.Page-1)*q.PerPage, res.Total):min(q.Page*q.PerPage, res.Total)]
	if res.Hits, err = e.hits(ctx, sq, p, page); err != nil {
		return nil, err
	}
	return res, nil
}

// check fills the defaults of q and refuses what it cannot run.
func (e *Engine) check(q *Query) error {
	switch {
	case q.Outlet != "" && e.outlets != nil && !e.outlets[q.Outlet]:
		return queryError("outlet", "چنین رسانه‌ای پایش نمی‌شود.", "no outlet %q is configured", q.Outlet)
	case q.Topic != "" && e.topics != nil && !e.topics[q.Topic]:
		return queryError("topic", "چنین موضوعی تعریف نشده است.", "no topic %q is configured", q.Topic)
	case q.Order != Newest && q.Order != Relevance:
		return queryError("order", "ترتیب نتایج یا تازه‌ترین است یا مرتبط‌ترین.", "order %q: want newest or relevance", q.Order)
	case q.Page < 0:
		return queryError("page", "شمارهٔ صفحه باید مثبت باشد.", "page %d: pages count from 1", q.Page)
	case q.PerPage < 0 || q.PerPage > MaxPerPage:
		return queryError("per_page", fmt.Sprintf("هر صفحه دست‌کم ۱ و دست‌بالا %s نتیجه دارد.", persian.Digits(fmt.Sprint(MaxPerPage))),
			"%d results a page: want 1 to %d", q.PerPage, MaxPerPage)
	}
	q.Page = max(q.Page, 1)
	if q.PerPage == 0 {
		q.PerPage = DefaultPerPage
	}
	return checkRange(q.From, q.To)
}

// story is a story found, at the place of its first match (newest first).
type story struct {
	id      string // "" for an article without a story
	article int64  // the match it shows
	tier    int    // of relevance (tier)
}

// found are the stories a search found.
type found struct {
	list []*story
	more bool // there are more than MaxResults
}

// stories walks the matches of sq newest first and returns the stories
// they belong to, each once, up to MaxResults. With the matches' heads
// (sq.Heads, in relevance order), it ranks each story by its best match
// and shows that match's newest article.
func (e *Engine) stories(ctx context.Context, sq store.SearchQuery) (*found, error) {
	f := &found{}
	byKey := map[string]*story{}
	rank := newRanker(sq.Include)
	for {
		ms, err := e.idx.SearchMatches(ctx, sq)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			key := m.Story
			if key == "" {
				key = fmt.Sprint("#", m.Article) // an article without a story is a story of its own
			}
			t := 0
			if sq.Heads {
				t = rank.tier(m)
			}
			if s := byKey[key]; s != nil {
				if t > s.tier {
					s.article, s.tier = m.Article, t
				}
				continue
			}
			if len(f.list) == MaxResults {
				f.more = true
				return f, nil
			}
			s := &story{id: m.Story, article: m.Article, tier: t}
			byKey[key] = s
			f.list = append(f.list, s)
		}
		if len(ms) < sq.Limit {
			return f, nil
		}
		sq.After = ms[len(ms)-1].Cursor
	}
}

// ranker ranks a match by where every term of its query is: 2 all in the
// title, 1 all in the lead, 0 elsewhere. FTS5's bm25 would count the
// articles holding each term over the whole index for every search:
// hundreds of milliseconds for a common word in a million articles
// (docs/search.md). The heads are search forms, words one space apart, so
// a phrase is found as a substring at word bounds, without splitting the
// heads into words for each of the ~1,000 matches a query walks.
type ranker [][]string // per term, its alternatives, their words joined by spaces

func newRanker(terms []store.SearchTerm) ranker {
	r := make(ranker, len(terms))
	for i, t := range terms {
		for _, p := range t {
			r[i] = append(r[i], strings.Join(p, " "))
		}
	}
	return r
}

func (r ranker) tier(m store.SearchMatch) int {
	switch {
	case r.allIn(m.Title):
		return 2
	case r.allIn(m.Lead):
		return 1
	}
	return 0
}

// allIn reports whether text holds an alternative of every term.
func (r ranker) allIn(text string) bool {
	for _, alts := range r {
		if !slices.ContainsFunc(alts, func(p string) bool { return hasRun(text, p) }) {
			return false
		}
	}
	return true
}

// hasRun reports whether text, words one space apart, holds phrase, words
// one space apart, as whole words.
func hasRun(text, phrase string) bool {
	if phrase == "" {
		return false
	}
	for from := 0; ; {
		i := strings.Index(text[from:], phrase)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(phrase)
		if (i == 0 || text[i-1] == ' ') && (end == len(text) || text[end] == ' ') {
			return true
		}
		from = i + 1
	}
}

// hits builds the hits of a page of stories: their articles, which of
// them match, and the title and snippet of the article shown.
func (e *Engine) hits(ctx context.Context, sq store.SearchQuery, p parsed, page []*story) ([]Hit, error) {
	if len(page) == 0 {
		return nil, nil
	}
	articles, shown, err := e.articlesOf(ctx, page)
	if err != nil {
		return nil, err
	}
	var all, ids []int64
	for i, s := range page {
		ids = append(ids, s.article)
		for _, a := range articles[i] {
			all = append(all, a.ID)
		}
	}
	matched, err := e.matched(ctx, sq, all)
	if err != nil {
		return nil, err
	}
	texts, err := e.idx.ArticleTexts(ctx, ids)
	if err != nil {
		return nil, err
	}
	hl := newHighlighter(p.include)
	hits := make([]Hit, len(page))
	for i, s := range page {
		h := Hit{Story: s.id, Article: shown[s.article]}
		outlets := map[string]bool{}
		for _, a := range articles[i] {
			h.Articles = append(h.Articles, StoryArticle{ArticleHead: a, Matched: matched[a.ID]})
			outlets[a.Outlet] = true
		}
		h.Outlets = len(outlets)
		t := texts[s.article]
		h.Title = hl.spans(cmp.Or(t.Title, h.Article.Title))
		h.Snippet = hl.snippet(t.Clean.Lead, t.Clean.Paragraphs)
		hits[i] = h
	}
	return hits, nil
}

// articlesOf returns the articles of each story of page, oldest first,
// and the article each shows, by id. A story's shown article is among its
// articles, unless it was derived into another story since it matched:
// it is then read on its own, as is an article without a story.
func (e *Engine) articlesOf(ctx context.Context, page []*story) ([][]store.ArticleHead, map[int64]store.ArticleHead, error) {
	var ids []string
	for _, s := range page {
		if s.id != "" {
			ids = append(ids, s.id)
		}
	}
	byStory, err := e.idx.StoryArticles(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	shown := map[int64]store.ArticleHead{}
	articles := make([][]store.ArticleHead, len(page))
	var alone []int64
	for i, s := range page {
		articles[i] = byStory[s.id]
		if k := slices.IndexFunc(articles[i], func(a store.ArticleHead) bool { return a.ID == s.article }); k >= 0 {
			shown[s.article] = articles[i][k]
		} else {
			alone = append(alone, s.article)
		}
	}
	heads, err := e.idx.ArticleHeads(ctx, alone)
	if err != nil {
		return nil, nil, err
	}
	for i, s := range page {
		if h, ok := heads[s.article]; ok {
			shown[s.article] = h
			if s.id == "" {
				articles[i] = []store.ArticleHead{h}
			}
		}
	}
	return articles, shown, nil
}

// matched returns which of the articles ids match the query of sq.
func (e *Engine) matched(ctx context.Context, sq store.SearchQuery, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	sq.Articles, sq.After, sq.Heads, sq.Limit = ids, store.SearchCursor{}, false, len(ids)
	ms, err := e.idx.SearchMatches(ctx, sq)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		out[m.Article] = true
	}
	return out, nil
}

// Story returns the articles of a story, oldest first, or an *Error when
// no stored article carries the id.
func (e *Engine) Story(ctx context.Context, id string) ([]store.ArticleHead, error) {
	id = strings.TrimSpace(id)
	if id == "" || len(id) > 64 {
		return nil, queryError("story", "شناسهٔ خبر نادرست است.", "%q is not a story id", id)
	}
	byStory, err := e.idx.StoryArticles(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(byStory[id]) == 0 {
		return nil, queryError("story", "چنین خبری در بایگانی نیست.", "no stored article belongs to story %q", id)
	}
	return byStory[id], nil
}
