package delivery

import (
	"testing"
	"time"

	_ "time/tzdata"

	"mediadigest/model"
	"mediadigest/schedule"
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

func mustSchedule(t *testing.T, spec string) schedule.Schedule {
	t.Helper()
	s, err := schedule.Parse(spec, tehran)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestScheduled(t *testing.T) {
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
		got, ok := Scheduled(mustSchedule(t, tt.spec), tt.t).next(tt.lastEnd)
		if ok != tt.ok || !got.From.Equal(tt.want.From) || !got.To.Equal(tt.want.To) {
			t.Errorf("%s: Scheduled = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCatchUp(t *testing.T) {
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
		got, ok := CatchUp(mustSchedule(t, daily), tt.now).next(tt.lastEnd)
		if ok != tt.ok || !got.From.Equal(tt.want.From) || !got.To.Equal(tt.want.To) {
			t.Errorf("%s: CatchUp = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
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
	scheduled := func(now time.Time) { record(Scheduled(s, schedule.Last(s, now)).next(lastEnd)) }
	start := func(now time.Time) { record(CatchUp(s, now).next(lastEnd)) }

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

func TestSinceLastPlan(t *testing.T) {
	now := at(26, 10, 0, 0)
	tests := []struct {
		name    string
		lastEnd time.Time
		want    model.Window
		ok      bool
	}{
		{"a first digest covers the day before", time.Time{}, model.Window{From: at(25, 10, 0, 0), To: now, Basis: model.ByArrival}, true},
		{"from the last end", at(26, 7, 0, 0), model.Window{From: at(26, 7, 0, 0), To: now, Basis: model.ByArrival}, true},
		{"nothing since", now, model.Window{}, false},
		{"a window reaching beyond now", at(27, 0, 0, 0), model.Window{}, false},
	}
	for _, tt := range tests {
		got, ok := SinceLast(now).next(tt.lastEnd)
		if ok != tt.ok || !got.From.Equal(tt.want.From) || !got.To.Equal(tt.want.To) || got.Basis != tt.want.Basis {
			t.Errorf("%s: SinceLast = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	if !SinceLast(now).skipEmpty || Scheduled(mustSchedule(t, "0 7 * * *"), now).skipEmpty {
		t.Error("a hand-sent digest skips empty ones; a scheduled one goes out empty")
	}
}
