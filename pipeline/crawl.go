package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"mediadigest/internal/lease"
	"mediadigest/persian"
	"mediadigest/scrape"
	"mediadigest/store"
)

// known adapts the store to scrape.Known.
type known struct{ st *store.Store }

func (k known) Known(ctx context.Context, url string) (bool, time.Time, error) {
	fetched, ok, err := k.st.LastFetched(ctx, url)
	return ok, fetched, err
}

// sink stores every extracted page: the raw HTML (for reprocess) and the
// article with its paragraph keys (for learned promo lines), in one
// transaction, so no article is ever stored without its source. The store
// stamps a new article's first-seen time when it commits it: the article
// arrives (docs/windows.md) when every reader can see it, so no digest
// window can close on an article it has not read yet.
func (p *Pipeline) sink(ctx context.Context, pg scrape.Page) (string, error) {
	a := pg.Article
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
	Outlets []scrape.Stats // the outlets crawled, in the order asked
	// Elsewhere are the outlets another process was crawling (it held
	// their lease), by outlet id, with that process: this pass left them.
	Elsewhere map[string]string
	// Fresh are the outlets a crawl had started since the time due
	// (CrawlDue), by outlet id, with that crawl's start: this pass left
	// them too.
	Fresh   map[string]time.Time
	Derived ProcessReport
}

// Crawl runs one pass over the feeds of the given outlets (all when ids is
// empty), records each run for health, then recomputes the derived views.
//
// The outlets are crawled side by side: politeness (delay, parallelism,
// Crawl-delay, Retry-After) is per host, and nothing makes one outlet's
// slow pages hold another back; the store serialises the writes, and the
// derived views are recomputed once, at the end. Each outlet is crawled
// under its lease "crawl:ID", as a daemon crawls it, so that of several
// processes on one store (two `crawl` runs, a `crawl` beside a daemon)
// one crawls it. One outlet failing never stops the others; the returned
// error joins the failures.
func (p *Pipeline) Crawl(ctx context.Context, ids []string) (CrawlReport, error) {
	return p.crawl(ctx, ids, time.Time{})
}

// CrawlDue is the crawl of one outlet scheduled at due: Crawl, unless a
// crawl of the outlet started at or after due, which it reports in Fresh.
// Whether one did is read under the outlet's lease, so that of several
// daemons firing the same schedule one crawls, however their runs fall.
func (p *Pipeline) CrawlDue(ctx context.Context, id string, due time.Time) (CrawlReport, error) {
	return p.crawl(ctx, []string{id}, due)
}

func (p *Pipeline) crawl(ctx context.Context, ids []string, due time.Time) (CrawlReport, error) {
	if len(ids) == 0 {
		ids = p.cfg.OutletIDs()
	}
	outlets := make([]scrape.Outlet, len(ids))
	for i, id := range ids {
		var err error
		if outlets[i], err = p.Outlet(id); err != nil {
			return CrawlReport{}, err
		}
	}
	results := make([]outletRun, len(outlets))
	var wg sync.WaitGroup
	for i, o := range outlets {
		wg.Go(func() { results[i] = p.crawlOutlet(ctx, o, due) })
	}
	wg.Wait()
	rep := CrawlReport{Elsewhere: map[string]string{}, Fresh: map[string]time.Time{}}
	var errs []error
	for _, r := range results {
		errs = append(errs, r.errs...)
		switch {
		case r.elsewhere != "":
			rep.Elsewhere[r.st.Outlet] = r.elsewhere
		case !r.fresh.IsZero():
			rep.Fresh[r.st.Outlet] = r.fresh
		default:
			rep.Outlets = append(rep.Outlets, r.st)
		}
	}
	var err error
	if rep.Derived, err = p.derive(ctx); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

// outletRun is what crawlOutlet did: a crawl (st), or none because
// another process holds the lease (elsewhere) or a crawl started since the
// time due (fresh, its start).
type outletRun struct {
	st        scrape.Stats
	elsewhere string
	fresh     time.Time
	errs      []error
}

// crawlOutlet crawls one outlet under its lease, unless a crawl of it
// started at or after due (when due is set), and records the run.
func (p *Pipeline) crawlOutlet(ctx context.Context, o scrape.Outlet, due time.Time) (r outletRun) {
	r.st.Outlet = o.ID
	name := "crawl:" + o.ID
	ctx, release, ok, err := lease.Hold(ctx, p.store, p.clk, name, p.holder, p.cfg.Cluster.Lease.D())
	switch {
	case err != nil:
		r.errs = []error{fmt.Errorf("outlet %s: %w", o.ID, err)}
		return r
	case !ok:
		r.elsewhere = p.leaseHolder(ctx, name)
		return r
	}
	defer func() {
		if err := release(); err != nil {
			p.log.Warn("cannot release the crawl lease: the others wait for it to expire", "lease", name, "error", err)
		}
	}()
	if !due.IsZero() {
		last, err := p.lastCrawl(ctx, o.ID)
		if err != nil {
			r.errs = []error{err}
			return r
		}
		if !last.Before(due) {
			r.fresh = last
			return r
		}
	}
	start := p.clk.Now()
	r.st, err = p.crawler.Crawl(ctx, o, known{p.store}, p.store, p.sink)
	r.st.Outlet = o.ID
	if rerr := p.record(ctx, start, r.st, err); rerr != nil {
		r.errs = append(r.errs, rerr)
	}
	switch {
	case err != nil:
		r.errs = append(r.errs, fmt.Errorf("outlet %s: %w", o.ID, err))
	case r.st.Blocked:
		r.errs = append(r.errs, fmt.Errorf("outlet %s: blocked by an ArvanCloud challenge page; the outlet refuses the crawler (try later, or another user_agent)", o.ID))
	}
	return r
}

// lastCrawl returns when the latest recorded crawl of the outlet started,
// zero when there is none.
func (p *Pipeline) lastCrawl(ctx context.Context, id string) (time.Time, error) {
	runs, err := p.store.OutletCrawls(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("outlet %s: latest crawl: %w", id, err)
	}
	for _, r := range runs {
		if r.Outlet == id {
			return r.LastRun.Started, nil
		}
	}
	return time.Time{}, nil
}

// leaseHolder names, for a report, the process holding the named lease.
func (p *Pipeline) leaseHolder(ctx context.Context, name string) string {
	leases, err := p.store.Leases(ctx, p.clk.Now())
	if err == nil {
		for _, l := range leases {
			if l.Name == name && l.Holder != "" {
				return l.Holder
			}
		}
	}
	return "another process"
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
		Outlet: st.Outlet, Started: start, Finished: p.clk.Now(),
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
