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
// agent, timeout, size limit, redirect policy (the outlet's own hosts only)
// and charset decoding, without a crawl's robots, retries or bookkeeping —
// a person asked for this one page.
func (c *Crawler) Fetch(ctx context.Context, o Outlet, pageURL string) ([]byte, error) {
	base, err := url.Parse(o.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("scrape: outlet %s: base URL: %w", o.ID, err)
	}
	client := &http.Client{
		Timeout: c.opt.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" || !ownHost(base, o.Profile, req.URL) {
				return fmt.Errorf("redirect to %s leaves the outlet", req.URL)
			}
			return nil
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pageURL, nil)
	if err != nil {
		return nil, fmt.Errorf("scrape: %s: %w", pageURL, err)
	}
	req.Header.Set("User-Agent", c.opt.UserAgent)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape: %s: %w", pageURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape: %s: HTTP %s", pageURL, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opt.MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("scrape: %s: %w", pageURL, err)
	}
	if int64(len(body)) > c.opt.MaxBody {
		return nil, fmt.Errorf("scrape: %s: body larger than %d bytes (crawl.max_body)", pageURL, c.opt.MaxBody)
	}
	if isChallenge(body) {
		return nil, fmt.Errorf("scrape: %s: %w", pageURL, errors.New("ArvanCloud challenge page instead of content: the outlet blocks the crawler"))
	}
	out, err := decode(body, resp.Header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("scrape: %s: %w", pageURL, err)
	}
	return out, nil
}
