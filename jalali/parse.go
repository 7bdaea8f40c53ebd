package jalali

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"mediadigest/persian"
)

// Parse reads a visible date as news sites print it (docs/configuration.md#the-built-in-profiles), with Persian
// or ASCII digits, in loc (Tehran time), and returns it in UTC.
//
// It reads a clock time H:MM or H:MM:SS anywhere (midnight when there is
// none) and a day, either as "day month-name year" (۹ خرداد ۱۴۰۴, with the
// month also as مهرماه or مهر ماه, in any spelling Display and Match fold:
// Arabic ي/ك, اردی‌بهشت with or without ZWNJ or space, and امرداد) or as
// numbers YYYY/MM/DD or YYYY-MM-DD. Every other word (weekday, "تاریخ
// انتشار", "ساعت") is ignored. A two-digit year is 13YY from 50 on, 14YY
// below: ۹۹ is 1399, ۰۵ is 1405. Years outside 1200–1699 are refused, so a
// Gregorian year is not taken for a Jalali one.
//
// Examples: "۹ خرداد ۱۴۰۴ / ۱۹:۳۱", "چهارشنبه ۱۲ شهریور ۱۴۰۴ - ۱۸:۱۷",
// "تاریخ انتشار: ۰۸:۴۵ - ۲۷ آبان ۱۴۰۵", "۱۴۰۴/۰۶/۱۲ - ۱۸:۱۷".
func Parse(s string, loc *time.Location) (time.Time, error) {
	r, err := Read(s, loc)
	return r.Time, err
}

// Reading is a visible date as read by Read.
type Reading struct {
	Time     time.Time // in UTC
	HasClock bool      // the text gave a clock time; else Time is midnight in loc
}

// Read is Parse, and also reports whether the text gave a clock time: a
// day alone agrees with any time of that day printed elsewhere on a page.
func Read(s string, loc *time.Location) (Reading, error) {
	text := persian.ASCIIDigits(persian.Display(s))
	c, rest, err := cutClock(text)
	if err != nil {
		return Reading{}, fmt.Errorf("jalali: cannot read date %q: %w", s, err)
	}
	d, err := readDay(words(persian.Match(rest)))
	if err != nil {
		return Reading{}, fmt.Errorf("jalali: cannot read date %q: %w", s, err)
	}
	y, m, day := d.Gregorian()
	return Reading{Time: time.Date(y, m, day, c.hour, c.min, c.sec, 0, loc).UTC(), HasClock: c.found}, nil
}

type clock struct {
	hour, min, sec int
	found          bool
}

// cutClock finds the first H:MM or H:MM:SS in text (ASCII digits) and
// returns it with the text around it.
func cutClock(text string) (clock, string, error) {
	for i := 0; i < len(text); i++ {
		if text[i] != ':' {
			continue
		}
		start := digitsBefore(text, i)
		end := digitsAfter(text, i+1)
		if i-start < 1 || i-start > 2 || end-i-1 != 2 {
			continue
		}
		c := clock{hour: atoi(text[start:i]), min: atoi(text[i+1 : end]), found: true}
		if end < len(text) && text[end] == ':' {
			if e := digitsAfter(text, end+1); e-end-1 == 2 {
				c.sec = atoi(text[end+1 : e])
				end = e
			}
		}
		if c.hour > 23 || c.min > 59 || c.sec > 59 {
			return clock{}, "", fmt.Errorf("no such time %s", text[start:end])
		}
		return c, text[:start] + " " + text[end:], nil
	}
	return clock{}, text, nil
}

func digitsBefore(s string, i int) int {
	for i > 0 && isDigit(s[i-1]) {
		i--
	}
	return i
}

func digitsAfter(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// atoi reads a run of at most a few ASCII digits the caller has checked.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func isNumber(tok string) bool {
	return tok != "" && len(tok) <= 4 && digitsAfter(tok, 0) == len(tok)
}

// words splits a matching form at spaces and between digits and letters, so
// that "۱۲شهریور" reads like "۱۲ شهریور".
func words(s string) []string {
	var toks []string
	for _, f := range strings.Fields(s) {
		start := 0
		for i := 1; i < len(f); i++ {
			if isDigit(f[i]) != isDigit(f[i-1]) {
				toks = append(toks, f[start:i])
				start = i
			}
		}
		toks = append(toks, f[start:])
	}
	return toks
}

// readDay finds the day in the words of a matching form.
func readDay(toks []string) (Date, error) {
	var reason error
	for i := range toks {
		m, width := monthAt(toks, i)
		if m == 0 {
			continue
		}
		j := i + width
		switch {
		case i == 0 || !isNumber(toks[i-1]) || len(toks[i-1]) > 2:
			reason = fmt.Errorf("no day before month %s", monthNames[m-1])
		case j == len(toks) || !isNumber(toks[j]) || len(toks[j]) == 3 || len(toks[j]) == 1:
			reason = fmt.Errorf("no year after month %s", monthNames[m-1])
		default:
			return checkDay(fullYear(toks[j]), m, atoi(toks[i-1]))
		}
	}
	if reason != nil {
		return Date{}, reason
	}
	for i := 0; i+2 < len(toks); i++ {
		if len(toks[i]) == 4 && isNumber(toks[i]) && isNumber(toks[i+1]) && isNumber(toks[i+2]) {
			return checkDay(atoi(toks[i]), atoi(toks[i+1]), atoi(toks[i+2]))
		}
	}
	return Date{}, errors.New("no month name")
}

// monthAt reports the month named at toks[i] and how many words the name
// takes: "اردی بهشت" is two, a following "ماه" one more.
func monthAt(toks []string, i int) (month, width int) {
	name, width := toks[i], 1
	if i+1 < len(toks) && name == "اردی" && toks[i+1] == "بهشت" {
		name, width = "اردیبهشت", 2
	}
	if i+width < len(toks) && toks[i+width] == "ماه" {
		width++
	} else if n, ok := strings.CutSuffix(name, "ماه"); ok {
		name = n
	}
	if name == "امرداد" {
		return 5, width
	}
	for k, mn := range monthNames {
		if name == mn {
			return k + 1, width
		}
	}
	return 0, 0
}

func fullYear(tok string) int {
	y := atoi(tok)
	switch {
	case len(tok) > 2:
		return y
	case y >= 50:
		return 1300 + y
	}
	return 1400 + y
}

func checkDay(y, m, d int) (Date, error) {
	date := Date{y, m, d}
	if y < 1200 || y > 1699 {
		return Date{}, fmt.Errorf("year %d is not a Jalali year of news", y)
	}
	if !date.Valid() {
		return Date{}, fmt.Errorf("no such day %s", date)
	}
	return date, nil
}

// ParseDay reads a calendar day as typed on the command line: Gregorian
// "2026-11-18" or Jalali "1405/08/27", with ASCII or Persian digits and
// either separator; years from 1700 on are Gregorian. Its errors name the
// forms it reads.
func ParseDay(s string) (Date, error) {
	d, err := parseDay(s)
	if err != nil {
		return Date{}, fmt.Errorf("jalali: cannot read day %q: %w; want 2026-11-18 or 1405/08/27", s, err)
	}
	return d, nil
}

func parseDay(s string) (Date, error) {
	parts := strings.FieldsFunc(persian.ASCIIDigits(strings.TrimSpace(s)), func(r rune) bool {
		return r == '-' || r == '/'
	})
	if len(parts) != 3 || !isNumber(parts[0]) || !isNumber(parts[1]) || !isNumber(parts[2]) {
		return Date{}, errors.New("not a date")
	}
	y, m, d := atoi(parts[0]), atoi(parts[1]), atoi(parts[2])
	switch {
	case y >= 1700:
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if t.Year() != y || int(t.Month()) != m || t.Day() != d {
			return Date{}, errors.New("no such day")
		}
		return FromGregorian(y, time.Month(m), d), nil
	case d >= 1200:
		return Date{}, errors.New("the year comes first")
	}
	return checkDay(y, m, d)
}
