package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"sync"
	"time"

	"mediadigest/internal/corpus"
	"mediadigest/store"
)

// probeEvery is how often the writer of mergeIndex writes while the index
// is merged, as a crawl would.
const probeEvery = 50 * time.Millisecond

// mergeIndex merges the store's search index into one segment as the
// daemon's search merge does, while another connection writes a row every
// probeEvery, and prints the segments before, how long the merge took and
// the longest that writer waited: what a crawl waits for the merge.
func mergeIndex(ctx context.Context, w io.Writer, st *store.Store, path string) error {
	before, err := st.SearchIndexSegments(ctx)
	if err != nil {
		return err
	}
	probe, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(600000)&_txlock=immediate")
	if err != nil {
		return err
	}
	defer probe.Close()
	if _, err := probe.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS bench_probe (at TEXT)"); err != nil {
		return err
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var longest time.Duration
	var writes int
	var werr error
	wg.Go(func() {
		tick := time.NewTicker(probeEvery)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			t := time.Now()
			if _, err := probe.ExecContext(ctx, "INSERT INTO bench_probe VALUES (?)", t.Format(time.RFC3339Nano)); err != nil {
				werr = err
				return
			}
			longest = max(longest, time.Since(t))
			writes++
		}
	})
	t := time.Now()
	err = st.OptimizeSearchIndex(ctx)
	took := time.Since(t)
	close(stop)
	wg.Wait()
	if err != nil {
		return err
	}
	if werr != nil {
		return fmt.Errorf("the writer beside the merge: %w", werr)
	}
	after, err := st.SearchIndexSegments(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "merged the index from %d segments into %d in %s; a writer beside it wrote %d times, waiting at most %s\n",
		before, after, took.Round(time.Second), writes, longest.Round(time.Millisecond))
	return nil
}

// perPass is how many articles one crawl's pass indexes in a day of the
// corpus's two outlets crawled every 20 minutes: 400 a day, 144 passes.
const perPass = 3

// crawlDay adds the next day of the corpus after the store's articles,
// perPass articles a transaction as the passes after each crawl would,
// and prints the segments of the index it leaves.
func (b bench) crawlDay(ctx context.Context, w io.Writer, st *store.Store) error {
	have, err := st.CountArticles(ctx)
	if err != nil {
		return err
	}
	c := corpus.Generate(have+corpus.PerDay, b.seed)
	pages := generate(c, have, c.Len())
	t := time.Now()
	for i := have; i < c.Len(); i += perPass {
		derived, err := storeArticles(ctx, st, pages, min(perPass, c.Len()-i))
		if err != nil {
			return err
		}
		if err := st.SaveDerived(ctx, derived); err != nil {
			return err
		}
	}
	segs, err := st.SearchIndexSegments(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "a day of crawls added %d articles, %d a transaction, in %s: the index has %d segments\n",
		corpus.PerDay, perPass, time.Since(t).Round(time.Second), segs)
	return nil
}
