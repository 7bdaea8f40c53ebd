package topics

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"mediadigest/model"
)

// TestKeywordMatching counts the hits of one keyword in one body paragraph,
// every hit counting (minimum score 1).
func TestKeywordMatching(t *testing.T) {
	tests := []struct {
		keyword, text string
		hits          int
	}{
		// Whole words and the docs/cleaning.md suffixes.
		{"نفت", "قیمت نفت بالا رفت", 1},
		{"نفت", "صادرات نفتی", 1},
		{"نفت", "نفت\u200cها", 1},
		{"نفت", "نفت ها", 1},
		{"نفت", "نفتها", 1},
		{"نفت", "نفت\u200cهای سنگین", 1},
		{"نفت", "نفتهای سنگین", 1},
		{"نفت", "نفتهایی که", 1},
		{"نفت", "نفت الین", 1},
		{"نفت", "نفتالین", 0},
		{"نفت", "نفتکش", 0},
		{"نفت", "نفت و نفت و نفتی", 3},
		{"گران", "گرانتر", 1},
		{"گران", "گران\u200cترین کالا", 1},
		{"گران", "گرانترین", 1},
		{"گران", "گرانفروشی", 0},
		{"منطقه", "منطقه\u200cای", 1},
		{"منطقه", "منطقهای", 1},
		{"ایران", "ایرانی", 1},
		{"ایران", "ایرانیان", 0},
		// No stemming.
		{"ارز", "بازار ارز", 1},
		{"ارز", "ارزی", 1},
		{"ارز", "ارزها و ارزهایی", 2},
		{"ارز", "ارزان", 0},
		{"ارز", "ارزش پول ملی", 0},
		{"ارز", "مبارزه با فساد", 0},
		{"گاز", "گازی", 1},
		{"گاز", "گازانبری", 0},
		{"خودرو", "خودروسازی", 0},
		// Spaces, ZWNJ and joined words are one.
		{"رئیس جمهور", "رئیس\u200cجمهور", 1},
		{"رئیس جمهور", "رئيس جمهور", 1},
		{"رئیس جمهور", "رئیسجمهور", 1},
		{"رئیس جمهور", "رئیس جمهوری", 1},
		{"رئیس جمهور", "رئیس دفتر رئیسجمهور", 1},
		{"رئیس جمهور", "رئیس دفتر", 0},
		{"رئیس جمهور", "رئیس جمهوران", 0},
		{"رئیس\u200cجمهور", "رئیس جمهور", 1},
		{"همکاری", "همکاری\u200cهای", 1},
		{"همکاری", "همکاری های", 1},
		{"همکاری", "همکاریهای", 1},
		{"همکاری\u200cهای", "همکاریهای دو کشور", 1},
		{"همکاری\u200cهای", "همکاری های دو کشور", 1},
		{"همکاری\u200cهای", "همکاری دو کشور", 0},
		{"بانک مرکزی", "بانکمرکزی", 1},
		{"بانک مرکزی", "بانک مرکزیها", 1},
		{"بانک مرکزی", "بانک مرکز", 0},
		// Letters, diacritics, punctuation.
		{"بانك مركزي", "رئیس بانک مرکزی", 1},
		{"نفت", "نَفت", 1},
		{"نفت", "نـــفت", 1},
		{"نفت", "«نفت»، گاز.", 1},
		{"خانه", "خانۀ ملت", 1},
		// Latin case and digits.
		{"OPEC", "opec meeting", 1},
		{"opec", "OPEC+ said", 1},
		{"OPEC", "OPECS", 0},
		{"1405", "بودجه ۱۴۰۵", 1},
		{"1405", "بودجه ١٤٠٥", 1},
		{"برجام ۲", "برجام 2", 1},
		// Nothing to match.
		{"", "نفت", 0},
		{"،", "نفت، گاز", 0},
	}
	for _, tt := range tests {
		c := New([]model.Topic{{ID: "t", Keywords: []string{tt.keyword}}}, WithMinScore(1))
		got := c.Scores("", []string{tt.text})["t"]
		if got != tt.hits {
			t.Errorf("keyword %q in %q: %d hits, want %d", tt.keyword, tt.text, got, tt.hits)
		}
	}
}

func TestKeywordDoesNotSpanParagraphs(t *testing.T) {
	c := New([]model.Topic{{ID: "politics", Keywords: []string{"رئیس جمهور"}}}, WithMinScore(1))
	if got := c.Scores("رئیس", []string{"جمهور", "رئیس", "جمهور"}); len(got) != 0 {
		t.Errorf("Scores = %v, want none", got)
	}
}

func TestScores(t *testing.T) {
	c := New([]model.Topic{
		{ID: "energy", Keywords: []string{"نفت", "گاز", "نفت"}},
		{ID: "economy", Keywords: []string{"ارز", "نفت"}, Exclude: []string{"فوتبال"}},
		{ID: "sport", Keywords: []string{"فوتبال"}},
	}, WithMinScore(1))
	got := c.Scores("قیمت نفت و گاز", []string{"صادرات نفت", "بازی فوتبال"})
	// energy: title نفت+گاز (2×3) + body نفت (1), the repeated keyword
	// counting once; economy: vetoed by فوتبال; sport: body 1.
	want := map[string]int{"energy": 7, "sport": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Scores = %v, want %v", got, want)
	}
}

func TestClassify(t *testing.T) {
	ts := []model.Topic{
		{ID: "energy", Keywords: []string{"نفت", "گاز"}},
		{ID: "economy", Keywords: []string{"ارز", "تورم"}, Exclude: []string{"آگهی"}},
		{ID: "politics", Keywords: []string{"رئیس جمهور", "مجلس"}},
	}
	tests := []struct {
		name        string
		title       string
		body        []string
		best        string
		matchedWant []string // best first
	}{
		{"none", "هوای تهران", []string{"باران می\u200cبارد"}, "", nil},
		{"title outweighs body", "نرخ ارز", []string{"نفت", "گاز"}, "economy", []string{"economy", "energy"}},
		{"body hits add up", "خبر", []string{"نفت و گاز و نفتی", "تورم"}, "energy", []string{"energy", "economy"}},
		{"tie goes to config order", "", []string{"مجلس", "نفت"}, "energy", []string{"energy", "politics"}},
		{"exclude vetoes from body", "نرخ ارز و تورم", []string{"آگهی", "مجلس"}, "politics", []string{"politics"}},
		{"exclude vetoes from title", "آگهی: ارز", []string{"ارز ارز ارز"}, "", nil},
		{"joined spelling", "رئیسجمهور در مجلس", nil, "politics", []string{"politics"}},
	}
	c := New(ts, WithMinScore(1))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ranked := c.Classify(tt.title, tt.body)
			if !reflect.DeepEqual(ranked, tt.matchedWant) {
				t.Errorf("Classify = %v; want %v", ranked, tt.matchedWant)
			}
			if best := first(ranked); best != tt.best {
				t.Errorf("best of Classify = %q, want %q", best, tt.best)
			}
		})
	}
}

func TestMinScore(t *testing.T) {
	ts := []model.Topic{
		{ID: "energy", Keywords: []string{"نفت", "گاز"}},
		{ID: "currency", Keywords: []string{"دلار", "ارز"}},
	}
	// The demo's chicken-price story: one passing mention of ارز.
	chickenTitle := "قیمت مرغ در بازار به ۱۴۵ هزار تومان رسید"
	chickenBody := []string{
		"قیمت هر کیلوگرم مرغ گرم در خرده‌فروشی‌های تهران به ۱۴۵ هزار تومان رسیده است.",
		"رئیس اتحادیه مرغداران دلیل افزایش قیمت را تاخیر در تخصیص ارز واردات ذرت عنوان کرد.",
	}
	tests := []struct {
		name  string
		opts  []Option
		title string
		body  []string
		want  map[string]int
		best  string
	}{
		{"default: one body hit does not count", nil, chickenTitle, chickenBody, map[string]int{}, ""},
		{"minimum 1: any hit counts", []Option{WithMinScore(1)}, chickenTitle, chickenBody, map[string]int{"currency": 1}, "currency"},
		{"under 1 means 1", []Option{WithMinScore(0)}, chickenTitle, chickenBody, map[string]int{"currency": 1}, "currency"},
		{"default: two body hits count", nil, "خبر", []string{"صادرات نفت", "قیمت گاز"}, map[string]int{"energy": 2}, "energy"},
		{"default: one title hit counts", nil, "نرخ دلار", nil, map[string]int{"currency": 3}, "currency"},
		{"a topic under the minimum cannot win", nil, "نرخ دلار", []string{"صادرات نفت"}, map[string]int{"currency": 3}, "currency"},
		{"minimum 4: a title hit alone is short", []Option{WithMinScore(4)}, "نرخ دلار", []string{"صادرات نفت و گاز و نفت و گاز"}, map[string]int{"energy": 4}, "energy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(ts, tt.opts...)
			if got := c.Scores(tt.title, tt.body); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Scores = %v, want %v", got, tt.want)
			}
			if best := first(c.Classify(tt.title, tt.body)); best != tt.best {
				t.Errorf("Classify = %q, want %q", best, tt.best)
			}
		})
	}
}

func TestClassifyNoTopics(t *testing.T) {
	if ranked := New(nil).Classify("نفت", []string{"گاز"}); ranked != nil {
		t.Errorf("Classify = %v; want nothing", ranked)
	}
}

// first is the best topic of a ranking, "" for none.
func first(ranked []string) string {
	if len(ranked) == 0 {
		return ""
	}
	return ranked[0]
}

// sampleArticle is a scraped article of the kind the pipeline classifies.
type sampleArticle struct {
	Title    string `json:"title"`
	Subtitle string `json:"subtitle"`
	Content  []struct {
		Text string `json:"text"`
	} `json:"content"`
}

func loadFixtures(tb testing.TB) (*Classifier, string, []string) {
	tb.Helper()
	var ts []model.Topic
	readJSON(tb, "testdata/topics.json", &ts)
	var a sampleArticle
	readJSON(tb, "testdata/hamshahri-article.json", &a)
	body := []string{a.Subtitle}
	for _, p := range a.Content {
		body = append(body, p.Text)
	}
	return New(ts), a.Title, body
}

func readJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
}

func TestClassifySampleArticle(t *testing.T) {
	c, title, body := loadFixtures(t)
	// A health article on the energy of older men: انرژی, in the title
	// too, counts for energy, but ورزش, خواب, استرس … in the body win; ATP
	// is a tech keyword, and کم آبی (آب + ی) an environment one.
	want := map[string]int{"energy": 19, "health": 37, "tech": 5, "environment": 3}
	if got := c.Scores(title, body); !reflect.DeepEqual(got, want) {
		t.Errorf("Scores = %v, want %v", got, want)
	}
	if ranked := c.Classify(title, body); !reflect.DeepEqual(ranked, []string{"health", "energy", "tech", "environment"}) {
		t.Errorf("Classify = %v; want the four topics by score", ranked)
	}
}

func BenchmarkClassify(b *testing.B) {
	c, title, body := loadFixtures(b)
	b.ReportAllocs()
	for b.Loop() {
		c.Classify(title, body)
	}
}
