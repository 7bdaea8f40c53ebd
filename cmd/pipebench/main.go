// Command pipebench measures the whole pipeline: it serves a generated
// corpus of n articles on loopback as the two outlets, backfills both from
// their archives (delay 0, parallelism 4, as the demo config) through
// extraction, cleaning, classification and stories into a new SQLite
// file, and prints the rate and the peak memory:
//
//	go run ./cmd/pipebench -n 10000
//	go run ./cmd/pipebench -n 100000
//
// The backfill runs as the command line would: ISNA's days, then
// Eghtesad24's, each ending with the recomputation of the derived views
// over everything stored. The corpus server runs in the same process, so
// its work (about 0.3 ms a page) and memory are part of the figures.
//
// With -store postgres://… (an empty database) and -procs N, N processes
// of this command backfill the same days into PostgreSQL at once, as N
// backfill commands would, splitting the days through their leases:
//
//	go run ./cmd/pipebench -n 10000 -store postgres://… -procs 3
//
// The corpus server then stays in this process; the CPU figures count this
// process and its children, not the PostgreSQL server.
package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
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
	dsn := flag.String("store", "", "backfill into this store instead, an empty PostgreSQL database (`postgres://…`)")
	procs := flag.Int("procs", 1, "with -store: backfill in `N` processes at once")
	base := flag.String("child", "", "run as one of the -procs processes, backfilling from the corpus at `URL` (internal)")
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
	b := bench{n: *n, seed: *seed, dir: *dir, dsn: *dsn, procs: *procs}
	var err error
	if *base != "" {
		err = b.child(context.Background(), os.Stdout, *base)
	} else {
		err = b.run(context.Background(), os.Stdout)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "pipebench:", err)
		os.Exit(1)
	}
}

// bench is one measurement.
type bench struct {
	n     int
	seed  int64
	dir   string // of the SQLite store, and of the children's demo config
	dsn   string // PostgreSQL store; "" for SQLite in dir
	procs int
}

func (b bench) run(ctx context.Context, w io.Writer) error {
	if b.dir == "" {
		tmp, err := os.MkdirTemp("", "pipebench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		b.dir = tmp
	}
	c := corpus.Generate(b.n, b.seed)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close below
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	cfg, st, err := b.open(ctx, base)
	if err != nil {
		return err
	}
	defer st.Close()
	if stored, err := st.CountArticles(ctx); err != nil || stored != 0 {
		return cmp.Or(err, fmt.Errorf("store %s holds %d articles: give an empty database", st, stored))
	}
	first, last := c.Days()
	fmt.Fprintf(w, "%d articles (seed %d) over %s–%s; store %s; %d process(es)\n", b.n, b.seed, first, last, st, b.procs)

	cpu0 := cpuTime()
	start := time.Now()
	if b.dsn == "" {
		p, err := pipeline.New(cfg, st, pipeline.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			return err
		}
		if err := backfill(ctx, w, p, cfg, first, last); err != nil {
			return err
		}
	} else if err := b.children(ctx, w, base); err != nil {
		return err
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	stored, err := st.CountArticles(ctx)
	if err != nil {
		return err
	}
	if stored != b.n {
		return fmt.Errorf("%d articles stored, want %d", stored, b.n)
	}
	size := "?"
	if b.dsn == "" {
		total := 0
		if files, err := filepath.Glob(cfg.Store + "*"); err == nil {
			for _, f := range files {
				if fi, err := os.Stat(f); err == nil {
					total += int(fi.Size())
				}
			}
		}
		size = fmt.Sprintf("%.0f MiB", float64(total)/(1<<20))
	}
	fmt.Fprintf(w, "stored %d articles in %s: %.0f articles/s (%.0f per CPU-second, %.1f cores busy); peak RSS %s; store %s\n",
		stored, elapsed.Round(time.Millisecond), float64(stored)/elapsed.Seconds(), float64(stored)/cpu.Seconds(),
		cpu.Seconds()/elapsed.Seconds(), peakRSS(), size)
	return nil
}

// open returns the demo config over the corpus at base, with the store of
// b, and opens that store.
func (b bench) open(ctx context.Context, base string) (*config.Config, *store.Store, error) {
	cfg, err := config.Demo(base, base, b.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	if b.dsn != "" {
		cfg.Store = b.dsn
	}
	st, err := store.Open(ctx, cfg.Store)
	return cfg, st, err
}

// children runs b.procs copies of this command as backfilling children
// and waits for them all.
func (b bench) children(ctx context.Context, w io.Writer, base string) error {
	errs := make(chan error, b.procs)
	for i := range b.procs {
		cmd := exec.CommandContext(ctx, os.Args[0], "-child", base, "-store", b.dsn, "-dir", b.dir,
			"-n", fmt.Sprint(b.n), "-seed", fmt.Sprint(b.seed))
		cmd.Stderr = os.Stderr
		out := &prefixed{w: w, prefix: fmt.Sprintf("[%d] ", i+1)}
		cmd.Stdout = out
		go func() { errs <- cmd.Run() }()
	}
	var all []error
	for range b.procs {
		all = append(all, <-errs)
	}
	return errors.Join(all...)
}

// child is one of the -procs processes: it backfills both outlets from the
// corpus at base, skipping the days the others hold.
func (b bench) child(ctx context.Context, w io.Writer, base string) error {
	cfg, st, err := b.open(ctx, base)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := pipeline.New(cfg, st, pipeline.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	first, last := corpus.Generate(b.n, b.seed).Days()
	return backfill(ctx, w, p, cfg, first, last)
}

// backfill backfills every outlet over the corpus's days, as the backfill
// command would, one outlet after the other.
func backfill(ctx context.Context, w io.Writer, p *pipeline.Pipeline, cfg *config.Config, first, last jalali.Date) error {
	for _, id := range cfg.OutletIDs() {
		t := time.Now()
		stats, err := p.Backfill(ctx, id, first, last, &progress{w: w, outlet: id})
		if err != nil {
			return fmt.Errorf("backfill %s: %w", id, err)
		}
		fmt.Fprintf(w, "%s: %d new, %d failed in %s\n", id, stats.New, stats.Failed, time.Since(t).Round(time.Millisecond))
	}
	return nil
}

// prefixed writes each line with a prefix, whole lines at a time.
type prefixed struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixed) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if _, err := fmt.Fprintf(p.w, "%s%s", p.prefix, p.buf[:i+1]); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
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
	// On a shared store a process that is not the last to finish leaves
	// the derived views to the last one, and spends no time here.
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

// cpuTime is the user and system time of this process and of its
// children that ended.
func cpuTime() time.Duration {
	var total time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err == nil {
			total += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return total
}
