package desk

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"mediadigest/digest"
	"mediadigest/sampleoutlets"
	"mediadigest/stories"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

func TestMain(m *testing.M) {
	code := m.Run()
	if sampleStore.dir != "" {
		os.RemoveAll(sampleStore.dir)
	}
	os.Exit(code)
}

// The sample outlets' stories the tests look at: Eghtesad24's copy of
// ISNA's petrol quota story, with light edits, and its copy of the
// Vaezi story, as the real outlet printed it (sampleoutlets).
const (
	petrolCopy = "/fa/news/312484"
	vaeziCopy  = "/fa/news/312480"
)

// TestPagesWantASession: no page of the desk shows anything without a
// session, and says how to get one; a forged cookie is no session.
func TestPagesWantASession(t *testing.T) {
	f := sqliteFixture(t)
	story := f.article(t, petrolCopy)
	paths := []string{"/", "/?day=1405/09/04", "/story/" + story.Story, fmt.Sprintf("/article/%d", story.ID),
		"/search", "/search?q=" + urlQuery("سهمیه بنزین")}
	forged := &http.Client{Jar: jarWith(t, f.srv.URL, "mediadigest_session", "v1.YW5hbHlzdEBleGFtcGxlLmNvbQ.forged")}
	for _, c := range []struct {
		name   string
		client *http.Client
	}{{"no cookie", http.DefaultClient}, {"forged cookie", forged}} {
		for _, path := range paths {
			p := f.get(t, c.client, path)
			if p.code != http.StatusForbidden || !strings.Contains(p.body, "mediadigest link EMAIL") || strings.Contains(p.body, "سهمیه بنزین") {
				t.Errorf("%s, GET %s: %d, want 403 saying how to sign in, nothing of the desk:\n%.400s", c.name, path, p.code, p.body)
			}
		}
	}
	signed := f.signIn(t, "analyst@example.com")
	for _, path := range paths {
		p := f.get(t, signed, path)
		if p.code != http.StatusOK {
			t.Errorf("signed in, GET %s: %d", path, p.code)
		}
		if csp := p.hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || p.hdr.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: security headers %v", path, p.hdr)
		}
	}
}

// TestToday: / holds the day's stories under each topic the subscriber
// follows, each with its chart of 30 days; the digest's per_topic first,
// the rest by title.
func TestToday(t *testing.T) {
	f := sqliteFixture(t)
	petrol := f.article(t, petrolCopy)

	p := f.get(t, f.signIn(t, "analyst@example.com"), "/")
	for _, want := range []string{
		"<h1>خبرهای امروز، پنجشنبه ۵ آذر ۱۴۰۵</h1>",
		`href="/story/` + petrol.Story + `">سهمیه بنزین آذرماه به کارت‌های سوخت واریز شد</a>`,
		`<span>در ۲ رسانه</span>`,
		`<a href="/?day=1405/09/04" rel="prev">روز پیش</a>`,
		`id="topic-energy"`, `id="topic-currency"`, `id="topic-bourse"`, `id="topic-politics"`, `id="topic-sport"`, `id="topic-other"`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("/ lacks %s", want)
		}
	}
	if strings.Contains(p.body, `rel="next"`) {
		t.Error("today links to tomorrow")
	}
	if n := strings.Count(p.body, `<svg class="chart"`); n != 6 {
		t.Errorf("%d charts, want one a topic: 6", n)
	}
	if n := strings.Count(p.body, `" tabindex="-1"><title>`); n != 6*chartDays {
		t.Errorf("%d bars link to their day, want %d", n, 6*chartDays)
	}
	energy := topicSection(t, p.body, "energy")
	if !strings.Contains(energy, "سهمیه بنزین آذرماه") || !strings.Contains(energy, `class="bar shown"`) {
		t.Errorf("the energy section lacks the petrol story, or today's bar:\n%s", energy)
	}

	desk := f.get(t, f.signIn(t, "energy-desk@example.com"), "/")
	if got := regexp.MustCompile(`id="topic-(\w+)"`).FindAllStringSubmatch(desk.body, -1); len(got) != 2 || got[0][1] != "energy" || got[1][1] != "currency" {
		t.Errorf("energy-desk's sections %v, want energy and currency, their topics", got)
	}
}

// topicSection returns the HTML of the topic's section of /.
func topicSection(t *testing.T, body, topic string) string {
	t.Helper()
	i := strings.Index(body, `<section class="topic" aria-labelledby="topic-`+topic+`">`)
	if i < 0 {
		t.Fatalf("no section of %s", topic)
	}
	j := strings.Index(body[i:], "</section>")
	return body[i : i+j]
}

// TestTodayAfterTheSampleDays: on a day without stories yet, / says so
// and links to the last day that has some.
func TestTodayAfterTheSampleDays(t *testing.T) {
	f := sqliteFixture(t)
	f.clk.Set(sampleoutlets.Reference)
	p := f.get(t, f.signIn(t, "analyst@example.com"), "/")
	if p.code != http.StatusOK || !strings.Contains(p.body, `امروز هنوز خبری نیامده است. واپسین روزی که خبر دارد: <a href="/?day=1405/09/05">پنجشنبه ۵ آذر ۱۴۰۵</a>`) {
		t.Errorf("/ the morning after: %d\n%s", p.code, p.body)
	}
}

// TestDays: ?day= shows another day, Jalali or Gregorian; a day that is
// not one, or has not come, is refused with a page saying so.
func TestDays(t *testing.T) {
	f := sqliteFixture(t)
	c := f.signIn(t, "analyst@example.com")
	tests := []struct {
		day  string
		code int
		want string
	}{
		{"1405/09/04", 200, "<h1>خبرهای چهارشنبه ۴ آذر ۱۴۰۵</h1>"},
		{"2026-11-25", 200, "<h1>خبرهای چهارشنبه ۴ آذر ۱۴۰۵</h1>"},
		{"۱۴۰۵/۰۹/۰۴", 200, `<a href="/?day=1405/09/05" rel="next">روز بعد</a>`},
		{"1405/09/05", 200, "<h1>خبرهای امروز، پنجشنبه ۵ آذر ۱۴۰۵</h1>"},
		{"1404/01/01", 200, "در این روز خبری نیست."},
		{"1405/09/06", 404, "هنوز نیامده است"},
		{"yesterday", 400, "روز را به شکل ۱۴۰۵/۰۹/۰۵ یا 2026-11-26 بنویسید"},
		{"1405/13/01", 400, "روز را به شکل"},
		{"<script>alert(1)</script>", 400, "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{strings.Repeat("9", 10000), 400, "روز را به شکل"},
	}
	for _, tt := range tests {
		t.Run(tt.day[:min(len(tt.day), 20)], func(t *testing.T) {
			p := f.get(t, c, "/?day="+urlQuery(tt.day))
			if p.code != tt.code || !strings.Contains(p.body, tt.want) {
				t.Errorf("?day=%.40s: %d, want %d with %q:\n%.2000s", tt.day, p.code, tt.code, tt.want, p.body)
			}
			if strings.Contains(p.body, "<script>") {
				t.Error("the day came back as markup")
			}
		})
	}
}

// TestDayReadsWholeStories: the desk's stories of a day, read from the
// day's stories alone, are those the digest of the day reads from the
// whole story window: the same stories, headlines and copies.
func TestDayReadsWholeStories(t *testing.T) {
	for _, b := range []struct {
		name    string
		fixture func(testing.TB) *fixture
	}{{"sqlite", sqliteFixture}, {"postgres", postgresFixture}} {
		t.Run(b.name, func(t *testing.T) {
			f := b.fixture(t)
			all := stories.New(f.st, f.cfg.Cleaning.StoryWindow.D())
			for _, day := range []time.Time{evening.AddDate(0, 0, -1), evening} {
				win := digest.DayWindow(day, f.cfg.Location)
				want, err := all.Window(t.Context(), win)
				if err != nil {
					t.Fatal(err)
				}
				got, err := f.desk.day.Window(t.Context(), win)
				if err != nil {
					t.Fatal(err)
				}
				if g, w := storyLines(got), storyLines(want); g != w || len(want) < 10 {
					t.Errorf("%s: the desk's stories\n%s\nthe digest's\n%s", day.Format(time.DateOnly), g, w)
				}
			}
		})
	}
}

// TestStoryPage: the story page of the petrol quota story shows ISNA's
// article first, then Eghtesad24's copy with exactly what it changed
// (testdata/petrol.diff, from the sample outlets' articles.yaml), and
// each one's removed paragraphs with their reasons.
func TestStoryPage(t *testing.T) {
	f := sqliteFixture(t)
	petrol := f.article(t, petrolCopy)
	p := f.get(t, f.signIn(t, "analyst@example.com"), "/story/"+petrol.Story)
	if p.code != http.StatusOK {
		t.Fatalf("%d\n%s", p.code, p.body)
	}
	isna, copy := strings.Index(p.body, "<h2><a href=\"/article/"), strings.Index(p.body, ">اقتصاد۲۴</a></h2>")
	if isna < 0 || copy < isna || !strings.Contains(p.body[isna:copy], ">ایسنا</a> <span class=\"tag\">نخستین انتشار</span>") {
		t.Fatalf("ISNA's article is not first, marked so:\n%s", p.body)
	}
	changes := p.body[copy:]
	for _, want := range []string{
		"<span>منبع: ایسنا</span>",
		`<span class="n-added">۰ بند افزوده</span>، <span class="n-dropped">۰ بند حذف‌شده</span>، <span class="n-edited">۳ بند ویرایش‌شده</span>`,
		`سهمیه بنزین آذرماه <del>به کارت‌های سوخت</del> واریز شد`,
		`ایران <del>در گفت‌وگو با ایسنا</del> گفت:`,
		`مشابه <del>پارسال</del> <ins>سال گذشته</ins> حدود`,
		`بیشتر است. <del>بخشی از این افزایش ناشی از رشد ناوگان خودرویی و بخشی نیز به دلیل قاچاق سوخت است.</del></p>`,
		`در <del>جایگاه‌های سوخت</del> <ins>جایگاه‌ها</ins> گرفته`,
		`… ۱ بند بی‌تغییر …`, `… ۲ بند بی‌تغییر …`,
		`<span class="reason" title="attribution">ذکر منبع</span> <q>منبع: ایسنا</q>`,
		`<span class="reason" title="promo">پیوند «بیشتر بخوانید»</span>`,
	} {
		if !strings.Contains(changes, want) {
			t.Errorf("Eghtesad24's version lacks %s", want)
		}
	}
	diff := changes[strings.Index(changes, `<div class="diff">`):]
	diff = diff[:strings.Index(diff, "</div>")]
	if d, i := strings.Count(diff, "<del>"), strings.Count(diff, "<ins>"); d != 4 || i != 2 {
		t.Errorf("the paragraphs show %d dropped and %d added runs, want 4 and 2:\n%s", d, i, diff)
	}
	if !strings.Contains(p.body[isna:copy], `<span class="reason" title="marker">نشانه پایان خبر یا سرخط</span> <q>انتهای پیام</q>`) {
		t.Error("ISNA's version lacks its end marker, removed")
	}

	first := f.article(t, "/news/1405090501372")
	golden(t, "petrol.diff", textDiff(compare(&first, &petrol)))
	vaezi, vaeziFirst := f.article(t, vaeziCopy), f.article(t, "/news/1405090500940")
	golden(t, "vaezi.diff", textDiff(compare(&vaeziFirst, &vaezi)))
}

// textDiff writes a copy's changes as text, for the golden files.
func textDiff(c *changes) string {
	var b strings.Builder
	fmt.Fprintf(&b, "title: %s\nlead: %s\n", show(c.Title), show(c.Lead))
	for _, bl := range c.Blocks {
		if bl.Para == nil {
			fmt.Fprintf(&b, "… %d unchanged …\n", bl.Unchanged)
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", bl.Para.Op, show(bl.Para.Runs))
	}
	fmt.Fprintf(&b, "paragraphs: +%d -%d ~%d, %d respelled; changed: %t\n", c.Added, c.Dropped, c.Edited, c.Respelled, c.Changed)
	return b.String()
}

// golden compares got with testdata/name, rewritten with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test ./desk -run %s -update, then read the diff):\ngot:\n%s", path, t.Name(), got)
	}
}

// TestBadAddresses: malformed and unknown ids get a page saying so with a
// 4xx status, the id never echoed as markup.
func TestBadAddresses(t *testing.T) {
	f := sqliteFixture(t)
	c := f.signIn(t, "analyst@example.com")
	tests := []struct {
		path string
		code int
		want string
	}{
		{"/story/xyz", 400, "شناسه خبر «s» و شانزده رقم"},
		{"/story/S72D739B754AF050A", 400, "شناسه خبر"},
		{"/story/s0000000000000000", 404, "خبری با این شناسه نیست"},
		{"/story/s00000000000000000", 400, "شناسه خبر"},
		{"/story/%3Cscript%3Ealert(1)%3C%2Fscript%3E", 400, "شناسه خبر"},
		{"/story/", 404, "چنین صفحه‌ای نیست"},
		{"/story/s0000000000000000/more", 404, "چنین صفحه‌ای نیست"},
		{"/article/abc", 400, "شناسه نوشته یک عدد است"},
		{"/article/0", 400, "شناسه نوشته"},
		{"/article/-7", 400, "شناسه نوشته"},
		{"/article/1e3", 400, "شناسه نوشته"},
		{"/article/99999999999999999999", 400, "شناسه نوشته"},
		{"/article/999999", 404, "نوشته‌ای با این شناسه نیست"},
		{"/nothing-here", 404, "چنین صفحه‌ای نیست"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p := f.get(t, c, tt.path)
			if p.code != tt.code || !strings.Contains(p.body, tt.want) || strings.Contains(p.body, "<script>") {
				t.Errorf("GET %s: %d, want %d with %q:\n%.1500s", tt.path, p.code, tt.code, tt.want, p.body)
			}
		})
	}
}

// TestArticlePage: an article's page shows its clean view, every
// paragraph removed with its reason, and links to its story and original.
func TestArticlePage(t *testing.T) {
	f := sqliteFixture(t)
	petrol := f.article(t, petrolCopy)
	p := f.get(t, f.signIn(t, "analyst@example.com"), fmt.Sprintf("/article/%d", petrol.ID))
	for _, want := range []string{
		"<h1>سهمیه بنزین آذرماه واریز شد</h1>",
		`<a href="/story/` + petrol.Story + `">همه نسخه‌های این خبر</a>`,
		`<a href="` + petrol.URL + `" rel="noopener noreferrer">متن اصلی</a>`,
		"<p>وی در پایان از مالکان خودروها خواست",
		`<td class="why" title="attribution">ذکر منبع</td><td>منبع: ایسنا</td>`,
		`<td class="why" title="marker">نشانه پایان خبر یا سرخط</td><td>اقتصاد۲۴-</td>`,
		"موضوع: انرژی",
		`<span class="tag">کارت سوخت</span>`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the article page lacks %s", want)
		}
	}
	if n := strings.Count(p.body, "<tr><td class=\"why\""); n != len(petrol.Removed) {
		t.Errorf("%d removals shown, want all %d", n, len(petrol.Removed))
	}
	if strings.Contains(p.body[strings.Index(p.body, `<div class="body">`):], "<p>منبع: ایسنا</p>") {
		t.Error("a removed paragraph shows in the clean view")
	}
}

// TestPagesOnPostgres: the pages read a PostgreSQL store as they read
// SQLite.
func TestPagesOnPostgres(t *testing.T) {
	f := postgresFixture(t)
	petrol := f.article(t, petrolCopy)
	c := f.signIn(t, "analyst@example.com")
	for path, want := range map[string]string{
		"/":                                   `href="/story/` + petrol.Story + `">سهمیه بنزین آذرماه`,
		"/story/" + petrol.Story:              `مشابه <del>پارسال</del> <ins>سال گذشته</ins> حدود`,
		fmt.Sprintf("/article/%d", petrol.ID): `<td class="why" title="attribution">ذکر منبع</td>`,
		"/?day=1405/09/04":                    "<h1>خبرهای چهارشنبه ۴ آذر ۱۴۰۵</h1>",
		"/story/s0000000000000000":            "خبری با این شناسه نیست",
		"/search?q=" + urlQuery("کارتهای سوخت"):                "<mark>کارت‌های سوخت</mark>",
		"/search?order=relevance&q=" + urlQuery("سهميه بنزين"): `href="/story/` + petrol.Story + `"><mark>سهمیه بنزین</mark> آذرماه`,
		fmt.Sprintf("/article/%d", petrol.ID+999):              "نوشته‌ای با این شناسه نیست",
	} {
		if p := f.get(t, c, path); !strings.Contains(p.body, want) {
			t.Errorf("GET %s: %d, lacks %s", path, p.code, want)
		}
	}
}

// TestStoreFailure: when the store fails, a page says so with a 500 and
// no word of the database's error.
func TestStoreFailure(t *testing.T) {
	f := emptyFixture(t)
	c := f.signIn(t, "analyst@example.com")
	f.st.Close()
	for _, path := range []string{"/", "/story/s0000000000000000", "/article/1", "/search?q=x"} {
		p := f.get(t, c, path)
		if p.code != http.StatusInternalServerError || !strings.Contains(p.body, "خطا در گزارش سرویس ثبت شد") ||
			regexp.MustCompile(`(?i)sql|database|closed|store:`).MatchString(p.body) {
			t.Errorf("GET %s with the store closed: %d\n%s", path, p.code, p.body)
		}
	}
}
