// Command searchbench measures the desk's search (package search) over a
// SQLite store of n generated articles (internal/corpus), written straight
// into the store with their derived views as a pass would leave them:
//
//	go run ./cmd/searchbench -n 1000000 -dir /var/tmp/searchbench
//
// It prints how long filling the store took, the size of the search index
// against the stored clean text, and the latency of three classes of
// queries (one word, two words, a phrase; common words included), first
// page newest first as the desk shows it, then by relevance. With -dir the
// store is kept, and a later run with the same -n and -seed measures it
// again without filling it (a store with fewer articles is completed);
// with -optimize, after merging its index into one segment as the
// daemon's search merge does (merge.go: how long, and how long a writer
// beside it waits); with -day as well, once a day of crawls has added
// its articles after the merge, as the store is between two merges. With -peer it times the same
// queries on SQLite FTS5 ranked by its bm25, over the same index (peer.go).
package main

import (
	"cmp"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"mediadigest/internal/corpus"
	"mediadigest/model"
	"mediadigest/persian"
	"mediadigest/search"
	"mediadigest/store"
)

func main() {
	n := flag.Int("n", 100000, "articles in the store")
	seed := flag.Int64("seed", 1, "seed of the corpus and of the queries")
	dir := flag.String("dir", "", "keep the store in `DIR` (default: a temporary directory, removed)")
	perClass := flag.Int("queries", 100, "queries of each class")
	runs := flag.Int("runs", 3, "time each query `N` times and keep the fastest: the machine is shared")
	optimize := flag.Bool("optimize", false, "merge the index into one segment (store.OptimizeSearchIndex) before measuring")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to `FILE`")
	orders := flag.String("order", "newest,relevance", "the orders to measure, newest and/or relevance")
	withPeer := flag.Bool("peer", false, "measure the peer too: FTS5 ranked by bm25 over the same index")
	day := flag.Bool("day", false, "add a day of articles as the crawls would, a few a transaction, before measuring (after the merge, with -optimize)")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "searchbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	b := bench{n: *n, seed: *seed, dir: *dir, perClass: *perClass, runs: *runs, optimize: *optimize, day: *day, orders: strings.Split(*orders, ","), peer: *withPeer,
		log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	if err := b.run(context.Background(), os.Stdout); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "searchbench:", err)
		os.Exit(1)
	}
}

type bench struct {
	n        int
	seed     int64
	dir      string
	perClass int
	runs     int
	optimize bool
	day      bool
	orders   []string
	peer     bool
	log      *slog.Logger
}

func (b bench) run(ctx context.Context, w io.Writer) error {
	if b.dir == "" {
		tmp, err := os.MkdirTemp("", "searchbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		b.dir = tmp
	}
	path := filepath.Join(b.dir, fmt.Sprintf("search-%d-%d.db", b.n, b.seed))
	st, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	c := corpus.Generate(b.n, b.seed)
	if err := b.fill(ctx, w, st, c); err != nil {
		return err
	}
	if b.optimize {
		if err := mergeIndex(ctx, w, st, path); err != nil {
			return err
		}
	}
	if b.day {
		if err := b.crawlDay(ctx, w, st); err != nil {
			return err
		}
	}
	if err := sizes(ctx, w, path); err != nil {
		return err
	}
	classes := queries(c, b.seed, b.perClass)
	e := search.New(st, search.Options{})
	for _, name := range b.orders {
		order := search.Newest
		if name == "relevance" {
			order = search.Relevance
		}
		fmt.Fprintf(w, "\nfirst page, %d hits, order %q (each query run once to warm up, then the fastest of %d runs; load %s):\n",
			search.DefaultPerPage, cmp.Or(string(order), "newest"), b.runs, loadAverage())
		fmt.Fprintf(w, "%-10s %7s %8s %8s %8s %8s %10s\n", "class", "queries", "p50", "p95", "max", "mean", "capped")
		for _, cl := range classes {
			if err := measure(ctx, w, e, cl, order, b.runs); err != nil {
				return err
			}
		}
	}
	if !b.peer {
		return nil
	}
	p, err := openPeer(path)
	if err != nil {
		return err
	}
	defer p.db.Close()
	fmt.Fprintf(w, "\npeer: FTS5 ranked by bm25 over the same index, first %d articles, no stories, no snippets (the fastest of %d runs; load %s):\n",
		search.DefaultPerPage, b.runs, loadAverage())
	fmt.Fprintf(w, "%-10s %7s %8s %8s %8s %8s\n", "class", "queries", "p50", "p95", "max", "mean")
	for _, cl := range classes {
		if err := measurePeer(ctx, w, p, cl, b.runs); err != nil {
			return err
		}
	}
	return nil
}

// fill writes the articles the store lacks, a batch at a time: each
// article as a crawl stores it, then the batch's derived views as a pass
// saves them (which indexes them).
func (b bench) fill(ctx context.Context, w io.Writer, st *store.Store, c *corpus.Corpus) error {
	have, err := st.CountArticles(ctx)
	if err != nil {
		return err
	}
	if have >= b.n {
		fmt.Fprintf(w, "store holds %d articles already\n", have)
		return nil
	}
	const batch = 500
	start := time.Now()
	var upsert, derive time.Duration
	pages := generate(c, have, b.n)
	for i := have; i < b.n; i += batch {
		t := time.Now()
		derived, err := storeArticles(ctx, st, pages, min(batch, b.n-i))
		if err != nil {
			return err
		}
		upsert += time.Since(t)
		t = time.Now()
		if err := st.SaveDerived(ctx, derived); err != nil {
			return err
		}
		derive += time.Since(t)
		if done := i + batch - have; done%(max(b.n/20, batch)) < batch {
			b.log.Info("filling", "articles", i+batch, "elapsed", time.Since(start).Round(time.Second))
		}
	}
	fmt.Fprintf(w, "filled %d articles in %s (%.0f/s): storing articles %s, derived views with their index %s\n",
		b.n-have, time.Since(start).Round(time.Second), float64(b.n-have)/time.Since(start).Seconds(),
		upsert.Round(time.Second), derive.Round(time.Second))
	return nil
}

// generate builds pages from..to-1 on every core, in order.
func generate(c *corpus.Corpus, from, to int) <-chan corpus.Page {
	const ahead = 64
	out := make(chan corpus.Page, 1024)
	go func() {
		defer close(out)
		for lo := from; lo < to; lo += ahead {
			hi := min(lo+ahead, to)
			ps := make([]corpus.Page, hi-lo)
			var wg sync.WaitGroup
			for k := range 2 {
				wg.Go(func() {
					for i := lo + k; i < hi; i += 2 {
						ps[i-lo] = c.Text(i)
					}
				})
			}
			wg.Wait()
			for _, p := range ps {
				out <- p
			}
		}
	}()
	return out
}

// storeArticles stores the next n pages as a crawl stores articles, and
// returns the derived views a pass would save for them.
func storeArticles(ctx context.Context, st *store.Store, pages <-chan corpus.Page, n int) ([]store.Derived, error) {
	derived := make([]store.Derived, 0, n)
	for range n {
		p := <-pages
		a := &model.Article{URL: p.URL, Outlet: p.Outlet, Title: p.Title, RawLead: p.Lead, Published: p.Published.UTC(),
			FirstSeen: p.Published.UTC(), Raw: p.Expected}
		if _, err := st.UpsertArticle(ctx, a, nil); err != nil {
			return nil, err
		}
		derived = append(derived, store.Derived{ID: a.ID, Story: storyOf(p), Topics: topicsOf(p.Index),
			Clean: model.Clean{Lead: persian.Display(p.Lead), Paragraphs: display(p.Expected)}})
	}
	return derived, nil
}

func display(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = persian.Display(p)
	}
	return out
}

// storyOf is the story of a page: its original's for a copy.
func storyOf(p corpus.Page) string {
	if p.CopyOf >= 0 {
		return fmt.Sprintf("s%016x", p.CopyOf)
	}
	return fmt.Sprintf("s%016x", p.Index)
}

var topicIDs = []string{"economy", "energy", "markets", "politics", "society", "world"}

// topicsOf gives each article one or two topics, as a classifier would.
func topicsOf(i int) []string {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	ts := []string{topicIDs[r.IntN(len(topicIDs))]}
	if r.IntN(3) == 0 {
		ts = append(ts, topicIDs[r.IntN(len(topicIDs))])
	}
	return slices.Compact(ts)
}

// sizes prints the size of the search index against the stored clean text,
// from SQLite's dbstat.
func sizes(ctx context.Context, w io.Writer, path string) error {
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	t := time.Now()
	tables := map[string]int64{}
	rows, err := db.QueryContext(ctx, "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
	if err != nil {
		return fmt.Errorf("dbstat: %w", err)
	}
	for rows.Next() {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			rows.Close()
			return err
		}
		tables[name] = size
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	var clean, text int64
	err = db.QueryRowContext(ctx, `SELECT SUM(LENGTH(CAST(clean AS BLOB))),
		SUM(LENGTH(CAST(title AS BLOB)) + LENGTH(CAST(clean ->> '$.lead' AS BLOB)) +
			(SELECT COALESCE(SUM(LENGTH(CAST(p.value AS BLOB))), 0) FROM json_each(clean, '$.paragraphs') p))
		FROM articles WHERE clean IS NOT NULL`).Scan(&clean, &text)
	if err != nil {
		return fmt.Errorf("measure clean text: %w", err)
	}
	var index int64
	var parts []string
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range tables {
			if !yield(k) {
				return
			}
		}
	}) {
		if strings.HasPrefix(name, "search_") || name == "sqlite_autoindex_search_docs_1" {
			index += tables[name]
			parts = append(parts, fmt.Sprintf("%s %s", name, mib(tables[name])))
		}
	}
	var total int64
	for _, s := range tables {
		total += s
	}
	fmt.Fprintf(w, "store %s; clean views (column clean, JSON) %s; indexed text (title, lead, paragraphs) %s\n",
		mib(total), mib(clean), mib(text))
	fmt.Fprintf(w, "search index %s = %.2f× the clean views, %.2f× the indexed text (%s); articles_story index %s [dbstat: %s]\n",
		mib(index), float64(index)/float64(clean), float64(index)/float64(text), strings.Join(parts, ", "),
		mib(tables["articles_story"]), time.Since(t).Round(time.Second))
	return nil
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

// class is a class of queries.
type class struct {
	name    string
	queries []string
}

// queries draws the queries of each class from the corpus's own text:
// one word (a quarter of them among the 50 commonest words, the rest
// spread over all), two words of one sentence (a quarter both common),
// and a phrase of two or three words in a row.
func queries(c *corpus.Corpus, seed int64, per int) []class {
	r := rand.New(rand.NewPCG(uint64(seed), 99))
	const sample = 5000
	df := map[string]int{}
	var sentences [][]string
	for i := range sample {
		p := c.Text(r.IntN(c.Len()))
		seen := map[string]bool{}
		for _, para := range append([]string{p.Title, p.Lead}, p.Expected...) {
			for s := range strings.SplitSeq(persian.Display(para), ".") {
				ws := words(s)
				if len(ws) >= 3 && i%5 == 0 {
					sentences = append(sentences, ws)
				}
				for _, w := range ws {
					if !seen[w] {
						seen[w] = true
						df[w]++
					}
				}
			}
		}
	}
	byDF := slices.SortedFunc(func(yield func(string) bool) {
		for w := range df {
			if !yield(w) {
				return
			}
		}
	}, func(a, b string) int { return cmp.Or(cmp.Compare(df[b], df[a]), strings.Compare(a, b)) })
	common := byDF[:50]
	var one, two, phrase []string
	for k := range per {
		if k < per/4 {
			one = append(one, common[r.IntN(len(common))])
			two = append(two, common[r.IntN(len(common))]+" "+common[r.IntN(len(common))])
		} else {
			one = append(one, byDF[r.IntN(len(byDF))])
			s := sentences[r.IntN(len(sentences))]
			two = append(two, s[r.IntN(len(s))]+" "+s[r.IntN(len(s))])
		}
		s := sentences[r.IntN(len(sentences))]
		n := 2 + r.IntN(2)
		at := r.IntN(len(s) - n + 1)
		phrase = append(phrase, `"`+strings.Join(s[at:at+n], " ")+`"`)
	}
	return []class{{"one word", one}, {"two words", two}, {"phrase", phrase}}
}

// words splits a sentence into words without their punctuation.
func words(s string) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		w = strings.TrimFunc(w, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) })
		if w != "" && len(persian.SearchWords(w)) > 0 {
			out = append(out, w)
		}
	}
	return out
}

// measure runs the queries of cl once to warm up, then times each the
// fastest of runs times: other work on the machine only ever adds time.
func measure(ctx context.Context, w io.Writer, e *search.Engine, cl class, order search.Order, runs int) error {
	return timeQueries(w, cl, runs, true, func(q string) (time.Duration, bool, error) {
		t := time.Now()
		res, err := e.Search(ctx, search.Query{Text: q, Order: order})
		if err != nil {
			return 0, false, fmt.Errorf("query %q: %w", q, err)
		}
		return time.Since(t), res.More, nil
	})
}

// timeQueries runs each query of cl once to warm up, then times each the
// fastest of runs times, and prints a line of the percentiles. run
// returns a query's time and whether it counted more than
// search.MaxResults stories, counted in a last column when counts.
func timeQueries(w io.Writer, cl class, runs int, counts bool, run func(q string) (time.Duration, bool, error)) error {
	for _, q := range cl.queries {
		if _, _, err := run(q); err != nil {
			return err
		}
	}
	ds := make([]time.Duration, len(cl.queries))
	capped := 0
	for r := range max(runs, 1) {
		for i, q := range cl.queries {
			d, more, err := run(q)
			if err != nil {
				return err
			}
			if r == 0 || d < ds[i] {
				ds[i] = d
			}
			if r == 0 && more {
				capped++
			}
		}
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	slices.Sort(ds)
	pct := func(p float64) time.Duration { return ds[min(int(p*float64(len(ds))), len(ds)-1)] }
	fmt.Fprintf(w, "%-10s %7d %8s %8s %8s %8s", cl.name, len(ds), ms(pct(0.50)), ms(pct(0.95)), ms(ds[len(ds)-1]),
		ms(sum/time.Duration(len(ds))))
	if counts {
		fmt.Fprintf(w, " %10s", fmt.Sprintf("%d > %d", capped, search.MaxResults))
	}
	fmt.Fprintln(w)
	return nil
}

// loadAverage is the 1-minute load average, as Linux reports it.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(data))[0]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
