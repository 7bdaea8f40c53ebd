package bench

import (
	"testing"

	"mediadigest/internal/evalset"
)

// TestEvalQuality prints the quality table of the evaluation set and holds
// the generic reader at or above every peer on each field.
func TestEvalQuality(t *testing.T) {
	tab, n, err := EvalTable("..")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d pages:\n%s", n, tab.Markdown())
	for _, peer := range []string{"go-trafilatura", "go-trafilatura (precision)", "go-readability"} {
		for f := evalset.Title; f <= evalset.Clean; f++ {
			if ours, theirs := tab.Rate("mediadigest (generic)", f), tab.Rate(peer, f); ours < theirs {
				t.Errorf("%s: generic %.0f%%, below %s's %.0f%%", f, 100*ours, peer, 100*theirs)
			}
		}
	}
}
