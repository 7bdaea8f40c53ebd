package persian

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestSearch(t *testing.T) {
	tests := []struct {
		name string
		in   []string // every spelling must give want
		want string
	}{
		{"empty", []string{"", " ", "«»،؟"}, ""},
		{"prefix mi", []string{"می‌رود", "می رود", "میرود", "مي‌رود", "مـی‌رود", "می\u200c\u200cرود"}, "می رود"},
		{"prefix nemi", []string{"نمی‌دانم", "نمی دانم", "نمیدانم"}, "نمی دانم"},
		{"mi alone is a word", []string{"ماه می سال جدید"}, "ماه می سال جدید"},
		{"plural", []string{"کتاب‌ها", "کتاب ها", "کتابها", "كتابها"}, "کتاب ها"},
		{"plural with ezafe", []string{"بانک‌های مرکزی", "بانک های مرکزی", "بانکهای مرکزی"}, "بانک های مرکزی"},
		{"hayi", []string{"لحظه‌هایی سخت", "لحظه هایی سخت", "لحظههایی سخت"}, "لحظه هایی سخت"},
		{"possessive plural", []string{"کتاب‌هایشان", "کتاب هایشان", "کتابهایشان"}, "کتاب هایشان"},
		{"superlative then plural", []string{"محبوب‌ترین‌ها", "محبوب ترین ها", "محبوبترینها", "محبوب‌ترینها"}, "محبوب ترین ها"},
		{"comparative", []string{"بیش‌تر", "بیش تر", "بیشتر"}, "بیش تر"},
		{"prefix and suffix", []string{"نمی‌رفته‌ترها", "نمی رفته تر ها", "نمیرفتهترها"}, "نمی رفته تر ها"},
		{"word that looks prefixed is split alike", []string{"میز", "می‌ز", "می ز"}, "می ز"},
		{"affix alone stays", []string{"ها"}, "ها"},
		{"prefix alone stays", []string{"می"}, "می"},
		{"diacritics and digits", []string{"مِی‌رَوَد ۱۲", "میرود ١٢", "می رود 12"}, "می رود 12"},
		{"latin", []string{"COVID-19 ها", "covid 19ها"}, "covid 19 ها"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			for _, in := range tt.in {
				got := Search(in)
				if got != want {
					t.Errorf("Search(%q) = %q, want %q", in, got, want)
				}
				words := SearchWords(in)
				if joined := strings.Join(words, " "); joined != want {
					t.Errorf("SearchWords(%q) = %q, want the words of %q", in, words, want)
				}
				if again := Search(got); again != got {
					t.Errorf("Search is not idempotent on %q: %q", got, again)
				}
			}
		})
	}
}

// TestSearchAffixSpellings: for any word, writing an affix of the list
// glued to it, after a ZWNJ or after a space gives the same search form.
// Random words over the letters the affixes are made of find the cases a
// table would miss (a word whose end with the affix looks like a longer
// affix).
func TestSearchAffixSpellings(t *testing.T) {
	for _, p := range prefixes {
		if p[0] != 0xd9 { // prefixOf looks for this byte first
			t.Fatalf("prefix %s does not start with byte 0xd9", p)
		}
	}
	letters := []rune("مینهاتربشدکوز")
	r := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		w := make([]rune, 1+r.IntN(6))
		for i := range w {
			w[i] = letters[r.IntN(len(letters))]
		}
		return string(w)
	}
	for range 20000 {
		x := word()
		for _, p := range prefixes {
			glued, zwnj, spaced := Search(p+x), Search(p+"\u200c"+x), Search(p+" "+x)
			if glued != zwnj || glued != spaced {
				t.Fatalf("prefix %s + %s: glued %q, zwnj %q, spaced %q", p, x, glued, zwnj, spaced)
			}
		}
		for _, s := range suffixes {
			glued, zwnj, spaced := Search(x+s), Search(x+"\u200c"+s), Search(x+" "+s)
			if glued != zwnj || glued != spaced {
				t.Fatalf("%s + suffix %s: glued %q, zwnj %q, spaced %q", x, s, glued, zwnj, spaced)
			}
		}
		if w := SearchWords(x); !slices.Equal(w, strings.Fields(Search(x))) {
			t.Fatalf("SearchWords(%q) = %q, Search %q", x, w, Search(x))
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	const p = "به گزارش ایسنا، معاون وزیر نفت در امور گاز روز چهارشنبه در نشست خبری گفت: صادرات گاز به ترکیه در مهر و آبان امسال ۱۲ درصد افزایش یافته است و بانک‌های مرکزی می‌گویند قیمت‌ها بیشتر خواهد شد."
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		Search(p)
	}
}
