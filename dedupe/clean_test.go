package dedupe

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"mediadigest/model"
	"mediadigest/persian"
)

// The rules of the two first outlets, as the lead builds them from their
// profiles. ISNA's dateline takes the city and, for provinces of two
// words, the second word.
var (
	isnaRules = Rules{
		PromoMarkers: []string{"بیشتر:"},
		EndMarkers:   []string{"انتهای پیام"},
		Datelines:    []*regexp.Regexp{regexp.MustCompile(`^ایسنا/(?:خراسان (?:رضوی|شمالی|جنوبی)|آذربایجان (?:شرقی|غربی)|\S+) *[-–]? *`)},
		Outlets:      outlets,
	}
	eghtesad24Rules = Rules{
		Datelines: []*regexp.Regexp{regexp.MustCompile(`^اقتصاد ?(۲۴|24) *[-–] *`)},
		Outlets:   outlets,
	}
	outlets = map[string]string{"ایسنا": "isna", "اقتصاد۲۴": "eghtesad24"}
)

func removed(pairs ...string) []model.Removed {
	r := []model.Removed{}
	for i := 0; i < len(pairs); i += 2 {
		r = append(r, model.Removed{Text: pairs[i], Reason: pairs[i+1]})
	}
	return r
}

func TestCleanEghtesad24Sample(t *testing.T) {
	data, err := os.ReadFile("testdata/eghtesad24-article.txt")
	if err != nil {
		t.Fatal(err)
	}
	raw := strings.Split(strings.TrimSpace(string(data)), "\n")
	got := Clean(raw, eghtesad24Rules, nil)
	want := model.Clean{
		Source:     "isna",
		Paragraphs: append([]string{strings.TrimPrefix(raw[0], "اقتصاد۲۴-")}, raw[3:len(raw)-1]...),
		// The read-more line is printed twice: both copies are promo,
		// the second is not a duplicate.
		Removed: removed(
			"اقتصاد۲۴-", model.ReasonMarker,
			raw[1], model.ReasonPromo,
			raw[2], model.ReasonPromo,
			"منبع: ایسنا", model.ReasonAttribution,
		),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Clean(sample) =\n%+v\nwant\n%+v", got, want)
	}
}

func TestClean(t *testing.T) {
	const (
		body1 = "استاندار کرمان از آغاز عملیات اجرایی ۱۲ طرح آبرسانی روستایی در شهرستان‌های جنوبی استان خبر داد و گفت: این طرح‌ها تا پایان سال آینده به بهره‌برداری می‌رسد."
		body2 = "وی افزود: اعتبار این طرح‌ها از محل صندوق توسعه ملی تأمین شده و بیش از ۴۰ هزار نفر از آن بهره‌مند خواهند شد."
		body3 = "بیشتر مردم این منطقه از کشاورزی و دامداری امرار معاش می‌کنند و کم‌آبی سال‌های اخیر به معیشت آنان آسیب زده است."
		body4 = "بیشترین افزایش قیمت در ماه گذشته مربوط به گروه مسکن، آب، برق و سوخت بوده است."
		// A line Eghtesad24 ends many articles with.
		channel = "برای دریافت آخرین اخبار اقتصادی به کانال تلگرام اقتصاد۲۴ بپیوندید"
		long    = "رئیس سازمان برنامه و بودجه در این نشست با اشاره به کسری بودجه دولت در سال جاری و ضرورت اصلاح ساختار هزینه‌ها گفت که دولت برای پرداخت به‌موقع حقوق کارکنان و بازنشستگان هیچ مشکلی ندارد و منابع لازم پیش‌بینی شده است."
	)
	learnedChannel := func(key string) bool { return key == persian.Key(channel) }
	tests := []struct {
		name    string
		raw     []string
		rules   Rules
		learned Learned
		want    model.Clean
	}{{
		name: "isna article: dateline, bare marker and its link, inline marker, end marker",
		raw: []string{
			"ایسنا/کرمان " + body1,
			"بیشتر:",
			"آغاز ثبت‌نام وام ودیعه مسکن مستأجران در کرمان",
			body2,
			"بیشتر: افزایش ۳۰ درصدی بودجه عمرانی استان کرمان",
			"انتهای پیام",
		},
		rules: isnaRules,
		want: model.Clean{
			Paragraphs: []string{body1, body2},
			Removed: removed(
				"ایسنا/کرمان", model.ReasonMarker,
				"بیشتر:", model.ReasonPromo,
				"آغاز ثبت‌نام وام ودیعه مسکن مستأجران در کرمان", model.ReasonPromo,
				"بیشتر: افزایش ۳۰ درصدی بودجه عمرانی استان کرمان", model.ReasonPromo,
				"انتهای پیام", model.ReasonMarker,
			),
		},
	}, {
		name:  "isna dateline of a two-word province",
		raw:   []string{"ایسنا/خراسان رضوی - " + body1},
		rules: isnaRules,
		want: model.Clean{
			Paragraphs: []string{body1},
			Removed:    removed("ایسنا/خراسان رضوی -", model.ReasonMarker),
		},
	}, {
		name:  "a dateline alone is a marker paragraph",
		raw:   []string{"اقتصاد۲۴-", body1},
		rules: eghtesad24Rules,
		want: model.Clean{
			Paragraphs: []string{body1},
			Removed:    removed("اقتصاد۲۴-", model.ReasonMarker),
		},
	}, {
		name:  "a dateline only at the start of the first paragraph",
		raw:   []string{body1, "اقتصاد۲۴- " + body2},
		rules: eghtesad24Rules,
		want:  model.Clean{Paragraphs: []string{body1, "اقتصاد۲۴- " + body2}, Removed: removed()},
	}, {
		name:  "the word بیشتر in a sentence is not a marker",
		raw:   []string{body3, body4, "بیشتر"},
		rules: isnaRules,
		want: model.Clean{
			Paragraphs: []string{body3, body4},
			Removed:    removed("بیشتر", model.ReasonPromo),
		},
	}, {
		name: "markers in letter, spacing and colon variants",
		raw: []string{
			body1,
			"بيشتر بخوانيد : قیمت دلار امروز",
			"بیشتربخوانید:قیمت سکه امروز",
			"حتماً بخوانید؛ جدول قیمت خودرو",
			"همچنین‌ بخوانید قیمت طلا",
			"پیشنهاد مطالعه: ده نکته برای کاهش مصرف گاز",
			"لینک کوتاه: https://eghtesaad24.ir/fa/news/312345",
			"بیشتر ：گزارش تصویری",
			body2,
		},
		rules: isnaRules,
		want: model.Clean{
			Paragraphs: []string{body1, body2},
			Removed: removed(
				"بيشتر بخوانيد : قیمت دلار امروز", model.ReasonPromo,
				"بیشتربخوانید:قیمت سکه امروز", model.ReasonPromo,
				"حتماً بخوانید؛ جدول قیمت خودرو", model.ReasonPromo,
				"همچنین‌ بخوانید قیمت طلا", model.ReasonPromo,
				"پیشنهاد مطالعه: ده نکته برای کاهش مصرف گاز", model.ReasonPromo,
				"لینک کوتاه: https://eghtesaad24.ir/fa/news/312345", model.ReasonPromo,
				"بیشتر ：گزارش تصویری", model.ReasonPromo,
			),
		},
	}, {
		name:  "a bare marker takes a short paragraph after it, not a long one",
		raw:   []string{"مطالب مرتبط:", long, "مطالب مرتبط", "افزایش قیمت بنزین تکذیب شد", body2},
		rules: Rules{},
		want: model.Clean{
			Paragraphs: []string{long, body2},
			Removed: removed(
				"مطالب مرتبط:", model.ReasonPromo,
				"مطالب مرتبط", model.ReasonPromo,
				"افزایش قیمت بنزین تکذیب شد", model.ReasonPromo,
			),
		},
	}, {
		name:  "the outlet's own marker",
		raw:   []string{body1, "پیشنهاد سردبیر: بازار مسکن در انتظار تصمیم بانک مرکزی", body2},
		rules: Rules{PromoMarkers: []string{"پیشنهاد سردبیر:"}},
		want: model.Clean{
			Paragraphs: []string{body1, body2},
			Removed:    removed("پیشنهاد سردبیر: بازار مسکن در انتظار تصمیم بانک مرکزی", model.ReasonPromo),
		},
	}, {
		name: "duplicates in ZWNJ, space and letter variants",
		raw: []string{
			"مهم‌ترین همکاری‌های دو کشور در حوزه ترانزیت است.",
			"مهم ترین همکاری های دو کشور در حوزه ترانزیت است.",
			"مهمترین همکاریهای دو کشور در حوزه ترانزيت است",
			body2,
		},
		want: model.Clean{
			Paragraphs: []string{"مهم‌ترین همکاری‌های دو کشور در حوزه ترانزیت است.", body2},
			Removed: removed(
				"مهم ترین همکاری های دو کشور در حوزه ترانزیت است.", model.ReasonDuplicate,
				"مهمترین همکاریهای دو کشور در حوزه ترانزيت است", model.ReasonDuplicate,
			),
		},
	}, {
		name:    "learned lines, every copy learned rather than duplicate",
		raw:     []string{body1, channel, body2, channel},
		learned: learnedChannel,
		want: model.Clean{
			Paragraphs: []string{body1, body2},
			Removed:    removed(channel, model.ReasonLearned, channel, model.ReasonLearned),
		},
	}, {
		name:    "promo wins over learned",
		raw:     []string{body1, "بیشتر بخوانید: " + channel},
		learned: func(string) bool { return true },
		want: model.Clean{
			Paragraphs: []string{},
			Removed:    removed(body1, model.ReasonLearned, "بیشتر بخوانید: "+channel, model.ReasonPromo),
		},
	}, {
		name:  "attribution spellings and a known outlet after خبرگزاری",
		raw:   []string{body1, "منبع : خبرگزاری ایسنا", "انتهای پیام"},
		rules: isnaRules,
		want: model.Clean{
			Source:     "isna",
			Paragraphs: []string{body1},
			Removed:    removed("منبع : خبرگزاری ایسنا", model.ReasonAttribution, "انتهای پیام", model.ReasonMarker),
		},
	}, {
		name:  "attribution without space names an unknown outlet as written",
		raw:   []string{body1, body2, "منبع:دنیای اقتصاد"},
		rules: eghtesad24Rules,
		want: model.Clean{
			Source:     "دنیای اقتصاد",
			Paragraphs: []string{body1, body2},
			Removed:    removed("منبع:دنیای اقتصاد", model.ReasonAttribution),
		},
	}, {
		name: "a source line early in the article or as a sentence is content",
		raw: []string{
			"منبع: مرکز آمار ایران",
			body1,
			body2,
			body3,
			"منبع: این گزارش داده‌های ۳۱ استان کشور را در بر می‌گیرد و هر ماه منتشر می‌شود.",
		},
		rules: eghtesad24Rules,
		want: model.Clean{
			Paragraphs: []string{
				"منبع: مرکز آمار ایران", body1, body2, body3,
				"منبع: این گزارش داده‌های ۳۱ استان کشور را در بر می‌گیرد و هر ماه منتشر می‌شود.",
			},
			Removed: removed(),
		},
	}, {
		name:  "empty paragraphs are dropped silently; a promo-only article is empty",
		raw:   []string{"", "   ", "\u200c", "بیشتر بخوانید: قیمت دلار امروز", "\t"},
		rules: isnaRules,
		want: model.Clean{
			Paragraphs: []string{},
			Removed:    removed("بیشتر بخوانید: قیمت دلار امروز", model.ReasonPromo),
		},
	}, {
		name: "nothing",
		raw:  nil,
		want: model.Clean{Paragraphs: []string{}, Removed: removed()},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.raw, tt.rules, tt.learned)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Clean =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestCleanBadInput feeds pathological bodies: they must come out whole,
// each paragraph kept once, in time linear in their size.
func TestCleanBadInput(t *testing.T) {
	giant := strings.Repeat("قیمت دلار در بازار آزاد تهران امروز افزایش یافت و ", 20_000)
	tests := []struct {
		name string
		raw  []string
		want []string
	}{
		{"one giant paragraph", []string{giant}, []string{giant}},
		{"1 MB of one character", []string{strings.Repeat("ب", 1<<19)}, []string{strings.Repeat("ب", 1<<19)}},
		{"1 MB of colons", []string{strings.Repeat(":", 1<<20)}, []string{strings.Repeat(":", 1<<20)}},
		{"mixed scripts", []string{"Iran ایران 伊朗 Иран 🇮🇷 ١٢٣ 123"}, []string{"Iran ایران 伊朗 Иран 🇮🇷 ١٢٣ 123"}},
		{"a dateline running into 1 MB", []string{"ایسنا/" + strings.Repeat("ب", 1<<19)}, []string{"ایسنا/" + strings.Repeat("ب", 1<<19)}},
		{"invalid UTF-8", []string{"\xff\xfe بیشتر مردم"}, []string{"\xff\xfe بیشتر مردم"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.raw, isnaRules, nil)
			if !slices.Equal(got.Paragraphs, tt.want) || len(got.Removed) != 0 {
				t.Errorf("Clean kept %d paragraphs and removed %v; want the input whole", len(got.Paragraphs), got.Removed)
			}
		})
	}
}

// BenchmarkCleanHuge cleans pathological bodies of 1 and 4 MB: equal MB/s
// show the cost is linear.
func BenchmarkCleanHuge(b *testing.B) {
	for _, mb := range []int{1, 4} {
		n := mb << 18 // runes of 2 bytes in a quarter of the body
		raw := []string{
			"ایسنا/" + strings.Repeat("ب", n),
			strings.Repeat("بیشتر بخوانید ", n/13),
			strings.Repeat("ب", n),
			strings.Repeat("ب", n),
		}
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			size := 0
			for _, p := range raw {
				size += len(p)
			}
			b.SetBytes(int64(size))
			for b.Loop() {
				Clean(raw, isnaRules, nil)
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	if data, err := os.ReadFile("testdata/eghtesad24-article.txt"); err == nil {
		f.Add(string(data))
	}
	f.Add("ایسنا/کرمان متن خبر\nبیشتر:\nعنوان خبر\nمتن خبر\nانتهای پیام\nمنبع: ایسنا")
	f.Add("اقتصاد۲۴-\n\nبیشتر :\n\u200c\nمهم‌ترین\nمهم ترین")
	// Trailer and metadata lines: every reason Clean can give is reached.
	f.Add("متن خبر\nکد خبر: ۱۴۰۳۰۹۱۲۰۰۴۵۶\nانتهای پیام\nبرچسب‌ها: بورس، بانک مرکزی")
	rules := Rules{
		PromoMarkers: []string{"بیشتر:", ":", ""},
		EndMarkers:   []string{"انتهای پیام", ""},
		Datelines:    append(isnaRules.Datelines, eghtesad24Rules.Datelines...),
		Outlets:      outlets,
	}
	f.Fuzz(func(t *testing.T, text string) {
		raw := strings.Split(text, "\n")
		got := Clean(raw, rules, func(key string) bool { return utf8.RuneCountInString(key) == 3 })
		var nonEmpty []string
		for _, p := range raw {
			if !isEmpty(p) {
				nonEmpty = append(nonEmpty, p)
			}
		}
		// Every non-empty paragraph is kept or removed once, in order;
		// a dateline cut from the first adds one record.
		var out []string
		for _, r := range got.Removed {
			out = append(out, r.Text)
		}
		out = append(out, got.Paragraphs...)
		extra := len(out) - len(nonEmpty)
		if extra != 0 && extra != 1 {
			t.Fatalf("%d paragraphs in, %d kept and %d removed", len(nonEmpty), len(got.Paragraphs), len(got.Removed))
		}
		for _, p := range got.Paragraphs {
			if !slices.Contains(raw, p) && (extra == 0 || !strings.Contains(nonEmpty[0], p)) {
				t.Fatalf("kept %q, which is no input paragraph", p)
			}
		}
		for _, r := range got.Removed {
			switch r.Reason {
			case model.ReasonDuplicate, model.ReasonPromo, model.ReasonLearned, model.ReasonMarker,
				model.ReasonAttribution, model.ReasonMetadata, model.ReasonTrailer:
			default:
				t.Fatalf("reason %q", r.Reason)
			}
		}
	})
}

func TestSponsored(t *testing.T) {
	own := Rules{SponsoredMarkers: []string{"آگهی بازرگانی"}}
	tests := []struct {
		kicker, title string
		rules         Rules
		want          bool
	}{
		{"رپرتاژ آگهی", "معرفی انواع برندهای دستگاه تصفیه آب خانگی", Rules{}, true},
		{"", "رپورتاژ: خرید آپارتمان در شمال", Rules{}, true},
		{"رپرتاژ‌آگهی", "معرفی", Rules{}, true}, // ZWNJ for the space
		{"زلزله در خراسان رضوی", "زلزله ۴.۱ ریشتری حوالی نیشابور خسارت نداشت", Rules{}, false},
		{"", "رپرتاژهای تلویزیونی جام جهانی", Rules{}, false}, // whole words only
		{"سینما", "نقد فیلم «رپرتاژ»", Rules{}, false},        // only at the start
		{"آگهی بازرگانی", "فروش ویژه", own, true},
		{"آگهی بازرگانی", "فروش ویژه", Rules{}, false},
	}
	for _, tt := range tests {
		if got := Sponsored(tt.kicker, tt.title, tt.rules); got != tt.want {
			t.Errorf("Sponsored(%q, %q) = %v, want %v", tt.kicker, tt.title, got, tt.want)
		}
	}
}
