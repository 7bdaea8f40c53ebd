package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
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
// come in published order, then URL, with their topics and story, and of
// their clean view what a story's card shows: the lead, the source named,
// whether it is paid, and the first paragraph alone (Paragraphs holds it;
// Removed and Raw are left empty).
//
// The stories of a day read this way are whole, as stories.Reader.Window
// reads them from every article of the story window before the day, at the
// cost of the day's stories alone: a day of 20,000 articles in 30 days in
// about 20 ms instead of 150 (docs/desk.md).
func (s *Store) ForEachStoryArticle(ctx context.Context, since, until time.Time, fn func(*model.Article) error) error {
	query := cardSelect + ` WHERE a.story IN (SELECT story FROM articles WHERE published >= ? AND published < ? AND story <> '')
			AND a.published < ?
		UNION ALL ` + cardSelect + ` WHERE a.clean IS NULL AND a.published >= ? AND a.published < ?
		ORDER BY published, url`
	from, to := fmtTime(since), fmtTime(until)
	rows, err := s.r.QueryContext(ctx, query, from, to, to, from, to)
	if err != nil {
		return fmt.Errorf("store: stories of %s–%s: %w", from, to, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a model.Article
		err := rows.Scan(&a.ID, &a.URL, &a.Outlet, &a.Title, &a.Kicker, &a.RawLead, &a.Section, jsonCol{&a.Tags},
			timeCol{&a.Published}, &a.DateGuessed, timeCol{&a.FirstSeen}, cardCol{&a.Clean}, jsonCol{&a.Topics}, &a.Story)
		if err != nil {
			return fmt.Errorf("store: stories of %s–%s: %w", from, to, err)
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: stories of %s–%s: %w", from, to, err)
	}
	return nil
}

// cardSelect is articleSelect without the raw paragraphs.
const cardSelect = `SELECT a.id, a.url, a.outlet, a.title, a.kicker, a.lead, a.section, a.tags,
	a.published, a.date_guessed, a.first_seen, a.clean, a.topics, a.story FROM articles a`

// cardCol scans a stored clean view (JSON) into what a story's card shows
// of it: the lead, the source named, whether it is paid, and the first
// paragraph. The store writes the view's fields in that order (model.Clean),
// so the JSON is read no further than that paragraph: the other
// paragraphs and the removals, most of it, are skipped unread, which made
// decoding a day's views five times cheaper. Written in another order, it
// is read whole.
type cardCol struct{ c *model.Clean }

func (col cardCol) Scan(v any) error {
	var r io.Reader
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		r = strings.NewReader(v)
	case []byte:
		r = bytes.NewReader(v)
	default:
		return fmt.Errorf("clean view stored as %T", v)
	}
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("clean view: not a JSON object (%v)", err)
	}
	lead := false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return fmt.Errorf("clean view: %w", err)
		}
		switch key {
		case "lead":
			lead, err = true, dec.Decode(&col.c.Lead)
		case "source":
			err = dec.Decode(&col.c.Source)
		case "sponsored":
			err = dec.Decode(&col.c.Sponsored)
		case "paragraphs":
			var first []string
			if first, err = firstString(dec, lead); err == nil && lead {
				col.c.Paragraphs = first
				return nil
			}
			col.c.Paragraphs = first
		default:
			err = dec.Decode(new(json.RawMessage))
		}
		if err != nil {
			return fmt.Errorf("clean view: %s: %w", key, err)
		}
	}
	return nil
}

// firstString reads a JSON array of strings (or null) and returns its
// first element, alone; the rest of the array is left unread when stop.
func firstString(dec *json.Decoder, stop bool) ([]string, error) {
	if !stop {
		var all []string
		err := dec.Decode(&all)
		return all[:min(len(all), 1)], err
	}
	t, err := dec.Token()
	if err != nil || t != json.Delim('[') {
		return nil, err // null, or an error
	}
	if !dec.More() {
		return nil, nil
	}
	var p string
	err = dec.Decode(&p)
	return []string{p}, err
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
// reached yet are not counted. The counts come by day, then by topic list.
//
// It reads the index articles_days alone (migration 0008), never the
// articles' rows, which carry their raw paragraphs and clean view, and
// gets the articles as one text, a line each: a row each cost the driver
// twice as much as the database (docs/desk.md).
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
	var lines sql.NullString
	if err := s.r.QueryRowContext(ctx, s.storyDaysQuery(), "\n", fmtTime(bounds[0].Add(-lookback)), edges[len(edges)-1]).Scan(&lines); err != nil {
		return nil, fmt.Errorf("store: stories by day: %w", err)
	}
	// The first article of each story: the earliest, then the least
	// topics as stored, whatever order the lines come in.
	type start struct{ published, topics string }
	first := map[string]start{}
	for line := range strings.SplitSeq(lines.String, "\n") {
		published, rest, _ := strings.Cut(line, " ")
		story, topics, ok := strings.Cut(rest, " ")
		if !ok {
			continue // no line at all
		}
		if f, seen := first[story]; !seen || published < f.published || published == f.published && topics < f.topics {
			first[story] = start{published, topics}
		}
	}
	counts := make([]map[string]int, len(bounds)-1) // by day, by topics as stored
	for _, f := range first {
		if f.published < edges[0] {
			continue // begun before the first day
		}
		day := sort.Search(len(edges)-1, func(i int) bool { return f.published < edges[i+1] })
		if counts[day] == nil {
			counts[day] = map[string]int{}
		}
		counts[day][f.topics]++
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

// storyDaysQuery reads the articles StoryDays counts as one text: a line
// each of their published time, story and topics (JSON, which has no
// newline), parted by spaces (which neither of the first two has).
func (s *Store) storyDaysQuery() string {
	return `SELECT string_agg(a.published || ' ' || a.story || ' ' || a.topics, ?) FROM articles a
		WHERE a.published >= ? AND a.published < ? AND ` + s.d.dayStory
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
