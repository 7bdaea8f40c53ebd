// Command evalquality reads the evaluation set (testdata/eval: article
// pages in the markup of twelve Persian outlets) with mediadigest's
// generic reader, its profiles, go-trafilatura and go-readability, and
// prints the per-field accuracy of each as a Markdown table:
//
//	cd bench && go run ./cmd/evalquality
package main

import (
	"flag"
	"fmt"
	"os"

	"mediadigest/bench"
)

func main() {
	root := flag.String("root", "..", "the repository root")
	flag.Parse()
	tab, n, err := bench.EvalTable(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "evalquality:", err)
		os.Exit(1)
	}
	fmt.Printf("Per-field accuracy over the %d pages of testdata/eval (a reader's share of the pages it read right):\n\n%s", n, tab.Markdown())
}
