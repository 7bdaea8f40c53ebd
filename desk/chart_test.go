package desk

import (
	"testing"
	"time"
)

// TestChart: one bar a day, today leftmost, heights scaled to the
// busiest day, a day without a story drawn without a bar, the day shown
// marked, the whole said in words.
func TestChart(t *testing.T) {
	loc := evening.Location()
	bounds := make([]time.Time, chartDays+1)
	for i := range bounds {
		bounds[i] = time.Date(2026, 10, 28+i, 0, 0, 0, 0, loc)
	}
	perDay := make([]int, chartDays)
	perDay[0], perDay[10], perDay[29] = 1, 10, 3
	c := newChart("انرژی", bounds, perDay, bounds[10])
	if c.Width != 300 || c.Height != 56 || len(c.Bars) != chartDays || c.Total != 14 || c.Max != 10 || !c.MaxDay.Equal(bounds[10]) {
		t.Fatalf("chart %d×%d, %d bars, total %d, max %d on %s", c.Width, c.Height, len(c.Bars), c.Total, c.Max, c.MaxDay)
	}
	tests := []struct {
		day, column, h int
		shown          bool
	}{
		{0, 290, 6, false}, // the oldest, rightmost; 1 of 10 is 5.4, rounded up
		{10, 190, 54, true},
		{29, 0, 17, false}, // today, leftmost
		{5, 240, 0, false},
	}
	for _, tt := range tests {
		b := c.Bars[tt.day]
		if b.Column != tt.column || b.H != tt.h || b.Y != barHeight-tt.h || b.X != tt.column+1 || b.W != 8 || b.Shown != tt.shown ||
			b.Stories != perDay[tt.day] || b.Link != dayLink(bounds[tt.day]) {
			t.Errorf("day %d: %+v; want column %d, height %d, shown %t", tt.day, b, tt.column, tt.h, tt.shown)
		}
	}
	if want := "خبرهای انرژی در ۳۰ روز گذشته: ۱۴ خبر؛ بیشترین، ۱۰ خبر، در شنبه ۱۶ آبان ۱۴۰۵"; c.Label != want {
		t.Errorf("label %q, want %q", c.Label, want)
	}
	empty := newChart("ورزش", bounds, nil, bounds[29])
	if empty.Total != 0 || empty.Max != 0 || empty.Bars[29].H != 0 || empty.Label != "خبرهای ورزش در ۳۰ روز گذشته: ۰ خبر" {
		t.Errorf("a topic without stories: %+v", empty)
	}
}
