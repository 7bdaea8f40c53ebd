package main

import (
	"encoding/json"
	"errors"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"mediadigest/model"
)

// vaeziTitle is the title of a demo story every subscriber of the demo
// store without a topic list sees.
const vaeziTitle = "واعظی بر گسترش همکاری‌های تهران و باکو تاکید کرد"

// demoTwoSubscribers writes a config over the demo's store with the
// subscribers analyst@example.com (every topic) and energy-desk@example.com
// (energy only).
func demoTwoSubscribers(t *testing.T) string {
	t.Helper()
	cfg := writeDemoConfig(t, demo(t))
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString("  - email: energy-desk@example.com\n    topics: [energy]\n")
	if err := errors.Join(err, f.Close()); err != nil {
		t.Fatal(err)
	}
	return cfg
}

var htmlTag = regexp.MustCompile(`<[a-zA-Z/!][^>]*>`)

// TestDigestFormats prints one subscriber's digest of the demo day in each
// format but json (TestUsageAndExitCodes covers it).
func TestDigestFormats(t *testing.T) {
	cfg := demoTwoSubscribers(t)
	tests := []struct {
		format string
		check  func(t *testing.T, out string)
	}{
		{"html", func(t *testing.T, out string) {
			for _, want := range []string{`<html lang="fa" dir="rtl">`, `<meta charset="utf-8">`, vaeziTitle, `<span dir="ltr">analyst@example.com</span>`} {
				if !strings.Contains(out, want) {
					t.Errorf("HTML lacks %q", want)
				}
			}
		}},
		{"text", func(t *testing.T, out string) {
			for _, want := range []string{"خلاصه اخبار\nپنجشنبه ۵ آذر ۱۴۰۵\n2026-11-26\n", "* " + vaeziTitle + "\n", "لغو اشتراک"} {
				if !strings.Contains(out, want) {
					t.Errorf("text lacks %q", want)
				}
			}
			if tag := htmlTag.FindString(out); tag != "" {
				t.Errorf("text holds markup %q", tag)
			}
			if strings.Contains(out, "&amp;") || strings.Contains(out, "&#") {
				t.Error("text holds HTML entities")
			}
		}},
		{"eml", func(t *testing.T, out string) {
			msg, err := mail.ReadMessage(strings.NewReader(out))
			if err != nil {
				t.Fatalf("eml does not parse: %v", err)
			}
			if to := msg.Header.Get("To"); !strings.Contains(to, "analyst@example.com") {
				t.Errorf("To = %q", to)
			}
			types, parts := mimeParts(t, msg)
			if !slices.Equal(types, []string{"text/plain", "text/html"}) {
				t.Fatalf("parts = %v, want text/plain then text/html", types)
			}
			if !strings.Contains(parts["text/plain"], vaeziTitle) || htmlTag.MatchString(parts["text/plain"]) {
				t.Errorf("text/plain part is not the plain digest:\n%s", parts["text/plain"])
			}
			if !strings.Contains(parts["text/html"], `<html lang="fa" dir="rtl">`) || !strings.Contains(parts["text/html"], vaeziTitle) {
				t.Error("text/html part is not the HTML digest")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			code, out, errs := runCmd(t, "digest", "-config", cfg, "-date", "1405/09/05", "-subscriber", "analyst@example.com", "-format", tt.format)
			if code != 0 {
				t.Fatalf("exit %d\nstderr: %s", code, errs)
			}
			tt.check(t, out)
		})
	}
}

// TestDigestOut writes every subscriber's digest into a directory, one file
// each, named EMAIL (@ as _at_) - DATE . EXT.
func TestDigestOut(t *testing.T) {
	cfg := demoTwoSubscribers(t)
	tests := []struct {
		format, ext string
		owner       func(t *testing.T, data []byte) string // whose digest the file is
	}{
		{"html", "html", footer},
		{"text", "txt", footer},
		{"eml", "eml", func(t *testing.T, data []byte) string {
			msg, err := mail.ReadMessage(strings.NewReader(string(data)))
			if err != nil {
				t.Fatalf("eml does not parse: %v", err)
			}
			to, err := mail.ParseAddress(msg.Header.Get("To"))
			if err != nil {
				t.Fatalf("To: %v", err)
			}
			return to.Address
		}},
		{"json", "json", func(t *testing.T, data []byte) string {
			var d model.Digest
			if err := json.Unmarshal(data, &d); err != nil {
				t.Fatal(err)
			}
			return d.Subscriber
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "digests")
			code, out, errs := runCmd(t, "digest", "-config", cfg, "-date", "1405/09/05", "-format", tt.format, "-out", dir)
			if code != 0 {
				t.Fatalf("exit %d\nstderr: %s", code, errs)
			}
			want := map[string]string{
				"analyst_at_example.com-2026-11-26." + tt.ext:     "analyst@example.com",
				"energy-desk_at_example.com-2026-11-26." + tt.ext: "energy-desk@example.com",
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if len(names) != len(want) {
				t.Fatalf("%s holds %v, want the %d files of %v", dir, names, len(want), want)
			}
			for name, sub := range want {
				file := filepath.Join(dir, name)
				if !strings.Contains(out, file+"\n") {
					t.Errorf("stdout does not list %s:\n%s", file, out)
				}
				data, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				if got := tt.owner(t, data); got != sub {
					t.Errorf("%s is the digest of %q, want %q", name, got, sub)
				}
			}
		})
	}
}

// footer returns the address the footer of an HTML or text digest names.
func footer(t *testing.T, data []byte) string {
	t.Helper()
	for _, sub := range []string{"analyst@example.com", "energy-desk@example.com"} {
		if strings.Contains(string(data), "نشانی <span dir=\"ltr\">"+sub+"</span>") || strings.Contains(string(data), "نشانی "+sub) {
			return sub
		}
	}
	t.Fatalf("no subscriber named in the footer of:\n%.300s", data)
	return ""
}
