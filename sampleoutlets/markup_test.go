package sampleoutlets

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	ptime "github.com/yaa110/go-persian-calendar"

	"mediadigest"
	"mediadigest/persian"
	"mediadigest/profile"
)

// articleFiles lists the article pages of an outlet in the embedded files.
func articleFiles(t *testing.T, id string) []string {
	t.Helper()
	dir := map[string]string{ISNA: "testdata/outlets/isna/news", Eghtesad24: "testdata/outlets/eghtesad24/fa/news"}[id]
	names, err := fs.Glob(mediadigest.SampleOutlets, dir+"/*.html")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("no article pages in %s", dir)
	}
	return names
}

func parse(t *testing.T, name string) *goquery.Document {
	t.Helper()
	f, err := mediadigest.SampleOutlets.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := goquery.NewDocumentFromReader(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return doc
}

// scope applies the profile's container, as docs/configuration.md#the-built-in-profiles selectors are read
// inside it.
func scope(doc *goquery.Document, p *profile.Profile) *goquery.Selection {
	if p.Selectors.Container == "" {
		return doc.Selection
	}
	return doc.Find(p.Selectors.Container)
}

// TestArticleMarkup reads every article page with the built-in profile's
// selectors: each must yield a title, a body of at least three non-empty
// paragraphs, and a visible Jalali date equal to the machine-readable one.
func TestArticleMarkup(t *testing.T) {
	for _, id := range []string{ISNA, Eghtesad24} {
		p := builtin(t, id)
		for _, name := range articleFiles(t, id) {
			t.Run(name, func(t *testing.T) {
				doc := parse(t, name)
				s := scope(doc, p)
				if s.Length() != 1 {
					t.Fatalf("container %q matches %d elements", p.Selectors.Container, s.Length())
				}
				if title := strings.TrimSpace(s.Find(p.Selectors.Title).First().Text()); title == "" {
					t.Errorf("no title at %q", p.Selectors.Title)
				}
				// 312495 has no lead on purpose (README, special case 12).
				if lead := strings.TrimSpace(s.Find(p.Selectors.Lead).Text()); (lead == "") != strings.HasSuffix(name, "/312495.html") {
					t.Errorf("lead at %q: %q", p.Selectors.Lead, lead)
				}
				paras := 0
				s.Find(p.Selectors.Body).Each(func(_ int, para *goquery.Selection) {
					if strings.TrimSpace(para.Text()) != "" {
						paras++
					}
				})
				if paras < 3 {
					t.Errorf("%d body paragraphs at %q, want at least 3", paras, p.Selectors.Body)
				}
				if s.Find(p.Selectors.Section).Length() == 0 || s.Find(p.Selectors.Tags).Length() == 0 {
					t.Errorf("no section at %q or no tags at %q", p.Selectors.Section, p.Selectors.Tags)
				}
				visible := strings.TrimSpace(s.Find(p.Selectors.Date).Text())
				shown, err := parseVisibleDate(visible)
				if err != nil {
					t.Fatalf("date at %q: %v", p.Selectors.Date, err)
				}
				published, err := machineDate(doc, p)
				if err != nil {
					t.Fatal(err)
				}
				if !shown.Equal(published) {
					t.Errorf("visible date %q is %v, machine-readable date is %v", visible, shown, published)
				}
			})
		}
	}
}

// machineDate reads the page's ISO 8601 time: Eghtesad24's
// article:published_time meta (in <head>, outside the #news container) or
// ISNA's JSON-LD datePublished.
func machineDate(doc *goquery.Document, p *profile.Profile) (time.Time, error) {
	if sel := p.Selectors.DateMeta; sel != "" {
		if v, ok := doc.Find(sel).Attr("content"); ok {
			return time.Parse(time.RFC3339, v)
		}
	}
	var ld struct {
		DatePublished time.Time `json:"datePublished"`
	}
	raw := doc.Find(`script[type="application/ld+json"]`).Text()
	if err := json.Unmarshal([]byte(raw), &ld); err != nil {
		return time.Time{}, fmt.Errorf("JSON-LD: %w", err)
	}
	return ld.DatePublished, nil
}

var (
	tehranZone   = time.FixedZone("+0330", 3*3600+1800)
	jalaliMonths = map[string]ptime.Month{"مهر": ptime.Mehr, "آبان": ptime.Aban, "آذر": ptime.Azar, "دی": ptime.Dey}
	// "۴ آذر ۱۴۰۵ / ۱۹:۳۱" (ISNA) and "تاریخ انتشار: ۰۸:۴۵ - ۴ آذر ۱۴۰۵"
	// (Eghtesad24), after digits are made ASCII.
	isnaDate = regexp.MustCompile(`^(\d{1,2}) (\S+) (\d{4}) / (\d{2}):(\d{2})$`)
	eghDate  = regexp.MustCompile(`^تاریخ انتشار: (\d{2}):(\d{2}) - (\d{1,2}) (\S+) (\d{4})$`)
)

// parseVisibleDate reads the two outlets' visible dates on its own, rather
// than with package jalali, which these pages are the test data of.
func parseVisibleDate(s string) (time.Time, error) {
	s = strings.Map(func(r rune) rune {
		if r >= '۰' && r <= '۹' {
			return '0' + r - '۰'
		}
		return r
	}, s)
	var day, month, year, hour, minute string
	if m := isnaDate.FindStringSubmatch(s); m != nil {
		day, month, year, hour, minute = m[1], m[2], m[3], m[4], m[5]
	} else if m := eghDate.FindStringSubmatch(s); m != nil {
		hour, minute, day, month, year = m[1], m[2], m[3], m[4], m[5]
	} else {
		return time.Time{}, fmt.Errorf("%q is in neither outlet's format", s)
	}
	mon, ok := jalaliMonths[month]
	if !ok {
		return time.Time{}, fmt.Errorf("%q: unknown month %q", s, month)
	}
	n := func(v string) int { i, _ := strconv.Atoi(v); return i }
	return ptime.Date(n(year), mon, n(day), n(hour), n(minute), 0, 0, tehranZone).Time(), nil
}

func TestParseVisibleDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"۴ آذر ۱۴۰۵ / ۱۹:۳۱", time.Date(2026, 11, 25, 16, 1, 0, 0, time.UTC)},
		{"5 آذر 1405 / 00:10", time.Date(2026, 11, 25, 20, 40, 0, 0, time.UTC)},
		{"تاریخ انتشار: ۲۳:۴۵ - ۴ آذر ۱۴۰۵", time.Date(2026, 11, 25, 20, 15, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := parseVisibleDate(tt.in)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseVisibleDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if _, err := parseVisibleDate("۴ آذر ۱۴۰۵"); err == nil {
		t.Error("a date without time parsed")
	}
}

// TestReadmeNamesExistingFiles keeps the special-case list of
// testdata/outlets/README.md, which other packages' tests point at, true.
func TestReadmeNamesExistingFiles(t *testing.T) {
	readme, err := fs.ReadFile(mediadigest.SampleOutlets, "testdata/outlets/README.md")
	if err != nil {
		t.Fatal(err)
	}
	// Lower case only: "isna/news/{id}.html" and "…/Y-M-D-pP.html" are
	// patterns, not files.
	names := regexp.MustCompile("`((?:isna|eghtesad24)/[a-z0-9_./-]+\\.(?:html|xml|txt))`").FindAllStringSubmatch(string(readme), -1)
	if len(names) < 20 {
		t.Fatalf("README.md names %d files, want the special cases listed", len(names))
	}
	for _, m := range names {
		if _, err := fs.Stat(mediadigest.SampleOutlets, "testdata/outlets/"+m[1]); err != nil {
			t.Errorf("README.md names %s: %v", m[1], err)
		}
	}
}

// bodyParagraphs returns the texts of an article page's body paragraphs,
// read with the outlet's profile.
func bodyParagraphs(t *testing.T, id, name string) (paras []string, links []int) {
	t.Helper()
	p := builtin(t, id)
	scope(parse(t, name), p).Find(p.Selectors.Body).Each(func(_ int, s *goquery.Selection) {
		paras = append(paras, strings.TrimSpace(s.Text()))
		links = append(links, s.Find("a").Length())
	})
	return paras, links
}

// TestSpecialCases checks the cases testdata/outlets/README.md promises,
// in the forms the cleaning stage compares (docs/cleaning.md).
func TestSpecialCases(t *testing.T) {
	const (
		egh     = "testdata/outlets/eghtesad24/fa/news/"
		channel = "برای دریافت سریع‌ترین اخبار اقتصادی به کانال تلگرام اقتصاد۲۴ بپیوندید."
	)
	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"real sample prints its promo line twice", func(t *testing.T) {
			paras, _ := bodyParagraphs(t, Eghtesad24, egh+"312480.html")
			want := "بیشتر بخوانید:آزادی بخشی از منابع مالی مسدود شده ایران در چند کشور"
			if len(paras) < 3 || paras[1] != want || paras[2] != want || paras[len(paras)-1] != "منبع: ایسنا" {
				t.Errorf("paragraphs 2, 3 and last are %q, %q, %q", paras[1], paras[2], paras[len(paras)-1])
			}
		}},
		{"a paragraph repeats with other spacing", func(t *testing.T) {
			paras, _ := bodyParagraphs(t, Eghtesad24, egh+"312417.html")
			if paras[1] == paras[5] || persian.Key(paras[1]) != persian.Key(paras[5]) {
				t.Errorf("paragraphs 2 and 6 should differ in spacing only:\n%s\n%s", paras[1], paras[5])
			}
		}},
		{"bare marker then a link-only paragraph", func(t *testing.T) {
			paras, links := bodyParagraphs(t, Eghtesad24, egh+"312508.html")
			i := slices.Index(paras, "بیشتر بخوانید:")
			if i < 0 || i+1 == len(paras) || links[i+1] != 1 {
				t.Errorf("no bare marker followed by a link in %q", paras)
			}
		}},
		{"the outlet's channel line recurs", func(t *testing.T) {
			n := 0
			for _, name := range articleFiles(t, Eghtesad24) {
				paras, _ := bodyParagraphs(t, Eghtesad24, name)
				if slices.ContainsFunc(paras, func(p string) bool { return persian.Key(p) == persian.Key(channel) }) {
					n++
				}
			}
			if n < 3 {
				t.Errorf("channel line in %d articles, want at least 3", n)
			}
		}},
		{"Arabic yeh and kaf in a title", func(t *testing.T) {
			p := builtin(t, ISNA)
			title := parse(t, "testdata/outlets/isna/news/1405090404102.html").Find(p.Selectors.Title).First().Text()
			if !strings.ContainsAny(title, "يك") || persian.Display(title) == title {
				t.Errorf("title %q has no Arabic letters to normalise", title)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.check)
	}
}
