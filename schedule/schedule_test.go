package schedule

import (
	"testing"
	"time"

	_ "time/tzdata"
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

func mustSchedule(t *testing.T, spec string) Schedule {
	t.Helper()
	s, err := Parse(spec, tehran)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLast(t *testing.T) {
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
		got := Last(mustSchedule(t, tt.spec), tt.t)
		if !got.Equal(tt.want) {
			t.Errorf("Last(%q, %s) = %s, want %s", tt.spec, tt.t, got, tt.want)
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

func TestMissed(t *testing.T) {
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
		if got := Missed(mustSchedule(t, tt.spec), tt.now, tt.last); got != tt.want {
			t.Errorf("Missed(%q, now %s, last %s) = %v, want %v", tt.spec, tt.now, tt.last, got, tt.want)
		}
	}
}
