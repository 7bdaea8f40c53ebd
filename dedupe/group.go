package dedupe

import (
	"cmp"
	"slices"

	"mediadigest/model"
)

// Group assigns the articles to stories and sets Article.Story on each. The
// articles are added to an Index in order of published time, then URL, so
// the result depends only on the set of articles, not on their order: a
// story is named after its earliest article.
//
// A story's headline is the article of the outlet its copies name as their
// source (Article.Source), the earliest of that outlet; when the copies name
// several outlets of the story, the one named most; when none, the earliest
// article. Also holds the other articles, earliest first. Stories come in the
// order of their earliest articles. The text compared is the lead and the
// clean view.
func Group(articles []model.Article, o IndexOptions) []model.Story {
	order := make([]int, len(articles))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &articles[i], &articles[j]
		return cmp.Or(a.Published.Compare(b.Published), cmp.Compare(a.URL, b.URL))
	})
	ix := NewIndex(o)
	members := make(map[string][]int)
	var ids []string
	for _, i := range order {
		a := &articles[i]
		id := ix.Add(Doc{ID: a.URL, Published: a.Published, Paragraphs: DocText(a)})
		a.Story = id
		if members[id] == nil {
			ids = append(ids, id)
		}
		members[id] = append(members[id], i)
	}
	stories := make([]model.Story, 0, len(ids))
	for _, id := range ids {
		m := members[id]
		h := headline(articles, m)
		s := model.Story{ID: id, Headline: articles[m[h]]}
		for k, i := range m {
			if k != h {
				s.Also = append(s.Also, articles[i])
			}
		}
		stories = append(stories, s)
	}
	return stories
}

// DocText is the text of an article that stories compare: the lead and
// the clean view.
func DocText(a *model.Article) []string {
	if a.Lead == "" {
		return a.Paragraphs
	}
	return append([]string{a.Lead}, a.Paragraphs...)
}

// headline returns the position in members (earliest first) of the story's
// headline article.
func headline(articles []model.Article, members []int) int {
	named := make(map[string]int)
	for _, i := range members {
		if a := &articles[i]; a.Source != "" && a.Source != a.Outlet {
			named[a.Source]++
		}
	}
	best := 0
	for k, i := range members {
		if named[articles[i].Outlet] > named[articles[members[best]].Outlet] {
			best = k
		}
	}
	return best
}
