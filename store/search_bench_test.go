package store

import (
	"path/filepath"
	"testing"

	"mediadigest/internal/corpus"
	"mediadigest/model"
	"mediadigest/persian"
)

// BenchmarkSaveDerived measures storing the derived views of 2,000
// generated articles in batches of 500, as a pass over them does: with
// the search index, what indexing costs the pass (BENCHMARKS.md).
//
//	go test ./store -run '^$' -bench SaveDerived -benchtime 5x
func BenchmarkSaveDerived(b *testing.B) {
	const n, batch = 2000, 500
	c := corpus.Generate(n, 1)
	pages := make([]corpus.Page, n)
	for i := range pages {
		pages[i] = c.Text(i)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		s, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		var derived []Derived
		for _, p := range pages {
			a := &model.Article{URL: p.URL, Outlet: p.Outlet, Title: p.Title, RawLead: p.Lead, Published: p.Published.UTC(), Raw: p.Expected}
			if _, err := s.UpsertArticle(b.Context(), a, nil); err != nil {
				b.Fatal(err)
			}
			paras := make([]string, len(p.Expected))
			for k, t := range p.Expected {
				paras[k] = persian.Display(t)
			}
			derived = append(derived, Derived{ID: a.ID, Story: p.URL, Topics: []string{"economy"},
				Clean: model.Clean{Lead: persian.Display(p.Lead), Paragraphs: paras}})
		}
		b.StartTimer()
		for i := 0; i < n; i += batch {
			if err := s.SaveDerived(b.Context(), derived[i:i+batch]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		s.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1000, "µs/article")
}
