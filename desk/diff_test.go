package desk

import (
	"fmt"
	"strings"
	"testing"
)

// show writes runs as text: [-dropped-] {+added+} (was→respelled).
func show(runs []Run) string {
	var parts []string
	for _, r := range runs {
		switch r.Op {
		case Same:
			parts = append(parts, r.Text)
		case Added:
			parts = append(parts, "{+"+r.Text+"+}")
		case Dropped:
			parts = append(parts, "[-"+r.Text+"-]")
		case Respelled:
			parts = append(parts, "("+r.Was+"→"+r.Text+")")
		}
	}
	return strings.Join(parts, " ")
}

func TestWords(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "سهمیه بنزین واریز شد", "سهمیه بنزین واریز شد", "سهمیه بنزین واریز شد"},
		{"both empty", "", "", ""},
		{"all added", "", "سهمیه بنزین", "{+سهمیه بنزین+}"},
		{"all dropped", "سهمیه بنزین", "", "[-سهمیه بنزین-]"},
		{"a word replaced by two", "نسبت به مدت مشابه پارسال حدود ۷ درصد", "نسبت به مدت مشابه سال گذشته حدود ۷ درصد",
			"نسبت به مدت مشابه [-پارسال-] {+سال گذشته+} حدود ۷ درصد"},
		{"words dropped in the middle", "سخنگوی شرکت ملی در گفت‌وگو با ایسنا گفت: سهمیه", "سخنگوی شرکت ملی گفت: سهمیه",
			"سخنگوی شرکت ملی [-در گفت‌وگو با ایسنا-] گفت: سهمیه"},
		{"a sentence dropped at the end", "درصد بیشتر است. بخشی از این افزایش ناشی از قاچاق است.", "درصد بیشتر است.",
			"درصد بیشتر است. [-بخشی از این افزایش ناشی از قاچاق است.-]"},
		{"a sentence added at the end", "درصد بیشتر است.", "درصد بیشتر است. بخشی از این افزایش ناشی از قاچاق است.",
			"درصد بیشتر است. {+بخشی از این افزایش ناشی از قاچاق است.+}"},
		{"a word changed, then a sentence dropped at the end", "الف ب است. پ ت است.", "الف ج است.",
			"الف [-ب-] {+ج+} است. [-پ ت است.-]"},
		{"a sentence dropped in the middle", "الف است. ب پ است. ت است.", "الف است. ت است.",
			"الف است. [-ب پ است.-] ت است."},
		{"ZWNJ dropped", "می‌رود", "میرود", "(می‌رود→میرود)"},
		{"ZWNJ as a space", "رئیس‌جمهور گفت", "رئیس جمهور گفت", "(رئیس‌جمهور→رئیس جمهور) گفت"},
		{"space dropped", "رئیس جمهور روابط را", "رئیسجمهور روابط را", "(رئیس جمهور→رئیسجمهور) روابط را"},
		{"digits", "۱۲ درصد", "12 درصد", "(۱۲→12) درصد"},
		{"diacritics", "مسئولیتِ دولت", "مسئولیت دولت", "(مسئولیتِ→مسئولیت) دولت"},
		{"respelled then changed", "رئیس جمهور گفت", "رئیسجمهور افزود", "(رئیس جمهور→رئیسجمهور) [-گفت-] {+افزود+}"},
		{"another word, not a respelling", "مسئولان", "مسوولان", "[-مسئولان-] {+مسوولان+}"},
		{"markup shows as text", `<b>بنزین</b>`, `<script>alert(1)</script> بنزین`, `[-<b>بنزین</b>-] {+<script>alert(1)</script> بنزین+}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := show(Words(tt.a, tt.b)); got != tt.want {
				t.Errorf("Words(%q, %q)\n got %s\nwant %s", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// showDiff writes a diff one paragraph a line, with its counts last.
func showDiff(d Diff) string {
	var b strings.Builder
	names := map[Op]string{Same: "same", Respelled: "respelled", Edited: "edited", Added: "added", Dropped: "dropped"}
	for _, p := range d.Paras {
		fmt.Fprintf(&b, "%s: %s\n", names[p.Op], show(p.Runs))
	}
	fmt.Fprintf(&b, "+%d -%d ~%d =%d", d.Added, d.Dropped, d.Edited, d.Respelled)
	return b.String()
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name        string
		first, copy []string
		want        string
	}{
		{"identical", []string{"الف ب پ", "ت ث ج"}, []string{"الف ب پ", "ت ث ج"},
			"same: الف ب پ\nsame: ت ث ج\n+0 -0 ~0 =0"},
		{"nothing at all", nil, nil, "+0 -0 ~0 =0"},
		{"a copy of nothing", nil, []string{"الف ب"}, "added: {+الف ب+}\n+1 -0 ~0 =0"},
		{"a paragraph dropped", []string{"الف ب پ", "ت ث ج", "چ ح خ"}, []string{"الف ب پ", "چ ح خ"},
			"same: الف ب پ\ndropped: [-ت ث ج-]\nsame: چ ح خ\n+0 -1 ~0 =0"},
		{"a paragraph added", []string{"الف ب پ", "چ ح خ"}, []string{"الف ب پ", "ت ث ج", "چ ح خ"},
			"same: الف ب پ\nadded: {+ت ث ج+}\nsame: چ ح خ\n+1 -0 ~0 =0"},
		{"a paragraph edited", []string{"الف ب پ ت ث", "چ ح خ"}, []string{"الف ب پ ت ج", "چ ح خ"},
			"edited: الف ب پ ت [-ث-] {+ج+}\nsame: چ ح خ\n+0 -0 ~1 =0"},
		{"a paragraph respelled", []string{"رئیس‌جمهور گفت", "چ ح خ"}, []string{"رئیسجمهور گفت", "چ ح خ"},
			"respelled: (رئیس‌جمهور→رئیسجمهور) گفت\nsame: چ ح خ\n+0 -0 ~0 =1"},
		{"replaced by another", []string{"الف ب پ", "ت ث ج چ", "د ذ ر"}, []string{"الف ب پ", "ز ژ س ش", "د ذ ر"},
			"same: الف ب پ\ndropped: [-ت ث ج چ-]\nadded: {+ز ژ س ش+}\nsame: د ذ ر\n+1 -1 ~0 =0"},
		{"edited among dropped and added", []string{"یک دو", "الف ب پ ت ث", "سه چهار"}, []string{"الف ب پ ت ج", "پنج شش"},
			"dropped: [-یک دو-]\nedited: الف ب پ ت [-ث-] {+ج+}\ndropped: [-سه چهار-]\nadded: {+پنج شش+}\n+1 -2 ~1 =0"},
		{"moved", []string{"الف ب", "پ ت", "ث ج"}, []string{"پ ت", "ث ج", "الف ب"},
			"dropped: [-الف ب-]\nsame: پ ت\nsame: ث ج\nadded: {+الف ب+}\n+1 -1 ~0 =0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := showDiff(Compare(tt.first, tt.copy)); got != tt.want {
				t.Errorf("Compare\n got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestCompareIsBounded: thousands of paragraphs, or of words in one, that
// share nothing are shown dropped and added, none lost (the tables past
// maxCells and maxPairCells are not built).
func TestCompareIsBounded(t *testing.T) {
	words := func(prefix string, n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = fmt.Sprintf("%s%d", prefix, i)
		}
		return strings.Join(w, " ")
	}
	var first, copy []string
	for i := range 3000 {
		first = append(first, fmt.Sprintf("الف%d ب", i))
		copy = append(copy, fmt.Sprintf("پ%d ت", i))
	}
	first = append(first, words("a", 5000))
	copy = append(copy, words("b", 5000))
	d := Compare(first, copy)
	if d.Added != len(copy) || d.Dropped != len(first) {
		t.Errorf("+%d -%d, want +%d -%d", d.Added, d.Dropped, len(copy), len(first))
	}
	if got := show(Words(words("a", 5000), words("b", 5000))); !strings.HasPrefix(got, "[-a0 a1") || !strings.HasSuffix(got, "b4999+}") {
		t.Errorf("5,000 words against 5,000: %.60s…", got)
	}
}
