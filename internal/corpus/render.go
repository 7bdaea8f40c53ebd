package corpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode"

	"mediadigest/internal/outletmarkup"
	"mediadigest/jalali"
)

func templates() *template.Template {
	funcs := template.FuncMap{"join": strings.Join, "fa": persianDigits, "href": href}
	return template.Must(template.New("").Funcs(funcs).ParseFS(outletmarkup.FS, "templates/*.html"))
}

// articleView is what the article templates print.
type articleView struct {
	URL, AMPURL, Image string
	Date               string // visible date
	Weekday            string
	DayLabel           string // the header's date: "چهارشنبه ۴ آذر ۱۴۰۵"
	ISO                string
	Group, Sub         string
	Section            string
	Title, Lead        string
	NoSubtitle         bool // the page prints no lead; every generated one does
	Kicker, Dateline   string
	ID                 string
	Tags               []string
	Body               []template.HTML
	JSONLD             template.JS
	Related, MostRead  []link
}

// link is an anchor of a related or most-read box.
type link struct{ URL, Title string }

func (c *Corpus) render(a *article) ([]byte, error) {
	t := a.published.In(tehran)
	v := articleView{
		URL: a.url() + "/" + slug(a.title), Image: a.image(),
		Weekday: jalali.WeekdayName(t.Weekday()), DayLabel: dayLabel(t),
		ISO:   t.Format(time.RFC3339),
		Group: a.section[0], Sub: a.section[1], Section: a.section[0] + " > " + a.section[1],
		Title: a.title, Lead: a.lead, Kicker: a.kicker, Dateline: a.dateline, ID: a.id, Tags: a.tags,
	}
	for _, e := range a.body {
		v.Body = append(v.Body, template.HTML(e))
	}
	for _, m := range c.earlier(&a.meta, 1, mostReadItems) {
		l := link{URL: m.url() + "/" + slug(m.title), Title: m.title}
		if len(v.Related) < relatedItems {
			v.Related = append(v.Related, l)
		}
		v.MostRead = append(v.MostRead, l)
	}
	d := jalali.Of(t)
	if a.outlet == ISNA {
		v.AMPURL = "https://amp.isna.ir/amp/news/" + a.id
		v.Date = persianDigits(fmt.Sprintf("%d %s %d / %02d:%02d", d.Day, jalali.MonthName(d.Month), d.Year, t.Hour(), t.Minute()))
		ld, err := jsonLD(a, v.URL, v.Image, v.ISO, v.Section)
		if err != nil {
			return nil, err
		}
		v.JSONLD = ld
	} else {
		v.Date = eghDate(t)
	}
	var buf bytes.Buffer
	buf.Grow(24 << 10)
	if err := c.html.ExecuteTemplate(&buf, a.outlet+"-article.html", v); err != nil {
		return nil, fmt.Errorf("corpus: article %d: %w", a.index, err)
	}
	// html/template writes "+" in attributes as "&#43;"; the sites print
	// time offsets literally.
	return bytes.ReplaceAll(buf.Bytes(), []byte("&#43;"), []byte("+")), nil
}

func jsonLD(a *article, url, image, iso, section string) (template.JS, error) {
	org := map[string]any{"@type": "Organization", "name": "خبرگزاری ایسنا", "url": "https://www.isna.ir"}
	ld := map[string]any{
		"@context":         "https://schema.org",
		"@type":            "NewsArticle",
		"mainEntityOfPage": map[string]any{"@type": "WebPage", "@id": url},
		"headline":         a.title,
		"description":      a.lead,
		"image":            []string{image},
		"datePublished":    iso,
		"dateModified":     iso,
		"articleSection":   section,
		"keywords":         strings.Join(a.tags, "، "),
		"author":           org,
		"publisher":        org,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ld); err != nil {
		return "", fmt.Errorf("corpus: article %d: JSON-LD: %w", a.index, err)
	}
	return template.JS(strings.ReplaceAll(strings.TrimSpace(buf.String()), "</", `<\/`)), nil
}

// archiveView is what the archive templates print.
type archiveView struct {
	DayLabel string
	Query    dayQuery
	Items    []archiveItem
	Pages    []pageLink
}

type dayQuery struct{ Year, Month, Day, Slashed string }

type archiveItem struct {
	Title, Lead, Path, Thumb, Time string
}

type pageLink struct {
	Number, Href string
	Current      bool
}

// archive renders page (from 1) of the outlet's archive of day k: its
// articles newest first, ArchivePageSize a page; past the last page, a
// listing without items.
func (c *Corpus) archive(outlet string, k, page int) ([]byte, error) {
	day := firstDay.AddDays(k)
	t := day.Time(tehran)
	v := archiveView{
		DayLabel: dayLabel(t),
		Query: dayQuery{Year: fmt.Sprint(day.Year), Month: fmt.Sprint(day.Month), Day: fmt.Sprint(day.Day),
			Slashed: fmt.Sprintf("%d/%02d/%02d", day.Year, day.Month, day.Day)},
	}
	var ids []int
	for i := min((k+1)*PerDay, c.n) - 1; i >= k*PerDay && i >= 0; i-- {
		if c.outletOf(i) == outlet {
			ids = append(ids, i)
		}
	}
	pages := (len(ids) + ArchivePageSize - 1) / ArchivePageSize
	if page >= 1 && page <= pages {
		for _, i := range ids[(page-1)*ArchivePageSize : min(page*ArchivePageSize, len(ids))] {
			m := c.meta(i)
			pt := m.published.In(tehran)
			item := archiveItem{Title: m.title, Lead: m.lead, Path: m.path(), Thumb: strings.TrimSuffix(m.image(), ".jpg") + "_thumb.jpg"}
			if outlet == ISNA {
				d := jalali.Of(pt)
				item.Time = persianDigits(fmt.Sprintf("%s %d %s %d - %02d:%02d", jalali.WeekdayName(pt.Weekday()), d.Day, jalali.MonthName(d.Month), d.Year, pt.Hour(), pt.Minute()))
			} else {
				item.Time = eghDate(pt)
			}
			v.Items = append(v.Items, item)
		}
		for n := 1; n <= pages; n++ {
			v.Pages = append(v.Pages, pageLink{Number: persianDigits(fmt.Sprint(n)), Href: archiveHref(outlet, v.Query, n), Current: n == page})
		}
	}
	var buf bytes.Buffer
	if err := c.html.ExecuteTemplate(&buf, outlet+"-archive.html", v); err != nil {
		return nil, fmt.Errorf("corpus: %s archive of %s, page %d: %w", outlet, day, page, err)
	}
	return buf.Bytes(), nil
}

func archiveHref(outlet string, q dayQuery, page int) string {
	if outlet == ISNA {
		return fmt.Sprintf("/page/archive.xhtml?ms=0&dy=%s&mn=%s&yr=%s&pi=%d", q.Day, q.Month, q.Year, page)
	}
	return fmt.Sprintf("/fa/archive?service_id=-1&sec_id=-1&cat_id=-1&rpp=100&from_date=%s&to_date=%s&p=%d", q.Slashed, q.Slashed, page)
}

func (m *meta) image() string {
	t := m.published.In(tehran)
	if m.outlet == ISNA {
		return fmt.Sprintf("https://cdn.isna.ir/d/%s/3/%s.jpg", t.Format("2006/01/02"), m.id[5:])
	}
	d := jalali.Of(t)
	return fmt.Sprintf("https://cdn.eghtesaad24.ir/files/fa/news/%d/%d/%d/%s_%s.jpg", d.Year, d.Month, d.Day, m.id[3:], m.id)
}

// dayLabel is a page header's date: "چهارشنبه ۴ آذر ۱۴۰۵".
func dayLabel(t time.Time) string {
	d := jalali.Of(t)
	return persianDigits(fmt.Sprintf("%s %d %s %d", jalali.WeekdayName(t.Weekday()), d.Day, jalali.MonthName(d.Month), d.Year))
}

// eghDate is Eghtesad24's visible date: "۰۸:۴۵ - ۴ آذر ۱۴۰۵".
func eghDate(t time.Time) string {
	d := jalali.Of(t)
	return persianDigits(fmt.Sprintf("%02d:%02d - %d %s %d", t.Hour(), t.Minute(), d.Day, jalali.MonthName(d.Month), d.Year))
}

// slug turns a title into the hyphenated path segment both CMSs append.
func slug(title string) string {
	words := strings.FieldsFunc(title, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
	})
	if len(words) > 10 {
		words = words[:10]
	}
	return strings.Join(words, "-")
}

func persianDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '۰' + r - '0'
		}
		return r
	}, s)
}

// href prints a link as the CMSs do, Persian slug unencoded; html/template
// would percent-encode every non-ASCII byte of a URL attribute.
func href(u string) template.HTMLAttr {
	return template.HTMLAttr(`href="` + template.HTMLEscapeString(u) + `"`)
}
