package desk

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"time"

	"mediadigest/digest"
	"mediadigest/jalali"
	"mediadigest/model"
	"mediadigest/persian"
	"mediadigest/store"
)

// chartDays is how many days the charts of / cover, today included.
const chartDays = 30

// todayPage is the data of today.html.tmpl.
type todayPage struct {
	Day     time.Time // the day shown, at midnight in the config's zone
	Today   bool      // it is today: its stories so far
	Stories int       // shown on the page
	// Latest is the link to the last day of the charts that has stories,
	// offered when the day shown has none; "" otherwise.
	Latest    string
	LatestDay time.Time
	// Prev and Next link to the days before and after, Next "" today.
	Prev, Next string
	Sections   []section
}

// section is one topic the subscriber follows: its stories of the day
// and its chart.
type section struct {
	ID, Name string
	Count    int    // stories of the day
	Stories  []card // as the digest shows them, with a summary
	More     []card // past the digest's per_topic: titles only
	Chart    chart
}

// card is one story of a day.
type card struct {
	Link      string // its page on the desk
	Title     string
	URL       string // the original, "" when not an http(s) link
	Outlet    string
	Published time.Time
	Summary   string
	Also      []also
	Outlets   int // that carry it
}

// also is another outlet's copy of a story.
type also struct {
	Outlet, URL string
}

// today is GET /: the day's stories by topic, the digest of the day for
// the signed-in subscriber as it grows, each topic with its chart. ?day=
// shows an earlier day (Jalali 1405/09/05 or Gregorian 2026-11-26).
func (d *Desk) today(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	today := digest.DayWindow(d.site.Clock().Now().In(d.cfg.Location), d.cfg.Location)
	win, ok := d.dayOf(w, r, today)
	if !ok {
		return
	}
	sub, err := d.subscriber(ctx, r)
	if err != nil {
		d.fail(w, r, err, "")
		return
	}
	bounds := make([]time.Time, chartDays+1)
	for i := range bounds {
		bounds[i] = today.From.AddDate(0, 0, i-chartDays+1)
	}
	// The charts' counts and the day's stories are read side by side: two
	// queries of about the same cost, each on a connection of its own.
	type counted struct {
		counts []store.DayCount
		err    error
	}
	charts := make(chan counted, 1)
	go func() {
		counts, err := d.st.StoryDays(ctx, bounds, d.cfg.Cleaning.StoryWindow.D())
		charts <- counted{counts, err}
	}()
	held, err := d.day.Window(ctx, win)
	c := <-charts
	if err = cmp.Or(err, c.err); err != nil {
		d.fail(w, r, err, "")
		return
	}
	dg := digest.NewBuilder(held, d.cfg.Topics, win, digest.Options{
		Location: d.cfg.Location, PerTopic: math.MaxInt32, OutletNames: d.names,
	}).For(sub)
	page := d.dayPage(dg, sub, win, today, bounds, d.topicDays(c.counts))
	title := "امروز"
	if !page.Today {
		title = jalali.FormatDate(win.From)
	}
	d.page(w, r, d.todayPage, title, "today", page)
}

// dayOf returns the day ?day= names, today without it, or answers with a
// page saying why not: a day it cannot read (400), or one to come (404).
func (d *Desk) dayOf(w http.ResponseWriter, r *http.Request, today model.Window) (model.Window, bool) {
	q := r.URL.Query().Get("day")
	if q == "" {
		return today, true
	}
	day, err := jalali.ParseDay(q)
	if err != nil {
		d.site.Error(w, r, http.StatusBadRequest, "این روز خوانده نشد: «"+q+"». روز را به شکل ۱۴۰۵/۰۹/۰۵ یا 2026-11-26 بنویسید.")
		return model.Window{}, false
	}
	win := digest.DayWindow(day.Time(d.cfg.Location), d.cfg.Location)
	if win.From.After(today.From) {
		d.site.Error(w, r, http.StatusNotFound, "روز "+persian.Digits(day.String())+" هنوز نیامده است؛ خبرهای امروز در صفحه اصلی است.")
		return model.Window{}, false
	}
	return win, true
}

// dayPage lays out the digest dg of the day win for sub: each topic they
// follow with its stories and its chart.
func (d *Desk) dayPage(dg model.Digest, sub digest.Subscriber, win, today model.Window, bounds []time.Time, perTopic map[string][]int) todayPage {
	page := todayPage{Day: win.From, Today: win.From.Equal(today.From), Prev: dayLink(win.From.AddDate(0, 0, -1))}
	if !page.Today {
		page.Next = dayLink(win.From.AddDate(0, 0, 1))
	}
	shown := map[string]model.DigestTopic{}
	for _, t := range dg.Topics {
		shown[t.ID] = t
	}
	for _, t := range d.sections(sub) {
		s := section{ID: t.ID, Name: t.Name, Chart: newChart(t.Name, bounds, perTopic[t.ID], win.From)}
		for i, ds := range shown[t.ID].Stories {
			c := d.card(ds)
			if i < d.cfg.Digest.PerTopic {
				s.Stories = append(s.Stories, c)
			} else {
				c.Summary = ""
				s.More = append(s.More, c)
			}
			s.Count++
			page.Stories++
		}
		page.Sections = append(page.Sections, s)
	}
	if page.Stories == 0 {
		page.Latest, page.LatestDay = latest(bounds, perTopic, win.From)
	}
	return page
}

// sections are the topics sub follows, in the config's order, then the
// stories of no topic: the sections their digest may have.
func (d *Desk) sections(sub digest.Subscriber) []model.Topic {
	all := append(slices.Clone(d.cfg.Topics), model.Topic{ID: model.OtherTopicID, Name: model.OtherTopicName})
	if len(sub.Topics) == 0 {
		return all
	}
	return slices.DeleteFunc(all, func(t model.Topic) bool { return !slices.Contains(sub.Topics, t.ID) })
}

// topicDays turns the stories begun each day by topic list into each
// topic's stories a day: a story counts for every configured topic of its
// list, and for model.OtherTopicID when it has none.
func (d *Desk) topicDays(counts []store.DayCount) map[string][]int {
	out := map[string][]int{}
	add := func(topic string, day, n int) {
		if out[topic] == nil {
			out[topic] = make([]int, chartDays)
		}
		out[topic][day] += n
	}
	for _, c := range counts {
		matched := false
		for _, id := range c.Topics {
			if slices.ContainsFunc(d.cfg.Topics, func(t model.Topic) bool { return t.ID == id }) {
				add(id, c.Day, c.Stories)
				matched = true
			}
		}
		if !matched {
			add(model.OtherTopicID, c.Day, c.Stories)
		}
	}
	return out
}

// latest is the link to the last day of the charts with a story, before
// or after the day shown, and that day; "" when there is none.
func latest(bounds []time.Time, perTopic map[string][]int, shown time.Time) (string, time.Time) {
	for day := chartDays - 1; day >= 0; day-- {
		if bounds[day].Equal(shown) {
			continue
		}
		for _, n := range perTopic {
			if n[day] > 0 {
				return dayLink(bounds[day]), bounds[day]
			}
		}
	}
	return "", time.Time{}
}

// dayLink is the link to the stories of the day starting at t.
func dayLink(t time.Time) string { return "/?day=" + jalali.Of(t).String() }

// card is a story of the digest as the page shows it.
func (d *Desk) card(s model.DigestStory) card {
	c := card{
		Link: storyLink(s.ID), Title: s.Title, URL: original(s.URL), Outlet: d.outletName(s.Outlet),
		Published: s.Published, Summary: s.Summary,
	}
	outlets := map[string]bool{s.Outlet: true}
	for _, a := range s.Also {
		c.Also = append(c.Also, also{Outlet: d.outletName(a.Outlet), URL: original(a.URL)})
		outlets[a.Outlet] = true
	}
	c.Outlets = len(outlets)
	return c
}
