// Package digest builds the digest one subscriber gets for one window of
// time (docs/formats.md) and renders it as HTML, plain text and JSON.
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

// Build selects and orders the stories sub sees in win: Builder's For,
// for one subscriber.
func Build(stories []model.Story, topics []model.Topic, sub Subscriber, win model.Window, o Options) model.Digest {
	return NewBuilder(stories, topics, win, o).For(sub)
}

// Builder builds the digests of a window for many subscribers from one set
// of stories. What every digest of the window shares — which stories the
// window holds, their order, each story as a digest shows it — is worked
// out once, by NewBuilder; For then only picks each subscriber's. A
// Builder is safe for concurrent use.
type Builder struct {
	win      model.Window
	sections []model.Topic // the topics, then "other"
	topics   []model.Topic
	o        Options
	held     []held // the stories win holds, in the order digests show them
}

type held struct {
	story *model.Story
	shown model.DigestStory
}

// NewBuilder prepares the digests of win over stories (docs/formats.md). Only
// stories the window holds count (model.Window.Holds). Within a topic,
// stories carried by more outlets come first, then newer ones, then by URL
// so that equal inputs give equal digests.
func NewBuilder(stories []model.Story, topics []model.Topic, win model.Window, o Options) *Builder {
	b := &Builder{win: win, topics: topics, o: o.withDefaults()}
	b.sections = append(append(make([]model.Topic, 0, len(topics)+1), topics...), model.Topic{ID: model.OtherTopicID, Name: model.OtherTopicName})
	for i := range stories {
		if win.Holds(stories[i]) {
			b.held = append(b.held, held{story: &stories[i]})
		}
	}
	slices.SortFunc(b.held, func(x, y held) int { return compareStories(*x.story, *y.story) })
	for i := range b.held {
		b.held[i].shown = b.o.story(*b.held[i].story)
	}
	return b
}

// For returns sub's digest. Topics keep the order of the config, with
// "other" last; empty topics are left out. A story is shown once, under
// the first of its topics (model.Story.Topics, best first) that sub
// follows: a story on oil talks in parliament that scores best for
// politics still reaches a subscriber who follows only energy.
func (b *Builder) For(sub Subscriber) model.Digest {
	day := b.win.To.Add(-time.Nanosecond).In(b.o.Location)
	d := model.Digest{
		Date:       day.Format(time.DateOnly),
		JalaliDate: jalali.Of(day).String(),
		Timezone:   b.o.Location.String(),
		Window:     model.Window{From: b.win.From.UTC(), To: b.win.To.UTC(), Basis: b.win.Basis},
		Subscriber: sub.Email,
		Topics:     []model.DigestTopic{},
	}
	byTopic := map[string][]int{} // section → indexes in held, in order
	for i := range b.held {
		if id := sub.section(*b.held[i].story, b.topics); id != "" {
			byTopic[id] = append(byTopic[id], i)
		}
	}
	for _, t := range b.sections {
		list := byTopic[t.ID]
		if len(list) == 0 || !sub.wants(t.ID) {
			continue
		}
		dt := model.DigestTopic{ID: t.ID, Name: t.Name, Stories: []model.DigestStory{}}
		if len(list) > b.o.PerTopic {
			dt.More = len(list) - b.o.PerTopic
			list = list[:b.o.PerTopic]
		}
		for _, i := range list {
			dt.Stories = append(dt.Stories, b.held[i].shown)
		}
		d.Topics = append(d.Topics, dt)
	}
	return d
}

// JSON encodes d in the shape of docs/formats.md, indented by two spaces. HTML
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
	if flat(s) {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// flat reports whether oneLine would return s as it is: single spaces
// between words, no other white space. Most titles and summaries are, and
// a digest flattens each several times.
func flat(s string) bool {
	if s != "" && (s[0] == ' ' || s[len(s)-1] == ' ') {
		return false
	}
	for i, r := range s {
		switch {
		case r == ' ':
			if s[i+1] == ' ' { // s does not end in a space
				return false
			}
		case unicode.IsSpace(r):
			return false
		}
	}
	return true
}
