package daemon

import (
	"testing"
	"time"

	_ "time/tzdata"

	"mediadigest/model"
)

var tehran = mustZone("Asia/Tehran")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at is a time in Tehran on a day of November 2026.
func at(day, hour, min, sec int) time.Time {
	return time.Date(2026, time.November, day, hour, min, sec, 0, tehran)
}

func mustSchedule(t *testing.T, spec string) interface{ Next(time.Time) time.Time } {
	t.Helper()
	s, err := parseSchedule(spec, tehran)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLastScheduled(t *testing.T) {
	tests := []struct {
		spec string
		t    time.Time
		want time.Time
	}{
		{"0 7 * * *", at(26, 10, 0, 0), at(26, 7, 0, 0)},
		{"0 7 * * *", at(26, 7, 0, 0), at(26, 7, 0, 0)},                       // a firing at t counts
		{"0 7 * * *", at(26, 7, 0, 0).Add(time.Millisecond), at(26, 7, 0, 0)}, // as cron's job sees it
		{"0 7 * * *", at(26, 6, 59, 59), at(25, 7, 0, 0)},
		{"0 7 * * *", at(27, 6, 59, 59), at(26, 7, 0, 0)}, // a late run still knows its time
		{"*/20 * * * *", at(26, 10, 45, 10), at(26, 10, 40, 0)},
		{"CRON_TZ=UTC 0 4 * * *", at(26, 8, 0, 0), at(26, 7, 30, 0)}, // 04:00 UTC is 07:30 in Tehran
		{"0 0 1 1 *", at(26, 12, 0, 0), time.Date(2026, time.January, 1, 0, 0, 0, 0, tehran)},
		{"@every 2s", at(26, 10, 0, 5).Add(500 * time.Millisecond), at(26, 10, 0, 4)},
		{"@every 1h", at(26, 10, 59, 0), at(26, 10, 30, 0)}, // Tehran is UTC+03:30: the grid is on the UTC hour
		{"0 0 30 2 *", at(26, 12, 0, 0), time.Time{}},       // 30 February never comes
	}
	for _, tt := range tests {
		got := lastScheduled(mustSchedule(t, tt.spec), tt.t)
		if !got.Equal(tt.want) {
			t.Errorf("lastScheduled(%q, %s) = %s, want %s", tt.spec, tt.t, got, tt.want)
		}
	}
}

func TestEveryIsAFixedGrid(t *testing.T) {
	s := mustSchedule(t, "@every 3s")
	// Wherever a daemon starts, it plans the same times.
	for _, start := range []time.Time{at(26, 10, 0, 0), at(26, 10, 0, 1).Add(time.Millisecond), at(26, 10, 0, 2)} {
		if got, want := s.Next(start), at(26, 10, 0, 3); !got.Equal(want) {
			t.Errorf("Next(%s) = %s, want %s", start, got, want)
		}
	}
}

func TestDigestWindow(t *testing.T) {
	daily := "0 7 * * *"
	tests := []struct {
		name    string
		spec    string
		t       time.Time
		lastEnd time.Time
		want    model.Window
		ok      bool
	}{
		{"first run covers one period", daily, at(26, 7, 0, 0), time.Time{}, model.Window{From: at(25, 7, 0, 0), To: at(26, 7, 0, 0)}, true},
		{"next day starts at the last end", daily, at(26, 7, 0, 0), at(25, 7, 0, 0), model.Window{From: at(25, 7, 0, 0), To: at(26, 7, 0, 0)}, true},
		{"re-run after a crash adds nothing", daily, at(26, 7, 0, 0), at(26, 7, 0, 0), model.Window{}, false},
		{"after 3 days down, one window for all", daily, at(26, 7, 0, 0), at(23, 7, 0, 0), model.Window{From: at(23, 7, 0, 0), To: at(26, 7, 0, 0)}, true},
		{"a day sent by hand reaches beyond t", daily, at(26, 7, 0, 0), at(27, 0, 0, 0), model.Window{}, false},
		{"a hand-sent day ends mid-period", daily, at(27, 7, 0, 0), at(27, 0, 0, 0), model.Window{From: at(27, 0, 0, 0), To: at(27, 7, 0, 0)}, true},
		{"every 3s", "@every 3s", at(26, 10, 0, 9), time.Time{}, model.Window{From: at(26, 10, 0, 6), To: at(26, 10, 0, 9)}, true},
		{"never fired before", "0 0 30 2 *", at(26, 7, 0, 0), time.Time{}, model.Window{}, false},
	}
	for _, tt := range tests {
		got, ok := digestWindow(mustSchedule(t, tt.spec), tt.t, tt.lastEnd)
		if ok != tt.ok || !got.From.Equal(tt.want.From) || !got.To.Equal(tt.want.To) {
			t.Errorf("%s: digestWindow = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMissedWindow(t *testing.T) {
	daily := "0 7 * * *"
	tests := []struct {
		name         string
		now, lastEnd time.Time
		want         model.Window
		ok           bool
	}{
		{"down for two days", at(28, 10, 0, 0), at(26, 7, 0, 0), model.Window{From: at(26, 7, 0, 0), To: at(28, 7, 0, 0)}, true},
		{"down over one run", at(27, 9, 0, 0), at(26, 7, 0, 0), model.Window{From: at(26, 7, 0, 0), To: at(27, 7, 0, 0)}, true},
		{"restarted after today's run", at(28, 10, 0, 0), at(28, 7, 0, 0), model.Window{}, false},
		{"restarted before today's run", at(28, 6, 59, 0), at(27, 7, 0, 0), model.Window{}, false},
		// cron plans the next run after its start, so 07:00 is missed
		// unless the catch-up sends it.
		{"started in the scheduled second", at(28, 7, 0, 0).Add(300 * time.Millisecond), at(27, 7, 0, 0), model.Window{From: at(27, 7, 0, 0), To: at(28, 7, 0, 0)}, true},
		{"never had a digest", at(28, 10, 0, 0), time.Time{}, model.Window{}, false},
	}
	for _, tt := range tests {
		got, ok := missedWindow(mustSchedule(t, daily), tt.now, tt.lastEnd)
		if ok != tt.ok || !got.From.Equal(tt.want.From) || !got.To.Equal(tt.want.To) {
			t.Errorf("%s: missedWindow = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// TestWindowsTileTime runs the digest rules over two weeks of a daily
// schedule with every mishap at once: the daemon down for three days, a
// crash that makes it run one schedule twice, a restart on the same day,
// a run late by hours. The windows must follow each other without gap or
// overlap.
func TestWindowsTileTime(t *testing.T) {
	s := mustSchedule(t, "0 7 * * *")
	var windows []model.Window
	var lastEnd time.Time
	record := func(w model.Window, ok bool) {
		if ok {
			windows = append(windows, w)
			lastEnd = w.To
		}
	}
	scheduled := func(now time.Time) { record(digestWindow(s, lastScheduled(s, now), lastEnd)) }
	start := func(now time.Time) { record(missedWindow(s, now, lastEnd)) }

	start(at(10, 9, 0, 0)) // first start: nothing missed
	for day := 11; day <= 24; day++ {
		switch day {
		case 14, 15, 16: // down
			continue
		case 17:
			start(at(17, 12, 0, 0))
			continue
		case 19:
			scheduled(at(19, 7, 0, 0))
			start(at(19, 7, 0, 2)) // crashed and restarted right away
			scheduled(at(19, 7, 0, 3))
			continue
		case 21:
			scheduled(at(21, 11, 0, 0)) // suspended machine: a late run
			start(at(21, 15, 0, 0))
			continue
		}
		scheduled(at(day, 7, 0, 0).Add(2 * time.Millisecond))
	}

	if len(windows) == 0 || !windows[0].From.Equal(at(10, 7, 0, 0)) {
		t.Fatalf("first window %v, want from the 10th at 07:00", windows)
	}
	for i := 1; i < len(windows); i++ {
		if !windows[i].From.Equal(windows[i-1].To) {
			t.Errorf("window %d %v does not start where %v ends", i, windows[i], windows[i-1])
		}
	}
	if end := windows[len(windows)-1].To; !end.Equal(at(24, 7, 0, 0)) {
		t.Errorf("last window ends %s, want the 24th at 07:00", end)
	}
	// One digest per day up to the 13th, one for the 14th–17th, then one
	// a day again: 11, 12, 13 | 17 | 18 … 24.
	if len(windows) != 3+1+7 {
		t.Errorf("%d windows, want 11: %v", len(windows), windows)
	}
}

func TestCrawlMissed(t *testing.T) {
	tests := []struct {
		spec      string
		now, last time.Time
		want      bool
	}{
		{"*/20 * * * *", at(26, 10, 45, 0), time.Time{}, true}, // never crawled
		{"*/20 * * * *", at(26, 10, 45, 0), at(26, 10, 40, 3), false},
		{"*/20 * * * *", at(26, 10, 45, 0), at(26, 10, 39, 59), true},
		{"*/20 * * * *", at(26, 10, 45, 0), at(26, 10, 20, 1), true},
		{"0 6 * * *", at(26, 10, 0, 0), at(26, 6, 0, 1), false},
		{"0 6 * * *", at(26, 10, 0, 0), at(25, 6, 0, 2), true},
		{"0 6 * * *", at(26, 5, 0, 0), at(25, 6, 0, 2), false},
	}
	for _, tt := range tests {
		if got := crawlMissed(mustSchedule(t, tt.spec), tt.now, tt.last); got != tt.want {
			t.Errorf("crawlMissed(%q, now %s, last %s) = %v, want %v", tt.spec, tt.now, tt.last, got, tt.want)
		}
	}
}
