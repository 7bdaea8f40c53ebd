package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"mediadigest/model"
	"mediadigest/persian"
)

// tehran is the zone of the outlets' visible dates (no DST since 2022).
var tehran = time.FixedZone("Asia/Tehran", 3*3600+1800)

// gasArticle is an ISNA article as the scrape stage hands it over.
func gasArticle(url string, published time.Time) *model.Article {
	return &model.Article{
		URL:       url,
		Outlet:    "isna",
		Title:     "افزایش صادرات گاز به ترکیه در پاییز ۱۴۰۵",
		Kicker:    "معاون وزیر نفت خبر داد",
		RawLead:   "معاون وزیر نفت از افزایش ۱۲ درصدی صادرات گاز به ترکیه در دو ماه نخست پاییز خبر داد.",
		Section:   "اقتصادی-نفت و انرژی",
		Tags:      []string{"گاز", "صادرات", "ترکیه"},
		Published: published,
		Raw: []string{
			"به گزارش ایسنا، معاون وزیر نفت در امور گاز روز چهارشنبه در نشست خبری گفت: صادرات گاز به ترکیه در مهر و آبان امسال ۱۲ درصد افزایش یافته است.",
			"بیشتر: قیمت جهانی نفت در کانال ۸۰ دلار",
			"وی افزود: با تکمیل خط لوله ششم سراسری، امکان انتقال روزانه ۳۰ میلیون مترمکعب گاز به مرز بازرگان فراهم شده است.",
			"انتهای پیام",
		},
	}
}

func TestUpsertArticleOutcomesAndTitleHistory(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		const url = "https://www.isna.ir/news/1405090503127/"
		published := time.Date(2026, 11, 26, 10, 12, 0, 0, tehran)
		firstSeen := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)

		edit := func(f func(*model.Article)) *model.Article {
			a := gasArticle(url, published)
			a.FirstSeen = firstSeen
			f(a)
			return a
		}
		retitled := func(a *model.Article) { a.Title = "صادرات گاز به ترکیه ۱۲ درصد بیشتر شد" }
		steps := []struct {
			name   string
			a      *model.Article
			want   Outcome
			titles int // length of the title history afterwards
		}{
			{"first crawl", edit(func(*model.Article) {}), OutcomeNew, 1},
			{"crawled again", edit(func(*model.Article) {}), OutcomeUnchanged, 1},
			{"title edited", edit(retitled), OutcomeUpdated, 2},
			{"same edit again", edit(retitled), OutcomeUnchanged, 2},
			{"paragraph edited", edit(func(a *model.Article) {
				retitled(a)
				a.Raw[2] += " این خط لوله تا پایان سال تکمیل می‌شود."
			}), OutcomeUpdated, 2},
			{"tags changed", edit(func(a *model.Article) {
				retitled(a)
				a.Raw[2] += " این خط لوله تا پایان سال تکمیل می‌شود."
				a.Tags = append(a.Tags, "وزارت نفت")
			}), OutcomeUpdated, 2},
			{"title reverted", edit(func(a *model.Article) {
				a.Raw[2] += " این خط لوله تا پایان سال تکمیل می‌شود."
				a.Tags = append(a.Tags, "وزارت نفت")
			}), OutcomeUpdated, 3},
			{"published corrected", edit(func(a *model.Article) {
				a.Raw[2] += " این خط لوله تا پایان سال تکمیل می‌شود."
				a.Tags = append(a.Tags, "وزارت نفت")
				a.Published = published.Add(-time.Hour)
			}), OutcomeUpdated, 3},
		}
		var id int64
		for _, st := range steps {
			clock.advance(20 * time.Minute)
			got, err := s.UpsertArticle(ctx, st.a, nil)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if got != st.want {
				t.Errorf("%s: outcome %s, want %s", st.name, got, st.want)
			}
			if id == 0 {
				id = st.a.ID
			}
			if st.a.ID != id || !st.a.FirstSeen.Equal(firstSeen) {
				t.Errorf("%s: ID %d FirstSeen %v, want the first crawl's %d %v", st.name, st.a.ID, st.a.FirstSeen, id, firstSeen)
			}
			stored, err := s.Article(ctx, url)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if stored.Title != st.a.Title || !slices.Equal(stored.Raw, st.a.Raw) || !slices.Equal(stored.Tags, st.a.Tags) ||
				!stored.Published.Equal(st.a.Published) || stored.RawLead != st.a.RawLead || stored.Kicker != st.a.Kicker {
				t.Errorf("%s: stored %+v, want %+v", st.name, stored, st.a)
			}
			titles, err := s.TitleHistory(ctx, url)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if len(titles) != st.titles || titles[len(titles)-1] != st.a.Title {
				t.Errorf("%s: title history %q, want %d titles ending with %q", st.name, titles, st.titles, st.a.Title)
			}
			edited, err := s.EditedTitles(ctx)
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			wantEdited := map[int64][]string{}
			if len(titles) > 1 {
				wantEdited[id] = titles
			}
			if !maps.EqualFunc(edited, wantEdited, slices.Equal) {
				t.Errorf("%s: edited titles %v, want %v (the history, once it has two titles)", st.name, edited, wantEdited)
			}
		}
		if n, err := s.CountArticles(ctx); err != nil || n != 1 {
			t.Errorf("CountArticles = %d, %v; want 1", n, err)
		}
	})
}

func TestUpsertKeepsRawTextExactly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		a := gasArticle("https://eghtesaad24.ir/fa/news/301245/", time.Date(2026, 11, 26, 5, 15, 0, 0, time.UTC))
		a.Outlet = "eghtesad24"
		a.Raw = []string{
			"اقتصاد۲۴- قیمت‌ها در بازار <طلا> & سکه",       // ZWNJ and HTML-special characters
			"  فاصله‌های اضافه  ",                          // spaces the clean view trims
			"رئيس جمهور \u200fبا علامت جهت\u200e و ي عربی", // not yet normalised letters and bidi marks
			"", // an empty paragraph
			"منبع: ایسنا",
		}
		if _, err := s.UpsertArticle(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.Article(ctx, a.URL)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Raw, a.Raw) {
			t.Errorf("raw paragraphs changed in the store:\n got %q\nwant %q", got.Raw, a.Raw)
		}
	})
}

func TestUpsertRejectsIncompleteArticles(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		published := time.Date(2026, 11, 26, 5, 15, 0, 0, time.UTC)
		tests := []struct {
			name  string
			spoil func(*model.Article)
		}{
			{"no URL", func(a *model.Article) { a.URL = "" }},
			{"no outlet", func(a *model.Article) { a.Outlet = "" }},
			{"no published time", func(a *model.Article) { a.Published = time.Time{} }},
			{"invalid UTF-8 paragraph", func(a *model.Article) { a.Raw[1] = "گاز \xff\xfe" }},
			{"invalid UTF-8 tag", func(a *model.Article) { a.Tags[0] = "\xc3" }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := gasArticle("https://www.isna.ir/news/1405090503127/", published)
				tt.spoil(a)
				if _, err := s.UpsertArticle(t.Context(), a, nil); err == nil {
					t.Error("UpsertArticle succeeded")
				}
			})
		}
		if n, err := s.CountArticles(t.Context()); err != nil || n != 0 {
			t.Errorf("CountArticles = %d, %v; want 0", n, err)
		}
	})
}

func TestArticleNotFound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		const url = "https://www.isna.ir/news/1405090500000/"
		if _, err := s.Article(ctx, url); !errors.Is(err, ErrNotFound) {
			t.Errorf("Article = %v, want ErrNotFound", err)
		}
		if _, err := s.TitleHistory(ctx, url); !errors.Is(err, ErrNotFound) {
			t.Errorf("TitleHistory = %v, want ErrNotFound", err)
		}
		if has, err := s.HasArticle(ctx, url); err != nil || has {
			t.Errorf("HasArticle = %v, %v; want false", has, err)
		}
		if _, err := s.UpsertArticle(ctx, gasArticle(url, time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)), nil); err != nil {
			t.Fatal(err)
		}
		if has, err := s.HasArticle(ctx, url); err != nil || !has {
			t.Errorf("HasArticle after upsert = %v, %v; want true", has, err)
		}
	})
}

func TestArticlesWindow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		// The Tehran day 1405/09/05 is [2026-11-25T20:30Z, 2026-11-26T20:30Z).
		dayStart := time.Date(2026, 11, 26, 0, 0, 0, 0, tehran)
		dayEnd := dayStart.AddDate(0, 0, 1)
		stored := []struct {
			url, outlet string
			published   time.Time
		}{
			{"https://www.isna.ir/news/1405090401001/", "isna", dayStart.Add(-time.Nanosecond)},
			{"https://www.isna.ir/news/1405090501002/", "isna", dayStart},
			{"https://eghtesaad24.ir/fa/news/301200/", "eghtesad24", dayStart.Add(9 * time.Hour)},
			{"https://www.isna.ir/news/1405090501003/", "isna", dayStart.Add(9 * time.Hour)}, // same time: URL order
			{"https://www.isna.ir/news/1405090501004/", "isna", dayEnd.Add(-time.Nanosecond)},
			{"https://www.isna.ir/news/1405090601005/", "isna", dayEnd},
		}
		for _, st := range stored {
			a := gasArticle(st.url, st.published)
			a.Outlet = st.outlet
			if _, err := s.UpsertArticle(ctx, a, nil); err != nil {
				t.Fatal(err)
			}
		}
		urls := func(idx ...int) []string {
			var out []string
			for _, i := range idx {
				out = append(out, stored[i].url)
			}
			return out
		}
		tests := []struct {
			name string
			q    ArticleQuery
			want []string
		}{
			{"everything", ArticleQuery{}, urls(0, 1, 2, 3, 4, 5)},
			{"one day", ArticleQuery{Since: dayStart, Until: dayEnd}, urls(1, 2, 3, 4)},
			{"one day in UTC terms", ArticleQuery{Since: dayStart.UTC(), Until: dayEnd.UTC()}, urls(1, 2, 3, 4)},
			{"since only", ArticleQuery{Since: dayEnd}, urls(5)},
			{"until only", ArticleQuery{Until: dayStart}, urls(0)},
			{"one outlet", ArticleQuery{Outlet: "eghtesad24"}, urls(2)},
			{"outlet and day", ArticleQuery{Outlet: "isna", Since: dayStart, Until: dayEnd}, urls(1, 3, 4)},
			{"limit", ArticleQuery{Since: dayStart, Limit: 2}, urls(1, 2)},
			{"empty window", ArticleQuery{Since: dayEnd, Until: dayStart}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				as, err := s.Articles(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, a := range as {
					got = append(got, a.URL)
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("got  %q\nwant %q", got, tt.want)
				}
			})
		}
	})
}

func TestSaveDerived(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		published := time.Date(2026, 11, 26, 6, 42, 0, 0, time.UTC)
		a := gasArticle("https://www.isna.ir/news/1405090503127/", published)
		b := gasArticle("https://eghtesaad24.ir/fa/news/301245/", published.Add(time.Hour))
		b.Outlet = "eghtesad24"
		for _, x := range []*model.Article{a, b} {
			if _, err := s.UpsertArticle(ctx, x, nil); err != nil {
				t.Fatal(err)
			}
		}
		derived := map[int64]Derived{
			a.ID: {ID: a.ID, Topics: []string{"energy"}, Story: "s-1", Clean: model.Clean{
				Paragraphs: []string{a.Raw[0], a.Raw[2]},
				Removed: []model.Removed{
					{Text: a.Raw[1], Reason: model.ReasonPromo},
					{Text: a.Raw[3], Reason: model.ReasonMarker},
				},
			}},
			b.ID: {ID: b.ID, Topics: []string{"energy", "trade"}, Story: "s-1", Clean: model.Clean{
				Source:     "ایسنا",
				Paragraphs: []string{b.Raw[0], b.Raw[2]},
				Removed:    []model.Removed{{Text: "منبع: ایسنا", Reason: model.ReasonAttribution}},
			}},
		}
		if err := s.SaveDerived(ctx, []Derived{derived[a.ID], derived[b.ID]}); err != nil {
			t.Fatal(err)
		}
		// Re-crawling an unchanged or edited article must keep the derived view.
		a.Title += " (به‌روز شد)"
		if out, err := s.UpsertArticle(ctx, a, nil); err != nil || out != OutcomeUpdated {
			t.Fatalf("UpsertArticle = %s, %v", out, err)
		}

		as, err := s.Articles(ctx, ArticleQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 2 {
			t.Fatalf("got %d articles, want 2", len(as))
		}
		for _, got := range as {
			want := derived[got.ID]
			if !equalClean(got.Clean, want.Clean) || !slices.Equal(got.Topics, want.Topics) || got.Story != want.Story {
				t.Errorf("article %d: derived view %+v %q %q, want %+v %q %q",
					got.ID, got.Clean, got.Topics, got.Story, want.Clean, want.Topics, want.Story)
			}
		}

		// One unknown id fails the whole batch.
		err = s.SaveDerived(ctx, []Derived{{ID: a.ID, Story: "s-2"}, {ID: 9999, Story: "s-2"}})
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("SaveDerived with an unknown id = %v, want ErrNotFound", err)
		}
		if got, err := s.Article(ctx, a.URL); err != nil || got.Story != "s-1" {
			t.Errorf("after the failed batch story = %q, %v; want s-1 kept", got.Story, err)
		}
	})
}

func equalClean(a, b model.Clean) bool {
	return a.Source == b.Source && slices.Equal(a.Paragraphs, b.Paragraphs) && slices.Equal(a.Removed, b.Removed)
}

func TestNewArticleHasEmptyDerivedView(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		a := gasArticle("https://www.isna.ir/news/1405090503127/", time.Date(2026, 11, 26, 6, 42, 0, 0, time.UTC))
		if _, err := s.UpsertArticle(t.Context(), a, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.Article(t.Context(), a.URL)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Paragraphs) != 0 || len(got.Removed) != 0 || len(got.Topics) != 0 || got.Story != "" {
			t.Errorf("derived view of a new article: %+v %q %q, want empty", got.Clean, got.Topics, got.Story)
		}
	})
}

func TestKeyOccurrences(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		day := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
		const promo = "بیشترازاقتصاد۲۴رادرکانالتلگرامبخوانید"
		upsert := func(url, outlet string, published time.Time, keys ...string) {
			t.Helper()
			a := gasArticle(url, published)
			a.Outlet = outlet
			if _, err := s.UpsertArticle(ctx, a, keys); err != nil {
				t.Fatal(err)
			}
		}
		upsert("https://eghtesaad24.ir/fa/news/1/", "eghtesad24", day, promo, "پاراگرافیک", promo) // twice in one article
		upsert("https://eghtesaad24.ir/fa/news/2/", "eghtesad24", day.Add(time.Hour), promo, "پاراگرافدو")
		upsert("https://eghtesaad24.ir/fa/news/3/", "eghtesad24", day.Add(2*time.Hour), "پاراگرافیک", promo, "")
		upsert("https://www.isna.ir/news/1405090401001/", "isna", day, promo) // another outlet

		want := map[string][]time.Time{
			promo:        {day, day.Add(time.Hour), day.Add(2 * time.Hour)},
			"پاراگرافیک": {day, day.Add(2 * time.Hour)},
		}
		check := func(name string) {
			t.Helper()
			got, err := s.KeyOccurrences(ctx, "eghtesad24")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("%s: keys %v, want %v", name, got, want)
			}
			for k, w := range want {
				u := got[persian.KeyHash(k)]
				if !slices.EqualFunc(u.Published, w, time.Time.Equal) || u.Runes != utf8.RuneCountInString(k) {
					t.Errorf("%s: key %s: %d runes at %v, want %d at %v", name, k, u.Runes, u.Published, utf8.RuneCountInString(k), w)
				}
			}
		}
		check("first crawl")

		// A corrected date moves the article's keys with it.
		upsert("https://eghtesaad24.ir/fa/news/2/", "eghtesad24", day.Add(3*time.Hour), promo, "پاراگرافدو")
		want[promo] = []time.Time{day, day.Add(2 * time.Hour), day.Add(3 * time.Hour)}
		check("date corrected")

		// OutcomeNew keys for an unchanged article (better normalisation) replace the old.
		upsert("https://eghtesaad24.ir/fa/news/3/", "eghtesad24", day.Add(2*time.Hour), "پاراگرافدو", promo)
		want["پاراگرافدو"] = []time.Time{day.Add(2 * time.Hour), day.Add(3 * time.Hour)}
		delete(want, "پاراگرافیک")
		check("keys recomputed")

		if got, err := s.KeyOccurrences(ctx, "isna"); err != nil || len(got) != 0 {
			t.Errorf("isna keys = %v, %v; want none (each key is in one article only)", got, err)
		}
	})
}

// TestManyKeys: an article of more paragraphs than one insert statement
// takes keeps every key.
func TestManyKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		day := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
		keys := make([]string, 2*keysPerInsert+7)
		for i := range keys {
			keys[i] = fmt.Sprintf("پاراگراف%d", i)
		}
		for i, url := range []string{"https://eghtesaad24.ir/fa/news/1/", "https://eghtesaad24.ir/fa/news/2/"} {
			a := gasArticle(url, day.Add(time.Duration(i)*time.Hour))
			a.Outlet = "eghtesad24"
			if _, err := s.UpsertArticle(ctx, a, keys); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.KeyOccurrences(ctx, "eghtesad24")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(keys) {
			t.Errorf("%d keys shared by the two articles, want %d", len(got), len(keys))
		}
	})
}

func TestForEachArticleCallbackMayWrite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		start := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
		for i := range 50 {
			a := gasArticle(fmt.Sprintf("https://www.isna.ir/news/14050905%05d/", i), start.Add(time.Duration(i)*time.Minute))
			if _, err := s.UpsertArticle(ctx, a, nil); err != nil {
				t.Fatal(err)
			}
		}
		seen := 0
		err := s.ForEachArticle(ctx, ArticleQuery{Outlet: "isna"}, func(a *model.Article) error {
			seen++
			return s.SaveDerived(ctx, []Derived{{ID: a.ID, Story: a.URL, Clean: model.Clean{Paragraphs: a.Raw}}})
		})
		if err != nil {
			t.Fatal(err)
		}
		as, err := s.Articles(ctx, ArticleQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if a.Story != a.URL || !slices.Equal(a.Paragraphs, a.Raw) {
				t.Errorf("article %s: story %q, paragraphs %d; the write in the callback was lost", a.URL, a.Story, len(a.Paragraphs))
			}
		}
		if seen != 50 || len(as) != 50 {
			t.Errorf("walked %d articles, listed %d; want 50", seen, len(as))
		}

		stop := errors.New("stop")
		seen = 0
		err = s.ForEachArticle(ctx, ArticleQuery{}, func(*model.Article) error {
			seen++
			return stop
		})
		if err != stop || seen != 1 {
			t.Errorf("ForEachArticle with a failing callback = %v after %d calls, want stop after 1", err, seen)
		}
	})
}

func TestConcurrentUpserts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		const workers, each, stride = 8, 200, 100 // worker w upserts URLs [w*100, w*100+200)
		published := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
		var mu sync.Mutex
		outcomes := map[Outcome]int{}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					n := w*stride + i
					a := gasArticle(fmt.Sprintf("https://www.isna.ir/news/14050905%05d/", n), published.Add(time.Duration(n)*time.Second))
					out, err := s.UpsertArticle(ctx, a, []string{fmt.Sprintf("key%d", n%10), "انتهای پیام"})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					outcomes[out]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		const distinct = (workers-1)*stride + each
		if n, err := s.CountArticles(ctx); err != nil || n != distinct {
			t.Errorf("CountArticles = %d, %v; want %d", n, err, distinct)
		}
		if outcomes[OutcomeNew] != distinct || outcomes[OutcomeUnchanged] != workers*each-distinct || outcomes[OutcomeUpdated] != 0 {
			t.Errorf("outcomes %v, want %d new and %d unchanged", outcomes, distinct, workers*each-distinct)
		}
		if err := s.IntegrityCheck(ctx); err != nil {
			t.Error(err)
		}
	})
}

func BenchmarkUpsertArticle(b *testing.B) {
	s, _ := openTest(b)
	ctx := b.Context()
	published := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	template := gasArticle("", published)
	for len(template.Raw) < 15 {
		template.Raw = append(template.Raw, template.Raw[0]+fmt.Sprint(len(template.Raw)))
	}
	keys := slices.Clone(template.Raw)

	b.Run("new", func(b *testing.B) {
		i := 0
		for b.Loop() {
			a := *template
			a.URL = fmt.Sprintf("https://www.isna.ir/news/new/%d/", i)
			i++
			if _, err := s.UpsertArticle(ctx, &a, keys); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		a := *template
		a.URL = "https://www.isna.ir/news/same/"
		for b.Loop() {
			if _, err := s.UpsertArticle(ctx, &a, keys); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestChanges: new articles, underived ones and edits since a time.
func TestChanges(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, clock *fakeClock) {
		ctx := t.Context()
		day := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
		old := gasArticle("https://www.isna.ir/news/1/", day)
		if _, err := s.UpsertArticle(ctx, old, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveDerived(ctx, []Derived{{ID: old.ID, Story: "s1"}}); err != nil {
			t.Fatal(err)
		}
		clock.advance(time.Hour)
		since := clock.now()
		if ch, err := s.Changes(ctx, since); err != nil || ch.Found {
			t.Errorf("Changes with nothing new = %+v, %v; want none", ch, err)
		}
		clock.advance(time.Minute)
		fresh := gasArticle("https://www.isna.ir/news/2/", day.Add(2*time.Hour))
		if _, err := s.UpsertArticle(ctx, fresh, nil); err != nil {
			t.Fatal(err)
		}
		if ch, err := s.Changes(ctx, since); err != nil || !ch.Found || !ch.Earliest.Equal(fresh.Published) || ch.Updated {
			t.Errorf("Changes after a new article = %+v, %v; want it, not an edit", ch, err)
		}
		// Never derived counts whenever it was stored.
		if ch, err := s.Changes(ctx, clock.now().Add(time.Hour)); err != nil || !ch.Found || !ch.Earliest.Equal(fresh.Published) {
			t.Errorf("Changes after the new one, underived = %+v, %v; want it", ch, err)
		}
		clock.advance(time.Minute)
		old.Title += " (ویرایش)"
		if _, err := s.UpsertArticle(ctx, old, nil); err != nil {
			t.Fatal(err)
		}
		if ch, err := s.Changes(ctx, since); err != nil || !ch.Found || !ch.Earliest.Equal(day) || !ch.Updated {
			t.Errorf("Changes after an edit = %+v, %v; want the edited article, as an edit", ch, err)
		}
	})
}
