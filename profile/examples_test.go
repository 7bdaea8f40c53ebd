package profile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mediadigest/profile"
	"mediadigest/scrape"
)

// TestMehrExampleProfile: the README's worked example adds a third outlet
// of ISNA's family with a profile file alone, and it reads a page of that
// family's markup.
func TestMehrExampleProfile(t *testing.T) {
	p, err := profile.Load("../examples/mehr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o := scrape.Outlet{ID: "mehr", BaseURL: "https://www.mehrnews.com", Profile: p}
	for raw, want := range map[string]string{
		"https://www.mehrnews.com/news/6012345/عنوان-خبر?utm_source=x": "https://www.mehrnews.com/news/6012345",
		"https://mehrnews.com/amp/6012345":                             "https://www.mehrnews.com/news/6012345",
	} {
		if got, ok := scrape.Canonical(o, raw); !ok || got != want {
			t.Errorf("Canonical(%s) = %s, %v; want %s", raw, got, ok, want)
		}
	}
	pages, _ := filepath.Glob("../testdata/outlets/isna/news/*.html")
	if len(pages) == 0 {
		t.Fatal("no ISNA-family sample pages")
	}
	body, err := os.ReadFile(pages[0])
	if err != nil {
		t.Fatal(err)
	}
	a, err := scrape.Extract(p, "https://www.mehrnews.com/news/6012345", body)
	if err != nil {
		t.Fatalf("the Mehr profile does not read an ISNA-family page: %v", err)
	}
	if a.Title == "" || len(a.Raw) < 3 || a.Published.IsZero() || !strings.Contains(strings.Join(a.Raw, " "), " ") {
		t.Errorf("extracted %+v", a)
	}
}
