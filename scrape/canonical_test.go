package scrape

import "testing"

func TestCanonical(t *testing.T) {
	isna := Outlet{ID: "isna", BaseURL: "https://www.isna.ir", Profile: builtin(t, "isna")}
	eg := Outlet{ID: "eghtesad24", BaseURL: "https://eghtesaad24.ir", Profile: builtin(t, "eghtesad24")}
	generic := Outlet{ID: "blog", BaseURL: "https://blog.example.com", Profile: builtin(t, "generic")}
	loop := Outlet{ID: "isna", BaseURL: "http://127.0.0.1:8123", Profile: builtin(t, "isna")}
	tests := []struct {
		name    string
		outlet  Outlet
		raw     string
		want    string
		article bool
	}{
		{"isna with slug", isna, "https://www.isna.ir/news/1405090503512/افزایش-صادرات", "https://www.isna.ir/news/1405090503512", true},
		{"isna without slug", isna, "https://www.isna.ir/news/1405090503512", "https://www.isna.ir/news/1405090503512", true},
		{"isna trailing slash", isna, "https://www.isna.ir/news/1405090503512/", "https://www.isna.ir/news/1405090503512", true},
		{"isna relative", isna, "/news/1405090503512/x", "https://www.isna.ir/news/1405090503512", true},
		{"isna amp host", isna, "https://amp.isna.ir/amp/news/1405090503512", "https://www.isna.ir/news/1405090503512", true},
		{"isna amp with slug", isna, "https://amp.isna.ir/amp/news/1405090503512/slug", "https://www.isna.ir/news/1405090503512", true},
		{"isna bare host, http", isna, "http://isna.ir/news/1405090503512", "https://www.isna.ir/news/1405090503512", true},
		{"isna host case", isna, "https://WWW.ISNA.IR/news/1405090503512", "https://www.isna.ir/news/1405090503512", true},
		{"isna utm and fragment", isna, "https://www.isna.ir/news/1405090503512/x?utm_source=telegram&utm_medium=social#comments", "https://www.isna.ir/news/1405090503512", true},
		{"isna any query", isna, "https://www.isna.ir/news/1405090503512?ref=home", "https://www.isna.ir/news/1405090503512", true},
		{"isna short id", isna, "https://www.isna.ir/news/140509050351", "https://www.isna.ir/news/140509050351", false},
		{"isna section page", isna, "/service/Economy?utm_source=x", "https://www.isna.ir/service/Economy", false},
		{"isna off-site", isna, "https://www.irna.ir/news/1405090503512", "https://www.irna.ir/news/1405090503512", false},
		{"isna mail link", isna, "mailto:news@isna.ir", "", false},
		{"isna on loopback", loop, "http://127.0.0.1:8123/news/1405090503512/x?fbclid=1", "http://127.0.0.1:8123/news/1405090503512", true},
		{"loopback other port", loop, "http://127.0.0.1:9999/news/1405090503512", "http://127.0.0.1:9999/news/1405090503512", false},
		{"eghtesad24 with slug", eg, "https://eghtesaad24.ir/fa/news/345678/بازار-خودرو", "https://eghtesaad24.ir/fa/news/345678", true},
		{"eghtesad24 www", eg, "https://www.eghtesaad24.ir/fa/news/345678", "https://eghtesaad24.ir/fa/news/345678", true},
		{"eghtesad24 gclid", eg, "/fa/news/345678?gclid=abc#top", "https://eghtesaad24.ir/fa/news/345678", true},
		{"eghtesad24 service", eg, "/fa/service/bazaar", "https://eghtesaad24.ir/fa/service/bazaar", false},
		{"eghtesad24 single a", eg, "https://eghtesad24.ir/fa/news/345678", "https://eghtesad24.ir/fa/news/345678", false},
		{"generic keeps its query", generic, "https://blog.example.com/post?id=7&utm_campaign=x&fbclid=y#c", "https://blog.example.com/post?id=7", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, article := Canonical(tt.outlet, tt.raw)
			if got != tt.want || article != tt.article {
				t.Errorf("Canonical(%q) = %q, %v; want %q, %v", tt.raw, got, article, tt.want, tt.article)
			}
		})
	}
}
