package scrape

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"mediadigest/profile"
)

func tehran() *time.Location { return time.FixedZone("Asia/Tehran", 7*3600/2) }

func builtin(t testing.TB, id string) *profile.Profile {
	t.Helper()
	p, err := profile.Builtin(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExtractWholePages(t *testing.T) {
	tests := []struct {
		profile, file, url           string
		title, kicker, lead, section string
		tags, paragraphs             []string
		published                    time.Time
	}{
		{
			profile: "isna",
			file:    "testdata/isna-article.html",
			url:     "https://www.isna.ir/news/1405090503512",
			title:   "افزایش ۱۲ درصدی صادرات غیرنفتی کرمان در هشت ماه نخست سال",
			kicker:  "رئیس سازمان صنعت، معدن و تجارت استان:",
			lead:    "ایسنا/کرمان رئیس سازمان صنعت، معدن و تجارت استان کرمان از افزایش ۱۲ درصدی ارزش صادرات غیرنفتی استان در هشت ماه نخست امسال خبر داد.",
			section: "استان‌ها",
			tags:    []string{"صادرات", "کرمان", "صنعت، معدن و تجارت"},
			paragraphs: []string{
				"به گزارش ایسنا، محمد رضایی ظهر امروز در نشست خبری با اشاره به عملکرد بخش صادرات استان گفت: ارزش صادرات غیرنفتی استان کرمان در هشت ماه نخست امسال به یک میلیارد و ۲۰۰ میلیون دلار رسید.",
				"وی افزود: بیشترین سهم صادرات استان به محصولات معدنی و فولادی اختصاص دارد و پسته و خرما در رتبه‌های بعدی قرار دارند.",
				"بیشتر: صادرات پسته به چین از سر گرفته شد",
				"رئیس سازمان صنعت، معدن و تجارت استان کرمان با بیان اینکه مقاصد اصلی صادرات استان کشورهای همسایه هستند، تصریح کرد: عراق، افغانستان و امارات متحده عربی سه مقصد نخست کالاهای صادراتی کرمان بوده‌اند.",
				"صادرات پسته به چین از سر گرفته شد",
				"انتهای پیام",
			},
			// Visible "۵ آذر ۱۴۰۵ / ۱۰:۱۵", Tehran time.
			published: time.Date(2026, 11, 26, 6, 45, 0, 0, time.UTC),
		},
		{
			profile: "eghtesad24",
			file:    "testdata/eghtesad24-article.html",
			url:     "https://eghtesaad24.ir/fa/news/345678",
			title:   "بازار خودرو در انتظار قیمت‌های جدید کارخانه",
			lead:    "قیمت کارخانه‌ای محصولات دو خودروساز بزرگ پس از دو ماه توقف به‌زودی اعلام می‌شود؛ فعالان بازار انتظار افزایش ۱۵ درصدی دارند.",
			section: "بازار > خودرو",
			tags:    []string{"خودرو", "شورای رقابت", "بازار خودرو"},
			paragraphs: []string{
				"اقتصاد۲۴- بررسی‌ها نشان می‌دهد قیمت‌های جدید کارخانه‌ای خودروسازان که از شهریور متوقف شده بود، پس از تصویب شورای رقابت در هفته آینده اعلام خواهد شد.",
				"به گفته فعالان بازار، انتظار افزایش قیمت باعث شده است که عرضه در بازار آزاد کاهش یابد و معاملات در روزهای اخیر تقریباً متوقف شود.",
				"بیشتر بخوانید: قیمت خودرو امروز پنجشنبه ۵ آذر",
				"یکی از نمایشگاه‌داران در این باره گفت: خریداران منتظر مانده‌اند تا تکلیف قیمت‌های جدید روشن شود و فروشندگان هم حاضر به فروش با قیمت فعلی نیستند.",
				"بیشتر بخوانید: شرایط پیش‌فروش جدید اعلام شد",
				"پیش از این، شورای رقابت سقف افزایش قیمت را ۱۰ درصد اعلام کرده بود، اما خودروسازان خواستار افزایش بیشتری هستند.",
				"منبع: ایسنا",
			},
			// article:published_time 2026-11-26T08:45:00+03:30.
			published: time.Date(2026, 11, 26, 5, 15, 0, 0, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			a, err := Extract(builtin(t, tt.profile), tt.url, readFile(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			check := func(field, got, want string) {
				if got != want {
					t.Errorf("%s = %q, want %q", field, got, want)
				}
			}
			check("URL", a.URL, tt.url)
			check("Title", a.Title, tt.title)
			check("Kicker", a.Kicker, tt.kicker)
			check("Lead", a.RawLead, tt.lead)
			check("Section", a.Section, tt.section)
			if !slices.Equal(a.Tags, tt.tags) {
				t.Errorf("Tags = %q, want %q", a.Tags, tt.tags)
			}
			if !slices.Equal(a.Raw, tt.paragraphs) {
				t.Errorf("Raw =\n%s\nwant\n%s", strings.Join(a.Raw, "\n"), strings.Join(tt.paragraphs, "\n"))
			}
			if !a.Published.Equal(tt.published) || a.Published.Location() != time.UTC {
				t.Errorf("Published = %v, want %v (UTC)", a.Published, tt.published)
			}
		})
	}
}

// TestExtractGeneric reads a page without selectors: readability finds
// the title and the body paragraphs, and the ISO meta gives the date.
func TestExtractGeneric(t *testing.T) {
	a, err := Extract(builtin(t, "generic"), "https://example.com/a", readFile(t, "testdata/eghtesad24-article.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.Title, "بازار خودرو در انتظار قیمت‌های جدید کارخانه") {
		t.Errorf("Title = %q", a.Title)
	}
	for _, want := range []string{
		"پیش از این، شورای رقابت سقف افزایش قیمت را ۱۰ درصد اعلام کرده بود، اما خودروسازان خواستار افزایش بیشتری هستند.",
		"منبع: ایسنا",
	} {
		if !slices.Contains(a.Raw, want) {
			t.Errorf("Raw lacks %q; got\n%s", want, strings.Join(a.Raw, "\n"))
		}
	}
	for _, p := range a.Raw {
		if strings.Contains(p, "پربیننده‌ترین") || strings.Contains(p, "حقوق مادی") {
			t.Errorf("Raw holds page chrome: %q", p)
		}
	}
	if want := time.Date(2026, 11, 26, 5, 15, 0, 0, time.UTC); !a.Published.Equal(want) {
		t.Errorf("Published = %v, want %v", a.Published, want)
	}
}

func TestExtractErrors(t *testing.T) {
	const url = "https://www.isna.ir/news/1405090503512"
	isna := builtin(t, "isna")
	tests := []struct {
		name, page string
		want       string
	}{
		{
			name: "no body",
			page: `<html><body><h1 class="first-title">عنوان</h1><div class="item-body"><p>بیرون از متن</p></div></body></html>`,
			want: `scrape: https://www.isna.ir/news/1405090503512: no article body (selector "div.item-body div.item-text[itemprop=articleBody] > p" matched nothing)`,
		},
		{
			name: "empty body",
			page: `<html><body><h1 class="first-title">عنوان</h1><div class="item-body"><div class="item-text" itemprop="articleBody"><p> </p><p>&nbsp;</p></div></div></body></html>`,
			want: `scrape: https://www.isna.ir/news/1405090503512: no article body (selector "div.item-body div.item-text[itemprop=articleBody] > p" matched only empty elements)`,
		},
		{
			name: "no title",
			page: `<html><body><h2 class="first-title">عنوان</h2></body></html>`,
			want: `scrape: https://www.isna.ir/news/1405090503512: no article title (selector "h1.first-title[itemprop=headline], h1.first-title" matched nothing)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Extract(isna, url, []byte(tt.page))
			var ee *ExtractError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want an *ExtractError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("err =\n%s\nwant\n%s", err, tt.want)
			}
		})
	}
	t.Run("no container", func(t *testing.T) {
		_, err := Extract(builtin(t, "eghtesad24"), "https://eghtesaad24.ir/fa/news/1", []byte(`<html><body><h1>x</h1><div class="body"><p>y</p></div></body></html>`))
		want := `scrape: https://eghtesaad24.ir/fa/news/1: no article container (selector "#news" matched nothing)`
		if err == nil || err.Error() != want {
			t.Errorf("err = %v, want %s", err, want)
		}
	})
}

func TestMetaTimeForms(t *testing.T) {
	tests := []struct {
		content string
		want    time.Time
	}{
		{"2026-11-26T08:45:00+03:30", time.Date(2026, 11, 26, 5, 15, 0, 0, time.UTC)},
		{"2026-11-26T05:15:00Z", time.Date(2026, 11, 26, 5, 15, 0, 0, time.UTC)},
		{"2026-11-26T08:45:00.250+03:30", time.Date(2026, 11, 26, 5, 15, 0, 250e6, time.UTC)},
		{"2026-11-26T08:45:00+0330", time.Date(2026, 11, 26, 5, 15, 0, 0, time.UTC)},
		{"2026-11-26T08:45+03:30", time.Date(2026, 11, 26, 5, 15, 0, 0, time.UTC)},
		{"2026-11-26T08:45:00", time.Date(2026, 11, 26, 5, 15, 0, 0, time.UTC)}, // no zone: Tehran
		{"2026-11-26", time.Date(2026, 11, 25, 20, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		page := `<html><head><meta property="article:published_time" content="` + tt.content + `"></head><body><div id="news"><h1>عنوان</h1><div class="body"><p>متن</p></div></div></body></html>`
		a, err := Extract(builtin(t, "eghtesad24"), "https://eghtesaad24.ir/fa/news/1", []byte(page))
		if err != nil {
			t.Fatalf("%s: %v", tt.content, err)
		}
		if !a.Published.Equal(tt.want) {
			t.Errorf("%s: Published = %v, want %v", tt.content, a.Published, tt.want)
		}
	}
}

func FuzzExtract(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input, which takes long
	// on whole pages.
	f.Add([]byte(`<div id="news"><div class="news_path"><a>بازار</a></div><h1>ع</h1><div class="subtitle">ل</div><div class="body"><p>\xff\xfe<br>ب</p></div><span class="tags_title"><a>ت</a></span></div>`))
	f.Add([]byte(`<div class="meta-news"><ul><li><span class="text-meta">۵ آذر ۱۴۰۵ / ۱۰:۱۵</span></li></ul></div><h1 class="first-title">t</h1><div class="item-body"><div class="item-text" itemprop="articleBody"><p>a<script>x</script></p></div></div>`))
	f.Add([]byte(`<meta property="article:published_time" content="2026-11-26T08:45:00+03:30"><article><h1>عنوان</h1><p>پاراگراف اول با متنی نسبتاً بلند.</p><p>دوم</p></article>`))
	f.Add([]byte("<p>\x00\xed\xa0\x80</p><meta charset=\"windows-1256\">"))
	profiles := []*profile.Profile{builtin(f, "isna"), builtin(f, "eghtesad24"), builtin(f, "generic")}
	f.Fuzz(func(t *testing.T, page []byte) {
		for _, p := range profiles {
			a, err := Extract(p, "https://example.com/news/1", page)
			if err != nil {
				continue
			}
			for _, s := range append([]string{a.Title, a.Kicker, a.RawLead, a.Section}, append(a.Tags, a.Raw...)...) {
				if !utf8.ValidString(s) {
					t.Fatalf("%s: invalid UTF-8 %q", p.ID, s)
				}
			}
			if a.Title == "" || len(a.Raw) == 0 {
				t.Fatalf("%s: extracted without title or body: %+v", p.ID, a)
			}
		}
	})
}

// TestPageTimesInProfileZone: page times are read in the zone of the
// outlet's profile, Tehran unless it names another, whatever the host's
// zone or the config's (which is for schedules and digest days).
func TestPageTimesInProfileZone(t *testing.T) {
	withDate := func(zone string) *profile.Profile {
		t.Helper()
		p, err := profile.Parse("dated.yaml", []byte(`
id: dated
feeds: [/rss]
article_url: '^/news/(\d+)$'
selectors:
  title: h1
  body: "div.body p"
  date: .news_pdate_c
  date_meta: "meta[property='article:published_time']"
`+zone))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	const visible = `<span class="news_pdate_c">تاریخ انتشار: ۰۸:۴۵ - ۲۷ آبان ۱۴۰۵</span>`
	page := func(head string) string {
		return `<html><head>` + head + `</head><body><h1>قیمت دلار</h1>` + visible + `<div class="body"><p>متن خبر.</p></div></body></html>`
	}
	tehran0845 := time.Date(2026, 11, 18, 5, 15, 0, 0, time.UTC)
	tests := []struct {
		name    string
		profile *profile.Profile
		page    string
		want    time.Time
	}{
		{"visible date, Tehran by default", withDate(""), page(""), tehran0845},
		{"visible date, Kabul profile", withDate("timezone: Asia/Kabul\n"), page(""), time.Date(2026, 11, 18, 4, 15, 0, 0, time.UTC)},
		{"ISO time without offset", withDate(""), page(`<meta property="article:published_time" content="2026-11-18T08:45:00">`), tehran0845},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Extract(tt.profile, "https://example.com/news/1", []byte(tt.page))
			if err != nil {
				t.Fatal(err)
			}
			if !a.Published.Equal(tt.want) {
				t.Errorf("Extract: Published %v, want %v", a.Published, tt.want)
			}

			s := newSite(t, item{link: "/news/1", published: published})
			s.handle("/news/1", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tt.page) })
			o := s.outlet()
			o.Profile = tt.profile
			opt := testOptions()
			opt.Timeout = 5 * time.Second // no case waits for it
			var k sink
			if _, err := New(opt).Crawl(t.Context(), o, nil, nil, k.put); err != nil {
				t.Fatal(err)
			}
			if len(k.pages) != 1 {
				t.Fatalf("%d pages, want 1", len(k.pages))
			}
			if a := k.pages[0].Article; !a.Published.Equal(tt.want) || a.DateGuessed {
				t.Errorf("Crawl: Published %v (guessed %v), want %v from the page", a.Published, a.DateGuessed, tt.want)
			}
		})
	}
}
