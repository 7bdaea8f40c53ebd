// Package corpus generates any number of realistic article pages of the two
// sample outlets, ISNA and Eghtesad24, together with the text a perfect
// cleaner keeps of each, and serves them as the outlets' sites on loopback:
// the test bed of the extraction and pipeline benchmarks (BENCHMARKS.md).
//
// Pages use the markup of the sample outlets (docs/configuration.md#the-built-in-profiles, the templates of
// sampleoutlets/internal/gen) and the text of published Persian news
// (pool.txt), with what outlets inject at realistic rates: read-more
// lines, Eghtesad24's Telegram channel line, datelines, ISNA's end marker,
// paragraphs printed twice with other spacing, and Eghtesad24 copies of
// ISNA articles with light edits ending "منبع: ایسنا".
//
// Page i is a pure function of the seed and i, built when asked for;
// nothing is kept per page, so a corpus of 100,000 pages costs no memory
// of its own.
package corpus

import (
	"fmt"
	"html/template"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"mediadigest/jalali"
)

// Outlet ids, as in the sample outlets and the built-in profiles.
const (
	ISNA       = "isna"
	Eghtesad24 = "eghtesad24"
)

// PerDay is how many articles the two outlets publish a day together;
// article i is published on day i/PerDay of the corpus, Tehran time.
const PerDay = 400

// ArchivePageSize is the number of items on an archive page.
const ArchivePageSize = 50

// Rates of the things outlets add to their articles, per page.
const (
	isnaShare       = 0.5  // of all pages
	copyShare       = 0.2  // of Eghtesad24 pages (10% of all): ISNA articles republished
	promoRate       = 0.6  // a read-more line
	duplicateRate   = 0.05 // a paragraph printed twice, respelled
	imageRate       = 0.3  // an image-only paragraph
	linkRate        = 0.15 // of content paragraphs: a word linked to its tag page
	datelineRate    = 0.7  // of Eghtesad24 originals: first paragraph opens "اقتصاد۲۴-"
	channelRate     = 0.9  // of Eghtesad24 pages: the Telegram channel line
	otherSourceRate = 0.05 // of Eghtesad24 originals: "منبع:" naming another agency
	noEndRate       = 0.03 // of ISNA pages: advertorials without "انتهای پیام"
)

// Recurring lines of the outlets, as they print them.
const (
	isnaEnd       = "انتهای پیام"
	isnaMarker    = "بیشتر:"
	eghMarker     = "بیشتر بخوانید:"
	eghChannel    = `برای دریافت سریع‌ترین اخبار اقتصادی به <a href="https://t.me/eghtesaad24" rel="nofollow">کانال تلگرام اقتصاد۲۴</a> بپیوندید.`
	copiedFrom    = "ایسنا" // the name Eghtesad24 gives ISNA in "منبع:"
	eghFirstID    = 300000
	step          = 24 * time.Hour / PerDay
	relatedItems  = 3
	mostReadItems = 5
)

// tehran is Iran's civil time, +03:30 all year since 2022.
var tehran = time.FixedZone("+0330", 3*3600+1800)

// firstDay is the day of article 0.
var firstDay = jalali.Date{Year: 1405, Month: 1, Day: 1}

var (
	isnaSections = [][2]string{
		{"اقتصادی", "بورس"}, {"اقتصادی", "انرژی"}, {"اقتصادی", "بانک و بیمه"}, {"اقتصادی", "مسکن"},
		{"اقتصادی", "اقتصاد کلان"}, {"سیاسی", "مجلس"}, {"سیاسی", "دولت"}, {"سیاسی", "سیاست خارجی"},
		{"اجتماعی", "سلامت"}, {"ورزشی", "فوتبال"}, {"فرهنگی و هنری", "سینما"}, {"استان‌ها", "خراسان رضوی"},
	}
	eghSections = [][2]string{
		{"بازارها", "ارز"}, {"بازارها", "طلا و سکه"}, {"بازارها", "بورس"}, {"بازارها", "مسکن"},
		{"بازارها", "خودرو"}, {"انرژی", "نفت"}, {"انرژی", "سوخت"}, {"اقتصاد کلان", "بانک و بیمه"},
		{"سیاست", "سیاست خارجی"}, {"جامعه", "شهری"},
	}
	tagWords = []string{"بورس", "دلار", "طلا", "سکه", "نفت", "بنزین", "مسکن", "تورم", "بانک مرکزی",
		"مجلس", "دولت", "سیاست خارجی", "فوتبال", "سلامت", "خودرو", "بازار سرمایه", "اجاره‌بها", "گاز"}
	isnaDatelines = []string{"ایسنا/تهران", "ایسنا/تهران", "ایسنا/تهران", "ایسنا/خراسان رضوی", "ایسنا/اصفهان", "ایسنا/کرمان"}
	otherSources  = []string{"تسنیم", "ایرنا", "فارس"}
)

// Corpus is n generated pages.
type Corpus struct {
	n     int
	seed  int64
	text  *pool
	html  *template.Template
	start time.Time // midnight starting day 0, Tehran
}

// Page is one generated article page.
type Page struct {
	Index     int
	Outlet    string // ISNA or Eghtesad24
	ID        string
	URL       string // canonical, on the real host: https://www.isna.ir/news/{id}
	Path      string // with the slug, as archive pages link it
	Title     string
	Lead      string // as the page prints it, after the dateline
	Published time.Time
	HTML      []byte
	// Expected is the body text a perfect cleaner keeps, paragraph by
	// paragraph, as written in the page (before display normalisation).
	Expected []string
	// CopyOf is the index of the ISNA article this page republishes, or -1.
	CopyOf int
	// Source is what the page's "منبع:" line names: the outlet id for a
	// monitored outlet (ISNA), else the name as written, or "".
	Source string
}

// Generate returns a corpus of n pages (article indices 0…n-1), the same
// for the same seed.
func Generate(n int, seed int64) *Corpus {
	p, err := loadPool(poolText)
	if err != nil {
		panic(err) // pool.txt is embedded: a broken one is a build error
	}
	return &Corpus{n: n, seed: seed, text: p, html: templates(), start: firstDay.Time(tehran)}
}

// Len returns the number of pages.
func (c *Corpus) Len() int { return c.n }

// Days returns the first and last publishing days of the corpus.
func (c *Corpus) Days() (first, last jalali.Date) {
	return firstDay, firstDay.AddDays(max(c.n-1, 0) / PerDay)
}

// Location is the time zone of the corpus's days: Tehran.
func (c *Corpus) Location() *time.Location { return tehran }

// Page builds page i, 0 ≤ i < Len().
func (c *Corpus) Page(i int) Page {
	p, a := c.page(i)
	body, err := c.render(a)
	if err != nil {
		panic(err) // the templates are embedded and the data generated: a failure is a bug
	}
	p.HTML = body
	return p
}

// Text builds page i without its HTML, several times faster than Page:
// what a perfect extraction and cleaning keep of it, for benchmarks that
// write articles straight into a store.
func (c *Corpus) Text(i int) Page {
	p, _ := c.page(i)
	return p
}

func (c *Corpus) page(i int) (Page, *article) {
	a := c.article(i)
	return Page{
		Index: i, Outlet: a.outlet, ID: a.id, URL: a.url(), Path: a.path(), Title: a.title, Lead: a.lead,
		Published: a.published, Expected: a.expected, CopyOf: a.copyOf, Source: a.source,
	}, a
}

// meta is what listings show of an article: cheap to compute, so archive
// pages and sidebars need not build whole articles.
type meta struct {
	index     int
	outlet    string
	id        string
	published time.Time
	kicker    string
	title     string
	lead      string
	section   [2]string
	tags      []string
	copyOf    int
}

func (m *meta) url() string {
	if m.outlet == ISNA {
		return "https://www.isna.ir/news/" + m.id
	}
	return "https://eghtesaad24.ir/fa/news/" + m.id
}

func (m *meta) path() string {
	if m.outlet == ISNA {
		return "/news/" + m.id + "/" + slug(m.title)
	}
	return "/fa/news/" + m.id + "/" + slug(m.title)
}

// rng returns the random stream of one article: stream 0 decides its
// listing data, stream 1 its body. The outlet is the first draw of stream
// 0, so outletOf need not draw anything else.
func (c *Corpus) rng(i, stream int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(c.seed), uint64(i)<<1|uint64(stream)))
}

func (c *Corpus) outletOf(i int) string {
	if c.rng(i, 0).Float64() < isnaShare {
		return ISNA
	}
	return Eghtesad24
}

func (c *Corpus) meta(i int) meta {
	r := c.rng(i, 0)
	m := meta{index: i, outlet: Eghtesad24, copyOf: -1}
	if r.Float64() < isnaShare {
		m.outlet = ISNA
	}
	m.published = c.start.Add(time.Duration(i)*step + time.Duration(r.Int64N(int64(step/time.Second)))*time.Second)
	if m.outlet == ISNA {
		d := jalali.Of(m.published.In(tehran))
		m.id = fmt.Sprintf("%04d%02d%02d%05d", d.Year, d.Month, d.Day, i%PerDay)
		m.section = isnaSections[r.IntN(len(isnaSections))]
	} else {
		m.id = fmt.Sprint(eghFirstID + i)
		m.section = eghSections[r.IntN(len(eghSections))]
	}
	m.kicker = pick(r, c.text.kickers)
	m.title = pick(r, c.text.titles)
	m.lead = pick(r, c.text.leads)
	perm := r.Perm(len(tagWords))
	for _, k := range perm[:2+r.IntN(3)] {
		m.tags = append(m.tags, tagWords[k])
	}
	if m.outlet == Eghtesad24 && r.Float64() < copyShare {
		// Republished within a few hours of the original.
		for j := i - 1 - r.IntN(30); j >= 0; j-- {
			if c.outletOf(j) == ISNA {
				m.copyOf = j
				orig := c.meta(j)
				m.title = respace(r, orig.title, 0.5)
				m.lead = orig.lead
				break
			}
		}
	}
	return m
}

// article is a whole article: its meta and its body elements.
type article struct {
	meta
	dateline string   // ISNA: the span.src opening the lead
	body     []string // HTML of the body's elements
	expected []string
	source   string
}

func (c *Corpus) article(i int) *article {
	a := &article{meta: c.meta(i)}
	r := c.rng(i, 1)
	var paras []string
	if a.copyOf >= 0 {
		paras = edit(r, c.article(a.copyOf).expected)
	} else {
		paras = c.paragraphs(r)
	}
	a.expected = paras
	els := make([]string, len(paras))
	for k, p := range paras {
		els[k] = paragraphHTML(r, a.outlet, p)
	}
	if a.outlet == Eghtesad24 && (a.copyOf >= 0 || r.Float64() < datelineRate) {
		els[0] = paragraphHTML(r, a.outlet, pick(r, []string{"اقتصاد۲۴-", "اقتصاد۲۴- ", "اقتصاد۲۴ - "})+paras[0])
	}
	if a.outlet == ISNA {
		a.dateline = pick(r, isnaDatelines)
	}
	if r.Float64() < duplicateRate && len(paras) > 1 {
		// A paragraph printed again further down, respelled: other ZWNJ
		// and spaces, Arabic yeh and kaf. Nothing is inserted yet, so
		// els[k] is paragraph k.
		k := r.IntN(len(paras) - 1)
		at := k + 1 + r.IntN(len(els)-k)
		els = slices.Insert(els, at, paragraphHTMLPlain(arabic(respace(r, paras[k], 1))))
	}
	if r.Float64() < imageRate {
		els = slices.Insert(els, 1+r.IntN(len(els)), fmt.Sprintf(`<p style="text-align: center;"><img src="%s" alt="%s" width="700" height="466"></p>`,
			template.HTMLEscapeString(strings.TrimSuffix(a.image(), ".jpg")+"_2.jpg"), template.HTMLEscapeString(a.title)))
	}
	if r.Float64() < promoRate {
		els = slices.Insert(els, 1+r.IntN(len(els)), c.promo(r, &a.meta)...)
	}
	switch a.outlet {
	case ISNA:
		if r.Float64() >= noEndRate {
			els = append(els, "<p>"+isnaEnd+"</p>")
		}
	case Eghtesad24:
		if r.Float64() < channelRate {
			els = append(els, "<p>"+eghChannel+"</p>")
		}
		switch {
		case a.copyOf >= 0:
			els = append(els, "<p>منبع: "+copiedFrom+"</p>")
			a.source = ISNA
		case r.Float64() < otherSourceRate:
			a.source = pick(r, otherSources)
			els = append(els, "<p>منبع: "+a.source+"</p>")
		}
	}
	a.body = els
	return a
}

// paragraphs draws the content paragraphs of an original article: four to
// eight paragraphs of two to four sentences, no sentence twice.
func (c *Corpus) paragraphs(r *rand.Rand) []string {
	n := 4 + r.IntN(5)
	used := map[int]bool{}
	out := make([]string, n)
	for k := range out {
		var ss []string
		for range 2 + r.IntN(3) {
			s := r.IntN(len(c.text.sentences))
			for used[s] {
				s = r.IntN(len(c.text.sentences))
			}
			used[s] = true
			ss = append(ss, c.text.sentences[s])
		}
		out[k] = strings.Join(ss, " ")
	}
	return out
}

// promo returns the read-more element(s) of the outlet announcing an
// earlier article: the marker and a link in one paragraph, or (Eghtesad24)
// the marker alone followed by a link-only paragraph, or the same line
// printed twice.
func (c *Corpus) promo(r *rand.Rand, m *meta) []string {
	t := c.earlier(m, 1+r.IntN(200), 1)
	var target meta
	if len(t) > 0 {
		target = t[0]
	} else {
		// An article older than the corpus.
		target = meta{outlet: m.outlet, title: pick(r, c.text.titles), id: fmt.Sprint(eghFirstID - 1 - r.IntN(1000))}
		if m.outlet == ISNA {
			target.id = fmt.Sprintf("14041229%05d", r.IntN(PerDay))
		}
	}
	link := fmt.Sprintf(`<a href="%s" target="_blank">%s</a>`, template.HTMLEscapeString(target.url()+"/"+slug(target.title)), template.HTMLEscapeString(target.title))
	if m.outlet == ISNA {
		if r.Float64() < 0.15 {
			return []string{"<p><strong>" + isnaMarker + "</strong><br>" + link + "</p>"}
		}
		return []string{"<p><strong>" + isnaMarker + "</strong> " + link + "</p>"}
	}
	line := "<p><strong>" + eghMarker + "</strong> " + link + "</p>"
	switch x := r.Float64(); {
	case x < 0.15:
		return []string{"<p>" + eghMarker + "</p>", "<p>" + link + "</p>"}
	case x < 0.25:
		tight := "<p>" + eghMarker + link + "</p>"
		return []string{tight, tight}
	}
	return []string{line}
}

// earlier returns up to n articles of m's outlet published before m,
// newest first, starting back skip articles before m.
func (c *Corpus) earlier(m *meta, skip, n int) []meta {
	var out []meta
	for j := m.index - skip; j >= 0 && j > m.index-skip-20*n && len(out) < n; j-- {
		if c.outletOf(j) == m.outlet {
			out = append(out, c.meta(j))
		}
	}
	return out
}

// edit makes the light edits of a republished copy: maybe a paragraph or a
// closing sentence dropped, and ZWNJs written as spaces here and there.
func edit(r *rand.Rand, orig []string) []string {
	out := slices.Clone(orig)
	if len(out) >= 4 && r.Float64() < 0.3 {
		k := 1 + r.IntN(len(out)-1)
		out = slices.Delete(out, k, k+1)
	}
	for k, p := range out {
		if ss := sentences(p); len(ss) >= 3 && r.Float64() < 0.2 {
			p = strings.Join(ss[:len(ss)-1], " ")
		}
		p = strings.ReplaceAll(p, "گفت‌وگو", "گفتگو")
		out[k] = respace(r, p, 0.4)
	}
	return out
}

// respace writes each ZWNJ of s as a space, or drops it, with probability
// prob.
func respace(r *rand.Rand, s string, prob float64) string {
	var b strings.Builder
	for _, ch := range s {
		if ch == '\u200c' && r.Float64() < prob {
			if r.IntN(2) == 0 {
				b.WriteByte(' ')
			}
			continue
		}
		b.WriteRune(ch)
	}
	return b.String()
}

// arabic writes the Persian yeh and kaf in their Arabic forms, as pages
// typed on Arabic keyboards do.
func arabic(s string) string {
	return strings.NewReplacer("ی", "ي", "ک", "ك").Replace(s)
}

// paragraphHTML is a content paragraph, sometimes with a word linked to
// its tag page (so its text spans elements, as on the real sites).
func paragraphHTML(r *rand.Rand, outlet, p string) string {
	words := strings.Split(p, " ")
	if len(words) < 4 || r.Float64() >= linkRate {
		return paragraphHTMLPlain(p)
	}
	k := 1 + r.IntN(len(words)-2)
	host := "https://www.isna.ir/tag/"
	if outlet == Eghtesad24 {
		host = "https://eghtesaad24.ir/fa/tags/"
	}
	w := template.HTMLEscapeString(words[k])
	return "<p>" + template.HTMLEscapeString(strings.Join(words[:k], " ")) + ` <a href="` + host + w + `">` + w + "</a> " +
		template.HTMLEscapeString(strings.Join(words[k+1:], " ")) + "</p>"
}

func paragraphHTMLPlain(p string) string { return "<p>" + template.HTMLEscapeString(p) + "</p>" }

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }
