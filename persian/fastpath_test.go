package persian

import (
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestIsDisplay(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"رئیس‌جمهور گفت: «نفت» ۱۲ دلار", true},
		{"a b-c (d) 12%", true},
		{"می‌گویند همکاری‌های بانک‌ها", true},
		{"emoji 👍 waves", false}, // not known stable: the long way, which keeps it
		{"", false},              // nothing to keep: the long way returns ""
		{" leading", false},
		{"trailing ", false},
		{"two  spaces", false},
		{"tab\there", false},
		{"nbsp\u00a0here", false},
		{"‌لبه", false},         // leading ZWNJ
		{"لبه‌", false},         // trailing ZWNJ
		{"دو‌‌تا", false},       // doubled ZWNJ
		{"کنار ‌فاصله", false},  // ZWNJ after a space
		{"کنار‌ فاصله", false},  // ZWNJ before a space
		{"رئيس", false},         // Arabic yeh
		{"كشور", false},         // Arabic kaf
		{"کـشور", false},        // tatweel
		{"ﻙ", false},            // presentation form
		{"a\u200eb", false},     // bidi mark
		{"a\u200bb", false},     // zero width space
		{"\xff", false},         // invalid UTF-8
		{"هٔ", false},           // combining hamza: not stable
		{"\u0645\u0670", false}, // superscript alef: not stable
	}
	for _, tt := range tests {
		if got := isDisplay(tt.in); got != tt.want {
			t.Errorf("isDisplay(%+q) = %v, want %v", tt.in, got, tt.want)
		}
		if tt.want && display(tt.in) != tt.in {
			t.Errorf("isDisplay(%+q) but display changes it to %+q", tt.in, display(tt.in))
		}
	}
}

// FuzzDisplayFastPath holds the fast path to the long way: a string
// isDisplay accepts must come out of display unchanged.
func FuzzDisplayFastPath(f *testing.F) {
	for _, s := range []string{"رئیس‌جمهور گفت: «نفت»", "a  b", "‌x", "x‌ y", "كشور", "\u00a0", "۱۲.۵ درصد"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if isDisplay(s) && display(s) != s {
			t.Fatalf("isDisplay(%+q) but display gives %+q", s, display(s))
		}
	})
}

// TestHarakaAfterStableRune checks the rule nfc and isDisplay rely on
// against package norm: a stable rune, one vowel mark, then another stable
// rune is NFC, whatever the runes.
func TestHarakaAfterStableRune(t *testing.T) {
	for r := rune(0); r <= 0x206f; r++ {
		if !isStable(r) {
			continue
		}
		for h := rune(0x64b); h <= 0x652; h++ {
			if s := string(r) + string(h) + "ب"; !norm.NFC.IsNormalString(s) {
				t.Errorf("%U %U then a letter is not NFC", r, h)
			}
		}
	}
	if s := "\u0651\u064b"; norm.NFC.IsNormalString(s) || isHaraka('\u0653') || isHaraka('\u0654') {
		t.Error("the rule's limits moved: shadda before fathatan is NFC, or a composing mark counts as haraka")
	}
}
