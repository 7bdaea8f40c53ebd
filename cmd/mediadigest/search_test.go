package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestSearchCommand: on the store the demo filled, the sample story that
// Eghtesad24 republished from ISNA is found whatever the spacing of the
// query, as one story with both articles; bad input exits 2 with a clear
// message and never a database error.
func TestSearchCommand(t *testing.T) {
	cfg := writeDemoConfig(t, demo(t))
	// The demo's outlets are served on loopback: the paths name the pages.
	const isna, egh = "/news/1405090500940", "/fa/news/312480"

	// ISNA writes «همکاری‌های» and «رئیس‌جمهور» with ZWNJs; Eghtesad24's
	// copy «همکاری های», «همکاریهای» and «رئیسجمهور».
	for _, q := range []string{"همکاری‌های تهران و باکو", "همکاریهای تهران و باکو", "همکاری های تهران و باکو", "رئیس‌جمهور آذربایجان"} {
		code, out, errs := runCmd(t, "search", "-config", cfg, "-json", q)
		if code != 0 {
			t.Fatalf("search %q: exit %d\n%s", q, code, errs)
		}
		var hits []hitJSON
		for line := range strings.Lines(out) {
			var h hitJSON
			if err := json.Unmarshal([]byte(line), &h); err != nil {
				t.Fatalf("search %q: line %q: %v", q, line, err)
			}
			hits = append(hits, h)
		}
		i := slices.IndexFunc(hits, func(h hitJSON) bool {
			return slices.ContainsFunc(h.Articles, func(a articleJSON) bool { return strings.HasSuffix(a.URL, isna) })
		})
		if i < 0 {
			t.Errorf("search %q: the story is not among %d hits:\n%s", q, len(hits), out)
			continue
		}
		h := hits[i]
		var got []string
		for _, a := range h.Articles {
			if a.Title == "" || a.Published.IsZero() || a.Outlet == "" {
				t.Errorf("search %q: article without its title, time or outlet: %+v", q, a)
			}
			got = append(got, a.URL)
			if !a.Matched {
				t.Errorf("search %q: %s does not match", q, a.URL)
			}
		}
		if h.Story == "" || h.Outlets != 2 || len(got) != 2 || !strings.HasSuffix(got[0], isna) || !strings.HasSuffix(got[1], egh) {
			t.Errorf("search %q: story %q in %d outlets with %q; want ISNA's then Eghtesad24's", q, h.Story, h.Outlets, got)
		}
	}

	// The query may come before the flags; the text output marks what
	// matched and names the other copy.
	code, out, errs := runCmd(t, "search", "-config", cfg, "همکاریهای", "تهران", "-outlet", "eghtesad24")
	if code != 0 || !strings.Contains(out, "**همکاری های تهران-**") || !strings.Contains(out, "in 2 outlet(s)") ||
		!strings.Contains(out, "also isna") || !strings.Contains(out, egh) {
		t.Errorf("text output: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, _ := runCmd(t, "search", "-config", cfg, "آتشفشان"); code != 0 || !strings.Contains(out, "no stories match") {
		t.Errorf("no match: exit %d\n%s", code, out)
	}
	// A word after the query that starts with "-" excludes it.
	if code, out, errs := runCmd(t, "search", "-config", cfg, "باکو", "-همکاری", "-json"); code != 0 || strings.Contains(out, isna) {
		t.Errorf("excluded word: exit %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCmd(t, "search", "-config", cfg, "-rebuild")
	if code != 0 || !strings.Contains(out, "rebuilt: 36 articles") {
		t.Errorf("-rebuild: exit %d\n%s\n%s", code, out, errs)
	}
	// -rebuild has merged the index already.
	code, out, errs = runCmd(t, "search", "-config", cfg, "-optimize")
	if code != 0 || !strings.Contains(out, "one segment already, nothing to merge") {
		t.Errorf("-optimize: exit %d\n%s\n%s", code, out, errs)
	}
	if code, out, _ := runCmd(t, "search", "-config", cfg, "باکو"); code != 0 || !strings.Contains(out, "in 2 outlet(s)") {
		t.Errorf("a search after -optimize: exit %d\n%s", code, out)
	}

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no query", nil, "the query is empty"},
		{"punctuation only", []string{`"*(:^)"`}, "no letter or digit"},
		{"only exclusions", []string{"--", "-باکو"}, "only excludes"},
		{"10 KB", []string{strings.Repeat("باکو ", 2048)}, "at most 256"},
		{"dates backwards", []string{"باکو", "-from", "1405/09/05", "-to", "2026-11-25"}, "before it starts"},
		{"a date in no known form", []string{"باکو", "-from", "yesterday"}, "cannot read day"},
		{"page past the last", []string{"باکو", "-page", "1000000000"}, "past the last page"},
		{"page zero", []string{"باکو", "-page", "0"}, "pages count from 1"},
		{"unknown outlet", []string{"باکو", "-outlet", "bbc"}, `no outlet "bbc"`},
		{"unknown topic", []string{"باکو", "-topic", "sport"}, `no topic "sport"`},
		{"rebuild with a query", []string{"-rebuild", "باکو"}, "take no query"},
		{"rebuild and optimize", []string{"-rebuild", "-optimize"}, "one of them at a time"},
		{"bad flag after the query", []string{"باکو", "-nope"}, "not defined"},
		{"flag without its value", []string{"باکو", "-outlet"}, "needs an argument"},
		{"bad value after the query", []string{"باکو", "-page", "two"}, "invalid value"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCmd(t, append([]string{"search", "-config", cfg}, tt.args...)...)
			if code != 2 || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, want 2 naming %q\nstdout: %s\nstderr: %s", code, tt.want, out, errs)
			}
			if low := strings.ToLower(errs); strings.Contains(low, "sql") || strings.Contains(low, "fts5") || strings.Contains(low, "panic") {
				t.Errorf("stderr speaks of the database: %s", errs)
			}
		})
	}
}
