package daemon

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"mediadigest/config"
	"mediadigest/delivery"
	"mediadigest/health"
	"mediadigest/pipeline"
	"mediadigest/store"
)

// metrics are the daemon's Prometheus series, in a registry of their own
// so that nothing registered globally by a library leaks into /metrics.
//
// Counters count what this process did since it started. Gauges that
// describe the store (articles, outbox, last success) are read from it at
// every scrape, so they are right from the first scrape after a restart.
// Stories and removed paragraphs would cost a read of every clean view per
// scrape: they are counted in the store once at start-up, then taken from
// the ProcessReport of each crawl whose pass over the derived views was
// full (the first after a start is). Until the start-up count is done
// they are absent, not 0, so that no graph or alert takes a restart for
// an empty store.
type metrics struct {
	reg *prometheus.Registry

	// derivedMu orders the two writers of stories and removed: a
	// start-up count read before a crawl's full pass must not replace
	// the pass's newer report.
	derivedMu    sync.Mutex
	derivedKnown bool

	pagesFetched *prometheus.CounterVec
	pagesFailed  *prometheus.CounterVec
	articles     *prometheus.CounterVec
	crawlRuns    *prometheus.CounterVec
	stories      prometheus.Gauge
	removed      *prometheus.GaugeVec
	digestsQueue prometheus.Counter
	deliveries   *prometheus.CounterVec
	duration     *prometheus.HistogramVec

	stored          prometheus.Gauge
	outbox          *prometheus.GaugeVec
	lastSuccess     *prometheus.GaugeVec
	failuresInARow  *prometheus.GaugeVec
	subscribers     *prometheus.GaugeVec
	storeReadErrors prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		pagesFetched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mediadigest_crawl_pages_fetched_total",
			Help: "Article pages downloaded by scheduled crawls.",
		}, []string{"outlet"}),
		pagesFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mediadigest_crawl_pages_failed_total",
			Help: "Pages (feeds, articles) that failed for good after retries, by reason.",
		}, []string{"outlet", "reason"}),
		articles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mediadigest_crawl_articles_total",
			Help: "Fetched articles by what storing them did: new, updated or unchanged.",
		}, []string{"outlet", "outcome"}),
		crawlRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mediadigest_crawl_runs_total",
			Help: "Scheduled crawl runs by result: ok, failed, blocked (a challenge page) or cancelled (shutdown).",
		}, []string{"outlet", "result"}),
		stories: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mediadigest_stories",
			Help: "Stories (groups of republished articles) in the store, as counted at start-up or by the latest full pass over the derived views; absent until the first of them.",
		}),
		removed: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mediadigest_paragraphs_removed",
			Help: "Paragraphs the clean view leaves out, over all stored articles, by reason, as counted at start-up or by the latest full pass over the derived views.",
		}, []string{"reason"}),
		digestsQueue: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mediadigest_digests_queued_total",
			Help: "Digests the scheduler put in the outbox.",
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mediadigest_digest_attempts_total",
			Help: "Delivery attempts by result: sent, retry (temporary failure), failed (given up) or cancelled (the subscriber left before it went out).",
		}, []string{"result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mediadigest_job_duration_seconds",
			Help:    "Duration of scheduled jobs: task crawl (by outlet), digest, outbox or search merge.",
			Buckets: []float64{0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800},
		}, []string{"task", "outlet"}),
		stored: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "mediadigest_articles_stored",
			Help: "Articles in the store.",
		}),
		outbox: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mediadigest_outbox_items",
			Help: "Outbox rows by state: queued, sent, failed or cancelled.",
		}, []string{"state"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mediadigest_crawl_last_success_timestamp_seconds",
			Help: "End of the latest successful crawl of each outlet, Unix seconds (0: never).",
		}, []string{"outlet"}),
		failuresInARow: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mediadigest_crawl_consecutive_failures",
			Help: "Failed crawls of each outlet since its latest successful one.",
		}, []string{"outlet"}),
		subscribers: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "mediadigest_subscribers",
			Help: "Configured subscribers by state: active, paused or unsubscribed.",
		}, []string{"state"}),
		storeReadErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "mediadigest_metrics_store_errors_total",
			Help: "Scrapes whose store-backed gauges could not be refreshed (they keep older values).",
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.pagesFetched, m.pagesFailed, m.articles, m.crawlRuns, m.removed,
		m.digestsQueue, m.deliveries, m.duration,
		m.stored, m.outbox, m.lastSuccess, m.failuresInARow, m.subscribers, m.storeReadErrors,
	)
	return m
}

// setDerived sets the stories and removed paragraphs of the whole store,
// registering the stories gauge the first time so that it is absent until
// then.
func (m *metrics) setDerived(stories int, removed map[string]int) {
	if !m.derivedKnown {
		m.reg.MustRegister(m.stories)
		m.derivedKnown = true
	}
	m.stories.Set(float64(stories))
	m.removed.Reset()
	for reason, n := range removed {
		m.removed.WithLabelValues(reason).Set(float64(n))
	}
}

// derivedFromStore sets the derived-view gauges from the start-up count of
// the store, unless a full pass has reported newer ones meanwhile.
func (m *metrics) derivedFromStore(c store.DerivedCounts) {
	m.derivedMu.Lock()
	defer m.derivedMu.Unlock()
	if !m.derivedKnown {
		m.setDerived(c.Stories, c.Removed)
	}
}

// crawled records one crawl job, which ended with err and was cancelled
// by the daemon stopping or not.
func (m *metrics) crawled(rep pipeline.CrawlReport, err error, cancelled bool) {
	for _, st := range rep.Outlets {
		m.pagesFetched.WithLabelValues(st.Outlet).Add(float64(st.Fetched))
		for reason, n := range st.Failures {
			m.pagesFailed.WithLabelValues(st.Outlet, reason).Add(float64(n))
		}
		m.articles.WithLabelValues(st.Outlet, "new").Add(float64(st.New))
		m.articles.WithLabelValues(st.Outlet, "updated").Add(float64(st.Updated))
		m.articles.WithLabelValues(st.Outlet, "unchanged").Add(float64(st.Unchanged))
		result := "ok"
		switch {
		case st.Blocked:
			result = "blocked"
		case cancelled:
			result = "cancelled"
		case err != nil, pipeline.PagesAllFailed(st):
			result = "failed"
		}
		m.crawlRuns.WithLabelValues(st.Outlet, result).Inc()
	}
	// A full pass went over every stored article, so its report replaces
	// the previous one whole; a partial one counts only what it derived.
	if rep.Derived.Full {
		m.derivedMu.Lock()
		defer m.derivedMu.Unlock()
		m.setDerived(rep.Derived.Stories, rep.Derived.Removed)
	}
}

// delivered records one Deliver.
func (m *metrics) delivered(rep delivery.Report) {
	m.deliveries.WithLabelValues("sent").Add(float64(rep.Sent))
	m.deliveries.WithLabelValues("retry").Add(float64(rep.Retry))
	m.deliveries.WithLabelValues("failed").Add(float64(rep.Failed))
	m.deliveries.WithLabelValues("cancelled").Add(float64(rep.Cancelled))
}

// refresh reads the store-backed gauges.
func (m *metrics) refresh(ctx context.Context, st Store, cfg *config.Config, now time.Time) error {
	subs, err := st.Subscriptions(ctx)
	if err != nil {
		return fmt.Errorf("daemon: metrics: %w", err)
	}
	for state, n := range health.Subscribers(cfg, subs, now) {
		m.subscribers.WithLabelValues(state).Set(float64(n))
	}
	outlets := cfg.OutletIDs()
	n, err := st.CountArticles(ctx)
	if err != nil {
		return fmt.Errorf("daemon: metrics: %w", err)
	}
	m.stored.Set(float64(n))
	counts, err := st.OutboxCounts(ctx)
	if err != nil {
		return fmt.Errorf("daemon: metrics: %w", err)
	}
	for state, n := range counts {
		m.outbox.WithLabelValues(state).Set(float64(n))
	}
	health, err := st.OutletCrawls(ctx)
	if err != nil {
		return fmt.Errorf("daemon: metrics: %w", err)
	}
	byOutlet := map[string]int{}
	for i, h := range health {
		byOutlet[h.Outlet] = i
	}
	// Every configured outlet gets a series, 0 until its first success, so
	// an alert on staleness also fires for an outlet that never worked.
	// Outlets no longer configured are left out.
	for _, id := range outlets {
		var last, failures float64
		if i, ok := byOutlet[id]; ok {
			if t := health[i].LastSuccess; !t.IsZero() {
				last = float64(t.Unix())
			}
			failures = float64(health[i].ConsecutiveFailures)
		}
		m.lastSuccess.WithLabelValues(id).Set(last)
		m.failuresInARow.WithLabelValues(id).Set(failures)
	}
	return nil
}
