package delivery

import (
	"strings"
	"testing"
	"time"

	"mediadigest/model"
)

const from = "Media Digest <digest@example.com>"

func TestMessageID(t *testing.T) {
	day := model.Window{
		From: time.Date(2026, 11, 25, 20, 30, 0, 0, time.UTC),
		To:   time.Date(2026, 11, 26, 20, 30, 0, 0, time.UTC),
	}
	next := model.Window{From: day.To, To: day.To.Add(24 * time.Hour)}
	tehran := time.FixedZone("IRST", 3*3600+1800)
	sameInTehran := model.Window{From: day.From.In(tehran), To: day.To.In(tehran)}

	base := MessageID("analyst@example.com", day, from)
	if !strings.HasPrefix(base, "digest-") || !strings.HasSuffix(base, "@example.com") || strings.ContainsAny(base, "<> ") {
		t.Fatalf("MessageID = %q, want digest-<hash>@example.com without brackets", base)
	}
	tests := []struct {
		name       string
		subscriber string
		win        model.Window
		from       string
		same       bool
	}{
		{"same inputs", "analyst@example.com", day, from, true},
		{"address case and spaces", " Analyst@Example.com", day, from, true},
		{"same window in another zone", "analyst@example.com", sameInTehran, from, true},
		{"sender name changes nothing", "analyst@example.com", day, "digest@example.com", true},
		{"other subscriber", "boss@example.com", day, from, false},
		{"other window", "analyst@example.com", next, from, false},
		{"same bounds by arrival", "analyst@example.com", model.Window{From: day.From, To: day.To, Basis: model.ByArrival}, from, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MessageID(tt.subscriber, tt.win, tt.from)
			if (got == base) != tt.same {
				t.Errorf("MessageID = %q, base %q; want same = %v", got, base, tt.same)
			}
		})
	}
	if got := MessageID("a@example.com", day, "Digest <news@mail.example.org>"); !strings.HasSuffix(got, "@mail.example.org") {
		t.Errorf("MessageID = %q, want the sender's domain mail.example.org", got)
	}
}
