package jalali

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	loc := tehran(t)
	tests := []struct {
		name, in, want string // want is RFC 3339 UTC
	}{
		{"isna article", "۹ خرداد ۱۴۰۴ / ۱۹:۳۱", "2025-05-30T16:01:00Z"},
		{"isna archive with weekday", "چهارشنبه ۱۲ شهریور ۱۴۰۴ - ۱۸:۱۷", "2025-09-03T14:47:00Z"},
		{"eghtesad24 time first", "تاریخ انتشار: ۰۸:۴۵ - ۲۷ آبان ۱۴۰۵", "2026-11-18T05:15:00Z"},
		{"two-digit year 05", "۲۷ آبان ۰۵", "2026-11-17T20:30:00Z"},
		{"two-digit year 99", "۱ فروردین ۹۹", "2020-03-19T20:30:00Z"},
		{"numeric ascii", "1404/06/12 18:17", "2025-09-03T14:47:00Z"},
		{"numeric persian", "۱۴۰۴/۰۶/۱۲ - ۱۸:۱۷", "2025-09-03T14:47:00Z"},
		{"numeric dashes", "1404-06-12", "2025-09-02T20:30:00Z"},
		{"numeric with seconds", "1404/06/12 18:17:45", "2025-09-03T14:47:45Z"},
		{"midnight crossing", "۰۰:۱۰ - ۵ آذر ۱۴۰۵", "2026-11-25T20:40:00Z"},
		{"last minute of day", "۵ آذر ۱۴۰۵ ساعت ۲۳:۵۹", "2026-11-26T20:29:00Z"},
		{"no time is midnight", "۵ آذر ۱۴۰۵", "2026-11-25T20:30:00Z"},
		{"arabic yeh in month", "۱ ارديبهشت ۱۴۰۵", "2026-04-20T20:30:00Z"},
		{"month with zwnj", "۱ اردی\u200cبهشت ۱۴۰۵", "2026-04-20T20:30:00Z"},
		{"month with space", "۱ اردی بهشت ۱۴۰۵", "2026-04-20T20:30:00Z"},
		{"arabic yeh in weekday and month", "پنجشنبه ۱ ارديبهشت ۱۴۰۵ - ۱۰:۰۰", "2026-04-21T06:30:00Z"},
		{"mah joined", "۱۰ مهرماه ۱۴۰۴", "2025-10-01T20:30:00Z"},
		{"mah apart", "۱۰ مهر ماه ۱۴۰۴", "2025-10-01T20:30:00Z"},
		{"amordad spelling", "۳ امرداد ۱۴۰۴", "2025-07-24T20:30:00Z"},
		{"leap esfand 30", "۳۰ اسفند ۱۴۰۳", "2025-03-19T20:30:00Z"},
		{"leap esfand 30 of 1399", "۳۰ اسفند ۱۳۹۹", "2021-03-19T20:30:00Z"},
		{"shahrivar 31", "۳۱ شهریور ۱۴۰۴ ۱۹:۳۱:۰۵", "2025-09-22T16:01:05Z"},
		{"ascii digits with month name", "12 شهریور 1404 - 18:17", "2025-09-03T14:47:00Z"},
		{"arabic-indic digits", "١٢ شهريور ١٤٠٤", "2025-09-02T20:30:00Z"},
		{"weekday after", "۱۲ شهریور ۱۴۰۴ چهارشنبه", "2025-09-02T20:30:00Z"},
		{"tatweel and bidi marks", "\u200f۹\u00a0خـرداد\u00a0۱۴۰۴\u200f", "2025-05-29T20:30:00Z"},
		{"month dey", "۱ دی ۱۴۰۴", "2025-12-21T20:30:00Z"},
		{"single-digit hour", "ساعت ۷:۰۵ - ۲ بهمن ۱۴۰۴", "2026-01-22T03:35:00Z"},
		{"name containing a month is not one", "گزارش مهرداد: ۵ دی ۱۴۰۴", "2025-12-25T20:30:00Z"},
		{"no spaces around month", "۹خرداد۱۴۰۴", "2025-05-29T20:30:00Z"},
		{"tir", "۱۵ تیر ۱۴۰۴ ۱۰:۰۰", "2025-07-06T06:30:00Z"},
		{"summer before 2022 had DST", "۱ تیر ۱۴۰۰", "2021-06-21T19:30:00Z"},
		// The forms of agencies' article pages (docs/profiles.md).
		{"tasnim, arabic yeh, DST", "۱۲ ارديبهشت ۱۳۹۸ - ۱۶:۱۲", "2019-05-02T11:42:00Z"},
		{"time first, ascii digits", "19:04 1398/02/11", "2019-05-01T14:34:00Z"},
		{"numeric date then time", "۱۳۹۸/۰۲/۱۲ ۱۶:۱۲", "2019-05-02T11:42:00Z"},
		{"weekday in front", "پنج‌شنبه ۱۲ اردیبهشت ۱۳۹۸ ساعت ۱۶:۱۲", "2019-05-02T11:42:00Z"},
		{"arabic kaf and yeh", "۱ تير ۱۳۹۸ ، ۱۰:۰۰", "2019-06-22T05:30:00Z"},
		{"mehr's comma", "۲۱ خرداد ۱۴۰۲، ۱۰:۱۵", "2023-06-11T06:45:00Z"},
		{"tabnak with the gregorian day after", "تاریخ انتشار: ۳۰ تير ۱۳۹۷ - ۰۰:۲۰ 21 July 2018", "2018-07-20T19:50:00Z"},
		{"yjc meta", "۱۳۹۸/۰۴/۲۱ - ۱۷:۲۱", "2019-07-12T12:51:00Z"},
		{"metadata line", "کد خبر: d1Gjx زمان: 23:55 1398/02/26 بازدید: 25045", "2019-05-16T19:25:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in, loc)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got.Location() != time.UTC {
				t.Errorf("Parse(%q) is in %v, want UTC", tt.in, got.Location())
			}
			if s := got.Format(time.RFC3339); s != tt.want {
				t.Errorf("Parse(%q) = %s, want %s", tt.in, s, tt.want)
			}
		})
	}
}

// TestReadClock: Read tells a day alone from a day with its time.
func TestReadClock(t *testing.T) {
	loc := tehran(t)
	for in, want := range map[string]bool{
		"۱۲ اردیبهشت ۱۳۹۸":         false,
		"۱۲ اردیبهشت ۱۳۹۸ - ۰۰:۰۰": true,
		"19:04 1398/02/11":         true,
		"۱۳۹۸/۰۲/۱۲":               false,
	} {
		r, err := Read(in, loc)
		if err != nil {
			t.Fatalf("Read(%q): %v", in, err)
		}
		if r.HasClock != want {
			t.Errorf("Read(%q).HasClock = %v, want %v", in, r.HasClock, want)
		}
		if p, _ := Parse(in, loc); !p.Equal(r.Time) {
			t.Errorf("Read(%q) = %v, Parse %v", in, r.Time, p)
		}
	}
}

func TestParseErrors(t *testing.T) {
	loc := tehran(t)
	tests := []struct {
		in, reason string
	}{
		{"", "no month name"},
		{"۱۹:۳۱", "no month name"},
		{"hello world", "no month name"},
		{"خرداد ۱۴۰۴", "no day before month خرداد"},
		{"۹ خرداد", "no year after month خرداد"},
		{"۹ خرداد ۱۴۰۴ / ۲۵:۳۱", "no such time 25:31"},
		{"۳۰ اسفند ۱۴۰۴", "no such day 1404/12/30"},
		{"۳۱ مهر ۱۴۰۴", "no such day 1404/07/31"},
		{"1404/13/01", "no such day 1404/13/01"},
		{"12 شهریور 2025", "year 2025 is not a Jalali year of news"},
		{"۳۱ اسفند ۱۴۰۳", "no such day 1403/12/31"},
		{"۳۰ اسفند ۱۴۰۴ - ۱۰:۰۰", "no such day 1404/12/30"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in, loc)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error %q", tt.in, tt.reason)
			continue
		}
		want := `jalali: cannot read date "` + tt.in + `": ` + tt.reason
		if err.Error() != want {
			t.Errorf("Parse(%q) error = %q, want %q", tt.in, err, want)
		}
	}
}

func TestParseDay(t *testing.T) {
	tests := []struct {
		in   string
		want Date
	}{
		{"2026-11-18", Date{1405, 8, 27}},
		{"1405/08/27", Date{1405, 8, 27}},
		{"۱۴۰۵/۰۸/۲۷", Date{1405, 8, 27}},
		{"1405-8-27", Date{1405, 8, 27}},
		{" 2025/03/20 ", Date{1403, 12, 30}},
	}
	for _, tt := range tests {
		got, err := ParseDay(tt.in)
		if err != nil {
			t.Errorf("ParseDay(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseDay(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseDayErrors(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"", "not a date"},
		{"yesterday", "not a date"},
		{"2026-11", "not a date"},
		{"2026-02-30", "no such day"},
		{"1404/12/30", "no such day 1404/12/30"},
		{"26/11/2026", "the year comes first"},
		{"۲۷/۰۸/۱۴۰۵", "the year comes first"},
		{"0001/01/01", "year 1 is not a Jalali year of news"},
	}
	for _, tt := range tests {
		d, err := ParseDay(tt.in)
		if err == nil {
			t.Errorf("ParseDay(%q) = %v, want an error", tt.in, d)
			continue
		}
		want := `jalali: cannot read day "` + tt.in + `": ` + tt.reason + "; want 2026-11-18 or 1405/08/27"
		if err.Error() != want {
			t.Errorf("ParseDay(%q) error = %q, want %q", tt.in, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("۹ خرداد ۱۴۰۴ / ۱۹:۳۱")
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s, loc)
		if err != nil {
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("Parse(%q) = %v, not UTC", s, got)
		}
		if d := Of(got.In(loc)); !d.Valid() || d.Year < 1200 || d.Year > 1699 {
			t.Fatalf("Parse(%q) = %v, Jalali %v", s, got, d)
		}
	})
}
