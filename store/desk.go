package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"mediadigest/model"
)

// The desk's reads (docs/desk.md): a day's stories whole, the stories
// begun each day by topic, one article by its id, the edited titles of a
// story. Each reads what one page shows, never the whole store.

// ForEachStoryArticle calls fn for every article of the stories that have
// an article published in [since, until): each such story's articles
// published before until, however long before since, and the articles of
// the range the derived-views pass has not reached yet (no story). They
// come in published order, then URL, with their clean view, topics and
// story; Raw is left empty. The stories of a day read this way are whole,
// as stories.Reader.Window reads them from the whole story window before
// the day, at the cost of the day's stories alone.
func (s *Store) ForEachStoryArticle(ctx context.Context, since, until time.Time, fn func(*model.Article) error) error {
	lean := strings.Replace(articleSelect, "a.raw,", "'[]',", 1)
	query := lean + ` WHERE a.story IN (SELECT story FROM articles WHERE published >= ? AND published < ? AND story <> '')
			AND a.published < ?
		UNION ALL ` + lean + ` WHERE a.clean IS NULL AND a.published >= ? AND a.published < ?
		ORDER BY published, url`
	from, to := fmtTime(since), fmtTime(until)
	rows, err := s.r.QueryContext(ctx, query, from, to, to, from, to)
	if err != nil {
		return fmt.Errorf("store: stories of %s–%s: %w", from, to, err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return fmt.Errorf("store: stories of %s–%s: %w", from, to, err)
		}
		if err := fn(a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: stories of %s–%s: %w", from, to, err)
	}
	return nil
}

// DayCount is how many stories began on one day with one list of topics.
type DayCount struct {
	Day     int      // the day's index among the days counted
	Topics  []string // the topics of the stories' first article, best first
	Stories int
}

// StoryDays counts the stories begun on each of the days that bounds
// delimit, day i being [bounds[i], bounds[i+1]): each story once, on the
// day of its first article that is not paid content, under the topics of
// that article. Articles are read from lookback before the first day (the
// story window), so that a story begun before it is not counted again on
// the day a copy of it came out. Articles the derived-views pass has not
// reached yet are not counted.
//
// It reads the index articles_days alone (migration 0008), never the
// articles' rows, which carry their raw paragraphs and clean view: 20,000
// articles are counted in about 30 ms (BENCHMARKS.md). The counts come by
// day, then by topic list.
func (s *Store) StoryDays(ctx context.Context, bounds []time.Time, lookback time.Duration) ([]DayCount, error) {
	if len(bounds) < 2 {
		return nil, nil
	}
	edges := make([]string, len(bounds))
	for i, b := range bounds {
		edges[i] = fmtTime(b)
	}
	if !sort.StringsAreSorted(edges) {
		return nil, fmt.Errorf("store: stories by day: the days' bounds are out of order")
	}
	rows, err := s.r.QueryContext(ctx, `SELECT a.published, a.story, a.topics FROM articles a
		WHERE a.published >= ? AND a.published < ? AND `+s.d.dayStory+`
		ORDER BY a.published, a.story, a.topics`, fmtTime(bounds[0].Add(-lookback)), edges[len(edges)-1])
	if err != nil {
		return nil, fmt.Errorf("store: stories by day: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	counts := make([]map[string]int, len(bounds)-1) // by day, by topics as stored
	var published, story, topics sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&published, &story, &topics); err != nil {
			return nil, fmt.Errorf("store: stories by day: %w", err)
		}
		if seen[string(story)] {
			continue
		}
		seen[string(story)] = true
		if string(published) < edges[0] {
			continue // begun before the first day
		}
		day := sort.Search(len(edges)-1, func(i int) bool { return string(published) < edges[i+1] })
		if counts[day] == nil {
			counts[day] = map[string]int{}
		}
		counts[day][string(topics)]++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: stories by day: %w", err)
	}
	var out []DayCount
	lists := map[string][]string{}
	for day, byTopics := range counts {
		for _, text := range slices.Sorted(maps.Keys(byTopics)) {
			list, ok := lists[text]
			if !ok {
				if err := json.Unmarshal([]byte(text), &list); err != nil {
					return nil, fmt.Errorf("store: stories by day: topics %q: %w", text, err)
				}
				lists[text] = list
			}
			out = append(out, DayCount{Day: day, Topics: list, Stories: byTopics[text]})
		}
	}
	return out, nil
}

// ArticleByID returns the stored article with that id (model.Article.ID,
// what the desk's article pages are addressed by), or an error wrapping
// ErrNotFound.
func (s *Store) ArticleByID(ctx context.Context, id int64) (*model.Article, error) {
	a, err := articleRow(ctx, s.r, "a.id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("store: article %d: %w", id, err)
	}
	return a, nil
}

// StoryTitles returns the title history (oldest first, the current title
// last) of each article of the story whose title changed since it was
// first stored, by article id.
func (s *Store) StoryTitles(ctx context.Context, story string) (map[int64][]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT t.article_id, t.title FROM article_titles t
		JOIN articles a ON a.id = t.article_id
		WHERE a.story = ? ORDER BY t.article_id, `+s.d.titleSeq, story)
	if err != nil {
		return nil, fmt.Errorf("store: titles of story %s: %w", story, err)
	}
	defer rows.Close()
	all := map[int64][]string{}
	for rows.Next() {
		var id int64
		var title string
		if err := rows.Scan(&id, &title); err != nil {
			return nil, fmt.Errorf("store: titles of story %s: %w", story, err)
		}
		all[id] = append(all[id], title)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: titles of story %s: %w", story, err)
	}
	edited := map[int64][]string{}
	for id, titles := range all {
		if len(titles) > 1 {
			edited[id] = titles
		}
	}
	return edited, nil
}
