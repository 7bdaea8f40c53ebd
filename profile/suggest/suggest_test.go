package suggest

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mediadigest/dedupe"
	"mediadigest/internal/evalset"
	"mediadigest/scrape"
)

func evalPages(t *testing.T) (*evalset.Set, map[string][]Page) {
	t.Helper()
	set, err := evalset.Load(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]Page{}
	for _, p := range set.Pages {
		by[p.Outlet] = append(by[p.Outlet], Page{Name: p.File, HTML: p.HTML})
	}
	return set, by
}

// TestSuggestEvalOutlets proposes a profile for each outlet of the
// evaluation set from its three saved pages: the profile parses, reads
// every page right, and is sure of its selectors; where it cannot be (a
// body of <br> lines) it says so.
func TestSuggestEvalOutlets(t *testing.T) {
	set, by := evalPages(t)
	for _, o := range set.Outlets {
		t.Run(o.ID, func(t *testing.T) {
			s, err := Suggest(by[o.ID], o.ID)
			if err != nil {
				t.Fatal(err)
			}
			p, err := s.Profile()
			if err != nil {
				t.Fatal(err)
			}
			if o.ID == "donya" {
				// One page writes its body as lines between <br>s.
				if s.Body.Confidence == 1 || !strings.Contains(string(must(s.YAML())), "CHECK") {
					t.Errorf("body %+v: want it flagged", s.Body)
				}
				return
			}
			if o.ID == "fars" {
				// Bootstrap's layout classes (mb-2, p-2, col-12) are
				// never named when the element has a class of meaning.
				got := []string{s.Container.Value, s.Title.Value, s.Lead.Value, s.Body.Value}
				want := []string{"div.news-box", "h1.title", "p.lead", "div.nt-body div"}
				if strings.Join(got, " | ") != strings.Join(want, " | ") {
					t.Errorf("selectors %q, want %q", got, want)
				}
			}
			for name, f := range map[string]Field{"title": s.Title, "lead": s.Lead, "body": s.Body, "date": s.Date} {
				if f.Value == "" || f.Confidence != 1 {
					t.Errorf("%s: %+v", name, f)
				}
			}
			rules, err := dedupe.NewRules(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, pg := range set.Pages {
				if pg.Outlet != o.ID {
					continue
				}
				a, err := scrape.Extract(p, pg.URL, pg.HTML)
				if err != nil {
					t.Fatalf("%s: %v", pg.File, err)
				}
				c := dedupe.CleanArticle(a.RawLead, a.Raw, rules, nil)
				got := evalset.Check(pg.Expect, evalset.Got{Title: a.Title, Lead: c.Lead, Paragraphs: c.Paragraphs, Published: a.Published})
				if m := got.Misses(); len(m) > 0 {
					t.Errorf("%s: wrong %v with\n%s", pg.File, m, must(s.YAML()))
				}
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestSuggestRefusesMixedPages: pages of several outlets, told apart by
// their hosts or, without addresses, by their article markup.
func TestSuggestRefusesMixedPages(t *testing.T) {
	_, by := evalPages(t)
	stripAddresses := func(p Page) Page {
		re := regexp.MustCompile(`<link rel="canonical"[^>]*>|<meta property="og:url"[^>]*>`)
		p.HTML = re.ReplaceAll(p.HTML, nil)
		return p
	}
	tests := []struct {
		name  string
		pages []Page
		want  string
	}{
		{"hosts", []Page{by["yjc"][0], by["tabnak"][0], by["asriran"][0]}, "is on"},
		{"markup", []Page{stripAddresses(by["mehr"][0]), stripAddresses(by["mehr"][1]), stripAddresses(by["fars"][0])}, "article markup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Suggest(tt.pages, "")
			if !errors.Is(err, ErrDifferentOutlets) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrDifferentOutlets (%s)", err, tt.want)
			}
		})
	}
	if _, err := Suggest(by["yjc"][:2], ""); err == nil || !strings.Contains(err.Error(), "at least 3") {
		t.Errorf("two pages: err = %v", err)
	}
}

// TestSuggestFlagsChrome: a headline that is the same on every page (the
// site's name in an h1) is the site's chrome, not the title.
func TestSuggestFlagsChrome(t *testing.T) {
	page := func(i int) Page {
		return Page{Name: fmt.Sprint(i), HTML: []byte(fmt.Sprintf(`<html><body><header><a href="/">خانه</a></header>
<div class="post"><h1 class="site">پایگاه خبری نمونه</h1><div class="text"><p>متن خبر شماره %d که به اندازه کافی بلند است تا متن اصلی صفحه باشد و خوانده شود.</p><p>پاراگراف دوم خبر %d.</p></div></div></body></html>`, i, i))}
	}
	s, err := Suggest([]Page{page(1), page(2), page(3)}, "x")
	if err != nil {
		t.Fatal(err)
	}
	if s.Title.Confidence != 0 || !strings.Contains(s.Title.Note, "chrome") {
		t.Errorf("title %+v", s.Title)
	}
	if y := string(must(s.YAML())); !strings.Contains(y, "CHECK: the same text on every page") {
		t.Errorf("not flagged:\n%s", y)
	}
}

func TestURLPattern(t *testing.T) {
	tests := []struct {
		name, canonical, pattern string
		urls                     []string
	}{
		{"iransamaneh", "/fa/news/{id}", `^/fa/news/(\d+)(?:/[^?#]*)?$`,
			[]string{"https://www.yjc.ir/fa/news/6998551/بیانات", "https://www.yjc.ir/fa/news/7093318/تورم", "https://www.yjc.ir/fa/news/6987204"}},
		{"dated paths", "/fa/news/{id}", `^/fa/news/(\d{4}/\d{2}/\d{2}/\d+)(?:/[^?#]*)?$`,
			[]string{"https://www.tasnimnews.com/fa/news/1398/02/30/2015910/لیگ", "https://www.tasnimnews.com/fa/news/1398/05/23/2071833/x", "https://www.tasnimnews.com/fa/news/1398/02/12/2004512/y"}},
		{"id and slug in one segment", "", `^/(\d+)-[^/]*(?:/[^?#]*)?$`,
			[]string{"https://donya-e-eqtesad.com/3523456-قیمت", "https://donya-e-eqtesad.com/3523999-دلار", "https://donya-e-eqtesad.com/3600001-x"}},
		{"a varying section", "", `^/[^/]+/(\d+)(?:/[^?#]*)?$`,
			[]string{"https://example.ir/economy/123456/a", "https://example.ir/politics/123457/b", "https://example.ir/sport/123458"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []*parsed
			for _, raw := range tt.urls {
				u, err := url.Parse(raw)
				if err != nil {
					t.Fatal(err)
				}
				ps = append(ps, &parsed{u: u})
			}
			f, canonical := urlPattern(ps)
			if f.Value != tt.pattern || canonical != tt.canonical || f.Confidence != 1 {
				t.Errorf("pattern %q canonical %q (%v, %s); want %q %q", f.Value, canonical, f.Confidence, f.Note, tt.pattern, tt.canonical)
			}
		})
	}
	f, _ := urlPattern([]*parsed{{}, {}, {}})
	if f.Value != "" || f.Note == "" {
		t.Errorf("no addresses: %+v", f)
	}
}
