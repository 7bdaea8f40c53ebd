package dedupe

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"mediadigest/model"
	"mediadigest/persian"
)

func days(ds ...float64) []time.Time {
	start := time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)
	var ts []time.Time
	for _, d := range ds {
		ts = append(ts, start.Add(time.Duration(d*24*float64(time.Hour))))
	}
	return ts
}

func TestLearnedKeys(t *testing.T) {
	channel := persian.Key("برای دریافت آخرین اخبار اقتصادی به کانال تلگرام اقتصاد۲۴ بپیوندید")
	quote := persian.Key("رئیس کل بانک مرکزی گفت: " + strings.Repeat("سیاست پولی انقباضی تا زمانی که نرخ تورم به زیر ۳۰ درصد برسد ادامه خواهد داشت و ", 3))
	if n := len([]rune(quote)); n <= 200 {
		t.Fatalf("quote key has %d runes; the test needs more than 200", n)
	}
	tests := []struct {
		name   string
		occ    map[string][]time.Time
		policy LearnPolicy
		want   []string
	}{
		{"3 articles in 30 days", map[string][]time.Time{channel: days(0, 11, 29)}, LearnPolicy{}, []string{channel}},
		{"3 articles exactly 30 days apart", map[string][]time.Time{channel: days(30, 0, 15)}, LearnPolicy{}, []string{channel}},
		{"3 articles over 90 days", map[string][]time.Time{channel: days(0, 45, 90)}, LearnPolicy{}, nil},
		{"2 articles", map[string][]time.Time{channel: days(0, 1)}, LearnPolicy{}, nil},
		{"3 of 4 articles late in the span", map[string][]time.Time{channel: days(65, 0, 50, 40)}, LearnPolicy{}, []string{channel}},
		{"a long quote in 5 articles", map[string][]time.Time{quote: days(0, 1, 2, 3, 4)}, LearnPolicy{}, nil},
		{"the empty key", map[string][]time.Time{"": days(0, 1, 2)}, LearnPolicy{}, nil},
		{"a stricter policy", map[string][]time.Time{channel: days(0, 5, 9), "x": days(0, 1, 2, 3)}, LearnPolicy{MinArticles: 4, Window: 7 * 24 * time.Hour}, []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			byHash := map[uint64]string{}
			occ := map[uint64]model.KeyUse{}
			for k, ts := range tt.occ {
				byHash[persian.KeyHash(k)] = k
				occ[persian.KeyHash(k)] = model.KeyUse{Runes: utf8.RuneCountInString(k), Published: ts}
			}
			var got []string
			for h := range LearnedKeys(occ, tt.policy) {
				got = append(got, byHash[h])
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("LearnedKeys = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLearnedKeysKeepsInput(t *testing.T) {
	occ := map[uint64]model.KeyUse{1: {Runes: 1, Published: days(20, 0, 10)}}
	LearnedKeys(occ, DefaultLearnPolicy())
	if !slices.Equal(occ[1].Published, days(20, 0, 10)) {
		t.Errorf("LearnedKeys reordered the caller's times: %v", occ[1].Published)
	}
}

// TestLearnThenClean follows the lead's loop: keys of three articles are
// collected, learned, and the clean view of every article recomputed, the
// first one included.
func TestLearnThenClean(t *testing.T) {
	channel := "اخبار اقتصادی را در کانال تلگرام اقتصاد۲۴ دنبال کنید"
	articles := [][]string{
		{"قیمت دلار در بازار آزاد امروز افزایش یافت.", channel},
		{"شاخص بورس تهران امروز رشد کرد.", channel},
		{"سهمیه بنزین آذرماه واریز شد.", "اخبار اقتصادی را در کانال\u200cتلگرام اقتصاد۲۴ دنبال کنید"},
	}
	published := days(0, 2, 3)
	occ := make(map[uint64]model.KeyUse)
	for i, raw := range articles {
		Uses(occ, raw, published[i])
	}
	learned := LearnedKeys(occ, DefaultLearnPolicy())
	for i, raw := range articles {
		got := Clean(raw, eghtesad24Rules, func(key string) bool { return learned[persian.KeyHash(key)] })
		want := model.Clean{
			Paragraphs: raw[:1],
			Removed:    removed(raw[1], model.ReasonLearned),
		}
		if !slices.Equal(got.Paragraphs, want.Paragraphs) || !slices.Equal(got.Removed, want.Removed) {
			t.Errorf("article %d: Clean = %+v, want %+v", i, got, want)
		}
	}
}
