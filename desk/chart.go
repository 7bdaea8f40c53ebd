package desk

import (
	"fmt"
	"time"

	"mediadigest/jalali"
	"mediadigest/persian"
)

// chart is a topic's stories a day over the charts' days, as the page
// draws it: an inline SVG of one bar a day, drawn here and styled by
// desk.css, with no script and no style attribute (the pages' CSP allows
// neither). Time runs right to left, as the page reads: today is the
// leftmost bar. Each bar links to the stories of its day.
type chart struct {
	Width, Height int // the viewBox, in the units of Bar
	Days          int
	Bars          []bar
	Total, Max    int
	MaxDay        time.Time // the first day with Max stories
	Label         string    // what it shows, for screen readers
}

// bar is one day of a chart.
type bar struct {
	X, Y, W, H int // the bar; H is 0 on a day without a story
	Column     int // the left edge of the day's column, all of it a link
	Day        time.Time
	Stories    int
	Link       string
	Shown      bool // the day the page shows
}

// Sizes of a chart, in viewBox units: columns of colWidth with bars of
// barWidth, up to barHeight tall above a baseline.
const (
	colWidth  = 10
	barWidth  = 8
	barHeight = 54
	baseline  = 2
)

// newChart draws the stories a day of topic name: perDay[i] stories on
// the day starting at bounds[i].
func newChart(name string, bounds []time.Time, perDay []int, shown time.Time) chart {
	days := len(bounds) - 1
	c := chart{Width: days * colWidth, Height: barHeight + baseline, Days: days}
	for i := range days {
		n := 0
		if perDay != nil {
			n = perDay[i]
		}
		c.Total += n
		if n > c.Max {
			c.Max, c.MaxDay = n, bounds[i]
		}
	}
	for i := range days {
		n := 0
		if perDay != nil {
			n = perDay[i]
		}
		b := bar{
			Column: (days - 1 - i) * colWidth, Day: bounds[i], Stories: n,
			Link: dayLink(bounds[i]), Shown: bounds[i].Equal(shown),
		}
		b.X, b.W = b.Column+(colWidth-barWidth)/2, barWidth
		if n > 0 {
			b.H = max(2, (n*barHeight+c.Max-1)/c.Max)
		}
		b.Y = barHeight - b.H
		c.Bars = append(c.Bars, b)
	}
	c.Label = persian.Digits(fmt.Sprintf("خبرهای %s در %d روز گذشته: %d خبر", name, days, c.Total))
	if c.Max > 0 {
		c.Label += persian.Digits(fmt.Sprintf("؛ بیشترین، %d خبر، در %s", c.Max, jalali.FormatDate(c.MaxDay)))
	}
	return c
}
