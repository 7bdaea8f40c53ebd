// Package evalset is the evaluation set of article extraction: article
// pages in the markup of twelve Persian outlets, each with what a perfect
// extractor reads from it (title, lead, first and last paragraph,
// paragraph count, published time), and the scoring of an extractor
// against them (docs/profiles.md).
//
// The pages are rendered from testdata/eval/articles.yaml through the
// outlets' markup (testdata/eval/markup, outlets.yaml) and kept in
// testdata/eval/pages with their expectations in expected.yaml, so that a
// reader of the set sees whole pages; a test keeps them in step with
// their sources (go test ./internal/evalset -update).
package evalset

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"mediadigest/jalali"
	"mediadigest/persian"
)

// Dir is the set's directory relative to the repository root.
const Dir = "testdata/eval"

// Outlet is an outlet of the set (outlets.yaml).
type Outlet struct {
	ID     string `yaml:"id"`
	Name   string `yaml:"name"`
	Family string `yaml:"family"`
	URL    string `yaml:"url"`
	// Profile reads the outlet's markup: a built-in profile's id, or a
	// profile file relative to the repository root; empty when only the
	// generic reader does.
	Profile string `yaml:"profile"`
}

// Article is one entry of articles.yaml.
type Article struct {
	Outlet    string    `yaml:"outlet"`
	ID        string    `yaml:"id"`
	Published time.Time `yaml:"published"`
	// MetaTime is a later time held by the page's metadata (a live
	// report); the zero time means the metadata says Published.
	MetaTime      time.Time `yaml:"meta_time"`
	Kicker        string    `yaml:"kicker"`
	Title         string    `yaml:"title"`
	Lead          string    `yaml:"lead"`
	Section       string    `yaml:"section"`
	Tags          []string  `yaml:"tags"`
	Body          []string  `yaml:"body"`
	NoLead        bool      `yaml:"no_lead"`
	NoVisibleDate bool      `yaml:"no_visible_date"`
	BrBody        bool      `yaml:"br_body"`
}

// Expect is what a perfect extractor reads from a page, in display form.
type Expect struct {
	File       string    `yaml:"file"` // under pages/
	Outlet     string    `yaml:"outlet"`
	URL        string    `yaml:"url"`
	Title      string    `yaml:"title"`
	Lead       string    `yaml:"lead"`
	First      string    `yaml:"first"`
	Last       string    `yaml:"last"`
	Paragraphs int       `yaml:"paragraphs"`
	Published  time.Time `yaml:"published"` // UTC
}

// Page is one page of the set.
type Page struct {
	Expect
	HTML []byte
}

// Set is the loaded evaluation set.
type Set struct {
	Outlets []Outlet
	Pages   []Page
}

// Outlet returns the outlet of the given id.
func (s *Set) Outlet(id string) (Outlet, bool) {
	for _, o := range s.Outlets {
		if o.ID == id {
			return o, true
		}
	}
	return Outlet{}, false
}

// Load reads the rendered set under root, the repository root.
func Load(root string) (*Set, error) {
	dir := filepath.Join(root, Dir)
	outlets, err := readYAML[[]Outlet](filepath.Join(dir, "outlets.yaml"))
	if err != nil {
		return nil, err
	}
	want, err := readYAML[[]Expect](filepath.Join(dir, "expected.yaml"))
	if err != nil {
		return nil, err
	}
	s := &Set{Outlets: outlets}
	for _, e := range want {
		html, err := os.ReadFile(filepath.Join(dir, "pages", e.File))
		if err != nil {
			return nil, fmt.Errorf("evalset: %w", err)
		}
		s.Pages = append(s.Pages, Page{Expect: e, HTML: html})
	}
	return s, nil
}

func readYAML[T any](path string) (T, error) {
	var v T
	data, err := os.ReadFile(path)
	if err != nil {
		return v, fmt.Errorf("evalset: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&v); err != nil {
		return v, fmt.Errorf("evalset: %s: %w", path, err)
	}
	return v, nil
}

// Render builds the set from its sources under root: the articles through
// their outlets' markup.
func Render(root string) (*Set, error) {
	dir := filepath.Join(root, Dir)
	outlets, err := readYAML[[]Outlet](filepath.Join(dir, "outlets.yaml"))
	if err != nil {
		return nil, err
	}
	articles, err := readYAML[[]Article](filepath.Join(dir, "articles.yaml"))
	if err != nil {
		return nil, err
	}
	s := &Set{Outlets: outlets}
	tmpls := map[string]*template.Template{}
	for _, o := range outlets {
		t, err := template.New(o.ID + ".html").Funcs(funcs).ParseFiles(filepath.Join(dir, "markup", o.ID+".html"))
		if err != nil {
			return nil, fmt.Errorf("evalset: %w", err)
		}
		tmpls[o.ID] = t
	}
	for i, a := range articles {
		o, ok := s.Outlet(a.Outlet)
		if !ok {
			return nil, fmt.Errorf("evalset: article %s: unknown outlet %q", a.ID, a.Outlet)
		}
		if len(a.Body) == 0 || a.Title == "" || a.Published.IsZero() {
			return nil, fmt.Errorf("evalset: article %s/%s: want a title, a body and a published time", a.Outlet, a.ID)
		}
		d := newPageData(o, a, related(articles, outlets, i))
		var b bytes.Buffer
		if err := tmpls[o.ID].Execute(&b, d); err != nil {
			return nil, fmt.Errorf("evalset: %s/%s: %w", a.Outlet, a.ID, err)
		}
		s.Pages = append(s.Pages, Page{Expect: expect(o, a, d.URL), HTML: b.Bytes()})
	}
	return s, nil
}

// Write stores a rendered set under root: its pages and expected.yaml.
func (s *Set) Write(root string) error {
	dir := filepath.Join(root, Dir)
	pages := filepath.Join(dir, "pages")
	if err := os.RemoveAll(pages); err != nil {
		return fmt.Errorf("evalset: %w", err)
	}
	if err := os.MkdirAll(pages, 0o755); err != nil {
		return fmt.Errorf("evalset: %w", err)
	}
	var want []Expect
	for _, p := range s.Pages {
		if err := os.WriteFile(filepath.Join(pages, p.File), p.HTML, 0o644); err != nil {
			return fmt.Errorf("evalset: %w", err)
		}
		want = append(want, p.Expect)
	}
	var b bytes.Buffer
	b.WriteString("# What a perfect extractor reads from each page of pages/, in display\n# form; rendered from articles.yaml by go test ./internal/evalset -update.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(want); err != nil {
		return fmt.Errorf("evalset: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, "expected.yaml"), b.Bytes(), 0o644)
}

// expect is what a perfect extractor reads from the article's page.
func expect(o Outlet, a Article, pageURL string) Expect {
	// A paragraph printed twice, respelled, is text once.
	var body []string
	seen := map[string]bool{}
	for _, p := range a.Body {
		if k := persian.Key(p); !seen[k] {
			seen[k] = true
			body = append(body, persian.Display(p))
		}
	}
	e := Expect{
		File:       a.Outlet + "-" + a.ID + ".html",
		Outlet:     a.Outlet,
		URL:        pageURL,
		Title:      persian.Display(a.Title),
		First:      body[0],
		Last:       body[len(body)-1],
		Paragraphs: len(body),
		Published:  a.Published.UTC(),
	}
	if !a.NoLead {
		e.Lead = persian.Display(a.Lead)
	}
	return e
}

// pageData is what a markup template renders.
type pageData struct {
	Article
	OutletName string
	URL, Path  string
	Date       stamp // the published time, printed beside the headline
	Meta       stamp // the time in the page's metadata
	Today      stamp // the day the page is "fetched", in the site header
	Related    []link
}

type link struct {
	Title, URL string
	Date       stamp
}

// stamp is a time in the forms outlets print it.
type stamp struct {
	T       time.Time // Tehran time
	J       jalali.Date
	Month   string // Jalali month name
	Weekday string
}

func newStamp(t time.Time) stamp {
	t = t.In(tehranZone)
	return stamp{T: t, J: jalali.Of(t), Month: jalali.MonthName(jalali.Of(t).Month), Weekday: jalali.WeekdayName(t.Weekday())}
}

// Clock is the time of day as "16:12".
func (s stamp) Clock() string { return s.T.Format("15:04") }

// ISO is RFC 3339 with Tehran's offset of the day.
func (s stamp) ISO() string { return s.T.Format(time.RFC3339) }

// UTC7 is ISO in UTC with seven fractional digits, as Tasnim's JSON-LD.
func (s stamp) UTC7() string { return s.T.UTC().Format("2006-01-02T15:04:05.0000000Z") }

// Numeric is "1398/02/12" with ASCII digits.
func (s stamp) Numeric() string { return s.J.String() }

var tehranZone = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		panic(err)
	}
	return loc
}()

func newPageData(o Outlet, a Article, rel []link) pageData {
	meta := a.MetaTime
	if meta.IsZero() {
		meta = a.Published
	}
	u := articleURL(o, a.ID, a.Title, newStamp(a.Published))
	pu, _ := url.Parse(u)
	return pageData{
		Article:    a,
		OutletName: o.Name,
		URL:        u,
		Path:       pu.EscapedPath(),
		Date:       newStamp(a.Published),
		Meta:       newStamp(meta),
		Today:      newStamp(a.Published.Add(50 * time.Hour)),
		Related:    rel,
	}
}

func articleURL(o Outlet, id, title string, d stamp) string {
	slug := strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if strings.ContainsRune("؟?:«»،.\"'/", r) {
			return -1
		}
		return r
	}, title)), "-")
	return strings.NewReplacer(
		"{id}", id, "{slug}", slug,
		"{yyyy}", fmt.Sprintf("%04d", d.J.Year), "{mm}", fmt.Sprintf("%02d", d.J.Month), "{dd}", fmt.Sprintf("%02d", d.J.Day),
	).Replace(o.URL)
}

// related are three other articles, for the boxes beside an article.
func related(all []Article, outlets []Outlet, i int) []link {
	var out []link
	for k := 1; k <= 3; k++ {
		a := all[(i+k*7)%len(all)]
		for _, o := range outlets {
			if o.ID == a.Outlet {
				d := newStamp(a.Published)
				out = append(out, link{Title: a.Title, URL: articleURL(o, a.ID, a.Title, d), Date: d})
			}
		}
	}
	return out
}

// funcs are the template functions of the markup.
var funcs = template.FuncMap{
	// fa writes digits the Persian way.
	"fa": func(v any) string { return persian.Digits(fmt.Sprint(v)) },
	// two pads a number to two digits.
	"two": func(n int) string { return fmt.Sprintf("%02d", n) },
	// arabic writes ی and ک as Arabic ي and ك, as several CMSs print
	// month names.
	"arabic": func(s string) string { return strings.NewReplacer("ی", "ي", "ک", "ك").Replace(s) },
	"join":   strings.Join,
	"add":    func(a, b int) int { return a + b },
	"last":   func(i int, list []string) bool { return i == len(list)-1 },
}

// ErrStale reports rendered pages that differ from their sources.
var ErrStale = errors.New("evalset: the rendered pages differ from their sources; run go test ./internal/evalset -update")
