package evalset

import (
	"bytes"
	"encoding/json"
	"flag"
	"reflect"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/eval/pages and expected.yaml from their sources")

// root is the repository root, from this package's directory.
const root = "../.."

// TestRendered keeps the rendered pages and expectations in step with
// articles.yaml and the markup.
func TestRendered(t *testing.T) {
	rendered, err := Render(root)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := rendered.Write(root); err != nil {
			t.Fatal(err)
		}
	}
	stored, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Pages) != len(rendered.Pages) {
		t.Fatalf("%d stored pages, %d rendered: %v", len(stored.Pages), len(rendered.Pages), ErrStale)
	}
	for i, p := range rendered.Pages {
		s := stored.Pages[i]
		if !bytes.Equal(s.HTML, p.HTML) || !reflect.DeepEqual(s.Expect, p.Expect) {
			t.Errorf("%s: %v", p.File, ErrStale)
		}
	}
}

// TestSetShape: the set is as large and varied as docs/profiles.md says,
// and each page carries its article.
func TestSetShape(t *testing.T) {
	s, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	outlets := map[string]int{}
	ldScript := regexp.MustCompile(`(?s)<script type="application/ld\+json">(.*?)</script>`)
	for _, p := range s.Pages {
		outlets[p.Outlet]++
		if _, ok := s.Outlet(p.Outlet); !ok {
			t.Errorf("%s: outlet %s not in outlets.yaml", p.File, p.Outlet)
		}
		if p.Title == "" || p.First == "" || p.Last == "" || p.Paragraphs == 0 || p.Published.IsZero() {
			t.Errorf("%s: incomplete expectation %+v", p.File, p.Expect)
		}
		for _, m := range ldScript.FindAllSubmatch(p.HTML, -1) {
			var v any
			if err := json.Unmarshal(m[1], &v); err != nil {
				t.Errorf("%s: JSON-LD does not parse: %v", p.File, err)
			}
		}
	}
	if len(s.Pages) < 30 || len(outlets) < 8 {
		t.Errorf("%d pages of %d outlets; want at least 30 of 8", len(s.Pages), len(outlets))
	}
}

func TestCheck(t *testing.T) {
	want := Expect{Title: "عنوان خبر", Lead: "لید", First: "اول", Last: "آخر", Paragraphs: 2}
	got := Got{Title: "عنوان\u200cخبر", Lead: "لید", Paragraphs: []string{"اول", "آخر", "انتهای پیام/ز"}}
	s := Check(want, got)
	if !s[Title] || !s[Lead] || !s[First] || s[Last] || s[Count] || s[Clean] || s[Date] {
		t.Errorf("score %v, misses %v", s, s.Misses())
	}
	for p, want := range map[string]bool{
		"انتهای پیام": true, "/انتهای پیام/": true, "انتهای پیام/ ک": true, "کد خبر: 12": true,
		"انتهای پیام‌های نامزدها امروز اعلام شد و بحث درباره آنها ادامه دارد": false, "زمانی که": false,
	} {
		if IsMarkerOrMetadata(p) != want {
			t.Errorf("IsMarkerOrMetadata(%q) = %v", p, !want)
		}
	}
	var tab Table
	tab.Add("x", s)
	tab.Add("x", Score{true, true, true, true, true, true, true})
	if r := tab.Rate("x", Title); r != 1 {
		t.Errorf("title rate %v", r)
	}
	if r := tab.Rate("x", Last); r != 0.5 {
		t.Errorf("last rate %v", r)
	}
}
