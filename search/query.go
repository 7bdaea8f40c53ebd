package search

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"mediadigest/jalali"
	"mediadigest/persian"
	"mediadigest/store"
)

// Limits of a query, so that what is typed cannot make a search slow.
const (
	MaxQueryRunes = 256 // of the text typed
	MaxTerms      = 16  // words and phrases, excluded ones included
)

// Error is a query the engine refuses, with a message for the person who
// typed it. Field names the part at fault: "q", "outlet", "topic",
// "from", "to", "page", "per_page" or "story".
type Error struct {
	Field string
	// Msg is in English, for logs and the command line; Fa says the same
	// in Persian, for the desk.
	Msg, Fa string
}

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

func queryError(field, fa, format string, args ...any) *Error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...), Fa: fa}
}

// parsed is the text of a query read into terms of the search form.
type parsed struct {
	include, exclude []store.SearchTerm
}

// quotes open and close a phrase: ASCII and typographic double quotes,
// and the guillemets of Persian text.
const (
	openQuotes  = "\"“«"
	closeQuotes = "\"”»"
)

// parse reads the query language of docs/search.md: words, "phrases"
// (also «…» and “…”), and -word or -"phrase" to exclude. Each word or
// phrase becomes a term of the search form (persian.Search); a word that
// splits into several search words («می‌رود», «covid-19») is a phrase of
// them. Everything is taken as text: FTS syntax (NEAR, AND, *, ^, :, (…))
// is searched for as the words it holds, or ignored as punctuation.
func parse(text string) (parsed, error) {
	var p parsed
	if n := utf8.RuneCountInString(text); n > MaxQueryRunes {
		return p, queryError("q", fmt.Sprintf("عبارت جست‌وجو بیش از %s نویسه است؛ کوتاه‌ترش کنید.", persian.Digits(fmt.Sprint(MaxQueryRunes))),
			"the query is %d characters long; at most %d are read", n, MaxQueryRunes)
	}
	raw := splitTerms(persian.Display(text))
	if len(raw) > MaxTerms {
		return p, queryError("q", fmt.Sprintf("عبارت جست‌وجو بیش از %s واژه یا عبارت دارد.", persian.Digits(fmt.Sprint(MaxTerms))),
			"the query has %d words or phrases; at most %d are allowed", len(raw), MaxTerms)
	}
	for _, r := range raw {
		t, err := term(r.text)
		if err != nil {
			return p, err
		}
		if t == nil {
			continue // punctuation only
		}
		if r.exclude {
			p.exclude = append(p.exclude, t)
		} else {
			p.include = append(p.include, t)
		}
	}
	if len(p.include) == 0 {
		switch {
		case len(p.exclude) > 0:
			return p, queryError("q", "فقط واژه‌هایی را که نباید باشند نوشته‌اید؛ دست‌کم یک واژه برای جست‌وجو بنویسید.",
				"the query only excludes (-word); give at least one word to look for")
		case strings.TrimSpace(text) == "":
			return p, queryError("q", "عبارتی برای جست‌وجو بنویسید.", "the query is empty")
		default:
			return p, queryError("q", "عبارت جست‌وجو هیچ حرف یا رقمی ندارد.", "the query holds no letter or digit to look for")
		}
	}
	return p, nil
}

// rawTerm is one word or phrase as typed.
type rawTerm struct {
	text    string
	exclude bool
}

// splitTerms splits a query into words and quoted phrases; an unclosed
// quote runs to the end.
func splitTerms(s string) []rawTerm {
	var out []rawTerm
	for s != "" {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			break
		}
		exclude := false
		if rest, ok := cutMinus(s); ok {
			exclude, s = true, rest
		}
		r, size := utf8.DecodeRuneInString(s)
		var text string
		if strings.ContainsRune(openQuotes, r) {
			s = s[size:]
			end := strings.IndexFunc(s, func(r rune) bool { return strings.ContainsRune(closeQuotes, r) })
			if end < 0 {
				text, s = s, ""
			} else {
				_, n := utf8.DecodeRuneInString(s[end:])
				text, s = s[:end], s[end+n:]
			}
		} else {
			end := strings.IndexFunc(s, unicode.IsSpace)
			if end < 0 {
				end = len(s)
			}
			text, s = s[:end], s[end:]
		}
		out = append(out, rawTerm{text: text, exclude: exclude})
	}
	return out
}

// cutMinus cuts the minus sign (ASCII or U+2212) that excludes a term.
func cutMinus(s string) (string, bool) {
	for _, m := range []string{"-", "\u2212"} {
		if rest, ok := strings.CutPrefix(s, m); ok && rest != "" {
			if r, _ := utf8.DecodeRuneInString(rest); unicode.IsSpace(r) {
				continue
			}
			return rest, true
		}
	}
	return s, false
}

// term returns the phrases of one word or phrase as typed: its search
// words and, when it holds a ZWNJ, the same with the ZWNJs left out, so
// that «دانش‌آموز» also finds «دانشآموز». It returns nil for text without
// letters or digits.
func term(text string) (store.SearchTerm, error) {
	words := persian.SearchWords(text)
	if len(words) == 0 {
		return nil, nil
	}
	for _, w := range words {
		if utf8.RuneCountInString(w) > store.MaxSearchWordRunes {
			return nil, queryError("q", fmt.Sprintf("واژه‌ای بلندتر از %s حرف در عبارت جست‌وجو هست.", persian.Digits(fmt.Sprint(store.MaxSearchWordRunes))),
				"a word of the query is longer than %d letters, which the index leaves out", store.MaxSearchWordRunes)
		}
	}
	t := store.SearchTerm{words}
	if strings.ContainsRune(text, '\u200c') {
		glued := persian.SearchWords(strings.ReplaceAll(text, "\u200c", ""))
		if strings.Join(glued, " ") != strings.Join(words, " ") {
			t = append(t, glued)
		}
	}
	return t, nil
}

// Dates reads the bounds of a date range as typed, each a Gregorian
// (2026-11-18) or Jalali (1405/08/27) day in loc, and returns the start
// of from and the end of to (the start of the next day), for Query.From
// and Query.To. An empty string does not bound.
func Dates(from, to string, loc *time.Location) (start, end time.Time, err error) {
	if from = strings.TrimSpace(from); from != "" {
		d, err := jalali.ParseDay(from)
		if err != nil {
			return start, end, queryError("from", "تاریخ «از» خوانده نشد؛ مانند ۱۴۰۵/۰۸/۲۷ یا 2026-11-18 بنویسید.", "%v", err)
		}
		start = d.Time(loc)
	}
	if to = strings.TrimSpace(to); to != "" {
		d, err := jalali.ParseDay(to)
		if err != nil {
			return start, end, queryError("to", "تاریخ «تا» خوانده نشد؛ مانند ۱۴۰۵/۰۸/۲۷ یا 2026-11-18 بنویسید.", "%v", err)
		}
		end = d.AddDays(1).Time(loc)
	}
	if err := checkRange(start, end); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return start, end, nil
}

// checkRange refuses a range that ends before it starts.
func checkRange(from, to time.Time) error {
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return queryError("to", "تاریخ «تا» پیش از تاریخ «از» است.",
			"the range ends (%s) before it starts (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return nil
}
