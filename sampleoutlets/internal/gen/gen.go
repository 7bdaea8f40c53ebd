// Package gen writes the bundled sample outlets (testdata/outlets) from one
// description of their articles, articles.yaml, so that an article's page,
// its feed items and its archive entry always agree on URL, title and time.
//
// The pages imitate the markup of the real sites (docs/configuration.md#the-built-in-profiles): ISNA's Nastooh
// CMS and Eghtesad24's IranSamaneh CMS, with menus, sidebars, scripts and
// ad slots around the article. Jalali dates are computed with
// go-persian-calendar rather than mediadigest/jalali on purpose: fixtures are
// the ground truth the jalali package is tested against, so they must not be
// produced by it.
package gen

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html"
	htmltemplate "html/template"
	"regexp"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"

	ptime "github.com/yaa110/go-persian-calendar"
	"go.yaml.in/yaml/v3"

	"mediadigest/internal/outletmarkup"
)

//go:embed articles.yaml
var content embed.FS

// Outlet ids, also the names of their directories in testdata/outlets.
const (
	ISNA       = "isna"
	Eghtesad24 = "eghtesad24"
)

// Listing sizes. All are smaller than the sample's article counts so that
// every day spans two archive pages and the feeds miss the oldest articles.
const (
	feedItems       = 12
	isnaArchivePage = 6
	eghArchivePage  = 8
)

// ISNA's economy service: its feed /rss/tp/34 lists the articles whose
// section starts with this group.
const (
	isnaEconomyFeed  = "34"
	isnaEconomyGroup = "اقتصادی"
)

// tehran is Iran's civil time; Iran has kept +03:30 all year since 2022.
var tehran = time.FixedZone("+0330", 3*3600+1800)

// Article is one sample article as described in articles.yaml.
type Article struct {
	Outlet    string    `yaml:"outlet"`
	ID        string    `yaml:"id"`
	Published time.Time `yaml:"published"`
	Kicker    string    `yaml:"kicker"`
	Title     string    `yaml:"title"`
	Dateline  string    `yaml:"dateline"` // ISNA: the span.src of the lead
	Lead      string    `yaml:"lead"`
	Section   string    `yaml:"section"` // "group > subsection"
	Tags      []string  `yaml:"tags"`
	Body      []Block   `yaml:"body"`
	// Source is the outlet named by a closing "منبع:" line (Eghtesad24).
	Source string `yaml:"source"`
	// NoChannel leaves out Eghtesad24's recurring Telegram line (the real
	// sample article is reproduced as published).
	NoChannel bool `yaml:"no_channel"`
	// NoEnd leaves out ISNA's "انتهای پیام" (advertorials carry none).
	NoEnd bool `yaml:"no_end"`
	// NoSubtitle leaves the lead off the Eghtesad24 page, which then has
	// none; its feed item and meta description keep it.
	NoSubtitle bool `yaml:"no_subtitle"`
	// ASCIIDate prints ISNA's visible date with ASCII digits.
	ASCIIDate bool  `yaml:"ascii_date"`
	Related   []Ref `yaml:"related"`
}

// Block is one element of an article body. A plain YAML string is a text
// paragraph; a mapping sets exactly one of the other fields.
type Block struct {
	Text string `yaml:"text"`
	HTML string `yaml:"html"` // paragraph with inline markup, trusted
	H3   string `yaml:"h3"`   // subheading (not a paragraph)
	Img  string `yaml:"img"`  // image-only paragraph; the value is its alt text
	// Promo is the id of an article announced by the outlet's read-more
	// marker ("بیشتر:" or "بیشتر بخوانید:") and a link, in one paragraph.
	Promo string `yaml:"promo"`
	// Bare is like Promo but prints the marker alone in one paragraph and
	// the link alone in the next.
	Bare string `yaml:"bare"`
	// Title names a Promo or Bare target that is older than the sample days.
	Title string `yaml:"title"`
	// Tight prints no space after the marker, as the real Eghtesad24 page.
	Tight bool `yaml:"tight"`
}

// UnmarshalYAML reads a plain string as a text paragraph.
func (b *Block) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Text = n.Value
		return nil
	}
	type plain Block
	return n.Decode((*plain)(b))
}

// Ref is a link from a page's related-news box to another article.
type Ref struct {
	ID  string `yaml:"id"`
	AMP bool   `yaml:"amp"` // link the AMP copy on amp.isna.ir
}

// Files generates the sample outlets as articles.yaml dates them, the files
// of testdata/outlets. Keys are slash-separated paths below testdata/outlets.
func Files() (map[string][]byte, error) { return FilesShifted(0) }

// FilesShifted generates the sample outlets with every article published
// days later (earlier when negative) than articles.yaml says, in Tehran's
// calendar: the pages, feeds, archives and the dates in ISNA's ids all
// move together, so the outlets can be served as news of any day.
func FilesShifted(days int) (map[string][]byte, error) {
	data, err := content.ReadFile("articles.yaml")
	if err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	var arts []*Article
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&arts); err != nil {
		return nil, fmt.Errorf("gen: articles.yaml: %w", err)
	}
	if days != 0 {
		for _, a := range arts {
			a.shift(days)
		}
	}
	s, err := newSite(arts)
	if err != nil {
		return nil, err
	}
	return s.render()
}

// site is the set of articles being rendered, indexed for cross-links.
type site struct {
	byID     map[string]*Article
	byOutlet map[string][]*Article // newest first
	html     *htmltemplate.Template
	text     *texttemplate.Template
}

func newSite(arts []*Article) (*site, error) {
	s := &site{byID: map[string]*Article{}, byOutlet: map[string][]*Article{}}
	for _, a := range arts {
		if err := validate(a); err != nil {
			return nil, err
		}
		if _, dup := s.byID[a.ID]; dup {
			return nil, fmt.Errorf("gen: article %s: duplicate id", a.ID)
		}
		s.byID[a.ID] = a
		s.byOutlet[a.Outlet] = append(s.byOutlet[a.Outlet], a)
	}
	for _, list := range s.byOutlet {
		slices.SortFunc(list, func(a, b *Article) int { return b.Published.Compare(a.Published) })
	}
	for _, a := range arts {
		for _, b := range a.Body {
			target := b.Promo + b.Bare
			if target != "" && b.Title == "" && s.byID[target] == nil {
				return nil, fmt.Errorf("gen: article %s: promo target %s is not a sample article and has no title", a.ID, target)
			}
		}
		for _, r := range a.Related {
			if s.byID[r.ID] == nil {
				return nil, fmt.Errorf("gen: article %s: related %s is not a sample article", a.ID, r.ID)
			}
		}
	}
	funcs := map[string]any{"join": strings.Join, "fa": persianDigits, "x": xmlEscape, "href": href}
	var err error
	if s.html, err = htmltemplate.New("").Funcs(funcs).ParseFS(outletmarkup.FS, "templates/*.html"); err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	if s.text, err = texttemplate.New("").Funcs(funcs).ParseFS(outletmarkup.FS, "templates/*.xml", "templates/*.txt"); err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	return s, nil
}

var (
	isnaID = regexp.MustCompile(`^\d{13}$`)
	eghID  = regexp.MustCompile(`^\d{6}$`)
)

// validate holds an article to the facts of docs/configuration.md#the-built-in-profiles and to the brief's
// article shape (4–10 paragraphs), so a typo in articles.yaml fails loudly.
func validate(a *Article) error {
	where := fmt.Sprintf("gen: article %s", a.ID)
	switch a.Outlet {
	case ISNA:
		if !isnaID.MatchString(a.ID) {
			return fmt.Errorf("%s: ISNA ids have 13 digits", where)
		}
		if d := jalaliOf(a.Published); a.ID[:8] != fmt.Sprintf("%04d%02d%02d", d.year, d.month, d.day) {
			return fmt.Errorf("%s: id does not start with the Jalali date %d/%02d/%02d", where, d.year, d.month, d.day)
		}
	case Eghtesad24:
		if !eghID.MatchString(a.ID) {
			return fmt.Errorf("%s: Eghtesad24 ids have 6 digits", where)
		}
	default:
		return fmt.Errorf("%s: unknown outlet %q", where, a.Outlet)
	}
	if a.Title == "" || a.Lead == "" || a.Published.IsZero() {
		return fmt.Errorf("%s: title, lead and published are required", where)
	}
	if _, _, ok := strings.Cut(a.Section, " > "); !ok {
		return fmt.Errorf("%s: section %q is not \"group > subsection\"", where, a.Section)
	}
	paras := 0
	for i, b := range a.Body {
		set := 0
		for _, v := range []string{b.Text, b.HTML, b.H3, b.Img, b.Promo, b.Bare} {
			if v != "" {
				set++
			}
		}
		if set != 1 {
			return fmt.Errorf("%s: body element %d sets %d of text, html, h3, img, promo, bare; want one", where, i+1, set)
		}
		if b.Text != "" || b.HTML != "" {
			paras++
		}
	}
	if paras < 4 || paras > 10 {
		return fmt.Errorf("%s: %d text paragraphs, want 4 to 10", where, paras)
	}
	return nil
}

// URL is the article's address on the real site.
func (a *Article) URL() string {
	if a.Outlet == ISNA {
		return "https://www.isna.ir" + a.Path()
	}
	return "https://eghtesaad24.ir" + a.Path()
}

// Path is the article's path, with its slug.
func (a *Article) Path() string {
	if a.Outlet == ISNA {
		return "/news/" + a.ID + "/" + slug(a.Title)
	}
	return "/fa/news/" + a.ID + "/" + slug(a.Title)
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

func (a *Article) group() string {
	g, _, _ := strings.Cut(a.Section, " > ")
	return g
}

func (a *Article) sub() string {
	_, s, _ := strings.Cut(a.Section, " > ")
	return s
}

func (a *Article) image() string {
	t := a.Published.In(tehran)
	if a.Outlet == ISNA {
		return fmt.Sprintf("https://cdn.isna.ir/d/%s/3/%s.jpg", t.Format("2006/01/02"), a.ID[5:])
	}
	d := jalaliOf(a.Published)
	return fmt.Sprintf("https://cdn.eghtesaad24.ir/files/fa/news/%d/%d/%d/%s_%s.jpg", d.year, d.month, d.day, a.ID[3:], a.ID)
}

// jdate is a Jalali calendar day and time of day, in Tehran.
type jdate struct {
	year, month, day int
	hour, minute     int
	weekday          string
}

var (
	monthNames   = [...]string{"فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"}
	weekdayNames = [...]string{time.Sunday: "یکشنبه", time.Monday: "دوشنبه", time.Tuesday: "سه‌شنبه", time.Wednesday: "چهارشنبه", time.Thursday: "پنجشنبه", time.Friday: "جمعه", time.Saturday: "شنبه"}
)

func jalaliOf(t time.Time) jdate {
	t = t.In(tehran)
	p := ptime.New(t)
	return jdate{
		year: p.Year(), month: int(p.Month()), day: p.Day(),
		hour: t.Hour(), minute: t.Minute(),
		weekday: weekdayNames[t.Weekday()],
	}
}

func (d jdate) monthName() string { return monthNames[d.month-1] }

// dayKey names a Jalali day in file names and query values: "1405-9-4".
func (d jdate) dayKey() string { return fmt.Sprintf("%d-%d-%d", d.year, d.month, d.day) }

// isnaDate is ISNA's visible date: "۴ آذر ۱۴۰۵ / ۱۹:۳۱".
func (d jdate) isnaDate() string {
	return fmt.Sprintf("%d %s %d / %02d:%02d", d.day, d.monthName(), d.year, d.hour, d.minute)
}

// isnaArchiveTime is the title of an ISNA archive item's time link:
// "چهارشنبه ۱۲ شهریور ۱۴۰۴ - ۱۸:۱۷".
func (d jdate) isnaArchiveTime() string {
	return persianDigits(fmt.Sprintf("%s %d %s %d - %02d:%02d", d.weekday, d.day, d.monthName(), d.year, d.hour, d.minute))
}

// eghDate is Eghtesad24's visible date: "۰۸:۴۵ - ۴ آذر ۱۴۰۵".
func (d jdate) eghDate() string {
	return persianDigits(fmt.Sprintf("%02d:%02d - %d %s %d", d.hour, d.minute, d.day, d.monthName(), d.year))
}

func persianDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '۰' + r - '0'
		}
		return r
	}, s)
}

// xmlEscape escapes character data for the feeds. ">" stays literal, as in
// the real feeds' "اقتصادی > بورس" categories.
func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;").Replace(s)
}

// href prints an article link as the CMSs do, Persian slug unencoded;
// html/template would percent-encode every non-ASCII byte of a URL attribute.
func href(u string) htmltemplate.HTMLAttr {
	return htmltemplate.HTMLAttr(`href="` + html.EscapeString(u) + `"`)
}

// rfc822 is a feed date: RFC 822 with a four-digit year, in GMT.
func rfc822(t time.Time) string { return t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT") }

func (s *site) render() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, outlet := range []string{ISNA, Eghtesad24} {
		list := s.byOutlet[outlet]
		if len(list) == 0 {
			return nil, fmt.Errorf("gen: no %s articles", outlet)
		}
		for _, a := range list {
			page, err := s.articlePage(a)
			if err != nil {
				return nil, err
			}
			out[articleFile(a)] = page
		}
		if err := s.feeds(outlet, list, out); err != nil {
			return nil, err
		}
		if err := s.archives(outlet, list, out); err != nil {
			return nil, err
		}
		var robots bytes.Buffer
		if err := s.text.ExecuteTemplate(&robots, outlet+"-robots.txt", nil); err != nil {
			return nil, fmt.Errorf("gen: %s robots.txt: %w", outlet, err)
		}
		out[outlet+"/robots.txt"] = robots.Bytes()
	}
	return out, nil
}

func articleFile(a *Article) string {
	if a.Outlet == ISNA {
		return "isna/news/" + a.ID + ".html"
	}
	return "eghtesad24/fa/news/" + a.ID + ".html"
}

// link is an anchor of a box or promo paragraph.
type link struct {
	URL   string
	Title string
}

// articleView is what the article templates print.
type articleView struct {
	*Article
	URL, AMPURL, Image string
	Date               string // visible date
	Weekday            string
	DayLabel           string // "چهارشنبه ۴ آذر ۱۴۰۵", the header date
	ISO                string
	Group, Sub         string
	Body               []htmltemplate.HTML
	JSONLD             htmltemplate.JS
	Related, MostRead  []link
}

func (s *site) articlePage(a *Article) ([]byte, error) {
	d := jalaliOf(a.Published)
	v := articleView{
		Article: a, URL: a.URL(), Image: a.image(),
		Weekday:  d.weekday,
		DayLabel: persianDigits(fmt.Sprintf("%s %d %s %d", d.weekday, d.day, d.monthName(), d.year)),
		ISO:      a.Published.In(tehran).Format(time.RFC3339),
		Group:    a.group(), Sub: a.sub(),
		Body:     s.body(a),
		Related:  s.related(a),
		MostRead: s.mostRead(a),
	}
	if a.Outlet == ISNA {
		v.AMPURL = "https://amp.isna.ir/amp/news/" + a.ID
		v.Date = d.isnaDate()
		if !a.ASCIIDate {
			v.Date = persianDigits(v.Date)
		}
		ld, err := isnaJSONLD(a, v.URL, v.Image, v.ISO)
		if err != nil {
			return nil, err
		}
		v.JSONLD = ld
	} else {
		v.Date = d.eghDate()
	}
	var buf bytes.Buffer
	if err := s.html.ExecuteTemplate(&buf, a.Outlet+"-article.html", v); err != nil {
		return nil, fmt.Errorf("gen: article %s: %w", a.ID, err)
	}
	// html/template writes "+" in attributes as "&#43;" (a guard against
	// UTF-7 sniffing); the real sites print the time offsets literally.
	return bytes.ReplaceAll(buf.Bytes(), []byte("&#43;"), []byte("+")), nil
}

func isnaJSONLD(a *Article, url, image, iso string) (htmltemplate.JS, error) {
	org := map[string]any{"@type": "Organization", "name": "خبرگزاری ایسنا", "url": "https://www.isna.ir"}
	ld := map[string]any{
		"@context":         "https://schema.org",
		"@type":            "NewsArticle",
		"mainEntityOfPage": map[string]any{"@type": "WebPage", "@id": url},
		"headline":         a.Title,
		"description":      a.Lead,
		"image":            []string{image},
		"datePublished":    iso,
		"dateModified":     iso,
		"articleSection":   a.Section,
		"keywords":         strings.Join(a.Tags, "، "),
		"author":           org,
		"publisher": map[string]any{
			"@type": "Organization", "name": "خبرگزاری ایسنا",
			"logo": map[string]any{"@type": "ImageObject", "url": "https://www.isna.ir/resources/theme/isna/img/logo.png"},
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ld); err != nil {
		return "", fmt.Errorf("gen: article %s: JSON-LD: %w", a.ID, err)
	}
	// The only sequence that could end the script element early.
	return htmltemplate.JS(strings.ReplaceAll(strings.TrimSpace(buf.String()), "</", `<\/`)), nil
}

// body renders the article's body elements, adding the outlet's recurring
// closing lines.
func (s *site) body(a *Article) []htmltemplate.HTML {
	esc := html.EscapeString
	var out []htmltemplate.HTML
	p := func(inner string) { out = append(out, htmltemplate.HTML("<p>"+inner+"</p>")) }
	marker := "بیشتر بخوانید:"
	if a.Outlet == ISNA {
		marker = "بیشتر:"
	}
	for _, b := range a.Body {
		switch {
		case b.Text != "":
			p(esc(b.Text))
		case b.HTML != "":
			p(b.HTML)
		case b.H3 != "":
			out = append(out, htmltemplate.HTML("<h3>"+esc(b.H3)+"</h3>"))
		case b.Img != "":
			out = append(out, htmltemplate.HTML(fmt.Sprintf(`<p style="text-align: center;"><img src="%s" alt="%s" width="700" height="466"></p>`,
				strings.TrimSuffix(a.image(), ".jpg")+"_2.jpg", esc(b.Img))))
		case b.Promo != "":
			l := s.promoLink(a, b)
			sep := " "
			if b.Tight {
				sep = ""
			}
			p(fmt.Sprintf(`<strong>%s</strong>%s<a href="%s" target="_blank">%s</a>`, marker, sep, esc(l.URL), esc(l.Title)))
		case b.Bare != "":
			l := s.promoLink(a, b)
			p(marker)
			p(fmt.Sprintf(`<a href="%s" target="_blank">%s</a>`, esc(l.URL), esc(l.Title)))
		}
	}
	if a.Outlet == ISNA && !a.NoEnd {
		p("انتهای پیام")
	}
	if a.Outlet == Eghtesad24 && !a.NoChannel {
		p(`برای دریافت سریع‌ترین اخبار اقتصادی به <a href="https://t.me/eghtesaad24" rel="nofollow">کانال تلگرام اقتصاد۲۴</a> بپیوندید.`)
	}
	if a.Source != "" {
		p("منبع: " + esc(a.Source))
	}
	return out
}

// promoLink resolves a promo target: a sample article, or an older article
// of the same outlet known only by id and title.
func (s *site) promoLink(a *Article, b Block) link {
	id := b.Promo + b.Bare
	if t := s.byID[id]; t != nil {
		return link{URL: t.URL(), Title: t.Title}
	}
	old := &Article{Outlet: a.Outlet, ID: id, Title: b.Title}
	return link{URL: old.URL(), Title: b.Title}
}

// related is the related-news box: the listed articles, or else the three
// latest earlier articles of the same group.
func (s *site) related(a *Article) []link {
	var out []link
	for _, r := range a.Related {
		t := s.byID[r.ID]
		u := t.URL()
		if r.AMP {
			u = "https://amp.isna.ir/amp/news/" + t.ID
		}
		out = append(out, link{URL: u, Title: t.Title})
	}
	if len(out) > 0 {
		return out
	}
	for _, t := range s.earlier(a) {
		if t.group() == a.group() && len(out) < 3 {
			out = append(out, link{URL: t.URL(), Title: t.Title})
		}
	}
	return out
}

// mostRead is the "most read" sidebar: the five latest earlier articles, as
// a page's sidebar can only list what was published before it.
func (s *site) mostRead(a *Article) []link {
	var out []link
	for _, t := range s.earlier(a) {
		if len(out) == 5 {
			break
		}
		out = append(out, link{URL: t.URL(), Title: t.Title})
	}
	return out
}

// earlier lists the outlet's articles published before a, newest first.
func (s *site) earlier(a *Article) []*Article {
	var out []*Article
	for _, t := range s.byOutlet[a.Outlet] {
		if t.Published.Before(a.Published) {
			out = append(out, t)
		}
	}
	return out
}

// feedView is what the feed templates print.
type feedView struct {
	Title, Self, LastBuild string
	Items                  []feedItem
}

type feedItem struct {
	*Article
	Link, PubDate, Image string
	Category             string
}

func (s *site) feeds(outlet string, list []*Article, out map[string][]byte) error {
	type feed struct {
		file, title, self, query string
		pick                     func(*Article) bool
	}
	all := func(*Article) bool { return true }
	feeds := []feed{{file: "eghtesad24/fa/rss/allnews.xml", title: "اقتصاد۲۴ | همه اخبار", self: "https://eghtesaad24.ir/fa/rss/allnews", pick: all}}
	if outlet == ISNA {
		feeds = []feed{
			{file: "isna/rss.xml", title: "ایسنا - صفحه اصلی", self: "https://www.isna.ir/rss", pick: all},
			// The economy feed tags its links for analytics; crawlers must
			// fold them onto the canonical URL.
			{file: "isna/rss/tp/" + isnaEconomyFeed + ".xml", title: "ایسنا - اقتصادی", self: "https://www.isna.ir/rss/tp/" + isnaEconomyFeed,
				query: "?utm_source=rss&utm_medium=tp" + isnaEconomyFeed, pick: func(a *Article) bool { return a.group() == isnaEconomyGroup }},
		}
	}
	for _, f := range feeds {
		v := feedView{Title: f.title, Self: f.self}
		for _, a := range list {
			if f.pick(a) && len(v.Items) < feedItems {
				// ISNA names the whole path of a section, Eghtesad24 its last step.
				cat := a.Section
				if outlet == Eghtesad24 {
					cat = a.sub()
				}
				v.Items = append(v.Items, feedItem{Article: a, Link: a.URL() + f.query, PubDate: rfc822(a.Published), Image: a.image(), Category: cat})
			}
		}
		if len(v.Items) == 0 {
			return fmt.Errorf("gen: %s: no items", f.file)
		}
		// Built a few minutes after the newest item, as a feed cache would.
		v.LastBuild = rfc822(v.Items[0].Published.Add(4 * time.Minute))
		var buf bytes.Buffer
		if err := s.text.ExecuteTemplate(&buf, outlet+"-rss.xml", v); err != nil {
			return fmt.Errorf("gen: %s: %w", f.file, err)
		}
		out[f.file] = buf.Bytes()
	}
	return nil
}

// archiveView is what the archive templates print.
type archiveView struct {
	DayLabel string // empty on a page past the end
	Items    []archiveItem
	Pages    []pageLink
	Query    dayQuery // the day shown in the filter form
}

type archiveItem struct {
	*Article
	Path, Thumb, Time string
}

type pageLink struct {
	Number  string // Persian digits
	Href    string
	Current bool
}

type dayQuery struct{ Year, Month, Day, Slashed string }

func (s *site) archives(outlet string, list []*Article, out map[string][]byte) error {
	size, dir := isnaArchivePage, "isna/archive/"
	if outlet == Eghtesad24 {
		size, dir = eghArchivePage, "eghtesad24/fa/archive/"
	}
	days := map[string][]*Article{} // newest first, as list is
	var order []string
	for _, a := range list {
		k := jalaliOf(a.Published).dayKey()
		if days[k] == nil {
			order = append(order, k)
		}
		days[k] = append(days[k], a)
	}
	for _, k := range order {
		arts := days[k]
		d := jalaliOf(arts[0].Published)
		q := dayQuery{Year: fmt.Sprint(d.year), Month: fmt.Sprint(d.month), Day: fmt.Sprint(d.day),
			Slashed: fmt.Sprintf("%d/%02d/%02d", d.year, d.month, d.day)}
		pages := (len(arts) + size - 1) / size
		for page := 1; page <= pages; page++ {
			v := archiveView{
				DayLabel: persianDigits(fmt.Sprintf("%s %d %s %d", d.weekday, d.day, d.monthName(), d.year)),
				Query:    q,
			}
			for _, a := range arts[(page-1)*size : min(page*size, len(arts))] {
				ad := jalaliOf(a.Published)
				t := ad.isnaArchiveTime()
				if outlet == Eghtesad24 {
					t = ad.eghDate()
				}
				v.Items = append(v.Items, archiveItem{Article: a, Path: a.Path(), Thumb: strings.TrimSuffix(a.image(), ".jpg") + "_thumb.jpg", Time: t})
			}
			for n := 1; n <= pages; n++ {
				v.Pages = append(v.Pages, pageLink{Number: persianDigits(fmt.Sprint(n)), Href: archiveHref(outlet, q, n), Current: n == page})
			}
			if err := s.archivePage(outlet, v, fmt.Sprintf("%s%s-p%d.html", dir, k, page), out); err != nil {
				return err
			}
		}
	}
	// Served for every day and page without articles.
	latest := jalaliOf(list[0].Published)
	empty := archiveView{Query: dayQuery{Year: fmt.Sprint(latest.year), Month: fmt.Sprint(latest.month), Day: fmt.Sprint(latest.day),
		Slashed: fmt.Sprintf("%d/%02d/%02d", latest.year, latest.month, latest.day)}}
	return s.archivePage(outlet, empty, dir+"empty.html", out)
}

func archiveHref(outlet string, q dayQuery, page int) string {
	if outlet == ISNA {
		return fmt.Sprintf("/page/archive.xhtml?ms=0&dy=%s&mn=%s&yr=%s&pi=%d", q.Day, q.Month, q.Year, page)
	}
	return fmt.Sprintf("/fa/archive?service_id=-1&sec_id=-1&cat_id=-1&rpp=100&from_date=%s&to_date=%s&p=%d", q.Slashed, q.Slashed, page)
}

func (s *site) archivePage(outlet string, v archiveView, file string, out map[string][]byte) error {
	var buf bytes.Buffer
	if err := s.html.ExecuteTemplate(&buf, outlet+"-archive.html", v); err != nil {
		return fmt.Errorf("gen: %s: %w", file, err)
	}
	out[file] = buf.Bytes()
	return nil
}

// shift moves a by days, with the ids it names that carry a date.
func (a *Article) shift(days int) {
	a.Published = a.Published.In(tehran).AddDate(0, 0, days)
	a.ID = shiftID(a.Outlet, a.ID, days)
	for i := range a.Body {
		b := &a.Body[i]
		b.Promo, b.Bare = shiftID(a.Outlet, b.Promo, days), shiftID(a.Outlet, b.Bare, days)
	}
	for i := range a.Related {
		a.Related[i].ID = shiftID(a.Outlet, a.Related[i].ID, days)
	}
}

// shiftID moves the Jalali date an ISNA id starts with (YYYYMMDD) by days;
// other ids carry no date.
func shiftID(outlet, id string, days int) string {
	if outlet != ISNA || !isnaID.MatchString(id) {
		return id
	}
	var y, m, d int
	if _, err := fmt.Sscanf(id[:8], "%4d%2d%2d", &y, &m, &d); err != nil {
		return id
	}
	t := ptime.Date(y, ptime.Month(m), d, 12, 0, 0, 0, tehran).Time().AddDate(0, 0, days)
	j := jalaliOf(t)
	return fmt.Sprintf("%04d%02d%02d", j.year, j.month, j.day) + id[8:]
}
