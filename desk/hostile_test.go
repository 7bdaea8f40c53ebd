package desk

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"mediadigest/model"
	"mediadigest/store"
)

// TestScrapedMarkupShowsAsText: titles, leads, paragraphs, removals,
// tags, sources and addresses holding <script>, <img onerror=…> or a
// javascript: link show on every page as the text they are; none becomes
// markup or a link.
func TestScrapedMarkupShowsAsText(t *testing.T) {
	const (
		script = `<script>alert(1)</script>`
		img    = `<img src=x onerror=alert(2)>`
		js     = `<a href="javascript:alert(3)">بیشتر بخوانید</a>`
		story  = "s0123456789abcdef"
	)
	f := emptyFixture(t)
	ctx := t.Context()
	var ids []int64
	for i, a := range []*model.Article{
		{URL: "https://www.isna.ir/news/1", Outlet: "isna", Title: "سهمیه بنزین " + script, Kicker: img, RawLead: js,
			Section: img, Tags: []string{script}, Published: evening.Add(-3 * time.Hour), Raw: []string{script, img, js}},
		{URL: "javascript:alert(4)//eghtesaad24.ir/fa/news/2", Outlet: "eghtesad24", Title: "سهمیه بنزین " + img,
			Published: evening.Add(-2 * time.Hour), Raw: []string{js}},
	} {
		if _, err := f.st.UpsertArticle(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
		clean := model.Clean{Lead: js, Source: script, Paragraphs: []string{"نفت و بنزین " + script, img, js + fmt.Sprint(i)},
			Removed: []model.Removed{{Text: script, Reason: model.ReasonPromo}, {Text: js, Reason: "<b>" + img + "</b>"}}}
		if err := f.st.SaveDerived(ctx, []store.Derived{{ID: a.ID, Clean: clean, Topics: []string{"energy", script}, Story: story}}); err != nil {
			t.Fatal(err)
		}
	}
	c := f.signIn(t, "analyst@example.com")
	for _, path := range []string{"/", "/story/" + story, fmt.Sprintf("/article/%d", ids[0]), fmt.Sprintf("/article/%d", ids[1]),
		"/search?q=" + urlQuery("سهمیه بنزین")} {
		p := f.get(t, c, path)
		if p.code != 200 {
			t.Fatalf("GET %s: %d\n%s", path, p.code, p.body)
		}
		if m := markup(t, p.body); m != "" {
			t.Errorf("GET %s: scraped text became markup: %s", path, m)
		}
		if !strings.Contains(p.body, "&lt;script&gt;alert(1)&lt;/script&gt;") && !strings.Contains(p.body, "&lt;img src=x onerror=alert(2)&gt;") {
			t.Errorf("GET %s: the scraped markup is not shown as text:\n%s", path, p.body)
		}
	}
	p := f.get(t, c, fmt.Sprintf("/article/%d", ids[1]))
	if !strings.Contains(p.body, `<span class="ltr">javascript:alert(4)//eghtesaad24.ir/fa/news/2</span>`) {
		t.Errorf("a javascript: address is not shown as text:\n%s", p.body)
	}
}

// markup returns the first element or attribute of page that scraped text
// could have made: a script, an image, a <b>, an event handler, a
// javascript: link; "" when there is none.
func markup(t *testing.T, page string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "script", "img", "b":
			return "<" + n.Data + ">"
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") || strings.Contains(strings.ToLower(a.Val), "javascript:") && (a.Key == "href" || a.Key == "src") {
				return fmt.Sprintf("<%s %s=%q>", n.Data, a.Key, a.Val)
			}
		}
	}
	return ""
}
