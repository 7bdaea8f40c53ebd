package scrape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Fetch downloads one page for the extract command: the crawler's user
// agent, timeout, size limit, redirect policy (the outlet's own hosts
// only), host politeness and charset decoding, without a crawl's robots,
// retries or bookkeeping — a person asked for this one page. A failure is
// a *PageError with the crawl's reason for it.
func (c *Crawler) Fetch(ctx context.Context, o Outlet, pageURL string) ([]byte, error) {
	base, err := url.Parse(o.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("scrape: outlet %s: base URL: %w", o.ID, err)
	}
	u, err := url.Parse(pageURL)
	if err != nil {
		return nil, fmt.Errorf("scrape: %s: %w", pageURL, err)
	}
	hosts := []string{base.Host}
	if o.Profile != nil {
		hosts = append(hosts, o.Profile.Hosts...)
	}
	body, contentType, reason, err := c.get(ctx, u, hosts)
	if err != nil {
		return nil, pageError(pageURL, reason, err, c.opt.Timeout)
	}
	text, warning, err := Decode(body, contentType)
	if err != nil {
		return nil, pageError(pageURL, ReasonEncoding, err, c.opt.Timeout)
	}
	if warning != "" {
		c.opt.Logger.Warn(warning, "url", pageURL)
	}
	return text, nil
}

// get fetches u once and returns its body and Content-Type, or the
// failure's reason and error, classified as a crawl classifies them.
func (c *Crawler) get(ctx context.Context, u *url.URL, hosts []string) (body []byte, contentType, reason string, err error) {
	client := &http.Client{
		Transport: boundedTransport{next: http.DefaultTransport, maxBody: c.opt.MaxBody},
		Timeout:   c.opt.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			return followRedirect(hosts, req, via)
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", ReasonReset, err
	}
	req.Header.Set("User-Agent", c.opt.UserAgent)
	g := c.gates.of(u.Host)
	if !g.acquire(ctx, nil) {
		return nil, "", classify(ctx.Err(), 0, ""), ctx.Err()
	}
	defer g.release()
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", classify(err, 0, ""), err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		err := fmt.Errorf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			if b, _ := io.ReadAll(io.LimitReader(resp.Body, challengeMax)); isChallenge(b) {
				return nil, "", ReasonBlocked, fmt.Errorf("%w: ArvanCloud challenge page", err)
			}
		}
		return nil, "", classify(err, resp.StatusCode, ""), err
	}
	if reason, why := refuseHeaders(resp.Header, c.opt.MaxBody); reason != "" {
		return nil, "", reason, errors.New(why)
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, c.opt.MaxBody+1))
	switch {
	case err != nil:
		return nil, "", classify(err, 0, ""), err
	case int64(len(body)) > c.opt.MaxBody:
		return nil, "", ReasonTooLarge, fmt.Errorf("body larger than %d bytes (crawl.max_body)", c.opt.MaxBody)
	case isChallenge(body):
		return nil, "", ReasonBlocked, errors.New("ArvanCloud challenge page instead of content: the outlet blocks the crawler")
	}
	return body, resp.Header.Get("Content-Type"), "", nil
}
