package dedupe

import (
	"regexp"
	"testing"

	"mediadigest/model"
)

func TestCleanArticleLead(t *testing.T) {
	isna := Rules{EndMarkers: []string{"انتهای پیام"}, Datelines: []*regexp.Regexp{regexp.MustCompile(`^ایسنا */ *(خراسان (رضوی|شمالی|جنوبی)|[^ ]+) *[-–]? *`)}}
	tests := []struct {
		name, lead, wantLead string
		wantRemoved          []model.Removed
	}{
		{"one-word city", "ایسنا/تهران سخنگوی شرکت ملی پخش از واریز سهمیه خبر داد.", "سخنگوی شرکت ملی پخش از واریز سهمیه خبر داد.",
			[]model.Removed{{Text: "ایسنا/تهران", Reason: model.ReasonMarker}}},
		{"two-word province", "ایسنا/خراسان رضوی مدیرکل بحران استانداری گفت خسارتی گزارش نشده است.", "مدیرکل بحران استانداری گفت خسارتی گزارش نشده است.",
			[]model.Removed{{Text: "ایسنا/خراسان رضوی", Reason: model.ReasonMarker}}},
		{"no dateline", "رئیس‌جمهور در نشست با استانداران گفت تورم اولویت است.", "رئیس‌جمهور در نشست با استانداران گفت تورم اولویت است.", nil},
		{"no lead", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CleanArticle(tt.lead, []string{"متن خبر در یک پاراگراف.", "انتهای پیام"}, isna, nil)
			if got.Lead != tt.wantLead {
				t.Errorf("lead = %q, want %q", got.Lead, tt.wantLead)
			}
			n := len(tt.wantRemoved)
			if len(got.Removed) < n || (n > 0 && got.Removed[0] != tt.wantRemoved[0]) {
				t.Errorf("removed = %+v, want first %+v", got.Removed, tt.wantRemoved)
			}
			if len(got.Paragraphs) != 1 || got.Paragraphs[0] != "متن خبر در یک پاراگراف." {
				t.Errorf("paragraphs = %q", got.Paragraphs)
			}
		})
	}
}
