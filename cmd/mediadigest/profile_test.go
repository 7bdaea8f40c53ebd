package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mediadigest/internal/evalset"
	"mediadigest/profile"
)

// TestProfileSuggest adds an outlet as an ops person would: profile
// suggest on three saved pages of YJC prints a profile that check accepts
// in a config and that extract reads the pages with; pages fetched from a
// URL give the article URL pattern; pages of several outlets are refused.
func TestProfileSuggest(t *testing.T) {
	set, err := evalset.Load(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	pagesOf := func(outlet string) []evalset.Page {
		var out []evalset.Page
		for _, p := range set.Pages {
			if p.Outlet == outlet {
				out = append(out, p)
			}
		}
		return out
	}
	dir := t.TempDir()
	yjc := pagesOf("yjc")
	var files []string
	for _, p := range yjc {
		f := filepath.Join(dir, p.File)
		if err := os.WriteFile(f, p.HTML, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}

	code, out, errs := runCmd(t, append([]string{"profile", "suggest", "-outlet", "yjc"}, files...)...)
	if code != 0 {
		t.Fatalf("profile suggest: exit %d\n%s", code, errs)
	}
	prof, err := profile.Parse("suggested.yaml", []byte(out))
	if err != nil {
		t.Fatalf("the output is no profile: %v\n%s", err, out)
	}
	if prof.ID != "yjc" || prof.Selectors.Body == "" || prof.Selectors.Title == "" || prof.ArticleURL != `^/fa/news/(\d+)(?:/[^?#]*)?$` || prof.Canonical != "/fa/news/{id}" {
		t.Errorf("suggested %+v", prof)
	}
	for _, want := range []string{"# confidence 1.00", "What `mediadigest extract` reads", "removed: marker: انتهای پیام/"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	profFile := filepath.Join(dir, "yjc.yaml")
	if err := os.WriteFile(profFile, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, strings.Replace(minimal, `{id: isna, profile: isna, base_url: "BASE"}`,
		`{id: yjc, profile: "`+profFile+`", base_url: "https://www.yjc.ir"}`, 1))
	if code, out, errs := runCmd(t, "check", "-config", cfg); code != 0 {
		t.Fatalf("check of a config with the suggested profile: exit %d\n%s%s", code, out, errs)
	}
	for i, p := range yjc {
		code, out, errs := runCmd(t, "extract", "-config", cfg, "-outlet", "yjc", files[i])
		if code != 0 {
			t.Fatalf("extract %s: exit %d\n%s", p.File, code, errs)
		}
		var a struct {
			Title      string    `json:"title"`
			Lead       string    `json:"lead"`
			Published  time.Time `json:"published"`
			Paragraphs []string  `json:"paragraphs"`
		}
		if err := json.Unmarshal([]byte(out), &a); err != nil {
			t.Fatal(err)
		}
		got := evalset.Check(p.Expect, evalset.Got{Title: a.Title, Lead: a.Lead, Paragraphs: a.Paragraphs, Published: a.Published})
		if m := got.Misses(); len(m) > 0 {
			t.Errorf("extract %s with the suggested profile: wrong %v", p.File, m)
		}
	}

	t.Run("URLs", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, p := range pagesOf("tabnak") {
				if strings.Contains(r.URL.Path, "/"+strings.TrimSuffix(strings.TrimPrefix(p.File, "tabnak-"), ".html")+"/") {
					w.Header().Set("Content-Type", "text/html; charset=utf-8")
					w.Write(p.HTML)
					return
				}
			}
			http.NotFound(w, r)
		}))
		defer srv.Close()
		var urls []string
		for _, p := range pagesOf("tabnak") {
			id := strings.TrimSuffix(strings.TrimPrefix(p.File, "tabnak-"), ".html")
			urls = append(urls, srv.URL+"/fa/news/"+id+"/عنوان-خبر")
		}
		code, out, errs := runCmd(t, append([]string{"profile", "suggest", "-outlet", "tabnak"}, urls...)...)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errs)
		}
		if !strings.Contains(out, `article_url: ^/fa/news/(\d+)(?:/[^?#]*)?$ # confidence 1.00`) {
			t.Errorf("no article URL pattern from the pages' URLs:\n%s", out)
		}
	})

	bad := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"pages of three outlets", []string{"profile", "suggest", files[0], filepath.Join("..", "..", "testdata", "eval", "pages", pagesOf("tabnak")[0].File),
			filepath.Join("..", "..", "testdata", "eval", "pages", pagesOf("tasnim")[0].File)}, 1, "not of one outlet"},
		{"two pages", append([]string{"profile", "suggest"}, files[:2]...), 2, "want 3 or more"},
		{"no subcommand", []string{"profile", files[0]}, 2, "want: profile suggest"},
		{"a missing file", []string{"profile", "suggest", files[0], files[1], filepath.Join(dir, "none.html")}, 1, "none.html"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := runCmd(t, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tt.code, tt.want, errs)
			}
		})
	}
}
