// Package pipeline runs the ingest half of mediadigest for one config and
// one store: crawl and backfill the outlets (scrape) into the store, then
// derive what is computed from the stored articles — their clean view,
// stories and topics (dedupe, topics). What reads the stored stories
// afterwards — digests and their delivery, the desk — is package stories'
// and package delivery's (docs/architecture.md).
package pipeline

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"mediadigest/clock"
	"mediadigest/config"
	"mediadigest/dedupe"
	"mediadigest/internal/lease"
	"mediadigest/scrape"
	"mediadigest/store"
	"mediadigest/topics"
)

// Pipeline runs the stages over one store.
type Pipeline struct {
	cfg        *config.Config
	store      *store.Store
	log        *slog.Logger
	clk        clock.Clock
	crawler    *scrape.Crawler
	outlets    map[string]scrape.Outlet
	rules      map[string]dedupe.Rules
	classifier *topics.Classifier
	holder     string // this process, in backfill leases
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

// Options complete a Pipeline; the zero value of each field is its default.
type Options struct {
	Clock  clock.Clock  // nil: the system's
	Logger *slog.Logger // nil: slog.Default()
	Holder string       // this process in the store's leases; "": HOST:PID
}

// New builds the pipeline of cfg over st.
func New(cfg *config.Config, st *store.Store, o Options) (*Pipeline, error) {
	p := &Pipeline{
		cfg:        cfg,
		store:      st,
		log:        o.Logger,
		clk:        clock.Or(o.Clock),
		holder:     o.Holder,
		outlets:    map[string]scrape.Outlet{},
		rules:      map[string]dedupe.Rules{},
		classifier: topics.New(cfg.Topics, topics.WithMinScore(cfg.Digest.MinScore)),
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.holder == "" {
		p.holder = lease.DefaultHolder()
	}
	p.crawler = scrape.New(scrape.Options{
		UserAgent:   cfg.Crawl.UserAgent,
		Delay:       cfg.Crawl.Delay.D(),
		Parallelism: cfg.Crawl.Parallelism,
		Timeout:     cfg.Crawl.Timeout.D(),
		MaxBody:     int64(cfg.Crawl.MaxBody),
		Retries:     retries(cfg.Crawl.Retries),
		MaxItems:    cfg.Crawl.MaxItems,
		Logger:      p.log,
		Now:         p.clk.Now,
	})
	names := cfg.OutletNames()
	byName := map[string]string{}
	for _, o := range cfg.Outlets {
		byName[names[o.ID]] = o.ID
		byName[cfg.Profiles[o.ID].Name] = o.ID
	}
	for _, o := range cfg.Outlets {
		prof := cfg.Profiles[o.ID]
		p.outlets[o.ID] = scrape.Outlet{ID: o.ID, Name: names[o.ID], BaseURL: o.BaseURL, Feeds: o.Feeds, Profile: prof}
		r, err := dedupe.NewRules(prof, byName)
		if err != nil {
			return nil, fmt.Errorf("pipeline: outlet %s: %w", o.ID, err)
		}
		p.rules[o.ID] = r
	}
	return p, nil
}

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
