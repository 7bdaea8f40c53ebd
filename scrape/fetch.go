package scrape

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/temoto/robotstxt"
)

// maxErrors bounds Stats.Errors.
const maxErrors = 50

type pageKind int

const (
	feedPage pageKind = iota
	archivePage
	articlePage
)

// job is one page to fetch. The fields below the first group belong to the
// goroutine fetching the job: colly runs synchronously, so its callbacks
// for one request (retries included) run one after another on that
// goroutine.
type job struct {
	kind    pageKind
	url     string      // for articles, the canonical URL
	found   []string    // for articles, the URLs the canonical one was made from
	header  http.Header // request headers (conditional GET)
	hint    time.Time   // feed item or archive time: the date fallback
	changed time.Time   // feed item's updated (else published) time
	feeds   []*job      // for articles, the feeds listing them
	items   []*job      // for feeds, the articles listed

	gate        *hostGate // the host slot the attempt in flight holds
	attempt     int
	abort       string // the reason a callback aborted the transfer with
	abortWhy    string // and what it saw
	contentType string // as the server sent it, charset included
	status      int    // the HTTP status of a failed attempt, else 0
	settled     bool   // the outcome is recorded (body kept, or failure counted)
	ok          bool
	notModified bool // a feed answered 304: read, with nothing new
	body        []byte
	respHeader  http.Header
	fetched     time.Time

	// retryLater, for feeds, says that an article they list failed in a
	// way that may pass (see transient); guarded by run.mu.
	retryLater bool
}

// run is one pass of a Crawler over one outlet, with its own collector.
type run struct {
	opt    Options
	outlet Outlet
	base   *url.URL
	hosts  []string // hosts the outlet serves from: redirects may go there
	known  Known
	sink   Sink
	log    *slog.Logger
	col    *colly.Collector

	ctx    context.Context
	cancel context.CancelCauseFunc

	robots robots
	gates  *gates // the Crawler's, shared by its runs

	// blocked is closed when the outlet answers with a challenge page: no
	// request goes out after it, and waits for a retry end.
	blocked chan struct{}

	sinkMu sync.Mutex // the sink is never called concurrently
	mu     sync.Mutex // guards the fields below and the jobs' retryLater
	stats  Stats
	// unlogged counts, by reason, the failures past Options.LoggedFailures
	// that were not logged one by one.
	unlogged map[string]int
}

func (c *Crawler) newRun(ctx context.Context, o Outlet, known Known, sink Sink) (*run, error) {
	if o.Profile == nil {
		return nil, fmt.Errorf("scrape: outlet %s: no profile", o.ID)
	}
	base, err := url.Parse(o.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("scrape: outlet %s: base URL %q is not an absolute http(s) URL", o.ID, o.BaseURL)
	}
	r := &run{
		opt:    c.opt,
		outlet: o,
		base:   base,
		known:  known,
		sink:   sink,
		log:    c.opt.Logger.With("outlet", o.ID),
		stats:  Stats{Outlet: o.ID, Failures: map[string]int{}},
		gates:  c.gates,

		blocked:  make(chan struct{}),
		unlogged: map[string]int{},
	}
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	r.hosts = append([]string{base.Host}, o.Profile.Hosts...)
	for _, f := range r.feedURLs() {
		if u, err := url.Parse(f); err == nil && !containsFold(r.hosts, u.Host) {
			r.hosts = append(r.hosts, u.Host)
		}
	}
	r.setupCollector()
	return r, nil
}

// setupCollector builds the run's collector. It is never shared: colly's
// visited map only grows. It has no limit rules: the Crawler's gates pace
// every host across runs (onRequest).
func (r *run) setupCollector() {
	// Init rather than NewCollector: NewCollector applies COLLY_*
	// environment variables after the options, which could switch robots.txt
	// off, lift the body limit or change the user agent behind our back.
	col := &colly.Collector{}
	col.Init()
	col.UserAgent = r.opt.UserAgent
	// The run reads robots.txt itself (robots.go) before each request.
	col.IgnoreRobotsTxt = true
	// The run dedupes URLs itself; colly's visited map would only make
	// redirects between already fetched pages fail.
	col.AllowURLRevisit = true
	// colly truncates silently at MaxBodySize: one byte more tells a body
	// at the limit from a longer one.
	col.MaxBodySize = int(r.opt.MaxBody + 1)
	col.Context = r.ctx
	col.WithTransport(boundedTransport{next: http.DefaultTransport, maxBody: r.opt.MaxBody})
	col.SetRequestTimeout(r.opt.Timeout)
	col.SetRedirectHandler(r.checkRedirect)
	r.robots = robots{byHost: map[string]*robotstxt.RobotsData{}}
	col.OnRequest(r.onRequest)
	col.OnResponseHeaders(r.onHeaders)
	col.OnResponse(func(resp *colly.Response) {
		j := jobOf(resp.Ctx)
		j.release()
		r.accept(j, resp)
	})
	col.OnError(r.onError)
	r.col = col
}

// feedURLs are the outlet's feeds resolved against its base URL.
func (r *run) feedURLs() []string {
	feeds := r.outlet.Feeds
	if len(feeds) == 0 {
		feeds = r.outlet.Profile.Feeds
	}
	var out []string
	for _, f := range feeds {
		if u, err := r.base.Parse(f); err == nil {
			out = append(out, u.String())
		}
	}
	return out
}

func jobOf(ctx *colly.Context) *job {
	j, _ := ctx.GetAny("job").(*job)
	return j
}

// get fetches j, retrying as needed. It reports whether j.body holds the
// page; a page that failed for good is counted before get returns.
func (r *run) get(j *job) bool {
	if r.stopped() {
		return false
	}
	// robots.txt speaks of the URLs a site links to: an article found at
	// a disallowed address is not fetched under its canonical one either.
	var err error
	for _, raw := range append(slices.Clip(j.found), j.url) {
		var u *url.URL
		if u, err = url.Parse(raw); err == nil {
			err = r.allowed(u)
		}
		if err != nil {
			break
		}
	}
	if err == nil {
		cctx := colly.NewContext()
		cctx.Put("job", j)
		// colly adds its own headers to the map it is given.
		err = r.col.Request(http.MethodGet, j.url, nil, cctx, j.header.Clone())
		// colly runs the callbacks of a request, retries included, before
		// Request returns; a path that skipped them still frees the slot.
		j.release()
	}
	if !j.settled && err != nil && r.ctx.Err() == nil {
		// Failures before the request is sent (robots.txt) never reach
		// OnError.
		r.fail(j, classify(err, 0, ""), err)
	}
	return j.ok
}

// stopped reports whether the run should ask nothing more of the outlet.
func (r *run) stopped() bool {
	select {
	case <-r.ctx.Done():
		return true
	case <-r.blocked:
		return true
	default:
		return false
	}
}

// sleep waits d, and reports false when the run stopped first.
func (r *run) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.ctx.Done():
		return false
	case <-r.blocked:
		return false
	}
}

// onRequest runs before every attempt, retries included: the attempt
// waits for a slot of its host, which onError or OnResponse frees (or get,
// when colly called neither).
func (r *run) onRequest(req *colly.Request) {
	j := jobOf(req.Ctx)
	g := r.gates.of(req.URL.Host)
	if !g.acquire(r.ctx, r.blocked) {
		req.Abort()
		return
	}
	j.gate = g
	j.abort, j.abortWhy, j.contentType, j.status = "", "", "", 0
	r.log.Debug("fetch", "url", req.URL.String(), "attempt", j.attempt+1)
}

func (r *run) onHeaders(resp *colly.Response) {
	j := jobOf(resp.Ctx)
	// colly transcodes bodies whose Content-Type names a non-UTF-8
	// charset before OnResponse, by the header alone. Hiding the charset
	// keeps the body as fetched, so decode can weigh BOM, header and meta
	// in their proper order.
	j.contentType = resp.Headers.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(j.contentType); err == nil {
		resp.Headers.Set("Content-Type", mt)
	} else {
		resp.Headers.Del("Content-Type")
	}
	if j.abort, j.abortWhy = refuseHeaders(*resp.Headers, r.opt.MaxBody); j.abort != "" {
		resp.Request.Abort()
	}
}

// release frees the host slot j's attempt holds, if any.
func (j *job) release() {
	if j.gate != nil {
		j.gate.release()
		j.gate = nil
	}
}

// accept keeps a successful response's body, unless it is too large or a
// challenge page.
func (r *run) accept(j *job, resp *colly.Response) {
	switch {
	case int64(len(resp.Body)) > r.opt.MaxBody:
		r.fail(j, ReasonTooLarge, fmt.Errorf("body larger than %d bytes", r.opt.MaxBody))
	case isChallenge(resp.Body):
		r.fail(j, ReasonBlocked, errors.New("ArvanCloud challenge page instead of content"))
	default:
		j.body, j.respHeader = resp.Body, resp.Headers.Clone()
		j.fetched = r.opt.Now().UTC()
		j.ok, j.settled = true, true
	}
}

func (r *run) onError(resp *colly.Response, err error) {
	j := jobOf(resp.Ctx)
	j.release() // before a retry asks for one again
	status := resp.StatusCode
	j.status = status
	switch {
	case status >= 200 && status < 300:
		// colly v2.3.0 reports 203–299 as errors.
		r.accept(j, resp)
		return
	case r.ctx.Err() != nil:
		return // cancelled: not the page's fault
	case j.kind == feedPage && status == http.StatusNotModified:
		j.settled, j.notModified = true, true // nothing new since the last pass
		return
	case status >= 400 && status < 500 && isChallenge(resp.Body):
		r.fail(j, ReasonBlocked, fmt.Errorf("HTTP %d: ArvanCloud challenge page", status))
		return
	}
	if status != 0 {
		err = fmt.Errorf("HTTP %d %s", status, http.StatusText(status))
	}
	if j.abortWhy != "" {
		err = errors.New(j.abortWhy)
	}
	reason := classify(err, status, j.abort)
	// The host's wish holds for every request to it, whether or not this
	// one is tried again (its retries may be spent, or there are none).
	paused := false
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		if d, ok := retryAfter(resp.Headers, time.Now()); ok {
			r.gates.of(resp.Request.URL.Host).pause(time.Now().Add(d))
			r.log.Info("host asks to wait (Retry-After)", "host", resp.Request.URL.Host, "wait_s", d.Seconds())
			paused = true
		}
	}
	if !retryable(reason, status) || j.attempt >= r.opt.Retries {
		r.fail(j, reason, err)
		return
	}
	j.attempt++
	wait := backoff(r.opt.Backoff, j.attempt)
	if paused {
		wait = 0 // the retry waits in onRequest with every other request to the host
	}
	r.log.Debug("retry", "url", j.url, "reason", reason, "attempt", j.attempt+1, "backoff_s", wait.Seconds())
	if !r.sleep(wait) {
		return
	}
	if err := resp.Request.Retry(); err != nil && !j.settled && r.ctx.Err() == nil {
		r.fail(j, classify(err, 0, ""), err)
	}
}

// checkRedirect follows the redirects followRedirect allows, to URLs
// robots.txt allows.
func (r *run) checkRedirect(req *http.Request, via []*http.Request) error {
	if err := followRedirect(r.hosts, req, via); err != nil {
		return err
	}
	return r.allowed(req.URL)
}

// fail counts j as failed for reason. A challenge page stops the run; the
// requests in flight then meet it too, and are counted, but the outlet is
// reported blocked once, with the first page that showed it.
func (r *run) fail(j *job, reason string, err error) {
	j.settled = true
	pe := pageError(j.url, reason, err, r.opt.Timeout)
	r.mu.Lock()
	s := &r.stats
	s.Failed++
	s.Failures[reason]++
	again := reason == ReasonBlocked && s.Blocked
	if !again && len(s.Errors) < maxErrors {
		s.Errors = append(s.Errors, *pe)
	}
	// A feed of thousands of dead links must not write thousands of lines:
	// past the limit, failures are summed up by finish.
	quiet := !again && reason != ReasonBlocked && s.Failed-s.Failures[ReasonBlocked] > r.opt.LoggedFailures
	if quiet {
		r.unlogged[reason]++
	}
	if reason == ReasonBlocked && !s.Blocked {
		s.Blocked = true
		close(r.blocked)
	}
	if transient(reason, j.status, err) {
		for _, f := range j.feeds {
			f.retryLater = true
		}
	}
	r.mu.Unlock()
	switch {
	case again || quiet:
		r.log.Debug("page failed", "url", j.url, "reason", reason, "err", err)
	case reason == ReasonBlocked:
		r.log.Warn("outlet blocks the crawler: nothing more is asked of it this run", "url", j.url, "err", err)
	default:
		r.log.Warn("page failed", "url", j.url, "reason", reason, "err", err)
	}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
