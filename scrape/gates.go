package scrape

import (
	"context"
	"strings"
	"sync"
	"time"
)

// gates hold the politeness of every host a Crawler asks, shared by all
// its runs (see docs/crawling.md): outlets crawled side by side never wait for each other, while
// two runs asking one host (two outlets on one site, a crawl beside a
// backfill) share its limits as one crawler would. They replace colly's
// limit rules, which belong to one collector each: a rule shared between
// collectors is re-initialised by each, and two rules for one host would
// double its parallelism.
type gates struct {
	parallelism int
	delay       time.Duration

	mu     sync.Mutex
	byHost map[string]*hostGate // by lower-case host, port included
}

func newGates(parallelism int, delay time.Duration) *gates {
	return &gates{parallelism: parallelism, delay: delay, byHost: map[string]*hostGate{}}
}

// of returns the gate of host, made on first use.
func (h *gates) of(host string) *hostGate {
	host = strings.ToLower(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	g := h.byHost[host]
	if g == nil {
		g = &hostGate{slots: make(chan struct{}, h.parallelism), delay: h.delay}
		h.byHost[host] = g
	}
	return g
}

// hostGate paces the requests to one host: at most parallelism at once,
// each slot kept for the delay after its answer was read (as colly's limit
// rules do), and none while the host asked to wait (Retry-After).
type hostGate struct {
	slots chan struct{}

	mu         sync.Mutex
	delay      time.Duration // crawl.delay
	crawlDelay time.Duration // robots.txt's Crawl-delay, when it set one
	notBefore  time.Time     // end of a Retry-After pause
}

// acquire takes one of the host's slots once no pause holds it, and
// reports false when ctx ends or stop closes first.
func (g *hostGate) acquire(ctx context.Context, stop <-chan struct{}) bool {
	for {
		if !g.waitPause(ctx, stop) {
			return false
		}
		select {
		case g.slots <- struct{}{}:
		case <-ctx.Done():
			return false
		case <-stop:
			return false
		}
		// A pause may have begun while this request waited for its slot.
		g.mu.Lock()
		paused := time.Now().Before(g.notBefore)
		g.mu.Unlock()
		if !paused {
			return true
		}
		<-g.slots
	}
}

// waitPause waits until no pause holds the host.
func (g *hostGate) waitPause(ctx context.Context, stop <-chan struct{}) bool {
	for {
		g.mu.Lock()
		d := time.Until(g.notBefore)
		g.mu.Unlock()
		if d <= 0 {
			return true
		}
		// The pause may grow while this request sleeps: look again.
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		case <-stop:
			t.Stop()
			return false
		}
	}
}

// release gives a slot back once the host's delay has passed.
func (g *hostGate) release() {
	g.mu.Lock()
	d := max(g.delay, g.crawlDelay)
	g.mu.Unlock()
	if d <= 0 {
		<-g.slots
		return
	}
	time.AfterFunc(d, func() { <-g.slots })
}

// pause keeps requests from going out before until. A Retry-After speaks
// for the host, not for the one page that got it: the other requests would
// go on asking an overloaded server otherwise.
func (g *hostGate) pause(until time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until.After(g.notBefore) {
		g.notBefore = until
	}
}

// setCrawlDelay records the Crawl-delay of the host's robots.txt as last
// read; it counts where it is longer than crawl.delay. It reports whether
// it is.
func (g *hostGate) setCrawlDelay(d time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.crawlDelay = d
	return d > g.delay
}
