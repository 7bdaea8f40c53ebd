package desk

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"mediadigest/persian"
	"mediadigest/token"
)

// hitsOf returns the story links of a results page, in order.
func hitsOf(t *testing.T, body string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.Data != "a" || n.Parent == nil || n.Parent.Data != "h2" {
			continue
		}
		for _, a := range n.Attr {
			if a.Key == "href" {
				out = append(out, a.Val)
			}
		}
	}
	return out
}

// TestSearchPage: the petrol quota story, which ISNA published and
// Eghtesad24 republished, is found however the query spaces its words —
// ZWNJ, space or nothing before an affix, Arabic letters, other digits —
// as one hit "in 2 outlets" with the matched words marked; the filters
// narrow it, and an exclusion drops it.
func TestSearchPage(t *testing.T) {
	f := sqliteFixture(t)
	petrol := f.article(t, petrolCopy)
	c := f.signIn(t, "analyst@example.com")
	link := "/story/" + petrol.Story
	tests := []struct {
		name, query string
		found       bool
	}{
		{"as written", "q=" + urlQuery("کارت‌های سوخت"), true},
		{"glued", "q=" + urlQuery("کارتهای سوخت"), true},
		{"spaced", "q=" + urlQuery("کارت های سوخت"), true},
		{"Arabic letters and digits", "q=" + urlQuery("سهميه ٦٠ ليتر"), true},
		{"phrase", "q=" + urlQuery(`"سهمیه بنزین آذرماه"`), true},
		{"phrase out of order", "q=" + urlQuery(`"آذرماه بنزین سهمیه"`), false},
		{"excluded", "q=" + urlQuery("کارت سوخت -موتورسیکلت‌ها"), false},
		{"Eghtesad24 only", "q=" + urlQuery("کارت سوخت") + "&outlet=eghtesad24", true},
		{"topic energy", "q=" + urlQuery("کارت سوخت") + "&topic=energy", true},
		{"topic of another story", "q=" + urlQuery("کارت سوخت") + "&topic=currency", false},
		{"its day, Jalali", "q=" + urlQuery("کارت سوخت") + "&from=" + urlQuery("۱۴۰۵/۰۹/۰۵") + "&to=1405/09/05", true},
		{"the day before, Gregorian", "q=" + urlQuery("کارت سوخت") + "&to=2026-11-25", false},
		{"by relevance", "q=" + urlQuery("کارتهای سوخت") + "&order=relevance", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := f.get(t, c, "/search?"+tc.query)
			if p.code != http.StatusOK {
				t.Fatalf("%d\n%s", p.code, p.body)
			}
			hits := hitsOf(t, p.body)
			if got := slices.Contains(hits, link); got != tc.found {
				t.Fatalf("the petrol story found: %v, want %v; hits %q", got, tc.found, hits)
			}
			if !tc.found {
				return
			}
			card := p.body[strings.Index(p.body, `<a href="`+link+`"`):]
			card = card[:strings.Index(card, "</li>")]
			if !strings.Contains(card, "در ۲ رسانه") {
				t.Errorf("the hit does not say it is in 2 outlets:\n%s", card)
			}
			if !strings.Contains(card, "<mark>") {
				t.Errorf("the hit marks no word:\n%s", card)
			}
		})
	}
}

// TestSearchMarksTheTextAsWritten: the marked words are the text's, in
// its display form, whatever spelling the query used.
func TestSearchMarksTheTextAsWritten(t *testing.T) {
	f := sqliteFixture(t)
	c := f.signIn(t, "analyst@example.com")
	p := f.get(t, c, "/search?q="+urlQuery("کارتهای سوخت"))
	marks := regexp.MustCompile(`<mark>([^<]*)</mark>`).FindAllStringSubmatch(p.body, -1)
	var got []string
	for _, m := range marks {
		got = append(got, html.UnescapeString(m[1]))
	}
	// Matched words side by side are one mark.
	if !slices.Contains(got, "کارت‌های سوخت") {
		t.Errorf("marked %q, want the text's own کارت‌های سوخت", got)
	}
}

// TestSearchPages: a query matching more stories than a page holds is
// paged: every story once, 20 a page, the count, links back and forth.
func TestSearchPages(t *testing.T) {
	f := sqliteFixture(t)
	c := f.signIn(t, "analyst@example.com")
	first := f.get(t, c, "/search?q="+urlQuery("در"))
	hits := hitsOf(t, first.body)
	if len(hits) != 20 {
		t.Fatalf("page 1 shows %d hits, want 20", len(hits))
	}
	next := regexp.MustCompile(`<a href="([^"]*)" rel="next">`).FindStringSubmatch(first.body)
	if next == nil {
		t.Fatalf("page 1 has no link to page 2:\n%s", first.body)
	}
	second := f.get(t, c, html.UnescapeString(next[1]))
	more := hitsOf(t, second.body)
	if len(more) == 0 || len(more) > 20 {
		t.Fatalf("page 2 shows %d hits", len(more))
	}
	all := append(slices.Clone(hits), more...)
	slices.Sort(all)
	if len(slices.Compact(all)) != len(hits)+len(more) {
		t.Errorf("a story is on both pages: %q, %q", hits, more)
	}
	total := fmt.Sprintf("%d خبر", len(hits)+len(more))
	if !strings.Contains(first.body, persian.Digits(total)) || !strings.Contains(second.body, `rel="prev"`) || strings.Contains(second.body, `rel="next"`) {
		t.Errorf("the pages do not say %q, or link wrongly:\n%s", total, second.body)
	}
}

// TestSearchRefusals: a query the engine cannot run shows the form again
// with a message in Persian, status 400: never a 500, never SQL.
func TestSearchRefusals(t *testing.T) {
	f := sqliteFixture(t)
	c := f.signIn(t, "analyst@example.com")
	tests := []struct {
		name, query string
		code        int
	}{
		{"FTS syntax", `q=` + urlQuery(`"بنزین* (سهمیه) NEAR AND title: ^سوخت`), http.StatusOK},
		{"an unclosed quote", `q=` + urlQuery(`"بنزین`), http.StatusOK},
		{"empty", "q=", http.StatusBadRequest},
		{"spaces", "q=" + urlQuery("   "), http.StatusBadRequest},
		{"punctuation", "q=" + urlQuery("؟!«»() * :"), http.StatusBadRequest},
		{"10 KB", "q=" + urlQuery(strings.Repeat("بنزین ", 2000)), http.StatusBadRequest},
		{"exclusions only", "q=" + urlQuery("-بنزین"), http.StatusBadRequest},
		{"a range backwards", "q=x&from=1405/09/05&to=1405/09/01", http.StatusBadRequest},
		{"a date it cannot read", "q=x&from=yesterday", http.StatusBadRequest},
		{"page 1000000000", "q=" + urlQuery("بنزین") + "&page=1000000000", http.StatusBadRequest},
		{"page -1", "q=" + urlQuery("بنزین") + "&page=-1", http.StatusBadRequest},
		{"page past int", "q=" + urlQuery("بنزین") + "&page=99999999999999999999", http.StatusBadRequest},
		{"an unknown outlet", "q=" + urlQuery("بنزین") + "&outlet=bbc", http.StatusBadRequest},
		{"an unknown topic", "q=" + urlQuery("بنزین") + "&topic=weather", http.StatusBadRequest},
		{"an unknown order", "q=" + urlQuery("بنزین") + "&order=random", http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := f.get(t, c, "/search?"+tc.query)
			if p.code != tc.code {
				t.Fatalf("status %d, want %d\n%s", p.code, tc.code, p.body)
			}
			if strings.Contains(strings.ToLower(p.body), "sql") || strings.Contains(p.body, "fts5") {
				t.Errorf("the page shows the database's words:\n%s", p.body)
			}
			if !strings.Contains(p.body, `<form class="search"`) {
				t.Errorf("the page does not give the form back:\n%s", p.body)
			}
			if tc.code == http.StatusBadRequest && !strings.Contains(p.body, `role="alert"`) {
				t.Errorf("the page does not say what is wrong:\n%s", p.body)
			}
		})
	}
	if p := f.get(t, c, "/search"); p.code != http.StatusOK || strings.Contains(p.body, `role="alert"`) {
		t.Errorf("the empty form: %d, or it shows an error:\n%s", p.code, p.body)
	}
}

// atomOf is the part of an Atom feed the tests read.
type atomOf struct {
	Title   string `xml:"title"`
	Entries []struct {
		ID    string `xml:"id"`
		Title string `xml:"title"`
		Links []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Summary string `xml:"summary"`
	} `xml:"entry"`
}

// TestSearchFeed: the results page links to the query's Atom feed; a
// feed reader, with no session, reads the stories found through the
// link's token. A forged token, another purpose's, a removed
// subscriber's, or none gets 403; a bad query, 400.
func TestSearchFeed(t *testing.T) {
	f := sqliteFixture(t)
	petrol := f.article(t, petrolCopy)
	c := f.signIn(t, "analyst@example.com")
	p := f.get(t, c, "/search?q="+urlQuery("کارتهای سوخت"))
	m := regexp.MustCompile(`<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]*)">`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("the results page links no feed:\n%s", p.body)
	}
	feedLink := html.UnescapeString(m[1])
	reader := &http.Client{} // no cookies: a feed reader
	got := f.get(t, reader, feedLink)
	if got.code != http.StatusOK || !strings.HasPrefix(got.hdr.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed: %d %s\n%s", got.code, got.hdr.Get("Content-Type"), got.body)
	}
	var feed atomOf
	if err := xml.Unmarshal([]byte(got.body), &feed); err != nil {
		t.Fatalf("the feed is no XML: %v\n%s", err, got.body)
	}
	want := f.srv.URL + "/story/" + petrol.Story
	var found bool
	for _, e := range feed.Entries {
		if e.ID == want && strings.Contains(e.Title, "سهمیه بنزین") && strings.Contains(e.Summary, "کارت‌های سوخت") {
			found = true
		}
	}
	if !found || !strings.Contains(feed.Title, "کارتهای سوخت") {
		t.Errorf("the feed %q has no entry for %s:\n%s", feed.Title, want, got.body)
	}

	u, err := url.Parse(feedLink)
	if err != nil {
		t.Fatal(err)
	}
	withToken := func(tok string) string {
		v := u.Query()
		if tok == "" {
			v.Del("token")
		} else {
			v.Set("token", tok)
		}
		return "/search.atom?" + v.Encode()
	}
	signer := f.desk.site.Signer()
	forged := []byte(u.Query().Get("token"))
	forged[len(forged)-2] ^= 1
	for _, tc := range []struct {
		name, path string
		code       int
	}{
		{"forged", withToken(string(forged)), http.StatusForbidden},
		{"a login link's token", withToken(signer.Make("analyst@example.com", token.Login, 0)), http.StatusForbidden},
		{"a subscriber not in the config", withToken(signer.Make("gone@example.com", token.Feed, 0)), http.StatusForbidden},
		{"no token", withToken(""), http.StatusForbidden},
		{"a bad query", "/search.atom?q=" + urlQuery("؟!") + "&token=" + url.QueryEscape(u.Query().Get("token")), http.StatusBadRequest},
	} {
		if got := f.get(t, reader, tc.path); got.code != tc.code {
			t.Errorf("%s: %d, want %d\n%s", tc.name, got.code, tc.code, got.body)
		}
	}
	if got := f.get(t, c, withToken("")); got.code != http.StatusOK {
		t.Errorf("a signed-in browser without a token: %d, want 200", got.code)
	}
}
