package store

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"
)

func TestRawPages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		page, err := os.ReadFile("testdata/isna-article.html")
		if err != nil {
			t.Fatal(err)
		}
		fetched := time.Date(2026, 11, 26, 6, 45, 0, 0, time.UTC)
		const isnaURL = "https://www.isna.ir/news/1405090503127/"
		const e24URL = "https://eghtesaad24.ir/fa/news/301245/"
		save := func(url, outlet string, body []byte, fetched time.Time) {
			t.Helper()
			a := gasArticle(url, fetched)
			a.Outlet = outlet
			if _, err := s.SavePage(ctx, a, nil, &RawPage{Body: body, Fetched: fetched}); err != nil {
				t.Fatal(err)
			}
		}
		save(isnaURL, "isna", []byte("an older copy"), fetched.Add(-time.Hour))
		save(isnaURL, "isna", page, fetched)
		save(e24URL, "eghtesad24", []byte{}, fetched)

		got, err := s.RawPage(ctx, isnaURL)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, page) {
			t.Errorf("RawPage returned %d bytes, not the %d saved last", len(got), len(page))
		}
		var stored int
		if err := s.r.QueryRowContext(ctx, "SELECT length(body) FROM raw_pages WHERE url = ?", isnaURL).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored >= len(page)/2 {
			t.Errorf("stored %d bytes for a %d-byte page, want it compressed to less than half", stored, len(page))
		}
		if _, err := s.RawPage(ctx, "https://www.isna.ir/news/missing/"); !errors.Is(err, ErrNotFound) {
			t.Errorf("RawPage of a missing page = %v, want ErrNotFound", err)
		}

		tests := []struct {
			outlet string
			want   []string
		}{
			{"", []string{e24URL, isnaURL}},
			{"isna", []string{isnaURL}},
			{"eghtesad24", []string{e24URL}},
			{"other", nil},
		}
		for _, tt := range tests {
			var urls []string
			err := s.ForEachRawPage(ctx, tt.outlet, func(url string, body []byte) error {
				urls = append(urls, url)
				if url == isnaURL && !bytes.Equal(body, page) {
					t.Errorf("ForEachRawPage(%q) gave %d bytes for %s, want %d", tt.outlet, len(body), url, len(page))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(urls) != len(tt.want) || (len(urls) > 0 && (urls[0] != tt.want[0] || urls[len(urls)-1] != tt.want[len(tt.want)-1])) {
				t.Errorf("ForEachRawPage(%q) walked %q, want %q", tt.outlet, urls, tt.want)
			}
		}
	})
}

// TestSavePage: the page and its article are stored together, or, when
// the article is refused, neither is.
func TestSavePage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, s *Store, _ *fakeClock) {
		ctx := t.Context()
		body, err := os.ReadFile("testdata/isna-article.html")
		if err != nil {
			t.Fatal(err)
		}
		fetched := time.Date(2026, 11, 26, 6, 45, 0, 0, time.UTC)
		a := gasArticle("https://www.isna.ir/news/1405090503127/", fetched.Add(-time.Hour))
		out, err := s.SavePage(ctx, a, []string{"پاراگراف"}, &RawPage{Body: body, Fetched: fetched})
		if err != nil || out != OutcomeNew {
			t.Fatalf("SavePage = %q, %v; want new", out, err)
		}
		if got, err := s.RawPage(ctx, a.URL); err != nil || !bytes.Equal(got, body) {
			t.Errorf("RawPage = %d bytes, %v; want the %d saved", len(got), err, len(body))
		}
		if _, err := s.Article(ctx, a.URL); err != nil {
			t.Error(err)
		}

		bad := gasArticle("https://www.isna.ir/news/1405090503128/", fetched)
		bad.Raw = append(bad.Raw, "\xff not UTF-8")
		if _, err := s.SavePage(ctx, bad, nil, &RawPage{Body: body, Fetched: fetched}); err == nil {
			t.Fatal("an article with invalid UTF-8 was stored")
		}
		if _, err := s.RawPage(ctx, bad.URL); !errors.Is(err, ErrNotFound) {
			t.Errorf("the page of a refused article: %v, want ErrNotFound", err)
		}
	})
}
