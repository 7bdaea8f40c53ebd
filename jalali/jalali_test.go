package jalali

import (
	"testing"
	"time"

	ptime "github.com/yaa110/go-persian-calendar"
)

func tehran(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestKnownPairs(t *testing.T) {
	tests := []struct {
		j Date
		g string
	}{
		{Date{1405, 1, 1}, "2026-03-21"},
		{Date{1405, 9, 6}, "2026-11-27"},
		{Date{1405, 9, 5}, "2026-11-26"},
		{Date{1405, 8, 27}, "2026-11-18"},
		{Date{1403, 12, 30}, "2025-03-20"},
		{Date{1404, 1, 1}, "2025-03-21"},
		{Date{1399, 12, 30}, "2021-03-20"},
		{Date{1404, 6, 12}, "2025-09-03"},
		{Date{1404, 6, 31}, "2025-09-22"},
		{Date{1404, 7, 1}, "2025-09-23"},
		{Date{1357, 11, 22}, "1979-02-11"},
		{Date{1300, 1, 1}, "1921-03-21"},
	}
	for _, tt := range tests {
		g, err := time.Parse(time.DateOnly, tt.g)
		if err != nil {
			t.Fatal(err)
		}
		if got := FromGregorian(g.Date()); got != tt.j {
			t.Errorf("FromGregorian(%s) = %v, want %v", tt.g, got, tt.j)
		}
		if got := tt.j.Time(time.UTC); !got.Equal(g) {
			t.Errorf("%v.Time(UTC) = %v, want %s", tt.j, got, tt.g)
		}
	}
}

// TestAgreesWithPtime compares every day of two centuries with
// github.com/yaa110/go-persian-calendar, whose 33-year rule agrees with
// the official calendar in this span.
func TestAgreesWithPtime(t *testing.T) {
	day := time.Date(1925, 3, 1, 12, 0, 0, 0, time.UTC)
	prev := Of(day.AddDate(0, 0, -1))
	for ; day.Year() < 2125; day = day.AddDate(0, 0, 1) {
		got := Of(day)
		p := ptime.New(day)
		if want := (Date{p.Year(), int(p.Month()), p.Day()}); got != want {
			t.Fatalf("Of(%s) = %v, ptime says %v", day.Format(time.DateOnly), got, want)
		}
		if !got.Valid() || prev.AddDays(1) != got {
			t.Fatalf("Of(%s) = %v does not follow %v", day.Format(time.DateOnly), got, prev)
		}
		prev = got
	}
}

func TestLeapYears(t *testing.T) {
	for y, leap := range map[int]bool{1399: true, 1400: false, 1403: true, 1404: false, 1408: true, 1375: true} {
		if IsLeap(y) != leap {
			t.Errorf("IsLeap(%d) = %v, want %v", y, !leap, leap)
		}
		if (Date{y, 12, 30}).Valid() != leap {
			t.Errorf("Date{%d,12,30}.Valid() = %v, want %v", y, !leap, leap)
		}
	}
}

func TestValid(t *testing.T) {
	tests := []struct {
		d    Date
		want bool
	}{
		{Date{1405, 1, 31}, true},
		{Date{1405, 6, 31}, true},
		{Date{1405, 7, 31}, false},
		{Date{1405, 7, 30}, true},
		{Date{1405, 12, 29}, true},
		{Date{1405, 13, 1}, false},
		{Date{1405, 0, 1}, false},
		{Date{1405, 1, 0}, false},
		{Date{}, false},
	}
	for _, tt := range tests {
		if got := tt.d.Valid(); got != tt.want {
			t.Errorf("%v.Valid() = %v, want %v", tt.d, got, tt.want)
		}
	}
}

func TestOfUsesLocation(t *testing.T) {
	loc := tehran(t)
	// 20:40 UTC on 2026-11-25 is 00:10 on 1405/09/05 in Tehran.
	u := time.Date(2026, 11, 25, 20, 40, 0, 0, time.UTC)
	if got, want := Of(u), (Date{1405, 9, 4}); got != want {
		t.Errorf("Of(UTC) = %v, want %v", got, want)
	}
	if got, want := Of(u.In(loc)), (Date{1405, 9, 5}); got != want {
		t.Errorf("Of(Tehran) = %v, want %v", got, want)
	}
	if got, want := (Date{1405, 9, 5}).Time(loc), time.Date(2026, 11, 25, 20, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Time(Tehran) = %v, want %v", got, want)
	}
}

func TestAddDays(t *testing.T) {
	tests := []struct {
		d    Date
		n    int
		want Date
	}{
		{Date{1405, 9, 5}, 1, Date{1405, 9, 6}},
		{Date{1403, 12, 29}, 1, Date{1403, 12, 30}},
		{Date{1404, 12, 29}, 1, Date{1405, 1, 1}},
		{Date{1405, 1, 1}, -1, Date{1404, 12, 29}},
		{Date{1405, 6, 31}, 1, Date{1405, 7, 1}},
		{Date{1405, 1, 1}, 365, Date{1406, 1, 1}},
	}
	for _, tt := range tests {
		if got := tt.d.AddDays(tt.n); got != tt.want {
			t.Errorf("%v.AddDays(%d) = %v, want %v", tt.d, tt.n, got, tt.want)
		}
	}
}

func TestString(t *testing.T) {
	if got, want := (Date{1405, 9, 6}).String(), "1405/09/06"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestNames(t *testing.T) {
	months := map[int]string{0: "", 1: "فروردین", 2: "اردیبهشت", 6: "شهریور", 7: "مهر", 10: "دی", 12: "اسفند", 13: ""}
	for m, want := range months {
		if got := MonthName(m); got != want {
			t.Errorf("MonthName(%d) = %q, want %q", m, got, want)
		}
	}
	days := map[time.Weekday]string{
		time.Saturday: "شنبه", time.Sunday: "یکشنبه", time.Tuesday: "سه\u200cشنبه",
		time.Thursday: "پنجشنبه", time.Friday: "جمعه", 7: "",
	}
	for w, want := range days {
		if got := WeekdayName(w); got != want {
			t.Errorf("WeekdayName(%v) = %q, want %q", w, got, want)
		}
	}
}

func TestFormat(t *testing.T) {
	loc := tehran(t)
	tests := []struct {
		utc        time.Time
		date, hhmm string
	}{
		{time.Date(2026, 11, 26, 11, 0, 0, 0, time.UTC), "پنجشنبه ۵ آذر ۱۴۰۵", "۱۴:۳۰"},
		{time.Date(2026, 11, 26, 20, 35, 0, 0, time.UTC), "جمعه ۶ آذر ۱۴۰۵", "۰۰:۰۵"},
		{time.Date(2025, 3, 20, 5, 30, 0, 0, time.UTC), "پنجشنبه ۳۰ اسفند ۱۴۰۳", "۰۹:۰۰"},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			local := tt.utc.In(loc)
			if got := FormatDate(local); got != tt.date {
				t.Errorf("FormatDate(%v) = %q, want %q", local, got, tt.date)
			}
			if got := FormatTime(local); got != tt.hhmm {
				t.Errorf("FormatTime(%v) = %q, want %q", local, got, tt.hhmm)
			}
		})
	}
}
