// Package stories reads the stories the derived-views pass stored: the
// articles that share one story id, with the topics ranked for them. It is
// the one source of stories for every output — digests, /preview, the
// desk, export — so they all agree on which articles form a story and
// under which topic (docs/architecture.md).
package stories

import (
	"context"
	"fmt"
	"time"

	"mediadigest/dedupe"
	"mediadigest/model"
	"mediadigest/store"
)

// Store is what the reader needs of the store: *store.Store implements it.
type Store interface {
	ForEachArticle(ctx context.Context, q store.ArticleQuery, fn func(*model.Article) error) error
}

// Reader reads stored stories. It is safe for concurrent use.
type Reader struct {
	st     Store
	window time.Duration // cleaning.story_window: how far apart a story's articles may be
}

// New returns a reader of st's stories, whose articles lie within window
// of the story's first one (the config's cleaning.story_window).
func New(st Store, window time.Duration) *Reader {
	return &Reader{st: st, window: window}
}

// Window returns the stories win holds (model.Window.Holds): on a published
// basis those whose headline was published in it, on an arrival basis
// those that arrived in it, seeing only the articles first seen before its
// end, so that a digest rendered again (a retry) holds what it held when
// it was due. Paid content (Clean.Sponsored) is stored and exported, never
// part of a story shown as news. Stories come in the order of their first
// article.
func (r *Reader) Window(ctx context.Context, win model.Window) ([]model.Story, error) {
	// Every article of a story lies within the story window of its first
	// one, so this range holds every story whose headline is in win, and
	// every story with an article that arrived in it.
	since := win.From.Add(-r.window)
	if win.Basis == model.ByArrival {
		since = since.Add(-model.LateArrival)
	}
	groups := map[string][]model.Article{}
	var order []string
	err := r.st.ForEachArticle(ctx, store.ArticleQuery{Since: since, Until: win.To, NoRaw: true}, func(a *model.Article) error {
		if a.Sponsored || win.Basis == model.ByArrival && !a.FirstSeen.Before(win.To) {
			return nil
		}
		id := storyID(a)
		if _, ok := groups[id]; !ok {
			order = append(order, id)
		}
		groups[id] = append(groups[id], *a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stories: %w", err)
	}
	var out []model.Story
	for _, id := range order {
		if s := build(id, groups[id]); win.Holds(s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// Story returns the story with that id, every article of it included (paid
// copies too: the desk shows what was published), or store.ErrNotFound.
func (r *Reader) Story(ctx context.Context, id string) (model.Story, error) {
	var articles []model.Article
	err := r.st.ForEachArticle(ctx, store.ArticleQuery{Story: id}, func(a *model.Article) error {
		articles = append(articles, *a)
		return nil
	})
	if err != nil {
		return model.Story{}, fmt.Errorf("stories: story %s: %w", id, err)
	}
	if len(articles) == 0 {
		return model.Story{}, fmt.Errorf("stories: story %s: %w", id, store.ErrNotFound)
	}
	return build(id, articles), nil
}

// storyID is an article's stored story, or for an article the pass has not
// reached yet, the story it has alone until a copy joins it: a digest due
// before the pass still shows it.
func storyID(a *model.Article) string {
	if a.Story != "" {
		return a.Story
	}
	return dedupe.SoleStory(a.URL)
}

// build makes the story of its articles, earliest first.
func build(id string, articles []model.Article) model.Story {
	h := dedupe.Headline(articles)
	s := model.Story{ID: id, Headline: articles[h], Topics: articles[h].Topics, Arrived: articles[0].Arrival()}
	for i, a := range articles {
		if t := a.Arrival(); t.Before(s.Arrived) {
			s.Arrived = t
		}
		if i != h {
			s.Also = append(s.Also, a)
		}
	}
	return s
}
