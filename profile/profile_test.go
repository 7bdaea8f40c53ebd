package profile

import (
	"regexp"
	"strings"
	"testing"
)

func TestBuiltinProfilesLoad(t *testing.T) {
	ids := BuiltinIDs()
	if strings.Join(ids, ",") != "eghtesad24,generic,isna" {
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
		{"bad regexp", "id: x\narticle_url: '(('\n", "article_url"},
		{"no id", "article_url: a\n", "id is required"},
		{"bad calendar", "id: x\narticle_url: a\narchive: {calendar: lunar}\n", "archive.calendar"},
		{"bad alias", "id: x\narticle_url: a\ncanonical: /{id}\narticle_aliases: ['((']\n", "article_aliases"},
		{"alias without canonical", "id: x\narticle_url: a\narticle_aliases: [b]\n", "need canonical"},
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
