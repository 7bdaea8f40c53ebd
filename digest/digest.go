// Package digest builds the digest one subscriber gets for one window of
// time (SPEC §8) and renders it as HTML, plain text and JSON.
//
// Building is pure: it takes stories already clustered and classified and
// decides what the subscriber sees and in which order. Rendering uses the
// templates of package templates, which a directory of the user's may
// override.
package digest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"mediadigest/jalali"
	"mediadigest/model"
)

// Defaults of Options.
const (
	DefaultPerTopic     = 10
	DefaultSummaryRunes = 300
)

// Subscriber is who a digest is built for. Empty Topics means every topic
// plus model.OtherTopicID; a list names the topics to show, in which
// model.OtherTopicID may appear to ask for the unclassified stories too.
type Subscriber struct {
	Email  string
	Topics []string
	// Since bounds their scheduled digests: none covers time before it
	// (back from a pause, re-subscribed; docs/subscriptions.md). Zero:
	// no bound. Build ignores it.
	Since time.Time
}

// Options tune Build. The zero value is usable: UTC, 10 stories per topic,
// 300-rune summaries, outlets shown by id.
type Options struct {
	Location     *time.Location    // zone of the digest's day; nil is UTC
	PerTopic     int               // stories shown per topic; the rest are counted in More
	OutletNames  map[string]string // outlet id → display name
	SummaryRunes int               // summary length, "…" included
}

// DayWindow returns the calendar day of day in loc as [00:00, 24:00). The
// day is day's year, month and day as written (in day's own location), so
// callers pass time.Now().In(loc) for today or jalali.Date.Time(loc) for a
// Jalali day. An article published at 00:10 Tehran time belongs to that
// Tehran day although its UTC date is the day before.
func DayWindow(day time.Time, loc *time.Location) model.Window {
	y, m, d := day.Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, loc)
	// AddDate rather than 24h: a day with a DST change is 23 or 25 hours long.
	return model.Window{From: from, To: from.AddDate(0, 0, 1)}
}

// Build selects and orders the stories sub sees in win (SPEC §8). Only
// stories the window holds count (model.Window.Holds). Topics keep the
// order of topics, with "other" last; empty topics are left out. Within a
// topic, stories carried by more outlets come first, then newer ones, then
// by URL so that equal inputs give equal digests.
//
// A story is shown once, under the first of its topics (model.Story.Topics,
// best first) that sub follows: a story on oil talks in parliament that
// scores best for politics still reaches a subscriber who follows only
// energy.
func Build(stories []model.Story, topics []model.Topic, sub Subscriber, win model.Window, o Options) model.Digest {
	o = o.withDefaults()
	day := win.To.Add(-time.Nanosecond).In(o.Location)

	byTopic := map[string][]model.Story{}
	for _, s := range stories {
		if !win.Holds(s) {
			continue
		}
		if id := sub.section(s, topics); id != "" {
			byTopic[id] = append(byTopic[id], s)
		}
	}

	sections := make([]model.Topic, 0, len(topics)+1)
	sections = append(sections, topics...)
	sections = append(sections, model.Topic{ID: model.OtherTopicID, Name: model.OtherTopicName})

	d := model.Digest{
		Date:       day.Format(time.DateOnly),
		JalaliDate: jalali.Of(day).String(),
		Timezone:   o.Location.String(),
		Window:     model.Window{From: win.From.UTC(), To: win.To.UTC(), Basis: win.Basis},
		Subscriber: sub.Email,
		Topics:     []model.DigestTopic{},
	}
	for _, t := range sections {
		list := byTopic[t.ID]
		if len(list) == 0 || !sub.wants(t.ID) {
			continue
		}
		slices.SortFunc(list, compareStories)
		dt := model.DigestTopic{ID: t.ID, Name: t.Name, Stories: []model.DigestStory{}}
		if len(list) > o.PerTopic {
			dt.More = len(list) - o.PerTopic
			list = list[:o.PerTopic]
		}
		for _, s := range list {
			dt.Stories = append(dt.Stories, o.story(s))
		}
		d.Topics = append(d.Topics, dt)
	}
	return d
}

// JSON encodes d in the shape of SPEC §8, indented by two spaces. HTML
// characters stay as they are: the JSON is read by scripts, not browsers.
func JSON(d model.Digest) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("digest: encode JSON for %s: %w", d.Subscriber, err)
	}
	return b.Bytes(), nil
}

func (sub Subscriber) wants(topic string) bool {
	return len(sub.Topics) == 0 || slices.Contains(sub.Topics, topic)
}

// section returns the topic s is shown under for sub (see Build), "" when s
// matches only topics sub does not follow, and model.OtherTopicID when it
// matches none of topics: a topic removed from the config after
// classification leaves its stories unclassified rather than lost.
func (sub Subscriber) section(s model.Story, topics []model.Topic) string {
	matched := false
	for _, id := range s.Topics {
		if !slices.ContainsFunc(topics, func(t model.Topic) bool { return t.ID == id }) {
			continue
		}
		if sub.wants(id) {
			return id
		}
		matched = true
	}
	if !matched {
		return model.OtherTopicID
	}
	return ""
}

func (o Options) withDefaults() Options {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.PerTopic <= 0 {
		o.PerTopic = DefaultPerTopic
	}
	if o.SummaryRunes <= 0 {
		o.SummaryRunes = DefaultSummaryRunes
	}
	return o
}

func compareStories(a, b model.Story) int {
	if c := cmp.Compare(b.Outlets(), a.Outlets()); c != 0 {
		return c
	}
	if c := b.Headline.Published.Compare(a.Headline.Published); c != 0 {
		return c
	}
	return strings.Compare(a.Headline.URL, b.Headline.URL)
}

func (o Options) story(s model.Story) model.DigestStory {
	h := s.Headline
	ds := model.DigestStory{
		ID:         s.ID,
		Title:      oneLine(h.Title),
		URL:        h.URL,
		Outlet:     h.Outlet,
		OutletName: o.OutletNames[h.Outlet],
		Published:  h.Published.UTC(),
		Summary:    summary(h, o.SummaryRunes),
		Also:       []model.AlsoLink{},
	}
	also := slices.Clone(s.Also)
	slices.SortFunc(also, func(a, b model.Article) int {
		return cmp.Or(a.Published.Compare(b.Published), strings.Compare(a.URL, b.URL))
	})
	for _, a := range also {
		ds.Also = append(ds.Also, model.AlsoLink{
			Outlet:     a.Outlet,
			OutletName: o.OutletNames[a.Outlet],
			URL:        a.URL,
			Title:      oneLine(a.Title),
		})
	}
	return ds
}

// summary is the article's clean lead (the raw one before cleaning ran),
// else its first clean paragraph, cut to at most n runes at a word boundary.
func summary(a model.Article, n int) string {
	text := oneLine(cmp.Or(a.Clean.Lead, a.RawLead))
	if text == "" && len(a.Paragraphs) > 0 {
		text = oneLine(a.Paragraphs[0])
	}
	return cut(text, n)
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	budget := n - 1 // room for "…"
	end := budget
	for end > 0 && !unicode.IsSpace(r[end]) {
		end--
	}
	if end == 0 { // one word longer than the budget: cut inside it
		end = budget
	}
	trimmed := strings.TrimRightFunc(string(r[:end]), func(c rune) bool {
		return unicode.IsSpace(c) || unicode.IsPunct(c)
	})
	return trimmed + "…"
}

// oneLine collapses every run of white space, line breaks included, into one
// space: the text part shows a title on its own line, and a scraped line
// break must not be able to start a line of its own there.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
