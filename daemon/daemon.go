// Package daemon runs mediadigest as a service (docs/operations.md): the
// crawl schedule of each outlet, the digest schedule and outbox retries,
// in the configured time zone; at start-up, the crawls and digests missed
// while it was down; and an HTTP server for /healthz, /metrics and
// /preview.
//
// The schedules are cron specs (robfig/cron, read by package schedule),
// run by the daemon's own loop on an injected clock, so that a test can
// run the daemon on any day and move time instead of waiting for it.
//
// Scheduled times, not clock readings, define digest windows: the digest
// planned for 07:00 covers [end of the subscriber's previous window,
// 07:00), so a re-run after a crash computes the same window, hence the
// same outbox row and Message-ID, and nothing is missed or repeated
// across restarts and downtime (docs/windows.md).
//
// Several daemons may share a PostgreSQL store (docs/scale-out.md): each
// registers itself and beats, an outlet is crawled by the process that
// holds its lease ("crawl:ID"), and outbox rows are claimed row by row,
// so the work is shared without doing any twice. Every daemon fires every
// schedule: a scheduled crawl another daemon has done is skipped, and a
// digest queued twice is one outbox row (its key is the subscriber and
// window), so no advisory lock or leader election is needed. The same
// code runs on a SQLite store, where the one daemon wins every lease.
//
// Within one daemon, outlets are crawled side by side; each crawl ends by
// bringing the derived views up to date (pipeline.Process, one pass at a
// time). A job never overlaps itself: a run still going when its next
// time comes makes that time skipped, with a warning.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"mediadigest/clock"
	"mediadigest/config"
	"mediadigest/delivery"
	"mediadigest/health"
	"mediadigest/internal/lease"
	"mediadigest/pipeline"
	"mediadigest/schedule"
	"mediadigest/store"
)

// Store is what the daemon reads from the store besides the pipeline and
// delivery: crawl runs, counts for the metrics, its registration and
// heartbeats. *store.Store implements it.
type Store interface {
	health.Store
	CountArticles(ctx context.Context) (int, error)
	DerivedCounts(ctx context.Context) (store.DerivedCounts, error)
	Register(ctx context.Context, p store.Process) error
	Heartbeat(ctx context.Context, id string, now time.Time) error
	Unregister(ctx context.Context, id string) error
	SearchIndexSegments(ctx context.Context) (int, error)
}

// Crawler runs the crawl of an outlet due at a scheduled time, and merges
// the search index its passes write: *pipeline.Pipeline.
type Crawler interface {
	CrawlDue(ctx context.Context, id string, due time.Time) (pipeline.CrawlReport, error)
	MergeSearchIndex(ctx context.Context) error
}

const (
	// outboxRetry is how often the outbox is checked for digests due for
	// another attempt (delivery.Backoff starts at one minute).
	outboxRetry = time.Minute
	// stopGrace is how long running jobs get to end after SIGTERM;
	// deploy/mediadigest.service allows 40 s before SIGKILL.
	stopGrace = 30 * time.Second
	// httpGrace bounds the wait for HTTP requests in flight at shutdown.
	httpGrace = 5 * time.Second
	// maxMerge bounds the search merge, in real time: 1 min 23 s at a
	// million articles (BENCHMARKS.md, §9).
	maxMerge = 20 * time.Minute
)

// Daemon is the scheduler of one config over one store. On a SQLite store,
// hold its "serve" lock (store.AcquireLock) before running it: the file is
// for one process.
type Daemon struct {
	cfg   *config.Config
	store Store
	crawl Crawler
	mail  *delivery.Manager
	clk   clock.Clock
	log   *slog.Logger
	m     *metrics
	// holder names this daemon in the store's leases and process list;
	// lease is cluster.lease.
	holder string
	lease  time.Duration

	crawlSched  map[string]schedule.Schedule // by outlet id
	digestSched schedule.Schedule
	mergeSched  schedule.Schedule // nil: search.merge is ""

	// caughtUp is closed, by crawlsCaughtUp, once the start-up catch-up
	// has run the missed crawls: a scheduled digest due meanwhile waits
	// for them and for their derived views, so that a start-up is a crawl
	// round then the digests, as every scheduled round is.
	caughtUp       chan struct{}
	crawlsCaughtUp func()
	// pages are the readers' pages, served beside the daemon's own.
	pages http.Handler

	jobs []*job // the timetable Run runs, made once by New
}

// Options complete a Daemon; the zero value of each field is its default.
type Options struct {
	Clock  clock.Clock  // nil: the system's
	Logger *slog.Logger // nil: slog.Default()
	Holder string       // this daemon in leases and the process list; "": HOST:PID
	// Pages serve every path besides /healthz, /metrics and /preview: the
	// desk and the subscription pages. nil: those paths are 404.
	Pages http.Handler
}

// New builds the daemon of cfg over st, crawling with crawl and mailing
// with mail (both built on the same store).
func New(cfg *config.Config, st Store, crawl Crawler, mail *delivery.Manager, o Options) (*Daemon, error) {
	d := &Daemon{
		cfg: cfg, store: st, crawl: crawl, mail: mail,
		clk:        clock.Or(o.Clock),
		log:        o.Logger,
		holder:     o.Holder,
		m:          newMetrics(),
		lease:      cfg.Cluster.Lease.D(),
		crawlSched: map[string]schedule.Schedule{},
		caughtUp:   make(chan struct{}),
		pages:      o.Pages,
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if d.holder == "" {
		d.holder = lease.DefaultHolder()
	}
	d.crawlsCaughtUp = sync.OnceFunc(func() { close(d.caughtUp) })
	for _, o := range cfg.Outlets {
		s, err := schedule.Parse(cfg.CrawlSchedule(o), cfg.Location)
		if err != nil {
			return nil, fmt.Errorf("daemon: crawl schedule of outlet %s: %w", o.ID, err)
		}
		d.crawlSched[o.ID] = s
	}
	var err error
	if d.digestSched, err = schedule.Parse(cfg.Digest.Schedule, cfg.Location); err != nil {
		return nil, fmt.Errorf("daemon: digest.schedule: %w", err)
	}
	if cfg.Search.Merge != "" {
		if d.mergeSched, err = schedule.Parse(cfg.Search.Merge, cfg.Location); err != nil {
			return nil, fmt.Errorf("daemon: search.merge: %w", err)
		}
	}
	d.jobs = d.timetable()
	return d, nil
}

// Run serves HTTP on cfg.HTTP.Listen, catches up on missed crawls and
// digests, and runs the schedules until ctx is cancelled. Then it cancels
// the running jobs, waits up to 30 s for them to end, stops the HTTP
// server and returns nil. It returns an error only when it cannot start
// or the HTTP server fails.
func (d *Daemon) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", d.cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("daemon: listen on %s (http.listen): %w", d.cfg.HTTP.Listen, err)
	}
	unregister, err := d.register(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	defer unregister()
	srv := newServer(d.Handler())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	d.log.Info("serving HTTP", "addr", ln.Addr().String())

	// Jobs share this context, cancelled first thing at shutdown.
	jobs, cancel := context.WithCancel(ctx)
	defer cancel()
	var running sync.WaitGroup
	start := d.clk.Now()
	running.Go(func() { d.runSchedules(jobs, d.jobs, start, &running) })
	d.log.Info("scheduler started", "timezone", d.cfg.Location.String(), "outlets", len(d.cfg.Outlets),
		"digest_schedule", d.cfg.Digest.Schedule, "search_merge", d.cfg.Search.Merge)
	// Counting the stored stories reads every clean view: it must not
	// hold the catch-up back.
	running.Go(func() { d.recovered("metrics", func() { d.loadDerivedCounts(jobs) }) })
	running.Go(func() { d.catchUp(jobs, start) })

	var runErr error
	select {
	case <-ctx.Done():
		d.log.Info("stopping: cancelling running jobs", "grace_s", seconds(stopGrace))
	case err := <-served:
		runErr = fmt.Errorf("daemon: HTTP server on %s: %w", ln.Addr(), err)
		d.log.Error("stopping: HTTP server failed", "error", err)
	}
	cancel()
	ended := make(chan struct{})
	go func() {
		running.Wait()
		close(ended)
	}()
	select {
	case <-ended:
		d.log.Info("jobs ended")
	case <-time.After(stopGrace):
		// What they have not committed is rolled back when the store
		// closes: every write is one transaction.
		d.log.Warn("jobs still running after the grace period: abandoning them", "grace_s", seconds(stopGrace))
	}
	hctx, hcancel := context.WithTimeout(context.WithoutCancel(ctx), httpGrace)
	defer hcancel()
	if err := srv.Shutdown(hctx); err != nil && runErr == nil {
		d.log.Warn("HTTP server did not shut down cleanly", "error", err)
	}
	return runErr
}

// newServer is the daemon's HTTP server, with timeouts: a client that
// sends slowly, reads slowly or keeps an idle connection open is cut off
// rather than holding a connection for good.
func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       30 * time.Second,
	}
}

// job is one line of the daemon's timetable.
type job struct {
	task  string // for logs: "crawl isna", "digest", "outbox", "heartbeat"
	sched schedule.Schedule
	run   func(ctx context.Context, at time.Time)
	// quiet jobs log a skipped run at Debug: they run every minute or
	// more often, and a slow store makes them overlap harmlessly.
	quiet   bool
	running atomic.Bool
}

// timetable lists the daemon's jobs: each outlet's crawl, the digest, the
// outbox retries, the heartbeat and the search index's merge.
func (d *Daemon) timetable() []*job {
	var jobs []*job
	for _, o := range d.cfg.Outlets {
		id := o.ID
		jobs = append(jobs, &job{task: "crawl " + id, sched: d.crawlSched[id],
			run: func(ctx context.Context, _ time.Time) { d.crawlJob(ctx, id, false) }})
	}
	jobs = append(jobs,
		&job{task: "digest", sched: d.digestSched, run: d.digestJob},
		&job{task: "outbox", sched: schedule.Every(outboxRetry), run: func(ctx context.Context, _ time.Time) { d.outboxJob(ctx) }, quiet: true},
		&job{task: "heartbeat", sched: schedule.Every(d.lease / 3), run: func(ctx context.Context, _ time.Time) { d.heartbeat(ctx) }, quiet: true},
	)
	if d.mergeSched != nil {
		jobs = append(jobs, &job{task: "search merge", sched: d.mergeSched, run: func(ctx context.Context, _ time.Time) { d.mergeJob(ctx) }})
	}
	return jobs
}

// job returns the job of the timetable with task.
func (d *Daemon) job(task string) *job {
	i := slices.IndexFunc(d.jobs, func(j *job) bool { return j.task == task })
	return d.jobs[i]
}

// runSchedules sleeps on the clock until the next firing of any job, runs
// the jobs due, each in a goroutine of its own counted in running, and
// goes back to sleep, until ctx ends. A job is given the scheduled time it
// runs for: the latest firing at or before the clock's time, so that a
// run late by hours (a suspended machine) still knows its time.
func (d *Daemon) runSchedules(ctx context.Context, jobs []*job, from time.Time, running *sync.WaitGroup) {
	next := make([]time.Time, len(jobs))
	for i, j := range jobs {
		next[i] = j.sched.Next(from)
	}
	for {
		first := 0
		for i := range next {
			if next[i].Before(next[first]) {
				first = i
			}
		}
		if err := d.clk.SleepUntil(ctx, next[first]); err != nil {
			return
		}
		now := d.clk.Now()
		for i, j := range jobs {
			if next[i].After(now) {
				continue
			}
			at := schedule.Last(j.sched, now)
			next[i] = j.sched.Next(now)
			if !j.running.CompareAndSwap(false, true) {
				level := slog.LevelWarn
				if j.quiet {
					level = slog.LevelDebug
				}
				d.log.Log(ctx, level, "skipped: the previous run of this job is still running", "task", j.task, "scheduled", at)
				continue
			}
			running.Go(func() {
				defer j.running.Store(false)
				d.recovered(j.task, func() { j.run(ctx, at) })
			})
		}
	}
}

// catchUp runs, at start-up (now), what was missed while the daemon was
// down: first the missed crawls, side by side, then the missed digests,
// then whatever the outbox still holds. A missed digest's window ends at
// the scheduled time it missed, the same in every daemon that computes
// it, so what the catch-up crawls store arrives after it and goes into
// the next digest (docs/windows.md). A panic in one step is logged, and
// the next step runs: the daemon does not die at every start on one bad
// row.
func (d *Daemon) catchUp(ctx context.Context, now time.Time) {
	func() {
		defer d.crawlsCaughtUp()
		missed, err := d.missedCrawls(ctx, now)
		if err != nil {
			d.log.Error("cannot tell which crawls were missed; waiting for the schedule", "error", err)
		}
		var crawls sync.WaitGroup
		for _, id := range missed {
			// The catch-up's crawl is a run of the outlet's job: a tick of
			// its schedule meanwhile is skipped, not run beside it (the
			// crawl lease lets its holder in again).
			j := d.job("crawl " + id)
			if !j.running.CompareAndSwap(false, true) {
				d.log.Info("crawl missed while the daemon was down: its schedule runs it already", "outlet", id)
				continue
			}
			d.log.Info("crawl missed while the daemon was down: running it now", "outlet", id)
			crawls.Go(func() {
				defer j.running.Store(false)
				d.recovered("crawl", func() { d.crawlJob(ctx, id, true) }, "outlet", id)
			})
		}
		crawls.Wait()
	}()
	if ctx.Err() != nil {
		return
	}
	d.recovered("catch-up", func() { d.send(ctx, delivery.CatchUp(d.digestSched, now)) })
}

// recovered runs job, and logs a panic in it, with its stack, instead of
// letting it end the daemon.
func (d *Daemon) recovered(task string, job func(), attrs ...any) {
	defer func() {
		if r := recover(); r != nil {
			d.log.Error("job panicked", append(attrs, "task", task, "panic", r, "stack", string(debug.Stack()))...)
		}
	}()
	job()
}

// loadDerivedCounts sets the metrics of the derived views from the store,
// so that they are right before the first crawl's full pass reports them.
func (d *Daemon) loadDerivedCounts(ctx context.Context) {
	c, err := d.store.DerivedCounts(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("cannot count the stored stories: their metrics stay absent until the first crawl", "error", err)
		}
		return
	}
	d.m.derivedFromStore(c)
}

// missedCrawls lists the outlets, in config order, whose latest crawl
// started before their latest scheduled time at now, or that never ran.
func (d *Daemon) missedCrawls(ctx context.Context, now time.Time) ([]string, error) {
	crawls, err := d.store.OutletCrawls(ctx)
	if err != nil {
		return nil, fmt.Errorf("daemon: latest crawls: %w", err)
	}
	last := map[string]time.Time{}
	for _, c := range crawls {
		last[c.Outlet] = c.LastRun.Started
	}
	var missed []string
	for _, o := range d.cfg.Outlets {
		if schedule.Missed(d.crawlSched[o.ID], now, last[o.ID]) {
			missed = append(missed, o.ID)
		}
	}
	return missed, nil
}

// crawlJob is the job of one outlet: one pass over its feeds, then the
// derived views. When another daemon holds the outlet's lease, or has
// crawled it since its latest scheduled time (read under the lease),
// there is nothing to do. missed says the crawl is one missed while the
// daemon was down: one skipped then is logged as a warning, as the
// catch-up digest goes out without it.
func (d *Daemon) crawlJob(ctx context.Context, outlet string, missed bool) {
	log := d.log.With("task", "crawl", "outlet", outlet)
	// Whether the run is this daemon's is known once it holds the lease:
	// the start is worth a line only when debugging.
	log.Debug("job started")
	start := d.clk.Now()
	rep, err := d.crawl.CrawlDue(ctx, outlet, schedule.Last(d.crawlSched[outlet], start))
	if holder, ok := rep.Elsewhere[outlet]; ok {
		level := slog.LevelDebug
		if missed {
			level = slog.LevelWarn
		}
		log.Log(ctx, level, "another daemon holds the lease: skipping this run", "lease", "crawl:"+outlet, "holder", holder)
		return
	}
	if started, ok := rep.Fresh[outlet]; ok {
		log.Debug("crawled since its scheduled time already: skipping this run", "started", started)
		return
	}
	elapsed := d.clk.Now().Sub(start)
	d.m.duration.WithLabelValues("crawl", outlet).Observe(elapsed.Seconds())
	d.m.crawled(rep, err, ctx.Err() != nil)

	// The crawler has logged each failed page with its outlet and URL.
	attrs := []any{"duration_s", seconds(elapsed)}
	for _, st := range rep.Outlets {
		attrs = append(attrs, "fetched", st.Fetched, "new", st.New, "updated", st.Updated,
			"unchanged", st.Unchanged, "skipped", st.Skipped, "failed", st.Failed, "blocked", st.Blocked)
	}
	attrs = append(attrs, "articles", rep.Derived.Articles, "stories", rep.Derived.Stories)
	level := slog.LevelInfo
	if rep.Derived.Failed > 0 {
		// Each is logged with its URL and stack by the pass; this says
		// the job did not end clean.
		level = slog.LevelWarn
		attrs = append(attrs, "underived", rep.Derived.Failed)
	}
	finished(ctx, log, level, err, attrs...)
}

// digestJob is the digest schedule's job: the digests planned for at,
// once the start-up catch-up has run the missed crawls.
func (d *Daemon) digestJob(ctx context.Context, at time.Time) {
	select {
	case <-d.caughtUp:
		d.send(ctx, delivery.Scheduled(d.digestSched, at))
	case <-ctx.Done():
	}
}

// send queues each recipient's digest under plan, then sends everything
// due.
func (d *Daemon) send(ctx context.Context, plan delivery.Plan) {
	log := d.log.With("task", plan.Task)
	log.Info("job started")
	start := d.clk.Now()
	queued, qerr := d.mail.Queue(ctx, plan)
	d.m.digestsQueue.Add(float64(len(queued.Queued)))
	rep, err := d.mail.Send(ctx)
	d.m.delivered(rep)
	elapsed := d.clk.Now().Sub(start)
	d.m.duration.WithLabelValues("digest", "").Observe(elapsed.Seconds())
	finished(ctx, log, slog.LevelInfo, errors.Join(qerr, err),
		"duration_s", seconds(elapsed), "queued", len(queued.Queued), "sent", rep.Sent, "retry", rep.Retry, "failed", rep.Failed)
}

// outboxJob is another attempt at the digests due. It logs at Debug when
// there was nothing to do, which is most minutes.
func (d *Daemon) outboxJob(ctx context.Context) {
	log := d.log.With("task", "outbox")
	start := d.clk.Now()
	rep, err := d.mail.Send(ctx)
	elapsed := d.clk.Now().Sub(start)
	d.m.delivered(rep)
	d.m.duration.WithLabelValues("outbox", "").Observe(elapsed.Seconds())
	level := slog.LevelInfo
	if rep == (delivery.Report{}) {
		level = slog.LevelDebug
	}
	finished(ctx, log, level, err, "duration_s", seconds(elapsed), "sent", rep.Sent, "retry", rep.Retry, "failed", rep.Failed)
}

// mergeJob merges the search index into one segment, in steps that let
// the crawls write between them; the passes over the derived views wait
// for it (docs/search.md#merging-the-index). An index of one segment, or
// none (PostgreSQL), is left alone.
func (d *Daemon) mergeJob(ctx context.Context) {
	log := d.log.With("task", "search merge")
	before, err := d.store.SearchIndexSegments(ctx)
	if err != nil || before <= 1 {
		finished(ctx, log, slog.LevelDebug, err, "segments", before)
		return
	}
	log.Info("job started", "segments", before)
	start := d.clk.Now()
	// The passes wait for the merge, and articles indexed outside them (an
	// edited page a crawl stores, another process) start it over: bounded,
	// it leaves the rest to its next run rather than hold them back.
	merge, cancel := context.WithTimeout(ctx, maxMerge)
	err = d.crawl.MergeSearchIndex(merge)
	cancel()
	elapsed := d.clk.Now().Sub(start)
	d.m.duration.WithLabelValues("search merge", "").Observe(elapsed.Seconds())
	after, cerr := d.store.SearchIndexSegments(ctx)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		log.Warn("search merge stopped at its time limit: the rest waits for its next run", "limit_s", seconds(maxMerge),
			"segments_before", before, "segments", after)
		return
	}
	finished(ctx, log, slog.LevelInfo, errors.Join(err, cerr), "duration_s", seconds(elapsed), "segments_before", before, "segments", after)
}

// finished logs the end of a job at level, or as failed, or as cancelled
// when it failed because the daemon is stopping: that is no error.
func finished(ctx context.Context, log *slog.Logger, level slog.Level, err error, attrs ...any) {
	switch {
	case err != nil && ctx.Err() != nil:
		log.Info("job cancelled", append(attrs, "error", err)...)
	case err != nil:
		log.Error("job failed", append(attrs, "error", err)...)
	default:
		log.Log(ctx, level, "job finished", attrs...)
	}
}

// seconds is how durations are logged, under keys ending in "_s": a
// number in JSON and text alike (a time.Duration is nanoseconds in JSON),
// to the millisecond.
func seconds(d time.Duration) float64 { return d.Round(time.Millisecond).Seconds() }
