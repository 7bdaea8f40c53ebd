package pipeline

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"mediadigest/dedupe"
	"mediadigest/model"
	"mediadigest/persian"
	"mediadigest/store"
)

// ProcessReport sums up one Process: the articles it derived, their
// stories and the paragraphs it removed from them. Full says it went over
// every stored article, and the counts are then the store's.
type ProcessReport struct {
	Full     bool
	Articles int
	Failed   int // articles left underived by a bug (logged with their URL)
	Stories  int
	Removed  map[string]int // paragraphs removed, by reason
}

// clockSkew is how far apart the clocks of the hosts sharing a PostgreSQL
// store may be: the changes Process looks for start that much before its
// last pass. Processes on a SQLite file share one clock.
const clockSkew = time.Minute

// MergeSearchIndex merges the store's search index into one segment
// (store.OptimizeSearchIndex) while no pass over the derived views runs
// in this process: a pass indexing meanwhile would add a segment, and
// FTS5 would start its merge over with it (docs/search.md#merging-the-index).
func (p *Pipeline) MergeSearchIndex(ctx context.Context) error {
	p.derived.mu.Lock()
	defer p.derived.mu.Unlock()
	return p.store.OptimizeSearchIndex(ctx)
}

// Process recomputes what is derived from the raw articles: learned promo
// lines per outlet, every article's clean view, stories and topics. It is
// a pure function of the stored raw articles, so running it again changes
// nothing, and a better rule improves old articles too.
//
// The first Process of a Pipeline goes over every stored article, as does
// one after the learned lines changed or an article was edited (an edit
// may move its published time). Otherwise nothing before the earliest
// article stored since the last pass, or never derived, can have changed:
// Process then starts there, with the story index warmed by the stored
// stories of the window before, and its result is the same as a full
// pass's.
//
// The articles are read in published order, in batches of processBatch,
// and added to a story index that forgets what lies beyond the story
// window, so memory does not grow with the store. While one batch is read
// the previous one is cleaned, classified and signed on every core, then
// added to the index in order. Views are written a batch per transaction,
// only where they changed; a run stopped half way leaves the rest with
// their previous views until the next run.
func (p *Pipeline) Process(ctx context.Context) (ProcessReport, error) {
	p.derived.mu.Lock()
	defer p.derived.mu.Unlock()
	start := p.clk.Now()
	rep := ProcessReport{Removed: map[string]int{}}
	learned, fingerprint, err := p.learnedLines(ctx)
	if err != nil {
		return rep, err
	}
	d := deriver{
		p: p, learned: learned, rep: &rep, stories: map[string]bool{},
		window: p.cfg.Cleaning.StoryWindow.D(),
	}
	d.ix = dedupe.NewIndex(dedupe.IndexOptions{Window: d.window})
	since, err := p.changedSince(ctx, fingerprint)
	if err != nil {
		return rep, err
	}
	switch {
	case since == nil:
		p.derived.start = start
		return rep, nil
	case since.IsZero():
		rep.Full = true
	default:
		// Warming reads the two story windows before since; when they
		// reach back past the first article, the partial pass would read
		// the whole store and sign most of it twice: a full one is cheaper.
		first, err := p.store.Articles(ctx, store.ArticleQuery{Limit: 1})
		if err != nil {
			return rep, fmt.Errorf("pipeline: %w", err)
		}
		if len(first) == 0 || !since.Add(-2*d.window).After(first[0].Published) {
			*since, rep.Full = time.Time{}, true
			break
		}
		ok, err := d.warm(ctx, *since)
		if err != nil {
			return rep, fmt.Errorf("pipeline: %w", err)
		}
		if !ok {
			// The window before holds an article without its story: a
			// pass was cut short. Start from the beginning.
			d.ix = dedupe.NewIndex(dedupe.IndexOptions{Window: d.window})
			*since, rep.Full = time.Time{}, true
		}
	}
	if err := d.run(ctx, *since); err != nil {
		return rep, fmt.Errorf("pipeline: %w", err)
	}
	rep.Stories = len(d.stories)
	p.derived.done, p.derived.start, p.derived.learned = true, start, fingerprint
	return rep, nil
}

// changedSince returns where Process must start: the zero time for a full
// pass, nil when nothing changed since the last one.
func (p *Pipeline) changedSince(ctx context.Context, fingerprint uint64) (*time.Time, error) {
	if !p.derived.done || p.derived.learned != fingerprint {
		return &time.Time{}, nil
	}
	since := p.derived.start
	if p.store.Shared() {
		since = since.Add(-clockSkew)
	}
	ch, err := p.store.Changes(ctx, since)
	switch {
	case err != nil:
		return nil, fmt.Errorf("pipeline: %w", err)
	case ch.Updated:
		return &time.Time{}, nil
	case !ch.Found:
		return nil, nil
	}
	return &ch.Earliest, nil
}

// learnedLines returns, for each outlet, whether a paragraph key is one of
// its learned promo lines, as dedupe.CleanArticle asks, and a fingerprint
// of them all.
func (p *Pipeline) learnedLines(ctx context.Context) (map[string]func(key string) bool, uint64, error) {
	learned := map[string]func(key string) bool{}
	fp := fnv.New64a()
	for _, id := range p.cfg.OutletIDs() {
		occ, err := p.store.KeyOccurrences(ctx, id)
		if err != nil {
			return nil, 0, fmt.Errorf("pipeline: learned lines of %s: %w", id, err)
		}
		l := dedupe.LearnedKeys(occ, dedupe.LearnPolicy{
			MinArticles: p.cfg.Cleaning.LearnMinArticles,
			Window:      p.cfg.Cleaning.LearnWindow.D(),
			MaxRunes:    p.cfg.Cleaning.LearnMaxRunes,
		})
		learned[id] = func(key string) bool { return l[persian.KeyHash(key)] }
		fmt.Fprintf(fp, "%s:", id)
		for _, h := range slices.Sorted(maps.Keys(l)) {
			binary.Write(fp, binary.LittleEndian, h) //nolint:errcheck // a hash.Hash never fails
		}
	}
	return learned, fp.Sum64(), nil
}

// run derives the views of the articles published at or after since.
func (d *deriver) run(ctx context.Context, since time.Time) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	batches := make(chan []*model.Article, 1)
	derived := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err == nil {
				err = panicked("deriving a batch", func() error { return d.batch(ctx, b) })
				if err != nil {
					cancel(err)
				}
			}
		}
		derived <- err
	}()
	// A batch ends between two published times, so that articles of equal
	// time are ordered together (by URL, in Go's byte order as
	// dedupe.Group does: the store's collation may differ).
	var batch []*model.Article
	err := d.p.store.ForEachArticle(ctx, store.ArticleQuery{Since: since}, func(a *model.Article) error {
		if len(batch) >= processBatch && !a.Published.Equal(batch[len(batch)-1].Published) {
			select {
			case batches <- batch:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			batch = nil
		}
		batch = append(batch, a)
		return nil
	})
	if err == nil && len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	if derr := <-derived; derr != nil {
		err = derr // the reader's error is then only "cancelled"
	}
	return err
}

// panicked runs fn and turns a panic in it into an error carrying the
// stack. The pass runs in goroutines of its own, which the daemon's
// recovery of its jobs does not reach: without this, one article that trips
// a bug would stop the daemon, and stop it again at every restart.
func panicked(what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pipeline: %s panicked: %v\n%s", what, r, debug.Stack())
		}
	}()
	return fn()
}

// warm adds to the index the articles of the story window before since,
// with their stored stories; ok is false when one has none yet.
func (d *deriver) warm(ctx context.Context, since time.Time) (ok bool, err error) {
	// The first article of a story is at most a window before any other,
	// so the stories of the window before since all start in the two.
	from, warmFrom := since.Add(-2*d.window), since.Add(-d.window)
	starts := map[string]time.Time{}
	errNoStory := errors.New("an article without its story")
	err = d.p.store.ForEachArticle(ctx, store.ArticleQuery{Since: from, Until: since}, func(a *model.Article) error {
		if a.Story == "" {
			return errNoStory
		}
		if _, seen := starts[a.Story]; !seen {
			starts[a.Story] = a.Published // read in published order
		}
		if a.Published.Before(warmFrom) {
			return nil
		}
		doc := dedupe.Doc{ID: a.URL, Published: a.Published, Paragraphs: dedupe.DocText(a)}
		return d.ix.Warm(dedupe.Sign(doc), a.Story, starts[a.Story])
	})
	if errors.Is(err, errNoStory) {
		return false, nil
	}
	return err == nil, err
}

// processBatch is how many articles Process derives at a time, and at
// most writes in one transaction.
const processBatch = 500

// deriver is the state of one Process run.
type deriver struct {
	p       *Pipeline
	learned map[string]func(key string) bool
	rep     *ProcessReport
	ix      *dedupe.Index
	window  time.Duration
	swept   time.Time // when the index last forgot old documents
	stories map[string]bool
}

// batch derives the views of articles in published order and saves those
// that changed.
func (d *deriver) batch(ctx context.Context, articles []*model.Article) error {
	slices.SortStableFunc(articles, func(a, b *model.Article) int {
		return cmp.Or(a.Published.Compare(b.Published), strings.Compare(a.URL, b.URL))
	})
	type view struct {
		clean  model.Clean
		topics []string
		signed dedupe.Signed
		err    error
	}
	views := make([]view, len(articles))
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(articles); i += workers {
				a := *articles[i]
				views[i].err = panicked("deriving "+a.URL, func() error {
					a.Clean = dedupe.CleanArticle(a.RawLead, a.Raw, d.p.rules[a.Outlet], d.learned[a.Outlet])
					a.Clean.Sponsored = dedupe.Sponsored(a.Kicker, a.Title, d.p.rules[a.Outlet])
					topics := d.p.classifier.Classify(a.Title, body(&a))
					doc := dedupe.Doc{ID: a.URL, Published: a.Published, Paragraphs: dedupe.DocText(&a)}
					views[i] = view{clean: a.Clean, topics: topics, signed: dedupe.Sign(doc)}
					return nil
				})
			}
		})
	}
	wg.Wait()

	// No article of this batch can join a story through one published a
	// window before its first.
	if first := articles[0].Published; first.Sub(d.swept) > time.Hour {
		d.swept = first
		d.ix.Expire(first.Add(-d.window))
	}
	var updates []store.Derived
	for i, a := range articles {
		v := &views[i]
		if v.err != nil {
			// One article that trips a bug keeps its previous views (or
			// none); the others must not wait for the fix.
			d.p.log.Error("article left underived", "url", a.URL, "error", v.err)
			d.rep.Failed++
			continue
		}
		story := d.ix.AddSigned(v.signed)
		d.stories[story] = true
		d.rep.Articles++
		for _, r := range v.clean.Removed {
			d.rep.Removed[r.Reason]++
		}
		if reflect.DeepEqual(a.Clean, v.clean) && slices.Equal(a.Topics, v.topics) && a.Story == story {
			continue
		}
		updates = append(updates, store.Derived{ID: a.ID, Clean: v.clean, Topics: v.topics, Story: story})
	}
	if len(updates) == 0 {
		return nil
	}
	return d.p.store.SaveDerived(ctx, updates)
}

// body is the text topics are matched on besides the title.
func body(a *model.Article) []string {
	return append([]string{a.RawLead}, a.Paragraphs...)
}
