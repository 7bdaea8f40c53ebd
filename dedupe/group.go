package dedupe

import (
	"mediadigest/model"
)

// DocText is the text of an article that stories compare: the lead and
// the clean view.
func DocText(a *model.Article) []string {
	if a.RawLead == "" {
		return a.Paragraphs
	}
	return append([]string{a.RawLead}, a.Paragraphs...)
}

// Headline returns the index, in a story's articles (earliest first), of
// the article shown for the story: the earliest of the outlet its copies
// name as source most often, else the earliest article.
func Headline(story []model.Article) int {
	members := make([]int, len(story))
	for i := range members {
		members[i] = i
	}
	return headlineOf(story, members)
}

// SoleStory is the story id of an article grouped with no other: the id
// the derived-views pass gives it while no copy joins it. A story read
// before the pass has run on its article uses it.
func SoleStory(url string) string { return storyName(storyHash(url)) }

// headlineOf returns the position in members (earliest first) of the
// story's headline article.
func headlineOf(articles []model.Article, members []int) int {
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
