// Command compare runs mediadigest's extraction and the peers (go-trafilatura,
// go-readability) over the same generated article pages and prints, for
// each, its speed and how close its body text is to the expected text:
//
//	cd bench && go run ./cmd/compare -n 1000
//
// The extractors run one after the other on one goroutine, with
// GOMAXPROCS set by -procs (default 1), so pages/s is a per-core rate;
// pages per CPU-second is the same rate measured on the process's CPU
// time, which other load on the machine changes less. They take turns for
// -rounds rounds, and each one's fastest round is reported, so a burst of
// load elsewhere on the machine hits one round of one extractor, not the
// comparison.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"text/tabwriter"

	"mediadigest/bench"
	"mediadigest/internal/corpus"
)

func main() {
	n := flag.Int("n", 1000, "pages to extract")
	seed := flag.Int64("seed", 1, "seed of the generated pages")
	procs := flag.Int("procs", 1, "GOMAXPROCS during the runs")
	rounds := flag.Int("rounds", 5, "runs of each extractor; the fastest counts")
	flag.Parse()
	if err := run(os.Stdout, *n, *seed, *procs, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, n int, seed int64, procs, rounds int) error {
	c := corpus.Generate(n, seed)
	pages := make([]corpus.Page, n)
	size := 0
	for i := range pages {
		pages[i] = c.Page(i)
		size += len(pages[i].HTML)
	}
	exs, err := bench.Extractors()
	if err != nil {
		return err
	}
	runtime.GOMAXPROCS(procs)
	fmt.Fprintf(w, "%d pages (seed %d, %.1f KiB on average), GOMAXPROCS=%d, best of %d rounds, %s\n\n",
		n, seed, float64(size)/float64(n)/1024, procs, rounds, runtime.Version())
	results := make([]bench.Result, len(exs))
	for round := range rounds {
		for i, ex := range exs {
			runtime.GC()
			r, err := bench.Run(ex, pages)
			if err != nil {
				return err
			}
			if round == 0 || r.CPU < results[i].CPU {
				results[i] = r
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "extractor\tpages/s\tpages/CPU-s\tours ×\tprecision\trecall\tF1\t")
	ours := results[0].PagesPerCPUSecond()
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.1f\t%.4f\t%.4f\t%.4f\t\n", r.Name, r.PagesPerSecond(), r.PagesPerCPUSecond(),
			ours/r.PagesPerCPUSecond(), r.Precision, r.Recall, r.F1)
	}
	return tw.Flush()
}
