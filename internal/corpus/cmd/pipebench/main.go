// Command pipebench measures the whole pipeline: it serves a generated
// corpus of n articles on loopback as the two outlets, backfills both from
// their archives (delay 0, parallelism 4, as the demo config) through
// extraction, cleaning, classification and stories into a new SQLite
// file, and prints the rate and the peak memory:
//
//	go run ./internal/corpus/cmd/pipebench -n 10000
//	go run ./internal/corpus/cmd/pipebench -n 100000
//
// The backfill runs as the command line would: ISNA's days, then
// Eghtesad24's, each ending with the recomputation of the derived views
// over everything stored. The corpus server runs in the same process, so
// its work (about 0.3 ms a page) and memory are part of the figures.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"mediadigest/config"
	"mediadigest/internal/corpus"
	"mediadigest/jalali"
	"mediadigest/pipeline"
	"mediadigest/scrape"
	"mediadigest/store"
)

func main() {
	n := flag.Int("n", 10000, "articles in the corpus")
	seed := flag.Int64("seed", 1, "seed of the corpus")
	dir := flag.String("dir", "", "keep the SQLite file in `DIR` (default: a temporary directory, removed)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to `FILE`")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "pipebench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(context.Background(), os.Stdout, *n, *seed, *dir); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "pipebench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, n int, seed int64, dir string) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "pipebench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	c := corpus.Generate(n, seed)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close below
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	cfg, err := config.Demo(base, base, dir)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := pipeline.New(cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	first, last := c.Days()
	fmt.Fprintf(w, "%d articles (seed %d) over %s–%s; store %s\n", n, seed, first, last, cfg.Store)

	cpu0 := cpuTime()
	start := time.Now()
	for _, id := range cfg.OutletIDs() {
		t := time.Now()
		stats, err := p.Backfill(ctx, id, first, last, &progress{w: w, outlet: id})
		if err != nil {
			return fmt.Errorf("backfill %s: %w", id, err)
		}
		fmt.Fprintf(w, "%s: %d new, %d failed in %s\n", id, stats.New, stats.Failed, time.Since(t).Round(time.Millisecond))
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	stored, err := st.CountArticles(ctx)
	if err != nil {
		return err
	}
	if stored != n {
		return fmt.Errorf("%d articles stored, want %d", stored, n)
	}
	size := 0
	if files, err := filepath.Glob(cfg.Store + "*"); err == nil {
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil {
				size += int(fi.Size())
			}
		}
	}
	fmt.Fprintf(w, "stored %d articles in %s: %.0f articles/s (%.0f per CPU-second, %.1f cores busy); peak RSS %s; store %.0f MiB\n",
		stored, elapsed.Round(time.Millisecond), float64(stored)/elapsed.Seconds(), float64(stored)/cpu.Seconds(),
		cpu.Seconds()/elapsed.Seconds(), peakRSS(), float64(size)/(1<<20))
	return nil
}

// progress prints a line every tenth of the days, and how long the
// recomputation of the derived views took: Backfill runs it between the
// last day and Done.
type progress struct {
	w           io.Writer
	outlet      string
	total, done int
	lastDay     time.Time
}

func (p *progress) Start(total int) { p.total = total }

func (p *progress) Day(day jalali.Date, _ scrape.Stats, _ bool) {
	p.done++
	p.lastDay = time.Now()
	if p.done%max(1, p.total/10) == 0 {
		fmt.Fprintf(p.w, "  %s: day %s (%d/%d)\n", p.outlet, day, p.done, p.total)
	}
}

func (p *progress) Done() {
	fmt.Fprintf(p.w, "  %s: derived views of everything stored recomputed in %s\n", p.outlet, time.Since(p.lastDay).Round(time.Millisecond))
}

// peakRSS is the process's peak resident set (VmHWM), as Linux reports it.
func peakRSS() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
