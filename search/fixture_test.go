package search

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mediadigest/model"
	"mediadigest/store"
	"mediadigest/store/storetest"
)

// fixture is an article of testdata/articles.json: a stored article and
// its derived view, unless it is underived.
type fixture struct {
	URL        string    `json:"url"`
	Outlet     string    `json:"outlet"`
	Published  time.Time `json:"published"`
	Title      string    `json:"title"`
	Lead       string    `json:"lead"`
	Paragraphs []string  `json:"paragraphs"`
	Story      string    `json:"story"`
	Topics     []string  `json:"topics"`
	Underived  bool      `json:"underived"`
}

func loadFixtures(t testing.TB) []fixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "articles.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fs []fixture
	if err := json.Unmarshal(data, &fs); err != nil {
		t.Fatal(err)
	}
	return fs
}

// backends name a fresh, empty store of each kind.
var backends = []struct {
	name string
	dsn  func(t testing.TB) string
}{
	{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "mediadigest.db") }},
	{"postgres", storetest.Postgres},
}

// forEachBackend runs fn on a store of each kind holding the fixtures.
func forEachBackend(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	fs := loadFixtures(t)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			st := openStore(t, b.dsn(t))
			storeFixtures(t, st, fs)
			fn(t, st)
		})
	}
}

func openStore(t testing.TB, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

// storeFixtures stores the articles as a crawl does, then their derived
// views as a pass over them does.
func storeFixtures(t testing.TB, st *store.Store, fs []fixture) map[string]int64 {
	t.Helper()
	ctx := t.Context()
	ids := map[string]int64{}
	var derived []store.Derived
	for _, f := range fs {
		a := &model.Article{URL: f.URL, Outlet: f.Outlet, Title: f.Title, RawLead: f.Lead, Published: f.Published.UTC(), Raw: f.Paragraphs}
		if _, err := st.UpsertArticle(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
		ids[f.URL] = a.ID
		if !f.Underived {
			derived = append(derived, store.Derived{ID: a.ID, Story: f.Story, Topics: f.Topics,
				Clean: model.Clean{Lead: f.Lead, Paragraphs: f.Paragraphs}})
		}
	}
	if err := st.SaveDerived(ctx, derived); err != nil {
		t.Fatal(err)
	}
	return ids
}
