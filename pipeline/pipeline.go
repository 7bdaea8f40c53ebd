// Package pipeline wires the stages of mediadigest for one config and one
// store: crawl (scrape) → store → clean, stories and topics (dedupe, topics)
// → digest → mail. The commands and the daemon call it; the stages
// themselves know nothing of each other.
package pipeline

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"mediadigest/config"
	"mediadigest/dedupe"
	"mediadigest/digest"
	"mediadigest/internal/lease"
	"mediadigest/mail"
	"mediadigest/model"
	"mediadigest/persian"
	"mediadigest/scrape"
	"mediadigest/store"
	"mediadigest/topics"
)

// Pipeline runs the stages over one store.
type Pipeline struct {
	cfg        *config.Config
	store      *store.Store
	log        *slog.Logger
	now        func() time.Time
	crawler    *scrape.Crawler
	outlets    map[string]scrape.Outlet
	rules      map[string]dedupe.Rules
	classifier *topics.Classifier
	renderer   *digest.Renderer
	names      map[string]string // outlet id → display name
	holder     string            // this process, in leases and outbox claims
	queueWait  time.Duration     // how long SendNew waits for HoldEnqueue: past a dead holder's lease
	derived    derivedState
}

// derivedState is what a complete Process leaves for the next one of the
// same Pipeline. A new Pipeline (a start, an upgrade, a changed config)
// always begins with a pass over everything.
type derivedState struct {
	mu      sync.Mutex // one Process at a time
	done    bool       // a pass completed
	start   time.Time  // when it started
	learned uint64     // fingerprint of the learned lines it used
}

// Option adjusts a Pipeline.
type Option func(*Pipeline)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(p *Pipeline) { p.now = now } }

// WithHolder names this process in the store's leases and outbox claims;
// the default is "HOST:PID".
func WithHolder(id string) Option { return func(p *Pipeline) { p.holder = id } }

// New builds a pipeline for cfg over st.
func New(cfg *config.Config, st *store.Store, log *slog.Logger, opts ...Option) (*Pipeline, error) {
	p := &Pipeline{
		cfg:        cfg,
		store:      st,
		log:        log,
		now:        time.Now,
		outlets:    map[string]scrape.Outlet{},
		rules:      map[string]dedupe.Rules{},
		classifier: topics.New(cfg.Topics, topics.WithMinScore(cfg.Digest.MinScore)),
		names:      map[string]string{},
		holder:     defaultHolder(),
		queueWait:  cfg.Cluster.Lease.D() + 10*time.Second,
	}
	for _, o := range opts {
		o(p)
	}
	p.crawler = scrape.New(scrape.Options{
		UserAgent:   cfg.Crawl.UserAgent,
		Delay:       cfg.Crawl.Delay.D(),
		Parallelism: cfg.Crawl.Parallelism,
		Timeout:     cfg.Crawl.Timeout.D(),
		MaxBody:     int64(cfg.Crawl.MaxBody),
		Retries:     retries(cfg.Crawl.Retries),
		Logger:      log,
	})
	byName := map[string]string{}
	for _, o := range cfg.Outlets {
		name := o.Name
		if name == "" {
			name = cfg.Profiles[o.ID].Name
		}
		p.names[o.ID] = name
		byName[name] = o.ID
		byName[cfg.Profiles[o.ID].Name] = o.ID
	}
	for _, o := range cfg.Outlets {
		prof := cfg.Profiles[o.ID]
		p.outlets[o.ID] = scrape.Outlet{ID: o.ID, Name: p.names[o.ID], BaseURL: o.BaseURL, Feeds: o.Feeds, Profile: prof}
		r := dedupe.Rules{PromoMarkers: prof.PromoMarkers, EndMarkers: prof.EndMarkers, Outlets: byName, SponsoredMarkers: prof.SponsoredMarkers}
		for _, d := range prof.Datelines {
			re, err := regexp.Compile(d)
			if err != nil {
				return nil, fmt.Errorf("pipeline: outlet %s: dateline %q: %w", o.ID, d, err)
			}
			r.Datelines = append(r.Datelines, re)
		}
		p.rules[o.ID] = r
	}
	var err error
	p.renderer, err = digest.NewRenderer(cfg.Digest.Templates, digest.RenderOptions{
		Location: cfg.Location, OutletNames: p.names, Unsubscribe: cfg.Digest.Unsubscribe,
	})
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	return p, nil
}

// defaultHolder names this process: unique among the daemons sharing a
// store as long as their hosts' names are.
func defaultHolder() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// Holder is the name of this process in the store's leases and outbox
// claims.
func (p *Pipeline) Holder() string { return p.holder }

// retries maps the config's count (0: none) onto scrape's (0: default,
// negative: none).
func retries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// Outlet returns the configured outlet id, or an error naming the known ones.
func (p *Pipeline) Outlet(id string) (scrape.Outlet, error) {
	o, ok := p.outlets[id]
	if !ok {
		return scrape.Outlet{}, fmt.Errorf("unknown outlet %q (configured: %v)", id, p.cfg.OutletIDs())
	}
	return o, nil
}

// OutletName returns the display name of an outlet id.
func (p *Pipeline) OutletName(id string) string { return p.names[id] }

// known adapts the store to scrape.Known.
type known struct{ st *store.Store }

func (k known) Known(ctx context.Context, url string) (bool, time.Time, error) {
	fetched, ok, err := k.st.LastFetched(ctx, url)
	return ok, fetched, err
}

// sink stores every extracted page: the raw HTML (for reprocess) and the
// article with its paragraph keys (for learned promo lines), in one
// transaction, so no article is ever stored without its source.
func (p *Pipeline) sink(ctx context.Context, pg scrape.Page) (string, error) {
	a := pg.Article
	if a.FirstSeen.IsZero() {
		a.FirstSeen = pg.Fetched
	}
	out, err := p.store.SavePage(ctx, &a, keys(a.Raw), &store.RawPage{Body: pg.Body, Fetched: pg.Fetched})
	return string(out), err
}

// keys are the paragraph identities that learned promo lines count.
func keys(raw []string) []string {
	ks := make([]string, 0, len(raw))
	for _, r := range raw {
		if k := persian.Key(r); k != "" {
			ks = append(ks, k)
		}
	}
	return ks
}

// CrawlReport is what one crawl pass did.
type CrawlReport struct {
	Outlets []scrape.Stats
	Derived ProcessReport
}

// Crawl runs one pass over the feeds of the given outlets (all when ids is
// empty), records each run for health, then recomputes the derived views.
// One outlet failing never stops the others; the returned error joins the
// failures.
func (p *Pipeline) Crawl(ctx context.Context, ids []string) (CrawlReport, error) {
	if len(ids) == 0 {
		ids = p.cfg.OutletIDs()
	}
	var rep CrawlReport
	var errs []error
	for _, id := range ids {
		o, err := p.Outlet(id)
		if err != nil {
			return rep, err
		}
		start := p.now()
		st, err := p.crawler.Crawl(ctx, o, known{p.store}, p.store, p.sink)
		st.Outlet = id
		rep.Outlets = append(rep.Outlets, st)
		if rerr := p.record(ctx, start, st, err); rerr != nil {
			errs = append(errs, rerr)
		}
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("outlet %s: %w", id, err))
		case st.Blocked:
			errs = append(errs, fmt.Errorf("outlet %s: blocked by an ArvanCloud challenge page; the outlet refuses the crawler (try later, or another user_agent)", id))
		}
		if ctx.Err() != nil {
			break
		}
	}
	var err error
	if rep.Derived, err = p.derive(ctx); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

// derive runs Process unless ctx is done, and lets a cancellation stop it
// between batches. A shutdown must not wait for a pass over the whole
// store (a daemon's first pass is a full one): what a stopped pass left
// underived is taken up by the next one, which starts at the earliest
// article without its views, and by every process's first, full, pass.
func (p *Pipeline) derive(ctx context.Context) (ProcessReport, error) {
	if ctx.Err() != nil {
		p.log.Info("stopping: the derived views of what was stored are left to the next pass")
		return ProcessReport{}, nil
	}
	rep, err := p.Process(ctx)
	if err != nil && ctx.Err() != nil {
		p.log.Info("stopping: derived views pass cut short; the next pass completes it")
		return rep, nil
	}
	return rep, err
}

// layoutChanged is how many article pages asked for in one crawl, all of
// them failing, make the crawl count as failed.
const layoutChanged = 3

// PagesAllFailed reports whether a crawl that raised no error still
// failed: every article page it asked for, layoutChanged or more, failed.
// That is how a changed page layout, or pages gone behind a 403, shows:
// the outlet is failing though its feeds answer. A quiet crawl (nothing
// new to fetch) or one odd page is not that.
func PagesAllFailed(st scrape.Stats) bool {
	return st.Pages >= layoutChanged && st.New+st.Updated+st.Unchanged == 0
}

// record stores the outcome of one crawl run. A run cut short by
// cancellation (shutdown) is not recorded: it is neither the outlet's
// failure nor a finished pass, and the daemon's catch-up at the next start
// runs it again.
func (p *Pipeline) record(ctx context.Context, start time.Time, st scrape.Stats, err error) error {
	if ctx.Err() != nil {
		p.log.Info("crawl cancelled; not recorded", "outlet", st.Outlet, "fetched", st.Fetched)
		return nil
	}
	run := store.CrawlRun{
		Outlet: st.Outlet, Started: start, Finished: p.now(),
		Fetched: st.Fetched, New: st.New, Updated: st.Updated, Unchanged: st.Unchanged,
		Failed: st.Failed, Failures: st.Failures, Blocked: st.Blocked,
	}
	switch {
	case err != nil:
		run.Err = err.Error()
	case st.Blocked:
		run.Err = "blocked by a challenge page (ArvanCloud): the outlet refuses the crawler"
	case PagesAllFailed(st):
		run.Err = fmt.Sprintf("every article page failed (%d)", st.Pages)
		if len(st.Errors) > 0 {
			e := st.Errors[0]
			run.Err += fmt.Sprintf(", e.g. %s %s: %s", e.Reason, e.URL, e.Message)
		}
	}
	return p.store.RecordCrawl(ctx, run)
}

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
	start := p.now()
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
					a.Clean = dedupe.CleanArticle(a.Lead, a.Raw, d.p.rules[a.Outlet], d.learned[a.Outlet])
					a.Clean.Sponsored = dedupe.Sponsored(a.Kicker, a.Title, d.p.rules[a.Outlet])
					_, topics := d.p.classifier.Classify(a.Title, body(&a))
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
	return append([]string{a.Lead}, a.Paragraphs...)
}

// Stories returns the stories of win, each with its topic: those whose
// headline was published in it, or on an arrival basis those that arrived
// in it (model.Window.Holds). A window on an arrival basis sees only the
// articles first seen before its end, so a digest rendered again (a retry)
// holds what it held when it was due.
func (p *Pipeline) Stories(ctx context.Context, win model.Window) ([]model.Story, error) {
	// Every article of a story lies within the story window of its first
	// one, so this range holds every story whose headline is in win, and
	// every story with an article that arrived in it.
	since := win.From.Add(-p.cfg.Cleaning.StoryWindow.D())
	if win.Basis == model.ByArrival {
		since = since.Add(-model.LateArrival)
	}
	articles, err := p.store.Articles(ctx, store.ArticleQuery{Since: since, Until: win.To})
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	// Paid content is stored and exported, never mailed as news: not as a
	// story, nor as another outlet's copy of one.
	articles = slices.DeleteFunc(articles, func(a model.Article) bool {
		return a.Clean.Sponsored || win.Basis == model.ByArrival && !a.FirstSeen.Before(win.To)
	})
	var out []model.Story
	for _, s := range dedupe.Group(articles, dedupe.IndexOptions{Window: p.cfg.Cleaning.StoryWindow.D()}) {
		s.Arrived = s.Headline.Arrival()
		for i := range s.Also {
			if t := s.Also[i].Arrival(); t.Before(s.Arrived) {
				s.Arrived = t
			}
		}
		if !win.Holds(s) {
			continue
		}
		s.Scores = p.classifier.Scores(s.Headline.Title, body(&s.Headline))
		s.Topic = p.classifier.Best(s.Scores)
		out = append(out, s)
	}
	return out, nil
}

// Subscriber returns the configured subscriber with that address.
func (p *Pipeline) Subscriber(email string) (config.Subscriber, error) {
	for _, s := range p.cfg.Subscribers {
		if s.Email == email {
			return s, nil
		}
	}
	return config.Subscriber{}, fmt.Errorf("unknown subscriber %q", email)
}

// Digest builds the digest of one subscriber for win.
func (p *Pipeline) Digest(ctx context.Context, sub config.Subscriber, win model.Window) (model.Digest, error) {
	stories, err := p.Stories(ctx, win)
	if err != nil {
		return model.Digest{}, err
	}
	return p.build(stories, sub, win), nil
}

// Digests builds the digests of several subscribers (every configured one
// when subs is empty) for win, finding the window's stories once.
func (p *Pipeline) Digests(ctx context.Context, subs []config.Subscriber, win model.Window) ([]model.Digest, error) {
	if len(subs) == 0 {
		subs = p.cfg.Subscribers
	}
	stories, err := p.Stories(ctx, win)
	if err != nil {
		return nil, err
	}
	out := make([]model.Digest, len(subs))
	for i, s := range subs {
		out[i] = p.build(stories, s, win)
	}
	return out, nil
}

func (p *Pipeline) build(stories []model.Story, sub config.Subscriber, win model.Window) model.Digest {
	return digest.Build(stories, p.cfg.Topics, digest.Subscriber{Email: sub.Email, Topics: sub.Topics}, win, digest.Options{
		Location: p.cfg.Location, PerTopic: p.cfg.Digest.PerTopic, OutletNames: p.names,
	})
}

// Render returns the HTML and text parts of d.
func (p *Pipeline) Render(d model.Digest) (html, text []byte, err error) {
	if html, err = p.renderer.HTML(d); err != nil {
		return nil, nil, err
	}
	if text, err = p.renderer.Text(d); err != nil {
		return nil, nil, err
	}
	return html, text, nil
}

// Message composes the mail of d with the stable Message-ID of its
// subscriber and window.
func (p *Pipeline) Message(d model.Digest, boundary string) (*gomail.Msg, error) {
	return p.compose(d, boundary, mail.MessageID(d.Subscriber, d.Window, p.cfg.Digest.From))
}

// outboxMessage composes the mail of an outbox row's digest d with the
// Message-ID stored on the row: the one logged when it was queued, and
// the one a resend after a crash must carry, whatever the version that
// renders it computes.
func (p *Pipeline) outboxMessage(d model.Digest, it model.OutboxItem) (*gomail.Msg, error) {
	return p.compose(d, "", cmp.Or(it.MessageID, mail.MessageID(d.Subscriber, d.Window, p.cfg.Digest.From)))
}

func (p *Pipeline) compose(d model.Digest, boundary, messageID string) (*gomail.Msg, error) {
	html, text, err := p.Render(d)
	if err != nil {
		return nil, err
	}
	return mail.Compose(d, html, text, mail.Header{
		From:        p.cfg.Digest.From,
		MessageID:   messageID,
		Unsubscribe: digest.UnsubscribeURL(p.cfg.Digest.Unsubscribe, d.Subscriber),
		Date:        p.now(),
		Boundary:    boundary,
	})
}

// render is the outbox's RenderFunc: the digest of the row's subscriber and
// window, rebuilt from the store.
func (p *Pipeline) render(ctx context.Context, it model.OutboxItem) (*gomail.Msg, error) {
	sub, err := p.outboxSubscriber(it)
	if err != nil {
		return nil, err
	}
	d, err := p.Digest(ctx, sub, it.Window)
	if err != nil {
		return nil, err
	}
	return p.outboxMessage(d, it)
}

// BatchRender returns a RenderFunc for one delivery run (not for
// concurrent use): the stories of each window are found once and shared by
// every subscriber of that window, rather than found again for each.
func (p *Pipeline) BatchRender() mail.RenderFunc {
	type window struct {
		from, to int64
		basis    model.Basis
	}
	found := map[window][]model.Story{}
	return func(ctx context.Context, it model.OutboxItem) (*gomail.Msg, error) {
		sub, err := p.outboxSubscriber(it)
		if err != nil {
			return nil, err
		}
		w := window{it.Window.From.UnixNano(), it.Window.To.UnixNano(), it.Window.Basis}
		stories, ok := found[w]
		if !ok {
			if stories, err = p.Stories(ctx, it.Window); err != nil {
				return nil, err
			}
			found[w] = stories
		}
		return p.outboxMessage(p.build(stories, sub, it.Window), it)
	}
}

// outboxSubscriber returns the configured subscriber of an outbox row.
func (p *Pipeline) outboxSubscriber(it model.OutboxItem) (config.Subscriber, error) {
	sub, err := p.Subscriber(it.Subscriber)
	if err != nil {
		// The subscriber left the config after the row was queued.
		return config.Subscriber{}, fmt.Errorf("%w: %w", mail.ErrPermanent, err)
	}
	return sub, nil
}

// Transport returns the configured mail transport.
func (p *Pipeline) Transport() (mail.Transport, error) {
	m := p.cfg.Mail
	if m.Transport == "file" {
		return mail.NewFile(m.Dir), nil
	}
	return mail.NewSMTP(mail.SMTPConfig{
		Host: m.SMTP.Host, Port: m.SMTP.Port, Username: m.SMTP.Username, Password: m.SMTP.Password(),
		TLS: m.SMTP.TLS, Timeout: m.SMTP.Timeout.D(),
	})
}

// Deliverer returns the outbox deliverer of the configured transport.
func (p *Pipeline) Deliverer() (*mail.Deliverer, error) {
	tr, err := p.Transport()
	if err != nil {
		return nil, err
	}
	out := claimingOutbox{Store: p.store, holder: p.holder, ttl: p.cfg.Cluster.Lease.D(), now: p.now, log: p.log}
	return &mail.Deliverer{Outbox: out, Transport: tr, Render: p.render, From: p.cfg.Digest.From, Logger: p.log}, nil
}

// claimingOutbox is the store as the Deliverer's outbox, where reading the
// due rows claims them for this process: of several daemons sharing a
// store, each delivers a row only if it claimed it, so each digest is sent
// by one of them.
type claimingOutbox struct {
	*store.Store
	holder string
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger
}

// Due claims the due rows no other process has claimed.
func (o claimingOutbox) Due(ctx context.Context, now time.Time, limit int) ([]model.OutboxItem, error) {
	return o.ClaimDue(ctx, o.holder, now, o.ttl, limit)
}

// Hold renews this process's claims every third of their lifetime until
// release: a batch sent to a slow server may take longer than one claim
// lasts, and a claim that lapsed mid-batch would let another daemon send
// the rest again. Once this process dies, its claims lapse within ttl.
func (o claimingOutbox) Hold(ctx context.Context) (release func()) {
	return lease.Keep(ctx, o.ttl/3, func(ctx context.Context) bool {
		if _, err := o.RenewClaims(ctx, o.holder, o.now().Add(o.ttl)); err != nil {
			o.log.Warn("outbox claims not renewed; another daemon may send them once they lapse", "err", err)
		}
		return true
	})
}

// Send enqueues the digest of each subscriber (all when emails is empty)
// for win, then delivers everything due. Sending the same window again
// enqueues nothing and delivers nothing new.
func (p *Pipeline) Send(ctx context.Context, win model.Window, emails []string) (mail.Report, error) {
	d, err := p.Deliverer()
	if err != nil {
		return mail.Report{}, err
	}
	d.Render = p.BatchRender()
	for _, s := range p.subscribers(emails) {
		if _, _, err := d.Enqueue(ctx, s.Email, win, p.now()); err != nil {
			return mail.Report{}, err
		}
	}
	return d.Deliver(ctx, p.now())
}

// enqueueLease names the store-wide lease under which digests are queued.
const enqueueLease = "digest:enqueue"

// HoldEnqueue takes the store-wide lease under which digests are queued,
// waiting up to wait while another process holds it, and renews it until
// release. Reading a subscriber's last window and queuing the next must
// not interleave with another process doing the same — the daemon's
// schedule and a `digest -send` by hand, or two daemons of a shared store
// — or both would queue a window from the same end, and mail the same
// stories twice. The returned context ends if the lease is lost; queue
// nothing more then. A holder that dies leaves the lease to expire after
// cluster.lease, so a wait longer than that always ends with the lease.
func (p *Pipeline) HoldEnqueue(ctx context.Context, wait time.Duration) (_ context.Context, release func(), err error) {
	deadline := time.Now().Add(wait)
	for {
		held, free, ok, err := lease.Hold(ctx, p.store, enqueueLease, p.holder, p.cfg.Cluster.Lease.D(), p.now)
		if err != nil {
			return ctx, nil, fmt.Errorf("pipeline: %w", err)
		}
		if ok {
			return held, func() {
				if err := free(); err != nil {
					p.log.Warn("digest queuing lease not released: others wait until it expires", "error", err)
				}
			}, nil
		}
		if time.Now().After(deadline) {
			return ctx, nil, fmt.Errorf("pipeline: another process has been queuing digests for over %s (lease %s, see `mediadigest status -json`); try again later", wait, enqueueLease)
		}
		select {
		case <-ctx.Done():
			return ctx, nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// NewsReport is what SendNew did: the deliveries, and the subscribers
// with nothing new since their last digest.
type NewsReport struct {
	mail.Report
	NothingNew int
}

// SendNew delivers to each subscriber (all when emails is empty) what
// arrived since their last digest, as a scheduled digest does
// (model.ByArrival): the window runs from the end of their latest one, or
// from a day ago for a first digest, to now. A subscriber with nothing
// new gets no mail and no outbox row, so their next window still starts
// where the last one ended. Windows are read and queued under HoldEnqueue.
func (p *Pipeline) SendNew(ctx context.Context, emails []string) (NewsReport, error) {
	d, err := p.Deliverer()
	if err != nil {
		return NewsReport{}, err
	}
	d.Render = p.BatchRender()
	rep, err := p.queueNew(ctx, d, emails)
	if err != nil {
		return rep, err
	}
	rep.Report, err = d.Deliver(ctx, p.now())
	return rep, err
}

// queueNew queues SendNew's digests under HoldEnqueue.
func (p *Pipeline) queueNew(ctx context.Context, d *mail.Deliverer, emails []string) (NewsReport, error) {
	ctx, release, err := p.HoldEnqueue(ctx, p.queueWait)
	if err != nil {
		return NewsReport{}, err
	}
	defer release()
	now := p.now()
	var rep NewsReport
	stories := map[model.Window][]model.Story{}
	for _, s := range p.subscribers(emails) {
		from, ok, err := p.store.LastWindowEnd(ctx, s.Email)
		if err != nil {
			return rep, fmt.Errorf("pipeline: %w", err)
		}
		if !ok {
			from = now.Add(-24 * time.Hour)
		}
		win := model.Window{From: from, To: now, Basis: model.ByArrival}
		if !from.Before(now) {
			rep.NothingNew++
			continue
		}
		if _, ok := stories[win]; !ok {
			if stories[win], err = p.Stories(ctx, win); err != nil {
				return rep, err
			}
		}
		if len(p.build(stories[win], s, win).Topics) == 0 {
			rep.NothingNew++
			continue
		}
		if _, _, err := d.Enqueue(ctx, s.Email, win, now); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// subscribers returns the configured subscribers named in emails, or
// every one when emails is empty.
func (p *Pipeline) subscribers(emails []string) []config.Subscriber {
	var out []config.Subscriber
	for _, s := range p.cfg.Subscribers {
		if len(emails) == 0 || slices.Contains(emails, s.Email) {
			out = append(out, s)
		}
	}
	return out
}
