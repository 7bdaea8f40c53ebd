package dedupe

//go:generate go run ./internal/evalgen -base testdata/eval -sample testdata/eghtesad24-article.txt -out testdata/pairs.jsonl

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
	"time"
)

// evalPair is one line of testdata/pairs.jsonl, written by
// internal/evalgen.
type evalPair struct {
	ID   string  `json:"id"`
	Kind string  `json:"kind"`
	Same bool    `json:"same"`
	A    evalDoc `json:"a"`
	B    evalDoc `json:"b"`
}

type evalDoc struct {
	URL        string    `json:"url"`
	Published  time.Time `json:"published"`
	Paragraphs []string  `json:"paragraphs"`
}

func (d evalDoc) doc() Doc {
	return Doc{ID: d.URL, Published: d.Published, Paragraphs: d.Paragraphs}
}

// TestEvaluation measures story detection on the labelled pairs: each pair
// goes into a fresh index, and is one story when both get the same id.
func TestEvaluation(t *testing.T) {
	f, err := os.Open("testdata/pairs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var tp, fp, fn, n int
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var p evalPair
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("pairs.jsonl:%d: %v", n+1, err)
		}
		n++
		ix := NewIndex(IndexOptions{})
		got := ix.Add(p.A.doc()) == ix.Add(p.B.doc())
		switch {
		case got && p.Same:
			tp++
		case got:
			fp++
			t.Logf("false positive: %s", p.ID)
		case p.Same:
			fn++
			t.Logf("false negative: %s", p.ID)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 150 {
		t.Fatalf("%d pairs, want at least 150", n)
	}
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	t.Logf("%d pairs: precision %.4f, recall %.4f (%d true positives, %d false positives, %d false negatives)", n, precision, recall, tp, fp, fn)
	if precision < 0.99 || recall < 0.95 {
		t.Errorf("precision %.4f, recall %.4f; want at least 0.99 and 0.95", precision, recall)
	}
}
