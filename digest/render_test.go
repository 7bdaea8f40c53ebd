package digest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mediadigest/model"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const unsubscribe = "mailto:digest-unsubscribe@example.com?subject=unsubscribe"

// goldenDigest is the digest of the golden files: every topic, three
// stories per topic so that energy is cut; economy shows the hostile title.
func goldenDigest(t testing.TB) model.Digest {
	d := loadDay(t)
	return Build(d.Stories, d.Topics, Subscriber{Email: "analyst@example.com"}, sampleDay(t),
		Options{Location: tehran(t), PerTopic: 3, OutletNames: d.Outlets})
}

func newRenderer(t testing.TB, dir string) *Renderer {
	t.Helper()
	r, err := NewRenderer(dir, RenderOptions{Location: tehran(t), Unsubscribe: unsubscribe})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestGolden(t *testing.T) {
	d := goldenDigest(t)
	r := newRenderer(t, "")
	html, err := r.HTML(d)
	if err != nil {
		t.Fatal(err)
	}
	text, err := r.Text(d)
	if err != nil {
		t.Fatal(err)
	}
	js, err := JSON(d)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{"digest.html": html, "digest.txt": text, "digest.json": js} {
		t.Run(name, func(t *testing.T) { golden(t, name, got) })
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./digest -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./digest -update and review the diff", path)
	}
}

func TestHTML(t *testing.T) {
	html, err := newRenderer(t, "").HTML(goldenDigest(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	for _, want := range []string{
		`<html lang="fa" dir="rtl">`,
		`<meta charset="utf-8">`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;`,
		`پنجشنبه ۵ آذر ۱۴۰۵`,                // the day, Jalali
		`<span dir="ltr">2026-11-26</span>`, // and Gregorian
		`<a href="#topic-energy"`,
		`id="topic-energy"`,
		`(۴ خبر)`,      // energy's count includes the cut story
		`و ۱ خبر دیگر`, // the cut story
		`قرارداد &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; نفت &amp; گاز Bcc: victim@example.com</a>`,
		`href="https://www.isna.ir/news/1405090509999/%d9%82%d8%b1%d8%a7%d8%b1%d8%af%d8%a7%d8%af-%d9%86%d9%81%d8%aa-%d9%88-%da%af%d8%a7%d8%b2?ref=rss&amp;utm=1"`,
		`ساعت ۰۸:۴۵`, // 05:15 UTC in Tehran
		`همچنین در: <a href="https://eghtesaad24.ir/fa/news/412877/%d8%a7%d9%81%d8%b2%d8%a7%db%8c%d8%b4-%d8%b5%d8%a7%d8%af%d8%b1%d8%a7%d8%aa-%da%af%d8%a7%d8%b2-%d8%a8%d9%87-%d8%b9%d8%b1%d8%a7%d9%82" title="افزایش صادرات گاز به عراق" style="color:#1d4ed8;">اقتصاد۲۴</a>، <a`,
		`<a href="mailto:digest-unsubscribe@example.com?subject=unsubscribe" style="color:#6c757d;">لغو اشتراک</a>`,
		`<span dir="ltr">analyst@example.com</span>`,
		`<!--[if mso]>`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(s, "<style") {
		t.Error("HTML relies on a <style> block; mail clients strip them")
	}
	// Readable on a phone: no visible text under 15px (the 1px preheader is hidden).
	for _, m := range regexp.MustCompile(`font-size:(\d+)px`).FindAllStringSubmatch(s, -1) {
		if n, _ := strconv.Atoi(m[1]); n < 15 && n != 1 {
			t.Errorf("font-size %dpx is under 15px", n)
		}
	}
	// Outlook ignores inherited direction: every cell says it.
	for _, td := range regexp.MustCompile(`<td [^>]*>`).FindAllString(s, -1) {
		if strings.Contains(td, `align="center"`) {
			continue // the outer centring cell
		}
		if !strings.Contains(td, `dir="rtl"`) || !strings.Contains(td, "text-align:right") {
			t.Errorf("cell without dir=rtl and text-align:right: %s", td)
		}
		// A long URL in a title or summary must wrap, not widen the page
		// past a phone's screen. Only "anywhere" and "break-word" lower a
		// table cell's minimum width; overflow-wrap:break-word does not.
		if !strings.Contains(td, "overflow-wrap:anywhere") || !strings.Contains(td, "word-break:break-word") {
			t.Errorf("cell without overflow-wrap:anywhere and word-break:break-word: %s", td)
		}
	}
}

// Scraped text is data: it is escaped in HTML, and a link with a script
// scheme is neutralised.
func TestHTMLEscapesScrapedText(t *testing.T) {
	d := goldenDigest(t)
	d.Topics[0].Stories[0].URL = "javascript:alert(1)"
	d.Topics[0].Stories[0].Title = `قرارداد <script>alert("x")</script> نفت & گاز`
	d.Topics[0].Stories[0].Also[0].Title = `"><img src=x onerror=alert(1)>`
	html, err := newRenderer(t, "").HTML(d)
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	for _, bad := range []string{"<script>", "javascript:", "<img"} {
		if strings.Contains(s, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	for _, want := range []string{
		`قرارداد &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; نفت &amp; گاز`,
		`href="#ZgotmplZ"`,
		`title="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestTextIsPlain(t *testing.T) {
	text, err := newRenderer(t, "").Text(goldenDigest(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(text)
	for _, want := range []string{
		"پنجشنبه ۵ آذر ۱۴۰۵\n2026-11-26\n",
		"- انرژی (۴ خبر)\n",
		"  همچنین در ایرنا: https://www.irna.ir/news/85301234/",
		"و ۱ خبر دیگر\n",
		"\n* قرارداد <script>alert(\"x\")</script> نفت & گاز Bcc: victim@example.com\n",
		"لغو اشتراک: " + unsubscribe + "\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if strings.Contains(s, "&amp;") || strings.Contains(s, "&#") {
		t.Error("text part is HTML-escaped")
	}
}

func TestEmptyDigest(t *testing.T) {
	d := goldenDigest(t)
	d.Topics = nil
	r := newRenderer(t, "")
	html, err := r.HTML(d)
	if err != nil {
		t.Fatal(err)
	}
	text, err := r.Text(d)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"html": html, "text": text} {
		if !bytes.Contains(b, []byte("در این بازه خبری نبود.")) {
			t.Errorf("%s of an empty digest does not say so", name)
		}
	}
}

func TestOverrideDirectory(t *testing.T) {
	dir := t.TempDir()
	custom := "{{.Subscriber}}: {{range .Topics}}{{.Name}}={{digits (total .)}} {{end}}\n"
	if err := os.WriteFile(filepath.Join(dir, TextTemplate), []byte(custom), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRenderer(t, dir)
	d := goldenDigest(t)
	text, err := r.Text(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "analyst@example.com: انرژی=۴ اقتصاد=۳ سایر=۲ \n"; string(text) != want {
		t.Errorf("overridden text = %q, want %q", text, want)
	}
	html, err := r.HTML(d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(html, []byte("<!DOCTYPE html>")) {
		t.Error("the HTML template without an override is not the built-in one")
	}
}

func TestTemplateErrorsNameTheFile(t *testing.T) {
	tests := []struct {
		name, file, src string
		want            []string
	}{
		{"syntax", HTMLTemplate, "<p>{{.Subscriber</p>", []string{HTMLTemplate, ":1:"}},
		{"missing field, found at startup", TextTemplate, "{{range .Topics}}{{.Nmae}}{{end}}", []string{TextTemplate, "Nmae"}},
		{"unknown function", TextTemplate, "{{shout .Subscriber}}", []string{TextTemplate, "shout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tt.file)
			if err := os.WriteFile(path, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := NewRenderer(dir, RenderOptions{})
			if err == nil {
				t.Fatal("NewRenderer accepted a broken template")
			}
			for _, want := range append(tt.want, path) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
	if _, err := NewRenderer(filepath.Join(t.TempDir(), "missing"), RenderOptions{}); err == nil {
		t.Error("NewRenderer accepted a template directory that does not exist")
	}
}

// Names given by Build win; a digest without them (read back from JSON, say)
// gets the renderer's, and an unknown outlet shows its id.
func TestOutletNames(t *testing.T) {
	d := goldenDigest(t)
	d.Topics[0].Stories[0].OutletName = ""
	d.Topics[0].Stories[1].OutletName = ""
	d.Topics[0].Stories[1].Outlet = "unknown"
	r, err := NewRenderer("", RenderOptions{Location: tehran(t), OutletNames: map[string]string{"isna": "خبرگزاری ایسنا"}})
	if err != nil {
		t.Fatal(err)
	}
	text, err := r.Text(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n  خبرگزاری ایسنا · ", "\n  unknown · ", "\n  ایرنا · "} {
		if !strings.Contains(string(text), want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if d.Topics[0].Stories[0].OutletName != "" {
		t.Error("rendering changed the caller's digest")
	}
}

// TestUnsubscribePerSubscriber: "{email}" in the configured link becomes
// the subscriber's address, query-escaped, in both parts.
func TestUnsubscribePerSubscriber(t *testing.T) {
	tests := []struct{ link, email, want string }{
		{"https://news.example.com/unsubscribe?u={email}", "energy-desk+fa@example.com", "https://news.example.com/unsubscribe?u=energy-desk%2Bfa%40example.com"},
		{"mailto:digest@example.com?subject=unsubscribe", "a@example.com", "mailto:digest@example.com?subject=unsubscribe"},
		{"https://x.example/u/{email}/{email}", "a@b.c", "https://x.example/u/a%40b.c/a%40b.c"},
	}
	for _, tt := range tests {
		if got := UnsubscribeURL(tt.link, tt.email); got != tt.want {
			t.Errorf("UnsubscribeURL(%q, %q) = %q, want %q", tt.link, tt.email, got, tt.want)
		}
	}
	d := goldenDigest(t)
	d.Subscriber = "energy-desk+fa@example.com"
	r, err := NewRenderer("", RenderOptions{Location: tehran(t), Unsubscribe: tests[0].link})
	if err != nil {
		t.Fatal(err)
	}
	html, err := r.HTML(d)
	if err != nil {
		t.Fatal(err)
	}
	text, err := r.Text(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := `href="https://news.example.com/unsubscribe?u=energy-desk%2Bfa%40example.com"`; !strings.Contains(string(html), want) {
		t.Errorf("HTML part has no %s", want)
	}
	if !strings.Contains(string(text), tests[0].want) {
		t.Errorf("text part has no %s", tests[0].want)
	}
}
