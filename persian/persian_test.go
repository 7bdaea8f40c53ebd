package persian

import (
	"encoding/json"
	"hash/fnv"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestDisplay(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"only spaces", " \t\n ", ""},
		{"plain text unchanged", "رئیس جمهور گفت", "رئیس جمهور گفت"},
		{"arabic yeh", "رئيس جمهوري", "رئیس جمهوری"},
		{"alef maksura", "مصطفى", "مصطفی"},
		{"arabic kaf", "كشور", "کشور"},
		{"hamza on yeh kept", "رئیس", "رئیس"},
		{"decomposed yeh hamza composes to ئ", "ر\u064a\u0654یس", "رئیس"},
		{"NFC alef madda", "\u0627\u0653ب", "آب"},
		{"tatweel", "ســـلام", "سلام"},
		{"tatweel between alef and madda", "\u0627\u0640\u0653ب", "آب"},
		{"presentation form letters", "\ufeb3\ufee0\ufe8e\ufee1", "سلام"},
		{"presentation keheh and farsi yeh", "\ufb8e\ufbfc", "کی"},
		{"presentation arabic yeh becomes farsi yeh", "\ufef1", "ی"},
		{"lam alef ligature", "\ufefb", "لا"},
		{"lam alef madda ligature composes", "\ufef5", "لآ"},
		{"allah ligature expands", "\ufdf2", "الله"},
		{"salla ligature expands with spaces", "اکرم \ufdfa", "اکرم صلی الله علیه وسلم"},
		{"rial sign", "۱۰ \ufdfc", "۱۰ ریال"},
		{"bismillah", "\ufdfd", "بسم الله الرحمن الرحیم"},
		{"ornate parenthesis kept", "\ufd3eسلام\ufd3f", "\ufd3eسلام\ufd3f"},
		{"nbsp", "سلام\u00a0دنیا", "سلام دنیا"},
		{"odd spaces", "a\u2002b\u2009c\u202fd\u205fe\u3000f", "a b c d e f"},
		{"tab and newline", "سلام\t\nدنیا", "سلام دنیا"},
		{"spaces collapsed and trimmed", "  سلام   دنیا  ", "سلام دنیا"},
		{"zwnj kept", "می\u200cرود", "می\u200cرود"},
		{"zwnj run collapsed", "می\u200c\u200c\u200cرود", "می\u200cرود"},
		{"zwnj before space", "می\u200c رود", "می رود"},
		{"zwnj after space", "می \u200cرود", "می رود"},
		{"zwnj on both sides of space", "می\u200c \u200cرود", "می رود"},
		{"zwnj at ends", "\u200cکتاب\u200c", "کتاب"},
		{"zero width space is a zwnj", "می\u200bرود", "می\u200cرود"},
		{"zwj kept", "a\u200db", "a\u200db"},
		{"bidi marks", "\u200fسلام\u200e \u202bدنیا\u202c\u2067!\u2069\u061c", "سلام دنیا!"},
		{"bom and soft hyphen", "\ufeffسل\u00adام", "سلام"},
		{"control characters", "سلام\x00\x07دنیا", "سلامدنیا"},
		{"invalid utf-8 dropped", "سل\xffام\xc3", "سلام"},
		{"invisible between zwnj and space", "می\u200c\u200e رود", "می رود"},
		{"diacritics kept", "کَرد", "کَرد"},
		{"punctuation kept", "«سلام»، دنیا؟", "«سلام»، دنیا؟"},
		{"digits kept", "۱۴۰۵ and 2026", "۱۴۰۵ and 2026"},
		{"latin case kept", "ISNA", "ISNA"},
		{"isolated fathatan form", "ولد\ufe70", "ولد \u064b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Display(tt.in); got != tt.want {
				t.Errorf("Display(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"zwnj becomes space", "رئیس\u200cجمهور", "رئیس جمهور"},
		{"arabic spelling", "رئيس جمهور", "رئیس جمهور"},
		{"diacritics", "حَذفِ اِعرابٌ ًّ", "حذف اعراب"},
		{"superscript alef", "رحمٰن", "رحمن"},
		{"teh marbuta", "فاطمة", "فاطمه"},
		{"heh yeh", "خانۀ", "خانه"},
		{"heh with hamza above", "خانهٔ", "خانه"},
		{"hamza alefs", "أحمد إعلام ٱلله", "احمد اعلام الله"},
		{"alef madda kept", "آب", "آب"},
		{"waw hamza", "مؤسسه", "موسسه"},
		{"yeh hamza kept", "رئیس", "رئیس"},
		{"persian digits", "۱۴۰۵/۰۹/۰۶", "1405 09 06"},
		{"arabic-indic digits", "٢٠٢٦", "2026"},
		{"persian punctuation", "«نفت»، گاز؛ بنزین؟", "نفت گاز بنزین"},
		{"latin punctuation", "(oil) - gas, \"petrol\".", "oil gas petrol"},
		{"symbols", "۵٪ + $10 ← 🙂", "5 10"},
		{"decimal separator", "۴٫۲", "4 2"},
		{"latin lower case", "ISNA News", "isna news"},
		{"zwj removed", "a\u200db", "ab"},
		{"display rules apply", "\u200fرئيس\u00a0جمهور\u200c", "رئیس جمهور"},
		{"tatweel", "نـــفت", "نفت"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(tt.in); got != tt.want {
				t.Errorf("Match(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

func TestKeyEqualsSpacingVariants(t *testing.T) {
	// Variants seen in the sample article and named by docs/cleaning.md.
	groups := [][]string{
		{"مهم\u200cترین", "مهم ترین", "مهمترین"},
		{"رئیس\u200cجمهور", "رئيس جمهور", "رئیسجمهور", "رئیس\u00a0جمهور"},
		{"همکاری\u200cهای", "همکاری های", "همکاریهای"},
		{"منطقه\u200cای", "منطقهای", "منطقه ای"},
	}
	for _, g := range groups {
		want := Key(g[0])
		for _, s := range g[1:] {
			if got := Key(s); got != want {
				t.Errorf("Key(%+q) = %+q, want %+q (Key of %+q)", s, got, want, g[0])
			}
		}
	}
	if got, want := Key("  نفت، گاز «ها» "), "نفتگازها"; got != want {
		t.Errorf("Key = %+q, want %+q", got, want)
	}
}

// TestStableRunes checks the fast path of nfc against package norm: a rune
// taken as stable must be NFC and must not combine with the rune before it,
// so a string of stable runes is NFC.
func TestStableRunes(t *testing.T) {
	for r := rune(0); r <= 0x206f; r++ {
		if !isStable(r) {
			continue
		}
		p := norm.NFC.PropertiesString(string(r))
		if !norm.NFC.IsNormalString(string(r)) || !p.BoundaryBefore() {
			t.Errorf("isStable(%U) but NFC may change it", r)
		}
	}
}

func TestDigits(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"ساعت 14:30", "ساعت ۱۴:۳۰"},
		{"۱۴۰۵/09/06", "۱۴۰۵/۰۹/۰۶"},
		{"no digits", "no digits"},
	}
	for _, tt := range tests {
		if got := Digits(tt.in); got != tt.want {
			t.Errorf("Digits(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestASCIIDigits(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"۱۴۰۵/۰۹/۰۶ - ۱۸:۱۷", "1405/09/06 - 18:17"},
		{"٢٠٢٦-١١-٢٧", "2026-11-27"},
		{"2026 ساعت", "2026 ساعت"},
	}
	for _, tt := range tests {
		if got := ASCIIDigits(tt.in); got != tt.want {
			t.Errorf("ASCIIDigits(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// externalCase is one upstream normaliser test kept because its expectation
// agrees with docs/cleaning.md; testdata/external_differences.md lists the dropped ones.
type externalCase struct {
	Source   string `json:"source"`
	Function string `json:"function"`
	Check    string `json:"check"`
	Input    string `json:"input"`
	Want     string `json:"want"`
	Note     string `json:"note"`
}

func TestExternalCases(t *testing.T) {
	data, err := os.ReadFile("testdata/external_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []externalCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("testdata/external_cases.json: %v", err)
	}
	if len(cases) == 0 {
		t.Fatal("testdata/external_cases.json holds no case")
	}
	for i, c := range cases {
		var got, want string
		switch c.Check {
		case "display":
			got, want = Display(c.Input), c.Want
		case "match":
			got, want = Match(c.Input), c.Want
		case "digits":
			got, want = Digits(c.Input), c.Want
		case "same_match":
			got, want = Match(c.Input), Match(c.Want)
		case "same_key":
			got, want = Key(c.Input), Key(c.Want)
		default:
			t.Fatalf("case %d: unknown check %q", i, c.Check)
		}
		if got != want {
			t.Errorf("case %d (%s %s, %s): %s(%+q) = %+q, want %+q", i, c.Source, c.Function, c.Note, c.Check, c.Input, got, want)
		}
	}
}

func TestSampleArticleIdempotent(t *testing.T) {
	for _, p := range sampleParagraphs(t) {
		d := Display(p)
		if Display(d) != d {
			t.Errorf("Display not idempotent on %q", p)
		}
		m := Match(p)
		if Match(m) != m || Match(d) != m {
			t.Errorf("Match not idempotent on %q", p)
		}
		if strings.ContainsAny(m, "\u200c،:«»") {
			t.Errorf("Match(%q) = %q keeps a ZWNJ or punctuation", p, m)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("رئيس\u200c\u200cجمهور\u00a0گفت: «نفت»")
	f.Add("e \u0301 ا \u0653") // a mark after a space composes once the space is gone
	f.Fuzz(func(t *testing.T, s string) {
		d := Display(s)
		if !utf8.ValidString(d) {
			t.Fatalf("Display(%+q) = %+q is not valid UTF-8", s, d)
		}
		if dd := Display(d); dd != d {
			t.Fatalf("Display not idempotent: %+q → %+q → %+q", s, d, dd)
		}
		m := Match(s)
		if !utf8.ValidString(m) {
			t.Fatalf("Match(%+q) = %+q is not valid UTF-8", s, m)
		}
		if mm := Match(m); mm != m {
			t.Fatalf("Match not idempotent: %+q → %+q → %+q", s, m, mm)
		}
		if md := Match(d); md != m {
			t.Fatalf("Match(Display(%+q)) = %+q, Match = %+q", s, md, m)
		}
		if fm, fk := Forms(s); fm != m || fk != Key(s) {
			t.Fatalf("Forms(%+q) = %+q, %+q; want Match %+q and Key %+q", s, fm, fk, m, Key(s))
		}
	})
}

func sampleParagraphs(tb testing.TB) []string {
	tb.Helper()
	data, err := os.ReadFile("testdata/eghtesad24-article.txt")
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func BenchmarkDisplay(b *testing.B) {
	ps := sampleParagraphs(b)
	b.SetBytes(int64(len(strings.Join(ps, ""))))
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range ps {
			Display(p)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	ps := sampleParagraphs(b)
	b.SetBytes(int64(len(strings.Join(ps, ""))))
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range ps {
			Match(p)
		}
	}
}

// TestKeyHash holds KeyHash to FNV-1a as hash/fnv computes it and to fixed
// values: stored paragraph keys are these hashes, so they may never change.
func TestKeyHash(t *testing.T) {
	tests := []struct {
		key  string
		want uint64
	}{
		{"", 0xcbf29ce484222325},
		{"a", 0xaf63dc4c8601ec8c},
		{Key("برای دریافت آخرین اخبار به کانال تلگرام اقتصاد۲۴ بپیوندید"), 0x945252e30381a4f1},
		{Key("انتهای پیام"), 0xb1da358f49429498},
	}
	for _, tt := range tests {
		h := fnv.New64a()
		h.Write([]byte(tt.key))
		if got := KeyHash(tt.key); got != h.Sum64() || got != tt.want {
			t.Errorf("KeyHash(%q) = %#x, want %#x (hash/fnv: %#x)", tt.key, got, tt.want, h.Sum64())
		}
	}
}
