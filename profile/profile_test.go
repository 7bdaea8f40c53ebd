package profile

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestBuiltinProfilesLoad(t *testing.T) {
	ids := BuiltinIDs()
	if strings.Join(ids, ",") != "eghtesad24,generic,iransamaneh,isna,tasnim" {
		t.Fatalf("built-in profiles = %v", ids)
	}
	for _, id := range ids {
		p, err := Load(id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if p.ID != id {
			t.Errorf("%s: id = %q", id, p.ID)
		}
	}
}

func TestArticleURLPatterns(t *testing.T) {
	tests := []struct {
		profile, path string
		want          bool
	}{
		{"isna", "/news/1405090401234/عنوان-خبر", true},
		{"isna", "/news/1405090401234", true},
		{"isna", "/news/140509040123", false}, // 12 digits
		{"isna", "/service/economy", false},
		{"eghtesad24", "/fa/news/312345/slug", true},
		{"eghtesad24", "/fa/news/312345", true},
		{"eghtesad24", "/fa/archive", false},
		{"iransamaneh", "/fa/news/818242/درخواست-سپنتا", true},
		{"tasnim", "/fa/news/1398/02/30/2015910/لیگ-قهرمانان-آسیا", true},
		{"tasnim", "/fa/news/1398/02/30/2015910", true},
		{"tasnim", "/fa/news/2015910", false},
	}
	for _, tt := range tests {
		p, err := Builtin(tt.profile)
		if err != nil {
			t.Fatal(err)
		}
		if got := regexp.MustCompile(p.ArticleURL).MatchString(tt.path); got != tt.want {
			t.Errorf("%s %s: match = %v, want %v", tt.profile, tt.path, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown key", "id: x\narticle_url: a\nselector: h1\n", `p.yaml:3: unknown key "selector"`},
		{"wrong type named by its key", "id: x\narticle_url: a\nfeeds: /rss\n", `p.yaml:3: feeds: want a list, got "/rss"`},
		{"bad regexp", "id: x\narticle_url: '(('\n", "article_url"},
		{"no id", "article_url: a\n", "id is required"},
		{"bad calendar", "id: x\narticle_url: a\narchive: {calendar: lunar}\n", "archive.calendar"},
		{"bad alias", "id: x\narticle_url: a\ncanonical: /{id}\narticle_aliases: ['((']\n", "article_aliases"},
		{"alias without canonical", "id: x\narticle_url: a\narticle_aliases: [b]\n", "need canonical"},
		{"unknown timezone", "id: x\narticle_url: a\ntimezone: Asia/Tehraan\n", `p.yaml: timezone "Asia/Tehraan": unknown time zone`},
		{"host's timezone", "id: x\narticle_url: a\ntimezone: Local\n", `p.yaml: timezone "Local": unknown time zone`},
		{"unknown builtin", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.yaml == "" {
				_, err := Load("tabnak")
				if err == nil || !strings.Contains(err.Error(), "isna") {
					t.Fatalf("unknown built-in should list the known ones: %v", err)
				}
				return
			}
			_, err := Parse("p.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestTimezone: page times are read in the profile's zone, Tehran unless
// it names another.
func TestTimezone(t *testing.T) {
	tests := []struct {
		name, yaml string
		offset     time.Duration // on 2026-11-18
	}{
		{"default", "id: x\narticle_url: a\n", 3*time.Hour + 30*time.Minute},
		{"Kabul", "id: x\narticle_url: a\ntimezone: Asia/Kabul\n", 4*time.Hour + 30*time.Minute},
		{"UTC", "id: x\narticle_url: a\ntimezone: UTC\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("p.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			_, off := time.Date(2026, 11, 18, 8, 45, 0, 0, p.Location()).Zone()
			if got := time.Duration(off) * time.Second; got != tt.offset {
				t.Errorf("offset %v, want %v", got, tt.offset)
			}
		})
	}
	for _, id := range BuiltinIDs() {
		p, err := Builtin(id)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Location().String(); got != DefaultTimezone {
			t.Errorf("%s: zone %s, want %s", id, got, DefaultTimezone)
		}
	}
	if got := (&Profile{}).Location().String(); got != DefaultTimezone {
		t.Errorf("unparsed profile: zone %s, want %s", got, DefaultTimezone)
	}
}
