// Package daemon runs mediadigest as a service (SPEC §9): per-outlet crawl
// schedules, the digest schedule and outbox retries on robfig/cron in the
// configured time zone; at start-up, the crawls and digests missed while
// it was down; and an HTTP server for /healthz, /metrics and /preview.
//
// Scheduled times, not clock readings, define digest windows: the digest
// planned for 07:00 covers [end of the subscriber's previous window,
// 07:00), so a re-run after a crash computes the same window, hence the
// same outbox row and Message-ID, and nothing is missed or repeated
// across restarts and downtime.
//
// Several daemons may share a PostgreSQL store (cluster.lease): each
// registers itself and beats, an outlet is crawled by the daemon that
// holds its lease ("crawl:ID"), and the outbox rows are claimed row by row
// (pipeline.Deliverer), so the work is shared without doing any twice.
// Every daemon fires every schedule: a scheduled crawl another daemon has
// done is skipped, and a digest enqueued twice is one outbox row (its key
// is the subscriber and window), so no advisory lock or leader election is
// needed for schedules to take effect once. The same code runs on a
// SQLite store, where the one daemon wins every lease.
//
// Within one daemon, crawl jobs run one at a time, whatever their outlets: each ends by
// recomputing the derived views of every stored article (Process), which
// two jobs at once would do twice over, queued behind the store's single
// writer connection. Enqueueing and delivering run one at a time too: two
// Delivers at once would read the same due rows and send them twice.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"mediadigest/config"
	"mediadigest/mail"
	"mediadigest/model"
	"mediadigest/pipeline"
	"mediadigest/store"
)

// Store is what the daemon reads from the store besides the pipeline:
// digest windows, crawl runs and counts for the metrics. *store.Store
// implements it.
type Store interface {
	LastWindowEnd(ctx context.Context, subscriber string) (end time.Time, ok bool, err error)
	Health(ctx context.Context) ([]store.OutletHealth, error)
	OutboxCounts(ctx context.Context) (map[string]int, error)
	CountArticles(ctx context.Context) (int, error)
	DerivedCounts(ctx context.Context) (store.DerivedCounts, error)

	TryLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	RenewLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) error
	ReleaseLease(ctx context.Context, name, holder string) error
	Leases(ctx context.Context, now time.Time) ([]store.Lease, error)
	Register(ctx context.Context, p store.Process) error
	Heartbeat(ctx context.Context, id string, now time.Time) error
	Unregister(ctx context.Context, id string) error
}

const (
	// outboxRetry is how often the outbox is checked for digests due for
	// another attempt (mail.Backoff starts at one minute).
	outboxRetry = time.Minute
	// stopGrace is how long running jobs get to end after SIGTERM (SPEC
	// §9); deploy/mediadigest.service allows 40 s before SIGKILL.
	stopGrace = 30 * time.Second
	// httpGrace bounds the wait for HTTP requests in flight at shutdown.
	httpGrace = 5 * time.Second
)

// Daemon is the scheduler of one config over one store. On a SQLite store,
// hold its "serve" lock (store.AcquireLock) before running it: the file is
// for one process.
type Daemon struct {
	cfg   *config.Config
	store Store
	pipe  *pipeline.Pipeline
	out   *mail.Deliverer
	log   *slog.Logger
	now   func() time.Time
	m     *metrics
	// holder names this daemon in the store's leases and process list;
	// lease is cluster.lease.
	holder string
	lease  time.Duration

	crawlSched  map[string]cron.Schedule // by outlet id
	digestSched cron.Schedule

	// crawling and mailing are semaphores (see the package comment);
	// channels rather than mutexes so that a job waiting for its turn
	// gives up when the daemon stops.
	crawling chan struct{}
	mailing  chan struct{}
	// caughtUp is closed, by crawlsCaughtUp, once the start-up catch-up
	// has run the missed crawls: a scheduled digest due meanwhile waits
	// for them, so that the store it reads is the caught-up one (see
	// catchUp for what that changes).
	caughtUp       chan struct{}
	crawlsCaughtUp func()
}

// Option adjusts a Daemon.
type Option func(*Daemon)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(d *Daemon) { d.now = now } }

// New builds the daemon of cfg over st and the pipeline p (built on the
// same store).
func New(cfg *config.Config, st Store, p *pipeline.Pipeline, log *slog.Logger, opts ...Option) (*Daemon, error) {
	d := &Daemon{
		cfg: cfg, store: st, pipe: p, log: log, now: time.Now, m: newMetrics(),
		crawlSched: map[string]cron.Schedule{},
		crawling:   make(chan struct{}, 1),
		mailing:    make(chan struct{}, 1),
		caughtUp:   make(chan struct{}),
		holder:     p.Holder(),
		lease:      cfg.Cluster.Lease.D(),
	}
	d.crawlsCaughtUp = sync.OnceFunc(func() { close(d.caughtUp) })
	for _, o := range opts {
		o(d)
	}
	for _, o := range cfg.Outlets {
		s, err := parseSchedule(cfg.CrawlSchedule(o), cfg.Location)
		if err != nil {
			return nil, fmt.Errorf("daemon: crawl schedule of outlet %s: %w", o.ID, err)
		}
		d.crawlSched[o.ID] = s
	}
	var err error
	if d.digestSched, err = parseSchedule(cfg.Digest.Schedule, cfg.Location); err != nil {
		return nil, fmt.Errorf("daemon: digest.schedule: %w", err)
	}
	if d.out, err = p.Deliverer(); err != nil {
		return nil, fmt.Errorf("daemon: mail transport: %w", err)
	}
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
	srv := &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	d.log.Info("serving HTTP", "addr", ln.Addr().String())

	// cron gives its jobs no context: they share this one, cancelled first
	// thing at shutdown.
	jobs, cancel := context.WithCancel(ctx)
	defer cancel()
	cl := cronLogger{d.log}
	c := cron.New(cron.WithLocation(d.cfg.Location), cron.WithLogger(cl),
		cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)))
	for _, o := range d.cfg.Outlets {
		id := o.ID
		c.Schedule(d.crawlSched[id], cron.FuncJob(func() { d.crawl(jobs, id, false) }))
	}
	c.Schedule(d.digestSched, cron.FuncJob(func() { d.digestJob(jobs) }))
	c.Schedule(every{outboxRetry}, cron.FuncJob(func() { d.deliver(jobs) }))
	c.Schedule(every{d.lease / 3}, cron.FuncJob(func() { d.heartbeat(jobs) }))

	c.Start()
	// Read after Start: a firing between the two is then both run by cron
	// and seen by the catch-up, which finds it done, rather than neither.
	start := d.now()
	d.log.Info("scheduler started", "timezone", d.cfg.Location.String(), "outlets", len(d.cfg.Outlets),
		"digest_schedule", d.cfg.Digest.Schedule)
	var catchUp sync.WaitGroup
	// Counting the stored stories reads every clean view: it must not
	// hold the catch-up back.
	catchUp.Go(func() { d.recovered("metrics", func() { d.loadDerivedCounts(jobs) }) })
	catchUp.Go(func() {
		// A missed crawl waits for a scheduled one running (d.crawling)
		// rather than being skipped like a second run of a cron entry:
		// the missed digest comes after both.
		d.catchUp(jobs, start, func(outlet string) { d.crawl(jobs, outlet, true) })
	})

	var runErr error
	select {
	case <-ctx.Done():
		d.log.Info("stopping: cancelling running jobs", "grace_s", seconds(stopGrace))
	case err := <-served:
		runErr = fmt.Errorf("daemon: HTTP server on %s: %w", ln.Addr(), err)
		d.log.Error("stopping: HTTP server failed", "error", err)
	}
	cancel()
	cronDone := c.Stop()
	ended := make(chan struct{})
	go func() {
		<-cronDone.Done()
		catchUp.Wait()
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

// catchUp runs, at start-up (now), what was missed while the daemon was
// down: first the missed crawls, one after the other, then the missed
// digests, then whatever the outbox still holds. A missed digest's window
// ends at the scheduled time it missed, the same in every daemon that
// computes it, so what the catch-up crawls store arrives after it and goes
// into the next digest; only articles found more than model.LateArrival
// after their publication (which keep their published time) reach the
// missed digest through the crawls run first. A panic in one step is
// logged, and the next step runs: the daemon does not die at every start
// on one bad row.
func (d *Daemon) catchUp(ctx context.Context, now time.Time, crawl func(outlet string)) {
	func() {
		defer d.crawlsCaughtUp()
		missed, err := d.missedCrawls(ctx, now)
		if err != nil {
			d.log.Error("cannot tell which crawls were missed; waiting for the schedule", "error", err)
		}
		for _, id := range missed {
			if ctx.Err() != nil {
				return
			}
			d.log.Info("crawl missed while the daemon was down: running it now", "outlet", id)
			d.recovered("crawl", func() { crawl(id) }, "outlet", id)
		}
	}()
	if ctx.Err() != nil {
		return
	}
	d.recovered("catch-up", func() {
		d.send(ctx, "catch-up", func(lastEnd time.Time) (model.Window, bool) {
			return missedWindow(d.digestSched, now, lastEnd)
		})
	})
}

// recovered runs job, and logs a panic in it, with its stack, instead of
// letting it end the daemon: cron recovers only the jobs it runs itself.
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
	health, err := d.store.Health(ctx)
	if err != nil {
		return nil, fmt.Errorf("daemon: latest crawls: %w", err)
	}
	last := map[string]time.Time{}
	for _, h := range health {
		last[h.Outlet] = h.LastRun.Started
	}
	var missed []string
	for _, o := range d.cfg.Outlets {
		if crawlMissed(d.crawlSched[o.ID], now, last[o.ID]) {
			missed = append(missed, o.ID)
		}
	}
	return missed, nil
}

// crawl is the job of one outlet: one pass over its feeds, then Process.
// It runs under the outlet's lease, renewed while it runs; when another
// daemon holds the lease, or has already crawled the outlet since its
// latest scheduled time, there is nothing to do. missed says that the
// crawl is one missed while the daemon was down: one skipped then is
// logged as a warning, as the catch-up digest goes out without it.
func (d *Daemon) crawl(ctx context.Context, outlet string, missed bool) {
	if !acquire(ctx, d.crawling) {
		return
	}
	defer release(d.crawling)
	log := d.log.With("task", "crawl", "outlet", outlet)
	skipped := slog.LevelDebug
	if missed {
		skipped = slog.LevelWarn
	}
	ctx, done, ok := d.leased(ctx, log, "crawl:"+outlet, skipped)
	if !ok {
		return
	}
	defer done()
	if d.crawledElsewhere(ctx, log, outlet) {
		return
	}
	log.Info("job started")
	start := time.Now()
	rep, err := d.pipe.Crawl(ctx, []string{outlet})
	elapsed := time.Since(start)
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

// digestJob is the digest schedule's job: scheduledDigest, once the
// start-up catch-up has run the missed crawls.
func (d *Daemon) digestJob(ctx context.Context) {
	select {
	case <-d.caughtUp:
		d.scheduledDigest(ctx)
	case <-ctx.Done():
	}
}

// scheduledDigest sends the digests planned for the scheduled time of
// this run.
func (d *Daemon) scheduledDigest(ctx context.Context) {
	t := lastScheduled(d.digestSched, d.now())
	d.send(ctx, "digest", func(lastEnd time.Time) (model.Window, bool) {
		return digestWindow(d.digestSched, t, lastEnd)
	})
}

// send enqueues, for each subscriber, the digest of the window that
// window returns for the end of the subscriber's latest window (zero:
// none), then delivers everything due.
func (d *Daemon) send(ctx context.Context, task string, window func(lastEnd time.Time) (model.Window, bool)) {
	if !acquire(ctx, d.mailing) {
		return
	}
	defer release(d.mailing)
	log := d.log.With("task", task)
	log.Info("job started")
	start := time.Now()
	queued, errs := d.queue(ctx, log, window)
	rep, err := d.deliverDue(ctx)
	d.m.delivered(rep)
	errs = append(errs, err)
	elapsed := time.Since(start)
	d.m.duration.WithLabelValues("digest", "").Observe(elapsed.Seconds())
	finished(ctx, log, slog.LevelInfo, errors.Join(errs...),
		"duration_s", seconds(elapsed), "queued", queued, "sent", rep.Sent, "retry", rep.Retry, "failed", rep.Failed)
}

// queue enqueues each subscriber's window, under the store-wide queuing
// lease (pipeline.HoldEnqueue). It waits for the lease past the expiry of a
// dead holder's; if it still cannot have it, nothing is lost: the next
// run's windows start at each subscriber's last window end.
func (d *Daemon) queue(ctx context.Context, log *slog.Logger, window func(lastEnd time.Time) (model.Window, bool)) (queued int, errs []error) {
	ctx, release, err := d.pipe.HoldEnqueue(ctx, d.lease+10*time.Second)
	if err != nil {
		return 0, []error{err}
	}
	defer release()
	for _, sub := range d.cfg.Subscribers {
		lastEnd, _, err := d.store.LastWindowEnd(ctx, sub.Email)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		win, ok := window(lastEnd)
		if !ok {
			continue
		}
		it, created, err := d.out.Enqueue(ctx, sub.Email, win, d.now())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if created {
			queued++
			d.m.digestsQueue.Inc()
			log.Info("digest queued", "subscriber", sub.Email, "from", win.From.In(d.cfg.Location),
				"to", win.To.In(d.cfg.Location), "message_id", it.MessageID)
		}
	}
	return queued, errs
}

// deliver is the outbox job: another attempt at the digests due. It logs
// at Debug when there was nothing to do, which is most minutes.
func (d *Daemon) deliver(ctx context.Context) {
	if !acquire(ctx, d.mailing) {
		return
	}
	defer release(d.mailing)
	log := d.log.With("task", "outbox")
	log.Debug("job started")
	start := time.Now()
	rep, err := d.deliverDue(ctx)
	elapsed := time.Since(start)
	d.m.delivered(rep)
	d.m.duration.WithLabelValues("outbox", "").Observe(elapsed.Seconds())
	level := slog.LevelInfo
	if rep == (mail.Report{}) {
		level = slog.LevelDebug
	}
	finished(ctx, log, level, err, "duration_s", seconds(elapsed), "sent", rep.Sent, "retry", rep.Retry, "failed", rep.Failed)
}

// deliverDue delivers the digests due, finding the stories of each window
// once for all its subscribers rather than once per subscriber. Callers
// hold d.mailing.
func (d *Daemon) deliverDue(ctx context.Context) (mail.Report, error) {
	out := *d.out
	out.Render = d.pipe.BatchRender()
	return out.Deliver(ctx, d.now())
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

// acquire takes the semaphore sem unless ctx ends first.
func acquire(ctx context.Context, sem chan struct{}) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func release(sem chan struct{}) { <-sem }

// cronLogger passes cron's messages to slog. cron reports every timer
// wake-up at Info; those go to Debug, except a skipped run: a job
// outlasted its interval, which operators want to see.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, keysAndValues ...any) {
	level := slog.LevelDebug
	if msg == "skip" {
		level = slog.LevelWarn
		msg = "skip: the previous run of this job is still running"
	}
	l.log.Log(context.Background(), level, "cron: "+msg, keysAndValues...)
}

func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.Error("cron: "+msg, append(keysAndValues, "error", err)...)
}
