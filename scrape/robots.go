package scrape

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/temoto/robotstxt"
)

// maxCrawlDelay caps the Crawl-delay a robots.txt may ask for: beyond it a
// backfill of one day would take hours.
const maxCrawlDelay = time.Minute

// errRobotsUnavailable marks a robots.txt that could not be had for now
// (5xx): its host allows nothing until it answers again.
var errRobotsUnavailable = errors.New("robots.txt unavailable")

// robots is what the robots.txt of each host allows, read once a run. The
// run reads it itself rather than leave it to colly, which fetches it
// without the run's context and user agent, reads a server error as
// "everything allowed" and ignores Crawl-delay.
type robots struct {
	mu     sync.Mutex
	byHost map[string]*robotstxt.RobotsData
}

// allowed returns nil when the robots.txt of u's host allows u for the
// run's user agent, an error wrapping colly.ErrRobotsTxtBlocked when it
// does not, or the error that kept robots.txt from being read (tried again
// at the next URL of the host). When a run reads a host's robots.txt, its
// Crawl-delay, when longer than crawl.delay, becomes the host's delay.
func (r *run) allowed(u *url.URL) error {
	r.robots.mu.Lock()
	defer r.robots.mu.Unlock()
	data, ok := r.robots.byHost[u.Host]
	if !ok {
		var err error
		if data, err = r.readRobots(u); err != nil {
			return err
		}
		r.robots.byHost[u.Host] = data
		d := min(data.FindGroup(r.opt.UserAgent).CrawlDelay, maxCrawlDelay)
		if r.gates.of(u.Host).setCrawlDelay(d) {
			r.log.Info("robots.txt asks for a longer delay between requests than crawl.delay: using it",
				"host", u.Host, "crawl_delay_s", d.Seconds(), "crawl.delay_s", r.opt.Delay.Seconds())
		}
	}
	path := u.EscapedPath()
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	if !data.TestAgent(path, r.opt.UserAgent) {
		return fmt.Errorf("%w: %s", colly.ErrRobotsTxtBlocked, u)
	}
	return nil
}

// readRobots fetches and parses the robots.txt of u's host, following RFC
// 9309: 4xx means no rules; 5xx that nothing is allowed for now, an error
// wrapping colly.ErrRobotsTxtBlocked that is not kept for the run.
func (r *run) readRobots(u *url.URL) (*robotstxt.RobotsData, error) {
	loc := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/robots.txt"}).String()
	req, err := http.NewRequestWithContext(r.ctx, http.MethodGet, loc, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", r.opt.UserAgent)
	client := &http.Client{
		Transport: boundedTransport{next: http.DefaultTransport, maxBody: r.opt.MaxBody},
		Timeout:   r.opt.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			return followRedirect(nil, req, via)
		},
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("robots.txt: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("robots.txt: %w", err)
	}
	if resp.StatusCode >= 500 {
		return nil, fmt.Errorf("%w (%w): %s answered %s, which allows nothing until it answers again (RFC 9309)",
			colly.ErrRobotsTxtBlocked, errRobotsUnavailable, loc, resp.Status)
	}
	data, err := robotstxt.FromStatusAndBytes(resp.StatusCode, body)
	if err != nil {
		var perr *robotstxt.ParseError
		if errors.As(err, &perr) {
			// A file that does not parse has no rules a crawler can
			// follow; RFC 9309 reads what it can, and so does Google.
			return robotstxt.FromStatusAndBytes(http.StatusNotFound, nil)
		}
		return nil, fmt.Errorf("robots.txt of %s: %w", u.Host, err)
	}
	return data, nil
}
