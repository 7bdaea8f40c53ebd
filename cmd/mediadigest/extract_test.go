package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExtractFile reads saved pages as an outlet's profile does: the URL
// is the page's canonical link, empty lists print as [], and a page
// without the markup is an error naming the file.
func TestExtractFile(t *testing.T) {
	cfg := writeConfig(t, strings.Replace(minimal, "BASE", "https://www.isna.ir", 1))
	advert := filepath.Join("..", "..", "testdata", "outlets", "isna", "news", "1405090504402.html")
	code, out, errs := runCmd(t, "extract", "-config", cfg, "-outlet", "isna", advert)
	if code != 0 {
		t.Fatalf("extract: exit %d\n%s", code, errs)
	}
	var a map[string]any
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if a["url"] != "https://www.isna.ir/news/1405090504402" {
		t.Errorf("url %v, want the canonical link of the page", a["url"])
	}
	for _, k := range []string{"tags", "topics", "paragraphs", "removed"} {
		if _, ok := a[k].([]any); !ok {
			t.Errorf("%s is %v, want a list", k, a[k])
		}
	}

	blank := filepath.Join(t.TempDir(), "saved.html")
	if err := os.WriteFile(blank, []byte("<!DOCTYPE html><html><body><p>صفحه</p></body></html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs = runCmd(t, "extract", "-config", cfg, "-outlet", "isna", blank)
	if code != 1 || !strings.Contains(errs, blank) || !strings.Contains(errs, "no article title") {
		t.Errorf("extract of a page without the markup: exit %d, want 1 naming %s and what is missing\n%s", code, blank, errs)
	}
}
