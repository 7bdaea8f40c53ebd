package dedupe

import (
	"cmp"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"mediadigest/model"
)

// storyURLs is a story as URLs: the headline first, then the others.
func storyURLs(s model.Story) []string {
	urls := []string{s.Headline.URL}
	for _, a := range s.Also {
		urls = append(urls, a.URL)
	}
	return urls
}

// sampleDay returns articles of two outlets over two days: ISNA reports,
// Eghtesad24 copies (one of them the real sample, naming ISNA as source),
// and Eghtesad24's own report on the same subject as an ISNA one.
func sampleDay(t *testing.T) []model.Article {
	data, err := os.ReadFile("testdata/eghtesad24-article.txt")
	if err != nil {
		t.Fatal(err)
	}
	sample := Clean(strings.Split(strings.TrimSpace(string(data)), "\n"), eghtesad24Rules, nil)
	isna := func(id string, h float64, name string) model.Article {
		return model.Article{URL: "https://www.isna.ir/news/" + id, Outlet: "isna", Published: at(h), Clean: model.Clean{Paragraphs: text(t, name)}}
	}
	eg := func(id string, h float64, c model.Clean) model.Article {
		return model.Article{URL: "https://eghtesaad24.ir/fa/news/" + id, Outlet: "eghtesad24", Published: at(h), Clean: c}
	}
	return []model.Article{
		isna("1405090400101", 0, "azerbaijan-1"),
		eg("311001", 2, sample),
		isna("1405090400102", 1, "dollar-1"),
		eg("311002", 0.5, model.Clean{Source: "isna", Paragraphs: text(t, "dollar-1")[:3]}),
		eg("311003", 3, model.Clean{Paragraphs: text(t, "dollar-2")}),
		isna("1405090500103", 20, "bourse-1"),
		isna("1405090500104", 20, "bourse-2"),
	}
}

func TestGroup(t *testing.T) {
	articles := sampleDay(t)
	stories := Group(articles, IndexOptions{})
	var got [][]string
	for _, s := range stories {
		got = append(got, storyURLs(s))
	}
	want := [][]string{
		{"https://www.isna.ir/news/1405090400101", "https://eghtesaad24.ir/fa/news/311001"},
		// Eghtesad24 published its copy first, yet names ISNA as source.
		{"https://www.isna.ir/news/1405090400102", "https://eghtesaad24.ir/fa/news/311002"},
		{"https://eghtesaad24.ir/fa/news/311003"},
		{"https://www.isna.ir/news/1405090500103"},
		{"https://www.isna.ir/news/1405090500104"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stories:\n%q\nwant\n%q", got, want)
	}
	// The dollar story is named after its earliest article, the copy.
	if id := stories[1].ID; id != storyName(storyHash("https://eghtesaad24.ir/fa/news/311002")) {
		t.Errorf("dollar story id %s, want the one of its earliest article", id)
	}
	for _, s := range stories {
		for _, a := range append([]model.Article{s.Headline}, s.Also...) {
			if a.Story != s.ID {
				t.Errorf("%s: Story %q in story %s", a.URL, a.Story, s.ID)
			}
		}
	}
	for _, a := range articles {
		if a.Story == "" {
			t.Errorf("%s: Story not set", a.URL)
		}
	}
}

func TestGroupDeterministic(t *testing.T) {
	want := Group(sampleDay(t), IndexOptions{})
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10 {
		articles := sampleDay(t)
		rng.Shuffle(len(articles), func(i, j int) { articles[i], articles[j] = articles[j], articles[i] })
		if got := Group(articles, IndexOptions{}); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffled input gave other stories:\n%v\nwant\n%v", got, want)
		}
	}
}

func TestGroupHeadline(t *testing.T) {
	ps := text(t, "tavarom-1")
	art := func(url, outlet, source string, h float64) model.Article {
		return model.Article{URL: url, Outlet: outlet, Published: at(h), Clean: model.Clean{Source: source, Paragraphs: ps}}
	}
	tests := []struct {
		name     string
		articles []model.Article
		want     string
	}{
		{"no source: the earliest", []model.Article{art("b", "isna", "", 2), art("a", "eghtesad24", "", 1)}, "a"},
		{"the source, though later", []model.Article{art("a", "eghtesad24", "isna", 1), art("b", "isna", "", 2)}, "b"},
		{"the earliest article of the source outlet", []model.Article{art("c", "isna", "", 3), art("a", "eghtesad24", "isna", 1), art("b", "isna", "", 2)}, "b"},
		{"the outlet named most", []model.Article{art("a", "x", "isna", 1), art("b", "isna", "x", 2), art("c", "y", "x", 3), art("d", "z", "", 4)}, "a"},
		{"a source that published no copy", []model.Article{art("a", "eghtesad24", "mehr", 1), art("b", "isna", "", 2)}, "a"},
		{"an outlet naming itself", []model.Article{art("a", "isna", "", 1), art("b", "eghtesad24", "eghtesad24", 2)}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stories := Group(tt.articles, IndexOptions{})
			if len(stories) != 1 {
				t.Fatalf("%d stories, want 1", len(stories))
			}
			if got := stories[0].Headline.URL; got != tt.want {
				t.Errorf("headline %s, want %s", got, tt.want)
			}
		})
	}
}

func TestGroupWindow(t *testing.T) {
	ps := text(t, "futbal-1")
	articles := []model.Article{
		{URL: "a", Outlet: "isna", Published: at(0), Clean: model.Clean{Paragraphs: ps}},
		{URL: "b", Outlet: "eghtesad24", Published: at(0).Add(72*time.Hour + time.Minute), Clean: model.Clean{Paragraphs: ps}},
		{URL: "c", Outlet: "eghtesad24", Published: at(0).Add(72 * time.Hour), Clean: model.Clean{Paragraphs: ps}},
	}
	var got [][]string
	for _, s := range Group(articles, IndexOptions{}) {
		got = append(got, storyURLs(s))
	}
	if want := [][]string{{"a", "c"}, {"b"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("stories %q, want %q", got, want)
	}
}

func TestGroupUsesLead(t *testing.T) {
	// Two short copies that only their leads make long enough to compare.
	lead := text(t, "benzin-1")[0]
	body := []string{"سهمیه بنزین آذرماه واریز شد."}
	articles := []model.Article{
		{URL: "a", Outlet: "isna", Published: at(0), RawLead: lead, Clean: model.Clean{Paragraphs: body}},
		{URL: "b", Outlet: "eghtesad24", Published: at(1), RawLead: lead, Clean: model.Clean{Paragraphs: body}},
	}
	if stories := Group(articles, IndexOptions{}); len(stories) != 1 || !slices.Equal(storyURLs(stories[0]), []string{"a", "b"}) {
		t.Errorf("got %d stories, want the two articles in one", len(stories))
	}
}

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
		h := headlineOf(articles, m)
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
