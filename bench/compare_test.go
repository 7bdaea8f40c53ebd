package bench

import (
	"flag"
	"sync"
	"testing"

	"mediadigest/internal/corpus"
)

var pagesFlag = flag.Int("pages", 1000, "generated pages each benchmark extracts per op")

var (
	pagesOnce sync.Once
	pageSet   []corpus.Page
)

// pages returns the benchmarks' pages, generated once.
func pages(n int) []corpus.Page {
	pagesOnce.Do(func() {
		c := corpus.Generate(n, 1)
		pageSet = make([]corpus.Page, n)
		for i := range pageSet {
			pageSet[i] = c.Page(i)
		}
	})
	return pageSet
}

func TestCompare(t *testing.T) {
	tests := []struct {
		got, want string
		score     Score
	}{
		{"a b c", "a b c", Score{1, 1, 1}},
		{"a b c d", "a b", Score{0.5, 1, 2.0 / 3}},
		{"a", "a b c d", Score{1, 0.25, 0.4}},
		{"a a", "a", Score{0.5, 1, 2.0 / 3}},
		{"x", "a", Score{}},
		{"", "a", Score{}},
		{"", "", Score{1, 1, 1}},
		// Matching forms: Arabic yeh, ZWNJ and Persian digits fold.
		{"همكاري‌هاي ۱۲", "همکاری های 12", Score{1, 1, 1}},
	}
	for _, tt := range tests {
		got := Compare(tt.got, tt.want)
		if diff(got.Precision, tt.score.Precision) || diff(got.Recall, tt.score.Recall) || diff(got.F1, tt.score.F1) {
			t.Errorf("Compare(%q, %q) = %+v, want %+v", tt.got, tt.want, got, tt.score)
		}
	}
}

func diff(a, b float64) bool { return a-b > 1e-9 || b-a > 1e-9 }

// TestOursIsCleanest holds the extraction to the quality target on
// a sample: F1 of at least 0.98, above both peers.
func TestOursIsCleanest(t *testing.T) {
	ps := pages(*pagesFlag)[:200]
	exs, err := Extractors()
	if err != nil {
		t.Fatal(err)
	}
	var ours Result
	for i, ex := range exs {
		r, err := Run(ex, ps)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: precision %.4f, recall %.4f, F1 %.4f", r.Name, r.Precision, r.Recall, r.F1)
		if i == 0 {
			ours = r
			if r.F1 < 0.98 {
				t.Errorf("%s: F1 %.4f, want ≥ 0.98", r.Name, r.F1)
			}
			continue
		}
		if r.F1 >= ours.F1 {
			t.Errorf("%s: F1 %.4f, not below ours (%.4f)", r.Name, r.F1, ours.F1)
		}
	}
}

func BenchmarkOurs(b *testing.B)                 { benchmark(b, 0) }
func BenchmarkTrafilatura(b *testing.B)          { benchmark(b, 1) }
func BenchmarkTrafilaturaPrecision(b *testing.B) { benchmark(b, 2) }
func BenchmarkReadability(b *testing.B)          { benchmark(b, 3) }

// benchmark runs extractor k over the pages once per op and reports
// pages/s, and pages per CPU-second of the process (other load on the
// machine changes it less); run with -cpu 1 for a per-core rate.
func benchmark(b *testing.B, k int) {
	ps := pages(*pagesFlag)
	exs, err := Extractors()
	if err != nil {
		b.Fatal(err)
	}
	cpu0, err := cpuTime()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := exs[k].Batch(ps); err != nil {
			b.Fatal(err)
		}
	}
	cpu1, err := cpuTime()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*len(ps))/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(b.N*len(ps))/(cpu1-cpu0).Seconds(), "pages/CPU-s")
	b.ReportMetric(0, "ns/op")
}
