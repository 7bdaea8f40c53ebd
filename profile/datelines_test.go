package profile_test

import (
	"path/filepath"
	"regexp"
	"testing"

	"mediadigest/dedupe"
	"mediadigest/model"
	"mediadigest/profile"
)

// allProfiles are the built-in profiles and the example profile files.
func allProfiles(t *testing.T) []*profile.Profile {
	t.Helper()
	refs := profile.BuiltinIDs()
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example profiles: %v", err)
	}
	refs = append(refs, files...)
	var out []*profile.Profile
	for _, ref := range refs {
		p, err := profile.Load(ref)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// TestDatelines runs every profile's datelines through cleaning, as the
// pipeline does: a lead starting with an ordinary word loses nothing (a
// class such as [،,-–] is a range over the Persian letters, and cut
// "مهرد" from "مهرداد"), and the outlet's real datelines are cut whole.
func TestDatelines(t *testing.T) {
	ordinary := []string{
		"مهرداد بذرپاش، وزیر راه و شهرسازی از آغاز ساخت ۱۰۰ هزار واحد مسکونی خبر داد.",
		"مهر ماه امسال نرخ تورم نقطه به نقطه به ۳۵ درصد رسید.",
		"مهرماه امسال بارندگی‌ها ۲۰ درصد کمتر از سال گذشته بود.",
		"ایران در نشست اوپک خواستار افزایش سهمیه تولید شد.",
		"اقتصاد کشور در شش ماه نخست سال ۲.۵ درصد رشد کرد.",
		"اقتصاددانان رشد نقدینگی را عامل اصلی تورم می‌دانند.",
		"ایسنا در گزارشی به بررسی بازار مسکن پرداخته است.",
		"به گزارش خبرنگار اقتصادی، قیمت دلار امروز کاهش یافت.",
	}
	// By profile id: leads that start with the outlet's dateline, and
	// what cleaning must cut.
	datelines := map[string][]struct{ lead, cut, rest string }{
		"isna": {
			{"ایسنا/کرمان رئیس سازمان صنعت استان از افزایش صادرات خبر داد.", "ایسنا/کرمان", "رئیس سازمان صنعت استان از افزایش صادرات خبر داد."},
			{"ایسنا/خراسان رضوی معاون استاندار از بازگشایی مدارس خبر داد.", "ایسنا/خراسان رضوی", "معاون استاندار از بازگشایی مدارس خبر داد."},
		},
		"eghtesad24": {
			{"اقتصاد۲۴- قیمت دلار در بازار آزاد کاهش یافت.", "اقتصاد۲۴-", "قیمت دلار در بازار آزاد کاهش یافت."},
			{"اقتصاد 24 – بازار سکه امروز آرام بود.", "اقتصاد 24 –", "بازار سکه امروز آرام بود."},
		},
		"mehr": {
			{"به گزارش خبرگزاری مهر، مهرداد بذرپاش، وزیر راه و شهرسازی گفت:", "به گزارش خبرگزاری مهر،", "مهرداد بذرپاش، وزیر راه و شهرسازی گفت:"},
			{"خبرگزاری مهر - گروه اقتصاد: بازار سرمایه امروز رشد کرد.", "خبرگزاری مهر -", "گروه اقتصاد: بازار سرمایه امروز رشد کرد."},
			{"مهر – ایران در نشست اوپک شرکت کرد.", "مهر –", "ایران در نشست اوپک شرکت کرد."},
		},
	}
	body := []string{"متن خبر."}
	for _, p := range allProfiles(t) {
		t.Run(p.ID, func(t *testing.T) {
			var rules dedupe.Rules
			for _, d := range p.Datelines {
				rules.Datelines = append(rules.Datelines, regexp.MustCompile(d))
			}
			for _, lead := range ordinary {
				if c := dedupe.CleanArticle(lead, body, rules, nil); c.Lead != lead || len(c.Removed) != 0 {
					t.Errorf("lead %q: cleaned to %q, removed %+v; want it whole", lead, c.Lead, c.Removed)
				}
			}
			cases := datelines[p.ID]
			if len(p.Datelines) > 0 && len(cases) == 0 {
				t.Fatalf("profile %s has datelines: add leads that carry them to this test", p.ID)
			}
			for _, tt := range cases {
				c := dedupe.CleanArticle(tt.lead, body, rules, nil)
				want := model.Removed{Text: tt.cut, Reason: model.ReasonMarker}
				if c.Lead != tt.rest || len(c.Removed) != 1 || c.Removed[0] != want {
					t.Errorf("lead %q: cleaned to %q, removed %+v; want %q and %+v", tt.lead, c.Lead, c.Removed, tt.rest, want)
				}
			}
		})
	}
}
