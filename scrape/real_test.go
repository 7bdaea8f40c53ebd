package scrape

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mediadigest/dedupe"
	"mediadigest/internal/evalset"
)

// realPages is the folder of real article pages saved by other projects:
// ../shared/real from the repository root, or $MEDIADIGEST_REAL_PAGES
// (a checkout elsewhere, a git worktree). Tests on it skip when it is
// absent.
func realPages(t *testing.T) string {
	dir := os.Getenv("MEDIADIGEST_REAL_PAGES")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "real")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no real pages: %v", err)
	}
	return dir
}

// TestRealPages reads the real pages of Tasnim, YJC and Tabnak (2018–2019)
// with the generic profile, as a new user adding these outlets would, and
// with the family's built-in profile: the right title, lead, date (the
// month written with an Arabic ي, Iran's summer time of those years) and
// body, and no end marker kept.
func TestRealPages(t *testing.T) {
	dir := realPages(t)
	tests := []struct {
		file, profile string
		title, lead   string
		first, last   string // prefixes of the first and last paragraph
		paragraphs    int
		published     time.Time
		kicker        string
	}{{
		file: "tasnim-2015910.html", profile: "tasnim",
		title:      "لیگ قهرمانان آسیا| برتری بی‌فایده پرسپولیس در شب تلخ خداحافظی ژاوی از فوتبال",
		lead:       "پرسپولیس در آخرین مسابقه‌اش در مرحله گروهی لیگ قهرمانان آسیا که دیداری تشریفاتی بود، السد را شکست داد.",
		first:      "به گزارش خبرگزاری تسنیم، دیدار دو تیم پرسپولیس ایران و السد قطر",
		last:       "به گزارش تسنیم، پرسپولیس با این پیروزی 7 امتیازی شد",
		paragraphs: 27,
		// «۳۰ ارديبهشت ۱۳۹۸ - ۲۲:۵۳», +04:30.
		published: time.Date(2019, 5, 20, 18, 23, 0, 0, time.UTC),
	}, {
		file: "yjc-6998551.html", profile: "iransamaneh",
		title:      "بیانات رهبر انقلاب در بازدید از نمایشگاه اسناد تاریخی مرتبط با مسجد گوهرشاد منتشر شد",
		kicker:     "برای نخستین بار؛",
		lead:       "پایگاه اطلاع‌رسانی KHAMENEI.IR متن بیانات رهبر انقلاب اسلامی در بازدید از نمایشگاه آثار هنری و اسناد تاریخی مرتبط با مسجد گوهرشاد را منتشر کرد.",
		first:      "به گزارش گروه سیاسی باشگاه خبرنگاران جوان؛ حضرت آیت‌الله خامنه‌ای",
		last:       "۱) آقای وحید جلیلی، معاون فرهنگی - اجتماعی شهرداری مشهد",
		paragraphs: 12,
		// «۲۱ تير ۱۳۹۸ - ۱۷:۲۱»; the header prints «۲۱ : ۱۸ - جمعه ۲۱ تير ۱۳۹۸».
		published: time.Date(2019, 7, 12, 12, 51, 0, 0, time.UTC),
	}, {
		file: "tabnak-818242.html", profile: "iransamaneh",
		title:      "درخواست سپنتا نیکنام از رئیس‌جمهور/پرونده نماینده سپرده گذار ۴۰ میلیاردی در هیات نظارت بر رفتار نمایندگان/بانک مرکزی به روزنامه شرق گفته خبرسازی کند؟",
		kicker:     "هزار و دویست و هفتاد و نهمین بسته ویژه خبری «تابناک»؛",
		lead:       "رصد‌خانه «تابناک»، خبر‌هایی برای مخاطبان آماده می‌کند که غیررسمی هستند",
		first:      "تحولات در گذر است و خبر هیچ گاه متوقف نخواهد شد",
		last:       "سهیلا جورکش قربانی اسید پاشی به ایسنا گفت",
		paragraphs: 28,
		// «۳۰ تير ۱۳۹۷ - ۰۰:۲۰» in a misspelt <sapn>, then «21 July 2018».
		published: time.Date(2018, 7, 20, 19, 50, 0, 0, time.UTC),
	}}
	for _, tt := range tests {
		for _, pid := range []string{"generic", tt.profile} {
			t.Run(tt.file+"/"+pid, func(t *testing.T) {
				p := builtin(t, pid)
				page := readFile(t, filepath.Join(dir, tt.file))
				a, err := Extract(p, "https://example.com/", page)
				if err != nil {
					t.Fatal(err)
				}
				rules, err := dedupe.NewRules(p, nil)
				if err != nil {
					t.Fatal(err)
				}
				c := dedupe.CleanArticle(a.RawLead, a.Raw, rules, nil)
				if a.Title != tt.title {
					t.Errorf("title %q, want %q", a.Title, tt.title)
				}
				if a.Kicker != tt.kicker {
					t.Errorf("kicker %q, want %q", a.Kicker, tt.kicker)
				}
				if !strings.HasPrefix(c.Lead, tt.lead) {
					t.Errorf("lead %q, want %q…", c.Lead, tt.lead)
				}
				if !a.Published.Equal(tt.published) {
					t.Errorf("published %v, want %v", a.Published, tt.published)
				}
				n := len(c.Paragraphs)
				if n != tt.paragraphs || n == 0 {
					t.Fatalf("%d paragraphs, want %d:\n%s", n, tt.paragraphs, strings.Join(c.Paragraphs, "\n"))
				}
				if !strings.HasPrefix(c.Paragraphs[0], tt.first) || !strings.HasPrefix(c.Paragraphs[n-1], tt.last) {
					t.Errorf("first and last paragraphs:\n%s\n%s\nwant %s… and %s…", c.Paragraphs[0], c.Paragraphs[n-1], tt.first, tt.last)
				}
				for _, para := range c.Paragraphs {
					if evalset.IsMarkerOrMetadata(para) || para == c.Lead {
						t.Errorf("kept %q", para)
					}
				}
			})
		}
	}
}
