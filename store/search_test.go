package store

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"mediadigest/internal/corpus"
	"mediadigest/model"
	"mediadigest/persian"
)

// undoSearch takes a store back to schema 8: before the search index.
func undoSearch(ctx context.Context, tx *tx) error {
	qs := []string{"DROP TABLE search_docs", "DELETE FROM schema_version WHERE version >= 9"}
	if tx.d.name == sqliteDialect.name {
		qs = append(qs, "DROP TABLE search_fts", "DROP TABLE search_heads")
	}
	for _, q := range qs {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// found returns the ids of the articles matching every word of text (as
// typed), newest first, with the filters of q.
func found(t *testing.T, s *Store, text string, q SearchQuery) []int64 {
	t.Helper()
	for _, w := range strings.Fields(text) {
		q.Include = append(q.Include, SearchTerm{persian.SearchWords(w)})
	}
	q.Limit = 100
	ms, err := s.SearchMatches(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, m := range ms {
		ids = append(ids, m.Article)
	}
	return ids
}

// derive saves the derived view of a as a pass would: its raw paragraphs
// without the promo line and end marker, with the story and topics.
func derive(t *testing.T, s *Store, a *model.Article, story string, topics ...string) {
	t.Helper()
	clean := model.Clean{Lead: a.RawLead}
	for _, p := range a.Raw {
		if strings.HasPrefix(p, "بیشتر:") || p == "انتهای پیام" {
			clean.Removed = append(clean.Removed, model.Removed{Text: p, Reason: model.ReasonPromo})
			continue
		}
		clean.Paragraphs = append(clean.Paragraphs, p)
	}
	err := s.SaveDerived(t.Context(), []Derived{{ID: a.ID, Story: story, Topics: topics, Clean: clean}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSearchIndexInStep: the index follows derived views, edits and
// re-derivations, in the transaction that makes them.
func TestSearchIndexInStep(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		published := time.Date(2026, 11, 26, 10, 0, 0, 0, tehran)
		a := gasArticle("https://www.isna.ir/news/1405090500001/", published)
		if _, err := s.UpsertArticle(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		if got := found(t, s, "ترکیه", SearchQuery{}); got != nil {
			t.Errorf("an underived article is found: %v", got)
		}
		derive(t, s, a, "s-1", "energy")
		for _, q := range []string{"ترکیه", "صادرات گاز", "میلیون مترمکعب", "بازرگان"} {
			if got := found(t, s, q, SearchQuery{}); !slices.Equal(got, []int64{a.ID}) {
				t.Errorf("%q finds %v, want the derived article", q, got)
			}
		}
		// What the clean view left out is not searched.
		if got := found(t, s, "انتهای پیام", SearchQuery{}); got != nil {
			t.Errorf("a removed paragraph is found: %v", got)
		}

		var doc, hash int64
		entry := func() {
			t.Helper()
			if err := s.r.QueryRowContext(ctx, "SELECT doc, hash FROM search_docs WHERE article_id = ?", a.ID).Scan(&doc, &hash); err != nil {
				t.Fatal(err)
			}
		}
		entry()
		firstDoc, firstHash := doc, hash

		// Derived again, unchanged: the entry is not written again.
		derive(t, s, a, "s-1", "energy")
		entry()
		if doc != firstDoc || hash != firstHash {
			t.Errorf("an unchanged article was re-indexed: doc %d → %d", firstDoc, doc)
		}

		// Re-derived with other paragraphs, story and topic.
		a.Raw = []string{"خط لوله ششم سراسری به مرز بازرگان رسید."}
		derive(t, s, a, "s-2", "pipelines")
		if got := found(t, s, "ترکیه", SearchQuery{}); !slices.Equal(got, []int64{a.ID}) {
			t.Errorf("the lead is still indexed: %v", got)
		}
		if got := found(t, s, "مترمکعب", SearchQuery{}); got != nil {
			t.Errorf("a paragraph of the old view is still found: %v", got)
		}
		if got := found(t, s, "بازرگان", SearchQuery{Topic: "pipelines"}); !slices.Equal(got, []int64{a.ID}) {
			t.Errorf("the new topic does not find it: %v", got)
		}
		if got := found(t, s, "بازرگان", SearchQuery{Topic: "energy"}); got != nil {
			t.Errorf("the old topic still finds it: %v", got)
		}
		if ms, err := s.SearchMatches(ctx, SearchQuery{Include: []SearchTerm{{{"بازرگان"}}}, Limit: 1}); err != nil || len(ms) != 1 || ms[0].Story != "s-2" {
			t.Errorf("matches %v, %v; want story s-2", ms, err)
		}

		// Edited by the outlet: the new title and published time are
		// searched before the next pass derives it again.
		a.Title = "رکورد تازه صادرات گاز به عراق"
		a.Published = published.Add(-48 * time.Hour)
		if out, err := s.UpsertArticle(ctx, a, nil); err != nil || out != OutcomeUpdated {
			t.Fatalf("UpsertArticle = %v, %v", out, err)
		}
		if got := found(t, s, "عراق", SearchQuery{}); !slices.Equal(got, []int64{a.ID}) {
			t.Errorf("the edited title is not found: %v", got)
		}
		if got := found(t, s, "۱۴۰۵", SearchQuery{}); got != nil {
			t.Errorf("the old title is still found: %v", got)
		}
		if got := found(t, s, "عراق", SearchQuery{From: published.Add(-24 * time.Hour)}); got != nil {
			t.Errorf("found by its old published time: %v", got)
		}
		if got := found(t, s, "عراق", SearchQuery{From: published.Add(-49 * time.Hour), To: published.Add(-47 * time.Hour)}); !slices.Equal(got, []int64{a.ID}) {
			t.Errorf("not found by its new published time: %v", got)
		}
	})
}

// TestSearchIndexSameSecond: articles published in the same second keep
// entries of their own, even when their ids share the low bits of the
// index key.
func TestSearchIndexSameSecond(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		published := time.Date(2026, 11, 26, 10, 0, 0, 0, tehran)
		first := gasArticle("https://www.isna.ir/news/1405090500001/", published)
		if _, err := s.UpsertArticle(ctx, first, nil); err != nil {
			t.Fatal(err)
		}
		// An id whose low bits are the first one's.
		clash := first.ID + 1<<secondBits
		_, err := s.w.ExecContext(ctx, `INSERT INTO articles (id, url, outlet, title, published, first_seen, updated_at, raw)
			VALUES (?, 'https://eghtesaad24.ir/fa/news/1/', 'eghtesad24', ?, ?, ?, ?, '[]')`,
			clash, first.Title, fmtTime(published), fmtTime(published), fmtTime(published))
		if err != nil {
			t.Fatal(err)
		}
		second := *first
		second.ID = clash
		derive(t, s, first, "s-1")
		derive(t, s, &second, "s-1")
		if got := found(t, s, "ترکیه", SearchQuery{}); len(got) != 2 || !slices.Contains(got, first.ID) || !slices.Contains(got, clash) {
			t.Errorf("found %v, want both %d and %d", got, first.ID, clash)
		}
		// Paging through them with the cursor gives each once.
		var seen []int64
		q := SearchQuery{Include: []SearchTerm{{{"ترکیه"}}}, Limit: 1}
		for range 3 {
			ms, err := s.SearchMatches(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) == 0 {
				break
			}
			seen = append(seen, ms[0].Article)
			q.After = ms[0].Cursor
		}
		if len(seen) != 2 || seen[0] == seen[1] {
			t.Errorf("pages gave %v, want both articles once", seen)
		}
	})
}

// TestSearchIndexMigration: opening a store made before the index (schema
// 5) builds the index of its derived articles, a batch at a time.
func TestSearchIndexMigration(t *testing.T) {
	defer func(n int) { indexBatch = n }(indexBatch)
	indexBatch = 2
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		ms, err := migrations(migrationFiles, s.d.name)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.inTx(ctx, func(tx *tx) error { return undoSearch(ctx, tx) }); err != nil {
			t.Fatal(err)
		}
		// A store of schema 8: five articles, four of them derived.
		var ids []int64
		for i := range 5 {
			a := gasArticle("https://www.isna.ir/news/140509050000"+string(rune('1'+i))+"/", time.Date(2026, 11, 20+i, 9, 0, 0, 0, tehran))
			if _, err := s.UpsertArticle(ctx, a, nil); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.ID)
			if i == 2 {
				continue
			}
			clean, err := jsonText(model.Clean{Lead: a.RawLead, Paragraphs: a.Raw[:1]})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.w.ExecContext(ctx, `UPDATE articles SET clean = ?, topics = '["energy"]', story = ? WHERE id = ?`,
				clean, "s-"+string(rune('a'+i)), a.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.migrate(ctx, ms); err != nil {
			t.Fatal(err)
		}
		want := []int64{ids[4], ids[3], ids[1], ids[0]}
		if got := found(t, s, "ترکیه", SearchQuery{Topic: "energy"}); !slices.Equal(got, want) {
			t.Errorf("after the migration %v are found, want the derived ones newest first, %v", got, want)
		}
	})
}

// TestSearchIndexCopyAndRebuild: a copied store has its own index, built
// in its own form; RebuildSearchIndex brings back a damaged one.
func TestSearchIndexCopyAndRebuild(t *testing.T) {
	ctx := t.Context()
	src, _ := openTest(t)
	var ids []int64
	for i, url := range []string{"https://www.isna.ir/news/1405090500001/", "https://www.isna.ir/news/1405090500002/"} {
		a := gasArticle(url, time.Date(2026, 11, 25, 9+i, 0, 0, 0, tehran))
		if _, err := src.UpsertArticle(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		derive(t, src, a, "s-1")
		ids = append(ids, a.ID)
	}
	want := []int64{ids[1], ids[0]}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dst, _ := openBackend(t, b.dsn(t))
			if _, err := Copy(ctx, dst, src, false); err != nil {
				t.Fatal(err)
			}
			if got := found(t, dst, "بازرگان", SearchQuery{}); !slices.Equal(got, want) {
				t.Errorf("the copy finds %v, want %v", got, want)
			}
			if _, err := dst.w.ExecContext(ctx, "DELETE FROM search_docs"); err != nil {
				t.Fatal(err)
			}
			if got := found(t, dst, "بازرگان", SearchQuery{}); got != nil {
				t.Fatalf("found %v in an emptied index", got)
			}
			n, err := dst.RebuildSearchIndex(ctx)
			if err != nil || n != 2 {
				t.Fatalf("RebuildSearchIndex = %d, %v; want 2 articles", n, err)
			}
			if got := found(t, dst, "بازرگان", SearchQuery{}); !slices.Equal(got, want) {
				t.Errorf("after the rebuild %v are found, want %v", got, want)
			}
		})
	}
}

// TestSearchIndexLimits: a word too long to be a word is left out, the
// rest of its paragraph is indexed, and hostile text stays words.
func TestSearchIndexLimits(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		a := gasArticle("https://www.isna.ir/news/1405090500001/", time.Date(2026, 11, 25, 9, 0, 0, 0, tehran))
		long := strings.Repeat("ب", MaxSearchWordRunes+1)
		a.Raw = []string{"پیش " + long + " پس", `NEAR("a" b) AND c* ^d {title}: e' OR '1'='1 \ پایان`}
		if _, err := s.UpsertArticle(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		derive(t, s, a, "s-1")
		for _, q := range []string{"پیش", "پس", "near", "title", "پایان"} {
			if got := found(t, s, q, SearchQuery{}); !slices.Equal(got, []int64{a.ID}) {
				t.Errorf("%q finds %v", q, got)
			}
		}
		if got := found(t, s, long, SearchQuery{}); got != nil {
			t.Errorf("the over-long word is found: %v", got)
		}

		// Ids with quotes and braces are filters like any other.
		odd := gasArticle("https://example.com/odd", time.Date(2026, 11, 25, 9, 0, 0, 0, tehran))
		odd.Outlet = `o'ut\let"`
		if _, err := s.UpsertArticle(ctx, odd, nil); err != nil {
			t.Fatal(err)
		}
		derive(t, s, odd, "s-2", `t"op{ic}:'`)
		if got := found(t, s, "ترکیه", SearchQuery{Outlet: odd.Outlet, Topic: `t"op{ic}:'`}); !slices.Equal(got, []int64{odd.ID}) {
			t.Errorf("the odd outlet and topic find %v, want %d", got, odd.ID)
		}
		if got := found(t, s, "ترکیه", SearchQuery{Outlet: "o'ut"}); got != nil {
			t.Errorf("a prefix of the outlet finds %v", got)
		}
	})
}

// TestSearchQueryRefused: a query the search package never makes is
// refused, not run.
func TestSearchQueryRefused(t *testing.T) {
	s, _ := openTest(t)
	for _, q := range []SearchQuery{
		{Limit: 1},
		{Include: []SearchTerm{{{"a"}}}},
		{Include: []SearchTerm{{}}, Limit: 1},
		{Include: []SearchTerm{{{}}}, Limit: 1},
		{Include: []SearchTerm{{{`a"b`}}}, Limit: 1},
		{Include: []SearchTerm{{{"a b"}}}, Limit: 1},
		{Include: []SearchTerm{{{"a"}}}, Articles: []int64{}, Limit: 1},
	} {
		if _, err := s.SearchMatches(t.Context(), q); err == nil {
			t.Errorf("SearchMatches(%+v) ran", q)
		}
	}
}

// TestSearchIndexMerge: the index, left in many segments by articles
// indexed one transaction at a time, merges into one in short steps;
// articles saved between the steps are written meanwhile, and every
// article is found as before.
func TestSearchIndexMerge(t *testing.T) {
	ctx := t.Context()
	s, _ := openTest(t)
	c := corpus.Generate(215, 1)
	save := func(i int) int64 {
		p := c.Text(i)
		a := &model.Article{URL: p.URL, Outlet: p.Outlet, Title: p.Title, RawLead: p.Lead, Published: p.Published.UTC(), Raw: p.Expected}
		if _, err := s.UpsertArticle(ctx, a, nil); err != nil {
			t.Error(err)
			return 0
		}
		if err := s.SaveDerived(ctx, []Derived{{ID: a.ID, Story: p.URL, Clean: model.Clean{Lead: p.Lead, Paragraphs: p.Expected}}}); err != nil {
			t.Error(err)
		}
		return a.ID
	}
	findsItself := func(when string, from, to int, ids []int64) {
		t.Helper()
		for i := from; i < to; i += 7 {
			var words []string // of the title, less its punctuation
			for _, w := range strings.Fields(c.Text(i).Title) {
				if len(persian.SearchWords(w)) > 0 {
					words = append(words, w)
				}
			}
			if got := found(t, s, strings.Join(words, " "), SearchQuery{}); !slices.Contains(got, ids[i]) {
				t.Errorf("%s, article %d is not found by its title %q (found %v)", when, ids[i], c.Text(i).Title, got)
			}
		}
	}
	ids := make([]int64, c.Len())
	for i := range 200 {
		ids[i] = save(i)
	}
	before, err := s.SearchIndexSegments(ctx)
	if err != nil || before < 2 {
		t.Fatalf("%d segments, %v, after 200 transactions; want several", before, err)
	}
	findsItself("before the merge", 0, 200, ids)

	merged := make(chan error, 1)
	var steps int
	go func() {
		var err error
		steps, err = s.mergeSearchIndex(ctx, 16, 0)
		merged <- err
	}()
	for i := 200; i < c.Len(); i++ {
		ids[i] = save(i)
	}
	if err := <-merged; err != nil {
		t.Fatal(err)
	}
	if steps < 2 {
		t.Errorf("the merge took %d steps of 16 pages, want several", steps)
	}
	if err := s.OptimizeSearchIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SearchIndexSegments(ctx); err != nil || n != 1 {
		t.Errorf("%d segments, %v, after the merge (from %d); want 1", n, err, before)
	}
	findsItself("after the merge", 0, 200, ids)
	findsItself("saved during the merge, after it", 200, c.Len(), ids)
	if steps, err := s.mergeSearchIndex(ctx, 16, 0); err != nil || steps != 0 {
		t.Errorf("merging a merged index took %d steps, %v; want none", steps, err)
	}
}
