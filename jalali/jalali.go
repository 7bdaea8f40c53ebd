// Package jalali converts between the Gregorian and the Iranian (Jalali)
// calendars, and reads the visible dates of Persian news sites.
//
// The conversion is the algorithm of Kazimierz Borkowski as used by
// jalaali-js: the years in which the 33-year cycle of leap years is broken
// are listed, and the Gregorian day of 1 Farvardin follows from them. It
// agrees with the official calendar for Jalali years 1178–1633 (Gregorian
// 1799–2254); outside them the 33-year rule is extrapolated.
//
// Importing the package embeds the time zone database (time/tzdata), so
// Asia/Tehran loads on hosts without one.
package jalali

import (
	"fmt"
	"time"
	_ "time/tzdata"

	"mediadigest/persian"
)

// Date is a day of the Jalali calendar.
type Date struct {
	Year, Month, Day int
}

// Of returns the Jalali date of t in t's location.
func Of(t time.Time) Date {
	y, m, d := t.Date()
	return FromGregorian(y, m, d)
}

// FromGregorian returns the Jalali date of a Gregorian day.
func FromGregorian(year int, month time.Month, day int) Date {
	n := dayNumber(year, month, day)
	jy := year - 621
	start := farvardin1(jy)
	if n < start {
		jy--
		start = farvardin1(jy)
	}
	// The first six months have 31 days, the next five 30, Esfand 29 or 30.
	k := n - start
	if k < 186 {
		return Date{jy, k/31 + 1, k%31 + 1}
	}
	k -= 186
	return Date{jy, k/30 + 7, k%30 + 1}
}

// Time returns midnight at the start of d in loc. d should be Valid.
func (d Date) Time(loc *time.Location) time.Time {
	y, m, day := d.Gregorian()
	return time.Date(y, m, day, 0, 0, 0, 0, loc)
}

// Gregorian returns the Gregorian day of d. d should be Valid.
func (d Date) Gregorian() (year int, month time.Month, day int) {
	k := (d.Month-1)*31 + d.Day - 1
	if d.Month > 7 {
		k = 186 + (d.Month-7)*30 + d.Day - 1
	}
	return civil(farvardin1(d.Year) + k)
}

// String formats d as "1405/09/06" with ASCII digits.
func (d Date) String() string {
	return fmt.Sprintf("%04d/%02d/%02d", d.Year, d.Month, d.Day)
}

// Valid reports whether d is a day of the calendar: month 1–12, day within
// the month, 30 Esfand only in leap years.
func (d Date) Valid() bool {
	if d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return false
	}
	switch {
	case d.Month <= 6:
		return d.Day <= 31
	case d.Month <= 11:
		return d.Day <= 30
	}
	return d.Day <= 29 || d.Day == 30 && IsLeap(d.Year)
}

// AddDays returns the date n days after d (before it for a negative n).
func (d Date) AddDays(n int) Date {
	y, m, day := d.Gregorian()
	return FromGregorian(civil(dayNumber(y, m, day) + n))
}

// Sub returns the number of days from e to d: d == e.AddDays(d.Sub(e)).
func (d Date) Sub(e Date) int {
	y, m, day := d.Gregorian()
	ey, em, eday := e.Gregorian()
	return dayNumber(y, m, day) - dayNumber(ey, em, eday)
}

// IsLeap reports whether the Jalali year has 366 days (30 Esfand).
func IsLeap(year int) bool {
	return farvardin1(year+1)-farvardin1(year) == 366
}

// breaks are the Jalali years in which the 33-year leap cycle restarts
// (jalaali-js).
var breaks = [...]int{-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210,
	1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456, 3178}

// farvardin1 returns the day number (days since 1970-01-01) of 1 Farvardin
// of the Jalali year jy.
func farvardin1(jy int) int {
	leapJ, jp, jump := -14, breaks[0], 0
	for _, jm := range breaks[1:] {
		jump = jm - jp
		if jy < jm {
			break
		}
		leapJ += jump/33*8 + jump%33/4
		jp = jm
	}
	n := jy - jp
	leapJ += floorDiv(n, 33)*8 + floorDiv(n-floorDiv(n, 33)*33+3, 4)
	if jump%33 == 4 && jump-n == 4 {
		leapJ++
	}
	gy := jy + 621
	leapG := floorDiv(gy, 4) - floorDiv((floorDiv(gy, 100)+1)*3, 4) - 150
	return dayNumber(gy, time.March, 20+leapJ-leapG)
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// dayNumber counts days from 1970-01-01 to a Gregorian day; time.Date
// normalises a day beyond the month's end.
func dayNumber(year int, month time.Month, day int) int {
	return int(time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func civil(n int) (int, time.Month, int) {
	return time.Unix(int64(n)*86400, 0).UTC().Date()
}

var monthNames = [...]string{"فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
	"مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"}

// MonthName returns the Persian name of month m (1 = فروردین … 12 = اسفند),
// or "" when m is out of range.
func MonthName(m int) string {
	if m < 1 || m > 12 {
		return ""
	}
	return monthNames[m-1]
}

// weekdayNames are in time.Weekday order, Sunday first.
var weekdayNames = [...]string{"یکشنبه", "دوشنبه", "سه\u200cشنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه"}

// WeekdayName returns the Persian name of w (time.Saturday = شنبه, the first
// day of the Iranian week), or "" when w is out of range.
func WeekdayName(w time.Weekday) string {
	if w < time.Sunday || w > time.Saturday {
		return ""
	}
	return weekdayNames[w]
}

// FormatDate formats the day of t in t's location as the digest shows it:
// "جمعه ۶ آذر ۱۴۰۵" (weekday, day, month name, year; Persian digits).
// Callers pass t.In(tehran).
func FormatDate(t time.Time) string {
	d := Of(t)
	return persian.Digits(fmt.Sprintf("%s %d %s %d", WeekdayName(t.Weekday()), d.Day, MonthName(d.Month), d.Year))
}

// FormatTime formats the clock time of t in t's location as "۱۴:۳۰".
func FormatTime(t time.Time) string {
	return persian.Digits(t.Format("15:04"))
}
