package search

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"mediadigest/store"
)

var tehran = time.FixedZone("+0330", 3*3600+1800)

func stories(res *Results) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, h.Story)
	}
	return out
}

// TestSearchFinds: every spelling the matching form makes equal finds the
// same stories, newest first, one hit per story, on both databases.
func TestSearchFinds(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, tehran) }
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		// ZWNJ, space or nothing before an affix.
		{"mi with zwnj", Query{Text: "می‌رود"}, []string{"s-vat", "s-quake"}},
		{"mi glued", Query{Text: "میرود"}, []string{"s-vat", "s-quake"}},
		{"mi spaced", Query{Text: "می رود"}, []string{"s-vat", "s-quake"}},
		{"mi with zero width space", Query{Text: "می\u200bرود"}, []string{"s-vat", "s-quake"}},
		{"plural glued, arabic kaf in the text", Query{Text: "بانکهای مرکزی"}, []string{"s-gold", "s-funds"}},
		{"plural with zwnj", Query{Text: "بانک‌های مرکزی"}, []string{"s-gold", "s-funds"}},
		{"plural spaced as a phrase", Query{Text: `"بانک های مرکزی"`}, []string{"s-gold", "s-funds"}},
		{"compound with zwnj finds it glued", Query{Text: "زمین‌لرزه"}, []string{"s-quake"}},
		{"compound glued", Query{Text: "زمینلرزه"}, []string{"s-quake"}},
		{"stem finds the prefixed verb", Query{Text: "رود"}, []string{"s-vat", "s-quake", "s-river"}},
		// Letters, digits and diacritics.
		{"arabic yeh and kaf in the query", Query{Text: "قيمت سكه"}, []string{"s-gold", "s-coin"}},
		{"persian spelling finds arabic", Query{Text: "قیمت سکه"}, []string{"s-gold", "s-coin"}},
		{"diacritics", Query{Text: "قِیمَت"}, []string{"s-gold", "s-coin"}},
		{"persian digits", Query{Text: "۱۱۸"}, []string{"s-gold", "s-coin", "s-funds"}},
		{"arabic digits", Query{Text: "١١٨"}, []string{"s-gold", "s-coin", "s-funds"}},
		{"ascii digits", Query{Text: "118"}, []string{"s-gold", "s-coin", "s-funds"}},
		// The query language.
		{"phrase", Query{Text: `"سکه امامی"`}, []string{"s-coin"}},
		{"guillemets are quotes", Query{Text: "«سکه امامی»"}, []string{"s-coin"}},
		{"words in any order", Query{Text: "امامی سکه"}, []string{"s-gold", "s-coin"}},
		{"exclusion", Query{Text: "دلار -سکه"}, []string{"s-funds"}},
		{"excluded phrase", Query{Text: `سکه -"سکه امامی"`}, []string{"s-gold"}},
		{"unclosed quote runs to the end", Query{Text: `"سکه امامی`}, []string{"s-coin"}},
		{"nothing matches", Query{Text: "آتشفشان"}, nil},
		{"underived articles are not searched", Query{Text: "کرمان"}, nil},
		// Filters.
		{"outlet", Query{Text: "طلا", Outlet: "eghtesad24"}, []string{"s-gold"}},
		{"topic", Query{Text: "امروز", Topic: "parliament"}, []string{"s-vat"}},
		{"topic that the story lacks", Query{Text: "نیشابور", Topic: "economy"}, nil},
		{"from a day", Query{Text: "امروز", From: day(26)}, []string{"s-gold"}},
		{"to a day", Query{Text: "امروز", To: day(25)}, []string{"s-funds"}},
		{"one day", Query{Text: "امروز", From: day(25), To: day(26)}, []string{"s-coin", "s-vat", "s-quake"}},
		// FTS syntax is text.
		{"NEAR is a word", Query{Text: "NEAR(نیشابور زلزله)"}, nil},
		{"AND is a word", Query{Text: "نیشابور AND زلزله"}, nil},
		{"star, caret, colon are punctuation", Query{Text: "^نیشابور* :زلزله^"}, []string{"s-quake"}},
		{"parentheses are punctuation", Query{Text: "(نیشابور)"}, []string{"s-quake"}},
		{"markup in the text is text", Query{Text: "script alert"}, []string{"s-river"}},
	}
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		e := New(st, Options{})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := e.Search(t.Context(), tt.q)
				if err != nil {
					t.Fatal(err)
				}
				if got := stories(res); !slices.Equal(got, tt.want) {
					t.Errorf("Search(%q) = %q, want %q", tt.q.Text, got, tt.want)
				}
				if res.Total != len(tt.want) || res.More {
					t.Errorf("Total %d (more %v), want %d", res.Total, res.More, len(tt.want))
				}
			})
		}
	})
}

// TestSearchHits: a hit is a story with all its articles, which of them
// matched, its outlets, and the shown article's title and snippet in the
// display form with the matched words marked.
func TestSearchHits(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		e := New(st, Options{})
		ctx := t.Context()

		res, err := e.Search(ctx, Query{Text: "لرزه‌نگاری"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) != 1 {
			t.Fatalf("%d hits, want the quake story", len(res.Hits))
		}
		h := res.Hits[0]
		var got []string
		for _, a := range h.Articles {
			got = append(got, a.Outlet+"/"+map[bool]string{true: "matched", false: "not"}[a.Matched])
		}
		if want := []string{"isna/matched", "eghtesad24/not"}; !slices.Equal(got, want) || h.Outlets != 2 {
			t.Errorf("articles %q in %d outlets, want %q in 2", got, h.Outlets, want)
		}
		if h.Article.Outlet != "isna" {
			t.Errorf("shows the %s article, want the one that matched", h.Article.Outlet)
		}
		if s := marked(h.Snippet); !slices.Equal(s, []string{"لرزه‌نگاری"}) {
			t.Errorf("snippet marks %q, want the word as written: %q", s, text(h.Snippet))
		}

		// The newest matching article is shown, its title marked.
		res, err = e.Search(ctx, Query{Text: "نیشابور"})
		if err != nil {
			t.Fatal(err)
		}
		h = res.Hits[0]
		if h.Article.Outlet != "eghtesad24" || !h.Articles[0].Matched || !h.Articles[1].Matched {
			t.Errorf("shows %s, matched %v; want the newest, Eghtesad24's, both matched", h.Article.Outlet, h.Articles)
		}
		if s := marked(h.Title); !slices.Equal(s, []string{"نیشابور"}) {
			t.Errorf("title marks %q in %q", s, text(h.Title))
		}
		// What is marked is spelled as the text has it.
		res, err = e.Search(ctx, Query{Text: "می‌مانند"})
		if err != nil {
			t.Fatal(err)
		}
		if s := marked(res.Hits[0].Snippet); !slices.Equal(s, []string{"میمانند"}) {
			t.Errorf("snippet marks %q, want «میمانند» as written: %q", s, text(res.Hits[0].Snippet))
		}

		// A phrase spelled with a space marks both words, as one span.
		res, err = e.Search(ctx, Query{Text: "میرود", Outlet: "isna", From: time.Date(2026, 11, 25, 10, 0, 0, 0, tehran)})
		if err != nil {
			t.Fatal(err)
		}
		if s := marked(res.Hits[0].Snippet); !slices.Equal(s, []string{"می رود"}) {
			t.Errorf("snippet marks %q, want «می رود»: %q", s, text(res.Hits[0].Snippet))
		}

		// A long paragraph is cut around its first match.
		res, err = e.Search(ctx, Query{Text: "صورتحساب‌های"})
		if err != nil {
			t.Fatal(err)
		}
		if s := text(res.Hits[0].Snippet); !strings.HasPrefix(s, "… ") || !strings.Contains(s, "صورتحساب‌های") {
			t.Errorf("snippet %q: want a cut passage holding the match", s)
		}
		// A match in the title only: the snippet is the start of the lead.
		res, err = e.Search(ctx, Query{Text: "آزادی", Outlet: "eghtesad24"})
		if err != nil {
			t.Fatal(err)
		}
		if s := text(res.Hits[0].Snippet); !strings.HasPrefix(s, "رئیس کل بانک مرکزی") {
			t.Errorf("snippet %q: want the start of the lead", s)
		}
	})
}

func marked(spans []Span) []string {
	var out []string
	for _, s := range spans {
		if s.Hit {
			out = append(out, s.Text)
		}
	}
	return out
}

func text(spans []Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Text)
	}
	return b.String()
}

// TestSearchOrderAndPages: relevance puts the better match first, pages
// split the hits, and the count is the number of stories.
func TestSearchOrderAndPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		e := New(st, Options{})
		ctx := t.Context()
		for _, tt := range []struct {
			text  string
			order Order
			want  []string
		}{
			{"مرکزی", Newest, []string{"s-gold", "s-funds"}},
			// s-funds has «مرکزی» in its lead, s-gold in its text only.
			{"مرکزی", Relevance, []string{"s-funds", "s-gold"}},
			{"رود", Newest, []string{"s-vat", "s-quake", "s-river"}},
			// «رود» is in s-river's title, in the others' paragraphs.
			{"رود", Relevance, []string{"s-river", "s-vat", "s-quake"}},
			// In leads: s-gold, s-coin, s-vat; in paragraphs only: the others.
			{"امروز", Relevance, []string{"s-gold", "s-coin", "s-vat", "s-quake", "s-funds"}},
			// Only s-vat holds both words.
			{"مجلس امروز", Relevance, []string{"s-vat"}},
		} {
			res, err := e.Search(ctx, Query{Text: tt.text, Order: tt.order})
			if err != nil {
				t.Fatal(err)
			}
			if got := stories(res); !slices.Equal(got, tt.want) {
				t.Errorf("%q in order %q: %q, want %q", tt.text, tt.order, got, tt.want)
			}
		}

		all := []string{"s-gold", "s-coin", "s-vat", "s-quake", "s-funds"}
		var paged []string
		for page := 1; page <= 3; page++ {
			res, err := e.Search(ctx, Query{Text: "امروز", Page: page, PerPage: 2})
			if err != nil {
				t.Fatal(err)
			}
			if res.Total != 5 || res.Pages != 3 || res.Page != page {
				t.Errorf("page %d: total %d, pages %d, page %d; want 5 stories on 3 pages", page, res.Total, res.Pages, res.Page)
			}
			paged = append(paged, stories(res)...)
		}
		if !slices.Equal(paged, all) {
			t.Errorf("pages hold %q, want %q", paged, all)
		}
	})
}

// TestSearchBadInput: what the engine refuses gets an *Error naming the
// field at fault, with a message in both languages, never a store error.
func TestSearchBadInput(t *testing.T) {
	tests := []struct {
		name  string
		q     Query
		field string
	}{
		{"empty", Query{}, "q"},
		{"spaces", Query{Text: " \t "}, "q"},
		{"quote only", Query{Text: `"`}, "q"},
		{"star", Query{Text: "*"}, "q"},
		{"parenthesis", Query{Text: "("}, "q"},
		{"colon", Query{Text: ":"}, "q"},
		{"caret", Query{Text: "^"}, "q"},
		{"punctuation only", Query{Text: "«»،؛؟!... -- ()"}, "q"},
		{"only excluded words", Query{Text: "-نیشابور -زلزله"}, "q"},
		{"10 KB", Query{Text: strings.Repeat("نیشابور ", 1280)}, "q"},
		{"too many words", Query{Text: strings.Repeat("الف ", MaxTerms+1)}, "q"},
		{"a word too long to be indexed", Query{Text: strings.Repeat("ب", store.MaxSearchWordRunes+1)}, "q"},
		{"range backwards", Query{Text: "نیشابور", From: time.Date(2026, 11, 26, 0, 0, 0, 0, tehran), To: time.Date(2026, 11, 25, 0, 0, 0, 0, tehran)}, "to"},
		{"empty range", Query{Text: "نیشابور", From: time.Date(2026, 11, 26, 0, 0, 0, 0, tehran), To: time.Date(2026, 11, 26, 0, 0, 0, 0, tehran)}, "to"},
		{"page past the last", Query{Text: "نیشابور", Page: 1000000000}, "page"},
		{"page 2 of nothing", Query{Text: "آتشفشان", Page: 2}, "page"},
		{"negative page", Query{Text: "نیشابور", Page: -1}, "page"},
		{"huge page size", Query{Text: "نیشابور", PerPage: 1000000}, "per_page"},
		{"unknown outlet", Query{Text: "نیشابور", Outlet: "bbc"}, "outlet"},
		{"unknown topic", Query{Text: "نیشابور", Topic: "sport"}, "topic"},
		{"unknown order", Query{Text: "نیشابور", Order: "oldest"}, "order"},
	}
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		e := New(st, Options{Outlets: []string{"isna", "eghtesad24"}, Topics: []string{"economy", "disaster", "parliament"}})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := e.Search(t.Context(), tt.q)
				var qe *Error
				if !errors.As(err, &qe) {
					t.Fatalf("Search = %v, %v; want an *Error", res, err)
				}
				if qe.Field != tt.field || qe.Msg == "" || qe.Fa == "" {
					t.Errorf("error %+v, want field %q with messages", qe, tt.field)
				}
				if strings.Contains(strings.ToLower(qe.Msg), "sql") || strings.Contains(qe.Msg, "fts5") {
					t.Errorf("message %q speaks of the database", qe.Msg)
				}
			})
		}
		t.Run("unknown story", func(t *testing.T) {
			for _, id := range []string{"s-none", "", strings.Repeat("s", 10000), "' OR 1=1 --"} {
				var qe *Error
				if _, err := e.Story(t.Context(), id); !errors.As(err, &qe) || qe.Field != "story" {
					t.Errorf("Story(%.20q) = %v, want an *Error on story", id, err)
				}
			}
			as, err := e.Story(t.Context(), "s-quake")
			if err != nil || len(as) != 2 || as[0].Outlet != "isna" {
				t.Errorf("Story(s-quake) = %v, %v; want its two articles, ISNA's first", as, err)
			}
		})
	})
}

func TestDates(t *testing.T) {
	tests := []struct {
		from, to   string
		start, end time.Time
		field      string
	}{
		{"1405/09/04", "1405/09/04", time.Date(2026, 11, 25, 0, 0, 0, 0, tehran), time.Date(2026, 11, 26, 0, 0, 0, 0, tehran), ""},
		{"2026-11-25", "۱۴۰۵/۰۹/۰۵", time.Date(2026, 11, 25, 0, 0, 0, 0, tehran), time.Date(2026, 11, 27, 0, 0, 0, 0, tehran), ""},
		{"", "2026-11-25", time.Time{}, time.Date(2026, 11, 26, 0, 0, 0, 0, tehran), ""},
		{" ", "", time.Time{}, time.Time{}, ""},
		{"2026-11-26", "2026-11-25", time.Time{}, time.Time{}, "to"},
		{"yesterday", "", time.Time{}, time.Time{}, "from"},
		{"", "1405/13/01", time.Time{}, time.Time{}, "to"},
	}
	for _, tt := range tests {
		start, end, err := Dates(tt.from, tt.to, tehran)
		var qe *Error
		switch {
		case tt.field != "":
			if !errors.As(err, &qe) || qe.Field != tt.field {
				t.Errorf("Dates(%q, %q) = %v, want an *Error on %s", tt.from, tt.to, err, tt.field)
			}
		case err != nil || !start.Equal(tt.start) || !end.Equal(tt.end):
			t.Errorf("Dates(%q, %q) = %v, %v, %v; want %v, %v", tt.from, tt.to, start, end, err, tt.start, tt.end)
		}
	}
}

// FuzzSearch: whatever is typed, the engine answers or refuses with an
// *Error; the store never sees syntax it cannot run.
//
//	go test ./search -run '^$' -fuzz FuzzSearch -fuzztime 1m
func FuzzSearch(f *testing.F) {
	for _, s := range []string{`"`, `*`, `(`, `NEAR`, `AND`, `:`, `^`, `""""`, `"a" OR "b"`, `-`, `--x`, `-"`,
		`{title}: x`, `x NOT y`, `'; DROP TABLE articles; --`, `\`, `نیشابور*`, "می\u200cرود \u200c", "\x00\xff", `«»`, `-«سکه»`} {
		f.Add(s)
	}
	st := openStore(f, backends[0].dsn(f))
	storeFixtures(f, st, loadFixtures(f))
	e := New(st, Options{})
	f.Fuzz(func(t *testing.T, text string) {
		for _, order := range []Order{Newest, Relevance} {
			res, err := e.Search(t.Context(), Query{Text: text, Order: order})
			var qe *Error
			if err != nil && !errors.As(err, &qe) {
				t.Fatalf("Search(%q) = %v", text, err)
			}
			if err == nil && res.Total != len(res.Hits) {
				t.Fatalf("Search(%q): total %d, %d hits on the only page", text, res.Total, len(res.Hits))
			}
		}
	})
}

// TestRankerTier: every term must be in the title (2) or the lead (1) as
// whole words, a phrase as a run of them; any alternative of a term does.
func TestRankerTier(t *testing.T) {
	term := func(alts ...string) store.SearchTerm {
		var st store.SearchTerm
		for _, a := range alts {
			st = append(st, strings.Fields(a))
		}
		return st
	}
	tests := []struct {
		name  string
		terms []store.SearchTerm
		title string
		lead  string
		want  int
	}{
		{"word in the title", []store.SearchTerm{term("نفت")}, "قیمت نفت برنت", "", 2},
		{"word in the lead", []store.SearchTerm{term("نفت")}, "قیمت برنت", "نفت گران شد", 1},
		{"part of a word only", []store.SearchTerm{term("نفت")}, "نفتکش ها", "پتروشیمی نفتی", 0},
		{"word ends a longer one", []store.SearchTerm{term("فت")}, "نفت", "نفت فتح", 0},
		{"phrase in order", []store.SearchTerm{term("کارت سوخت")}, "سهمیه کارت سوخت", "", 2},
		{"phrase out of order", []store.SearchTerm{term("کارت سوخت")}, "سوخت کارت", "کارت و سوخت", 0},
		{"phrase found past a near miss", []store.SearchTerm{term("کارت سوخت")}, "کارت سوختگی و کارت سوخت", "", 2},
		{"every term", []store.SearchTerm{term("نفت"), term("گاز")}, "نفت و گاز", "", 2},
		{"terms split between title and lead", []store.SearchTerm{term("نفت"), term("گاز")}, "نفت", "گاز", 0},
		{"an alternative", []store.SearchTerm{term("میرود", "می رود")}, "او می رود", "", 2},
		{"the whole text", []store.SearchTerm{term("نفت")}, "نفت", "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := store.SearchMatch{Title: tt.title, Lead: tt.lead}
			if got := newRanker(tt.terms).tier(m); got != tt.want {
				t.Errorf("tier = %d, want %d", got, tt.want)
			}
		})
	}
}
