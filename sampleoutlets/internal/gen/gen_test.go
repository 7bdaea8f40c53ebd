package gen

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/outlets from articles.yaml")

// outletsDir is the top-level testdata/outlets, seen from this package.
var outletsDir = filepath.Join("..", "..", "..", "testdata", "outlets")

// handWritten are files of testdata/outlets the generator does not own.
var handWritten = map[string]bool{"README.md": true}

func TestFilesMatchTestdata(t *testing.T) {
	want, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		for _, outlet := range []string{ISNA, Eghtesad24} {
			if err := os.RemoveAll(filepath.Join(outletsDir, outlet)); err != nil {
				t.Fatal(err)
			}
		}
		for name, data := range want {
			path := filepath.Join(outletsDir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	seen := map[string]bool{}
	err = fs.WalkDir(os.DirFS(outletsDir), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || handWritten[name] {
			return err
		}
		seen[name] = true
		got, err := os.ReadFile(filepath.Join(outletsDir, filepath.FromSlash(name)))
		if err != nil {
			return err
		}
		if w, ok := want[name]; !ok {
			t.Errorf("%s is not generated any more; run go test ./sampleoutlets/internal/gen -update", name)
		} else if !bytes.Equal(got, w) {
			t.Errorf("%s differs from the generator's output; run go test ./sampleoutlets/internal/gen -update", name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("%s is missing; run go test ./sampleoutlets/internal/gen -update", name)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	para := Block{Text: "پاراگراف"}
	good := func() *Article {
		return &Article{
			Outlet: ISNA, ID: "1405090400612", Published: time.Date(2026, 11, 25, 8, 15, 0, 0, tehran),
			Title: "عنوان", Lead: "لید", Section: "اقتصادی > بورس", Body: []Block{para, para, para, para},
		}
	}
	if err := validate(good()); err != nil {
		t.Fatalf("valid article rejected: %v", err)
	}
	tests := []struct {
		name   string
		change func(*Article)
		want   string
	}{
		{"ISNA id of another day", func(a *Article) { a.ID = "1405090500612" }, "Jalali date 1405/09/04"},
		{"ISNA id too short", func(a *Article) { a.ID = "140509040061" }, "13 digits"},
		{"Eghtesad24 id too long", func(a *Article) { a.Outlet, a.ID = Eghtesad24, "3124010" }, "6 digits"},
		{"unknown outlet", func(a *Article) { a.Outlet = "irna" }, "unknown outlet"},
		{"flat section", func(a *Article) { a.Section = "بورس" }, "group > subsection"},
		{"too few paragraphs", func(a *Article) { a.Body = a.Body[:3] }, "3 text paragraphs"},
		{"no title", func(a *Article) { a.Title = "" }, "required"},
		{"body element of two kinds", func(a *Article) { a.Body[1].Promo = "1405090400612" }, "body element 2 sets 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := good()
			tt.change(a)
			err := validate(a)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("validate = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestJalaliOfSampleDays(t *testing.T) {
	tests := []struct {
		t         time.Time
		isna, egh string
		archive   string
		dayKey    string
	}{
		// 00:10 Tehran on 1405/09/05 is still the 25th in UTC.
		{time.Date(2026, 11, 25, 20, 40, 0, 0, time.UTC), "5 آذر 1405 / 00:10", "۰۰:۱۰ - ۵ آذر ۱۴۰۵", "پنجشنبه ۵ آذر ۱۴۰۵ - ۰۰:۱۰", "1405-9-5"},
		{time.Date(2026, 11, 25, 20, 20, 0, 0, time.UTC), "4 آذر 1405 / 23:50", "۲۳:۵۰ - ۴ آذر ۱۴۰۵", "چهارشنبه ۴ آذر ۱۴۰۵ - ۲۳:۵۰", "1405-9-4"},
		{time.Date(2026, 3, 21, 0, 0, 0, 0, tehran), "1 فروردین 1405 / 00:00", "۰۰:۰۰ - ۱ فروردین ۱۴۰۵", "شنبه ۱ فروردین ۱۴۰۵ - ۰۰:۰۰", "1405-1-1"},
	}
	for _, tt := range tests {
		d := jalaliOf(tt.t)
		if got := d.isnaDate(); got != tt.isna {
			t.Errorf("isnaDate(%v) = %q, want %q", tt.t, got, tt.isna)
		}
		if got := d.eghDate(); got != tt.egh {
			t.Errorf("eghDate(%v) = %q, want %q", tt.t, got, tt.egh)
		}
		if got := d.isnaArchiveTime(); got != tt.archive {
			t.Errorf("isnaArchiveTime(%v) = %q, want %q", tt.t, got, tt.archive)
		}
		if got := d.dayKey(); got != tt.dayKey {
			t.Errorf("dayKey(%v) = %q, want %q", tt.t, got, tt.dayKey)
		}
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ title, want string }{
		{"قیمت نفت برنت از ۷۰ دلار گذشت", "قیمت-نفت-برنت-از-۷۰-دلار-گذشت"},
		{"رئیس‌جمهور: مهار تورم اولویت نخست دولت است", "رئیس-جمهور-مهار-تورم-اولویت-نخست-دولت-است"},
		{"زلزله ۴.۱ ریشتری حوالی نیشابور", "زلزله-۴-۱-ریشتری-حوالی-نیشابور"},
	}
	for _, tt := range tests {
		if got := slug(tt.title); got != tt.want {
			t.Errorf("slug(%q) = %q, want %q", tt.title, got, tt.want)
		}
	}
}
