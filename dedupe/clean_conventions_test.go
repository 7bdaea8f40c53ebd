package dedupe

import (
	"reflect"
	"strings"
	"testing"

	"mediadigest/model"
	"mediadigest/profile"
)

// TestConventionsData: the embedded conventions decode, hold the
// agencies' end markers and metadata labels, and say why for each entry.
func TestConventionsData(t *testing.T) {
	c := SharedConventions()
	if len(c.EndMarkers) < 2 || len(c.MetadataLabels) < 5 || len(c.PromoMarkers) < 5 || c.AfterEndMarker == "" || c.DeskCodes == "" {
		t.Fatalf("conventions = %+v", c)
	}
	if _, err := parseConventions([]byte("end_markers:\n  - text: انتهای پیام\n")); err == nil || !strings.Contains(err.Error(), "needs a text and a why") {
		t.Errorf("an entry without why: err = %v", err)
	}
	if _, err := parseConventions([]byte("end_markers: {")); err == nil {
		t.Error("broken YAML decoded")
	}
}

// TestCleanConventions: every outlet, the generic one with no rules of its
// own included, loses the agencies' end markers (with a desk code), what
// follows them, and metadata lines, each with its reason.
func TestCleanConventions(t *testing.T) {
	const (
		body1 = "به گزارش خبرگزاری تسنیم، دیدار دو تیم پرسپولیس و السد ساعت ۲۱ امشب در ورزشگاه آزادی آغاز شد و با نتیجه ۲ بر صفر به پایان رسید."
		body2 = "پرسپولیس با این پیروزی ۷ امتیازی شد و فعلاً در رده سوم ایستاد."
	)
	none := Rules{Outlets: outlets}
	tests := []struct {
		name  string
		raw   []string
		rules Rules
		want  model.Clean
	}{{
		name: "end marker with a bare slash",
		raw:  []string{body1, body2, "انتهای پیام/"},
		want: model.Clean{Paragraphs: []string{body1, body2}, Removed: removed("انتهای پیام/", model.ReasonMarker)},
	}, {
		name: "end marker with a desk code, and what follows it",
		raw:  []string{body1, body2, "انتهای پیام/ز", "برچسب‌ها: پرسپولیس، السد", "اخبار مرتبط", "دعوای تمام نشدنی مدافع پرسپولیس با مهاجم السد"},
		want: model.Clean{Paragraphs: []string{body1, body2}, Removed: removed(
			"انتهای پیام/ز", model.ReasonMarker,
			"برچسب‌ها: پرسپولیس، السد", model.ReasonTrailer,
			"اخبار مرتبط", model.ReasonTrailer,
			"دعوای تمام نشدنی مدافع پرسپولیس با مهاجم السد", model.ReasonTrailer,
		)},
	}, {
		name: "slashes around, a numeric code, the other wording",
		raw:  []string{body1, "/انتهای پیام/", body2, "انتهای پیام/ 1021", "پایان پیام"},
		want: model.Clean{Paragraphs: []string{body1}, Removed: removed(
			"/انتهای پیام/", model.ReasonMarker,
			body2, model.ReasonTrailer,
			"انتهای پیام/ 1021", model.ReasonMarker,
			"پایان پیام", model.ReasonMarker,
		)},
	}, {
		name: "an attribution after the end marker still names the source",
		raw:  []string{body1, "انتهای پیام/م", "منبع: ایسنا"},
		want: model.Clean{Source: "isna", Paragraphs: []string{body1}, Removed: removed(
			"انتهای پیام/م", model.ReasonMarker,
			"منبع: ایسنا", model.ReasonAttribution,
		)},
	}, {
		name: "sentences starting like a marker are text",
		raw: []string{
			"انتهای پیام‌های تبلیغاتی نامزدها امروز ساعت ۸ صبح اعلام شد.",
			"انتهای پیام/ دولت اعلام کرد که این طرح از سال آینده به اجرا درمی‌آید و همه استان‌ها را در بر می‌گیرد.",
			body2,
		},
		want: model.Clean{Paragraphs: []string{
			"انتهای پیام‌های تبلیغاتی نامزدها امروز ساعت ۸ صبح اعلام شد.",
			"انتهای پیام/ دولت اعلام کرد که این طرح از سال آینده به اجرا درمی‌آید و همه استان‌ها را در بر می‌گیرد.",
			body2,
		}, Removed: removed()},
	}, {
		name: "metadata lines",
		raw: []string{
			"کد خبر: d1Gjx زمان: 23:55 1398/02/26 بازدید: 25045",
			body1,
			"کد خبر: ۶۹۹۸۵۵۱",
			"تاریخ انتشار: ۲۱ تير ۱۳۹۸ - ۱۷:۲۱",
			"شناسه\u200cخبر : 512345",
			body2,
		},
		want: model.Clean{Paragraphs: []string{body1, body2}, Removed: removed(
			"کد خبر: d1Gjx زمان: 23:55 1398/02/26 بازدید: 25045", model.ReasonMetadata,
			"کد خبر: ۶۹۹۸۵۵۱", model.ReasonMetadata,
			"تاریخ انتشار: ۲۱ تير ۱۳۹۸ - ۱۷:۲۱", model.ReasonMetadata,
			"شناسه\u200cخبر : 512345", model.ReasonMetadata,
		)},
	}, {
		name: "a label with words for a value, or inside a sentence, is text",
		raw: []string{
			"زمان: ساعت ۱۰ صبح روز شنبه",
			"بازدید: رئیس‌جمهور از نمایشگاه بین‌المللی کتاب تهران بازدید کرد",
			"به گفته وی زمان: ۱۰ صبح است.",
			"بازدید:",
		},
		want: model.Clean{Paragraphs: []string{
			"زمان: ساعت ۱۰ صبح روز شنبه",
			"بازدید: رئیس‌جمهور از نمایشگاه بین‌المللی کتاب تهران بازدید کرد",
			"به گفته وی زمان: ۱۰ صبح است.",
			"بازدید:",
		}, Removed: removed()},
	}, {
		name: "desk codes of digits alone",
		raw:  []string{body1, "۳۱۳۱**۱۴۳۰", body2, "۲۱۶۲۱۶", "۱۲", "۱۴۰۲ سال خوبی بود"},
		want: model.Clean{Paragraphs: []string{body1, body2, "۱۲", "۱۴۰۲ سال خوبی بود"}, Removed: removed(
			"۳۱۳۱**۱۴۳۰", model.ReasonMarker,
			"۲۱۶۲۱۶", model.ReasonMarker,
		)},
	}, {
		name:  "an outlet's own metadata label",
		raw:   []string{"کد مطلب: 90211", body1},
		rules: Rules{MetadataLabels: []string{"کد مطلب:"}},
		want:  model.Clean{Paragraphs: []string{body1}, Removed: removed("کد مطلب: 90211", model.ReasonMetadata)},
	}, {
		name: "without the outlet's label, its line stays",
		raw:  []string{"کد مطلب: 90211", body1},
		want: model.Clean{Paragraphs: []string{"کد مطلب: 90211", body1}, Removed: removed()},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rules
			if r.Outlets == nil {
				r.Outlets = none.Outlets
			}
			got := Clean(tt.raw, r, nil)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Clean =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestNewRules builds an outlet's rules from its profile, as the pipeline
// does, and names a broken dateline.
func TestNewRules(t *testing.T) {
	p, err := profile.Builtin("isna")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRules(p, outlets)
	if err != nil {
		t.Fatal(err)
	}
	got := CleanArticle("ایسنا/کرمان خبر", []string{"متن خبر.", "بیشتر: عنوان", "انتهای پیام"}, r, nil)
	want := model.Clean{Lead: "خبر", Paragraphs: []string{"متن خبر."}, Removed: removed(
		"ایسنا/کرمان", model.ReasonMarker, "بیشتر: عنوان", model.ReasonPromo, "انتهای پیام", model.ReasonMarker)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CleanArticle =\n%+v\nwant\n%+v", got, want)
	}
	_, err = NewRules(&profile.Profile{ID: "x", Datelines: []string{"(("}}, nil)
	if err == nil || !strings.Contains(err.Error(), `profile x: dateline "(("`) {
		t.Errorf("err = %v", err)
	}
}
