package scrape

// One path for every page fetched, by a crawl or by Fetch: the transport
// that bounds bodies, the redirect policy, the headers refused, and the
// one classifier that names why a page failed.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gocolly/colly/v2"
)

const (
	maxRedirects  = 5
	maxRetryAfter = 5 * time.Minute
	maxBackoff    = time.Minute
	// challengeMax bounds the size of an ArvanCloud challenge page: real
	// articles are far larger, and may mention ArvanCloud in their text.
	challengeMax = 32 << 10
)

// errRedirect marks a redirect the crawler refused to follow.
var errRedirect = errors.New("redirect refused")

// errTooLarge ends the reading of a body longer than the limit.
var errTooLarge = errors.New("body too large")

// refuseHeaders returns the failure reason, and why, of a response whose
// headers show it is no page worth reading; "" for one that may be.
func refuseHeaders(h http.Header, maxBody int64) (reason, why string) {
	ce := h.Get("Content-Encoding")
	n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	switch {
	case err == nil && n > maxBody:
		return ReasonTooLarge, fmt.Sprintf("Content-Length %d is over the limit of %d bytes (crawl.max_body)", n, maxBody)
	// Go's transport has already decoded the gzip it asked for; a body
	// still encoded, or a gzip file, is no page (and see boundedTransport).
	case ce != "" && !strings.EqualFold(ce, "identity"):
		return ReasonEncoding, fmt.Sprintf("unsupported Content-Encoding %q", ce)
	case strings.Contains(h.Get("Content-Type"), "gzip"):
		return ReasonEncoding, fmt.Sprintf("a compressed file (%s), not a page", h.Get("Content-Type"))
	}
	return "", ""
}

// boundedTransport keeps colly from decompressing bodies and caps every
// body it reads. colly gunzips a body that still says gzip (an x-gzip
// encoding, a gzip media type, a .xml.gz path) after its size limit, so a
// megabyte of gzip would expand to gigabytes in memory; marking the body
// Uncompressed turns that off. The cap covers robots.txt, which colly reads
// whole and without its limit.
type boundedTransport struct {
	next    http.RoundTripper
	maxBody int64
}

func (t boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Uncompressed = true
	resp.Body = &cappedBody{ReadCloser: resp.Body, url: req.URL.String(), max: t.maxBody, left: t.maxBody + 1}
	return resp, nil
}

// cappedBody fails a read past max+1 bytes with errTooLarge. colly's own
// limit reader stops at max+1 (to tell a body of max bytes from a longer
// one), so only an unbounded reader (robots.txt) ever gets the error.
type cappedBody struct {
	io.ReadCloser
	url       string
	max, left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("%s: %w: more than %d bytes (crawl.max_body)", b.url, errTooLarge, b.max)
	}
	n, err := b.ReadCloser.Read(p[:min(int64(len(p)), b.left)])
	b.left -= int64(n)
	return n, err
}

// followRedirect is the redirect policy of every page fetched: over
// http(s), without loops, for at most maxRedirects hops, and only within
// hosts when it is not nil (robots.txt may be served from anywhere).
func followRedirect(hosts []string, req *http.Request, via []*http.Request) error {
	switch {
	case len(via) > maxRedirects:
		return fmt.Errorf("%w: more than %d redirects", errRedirect, maxRedirects)
	case req.URL.Scheme != "http" && req.URL.Scheme != "https":
		return fmt.Errorf("%w: to scheme %q", errRedirect, req.URL.Scheme)
	case hosts != nil && !containsFold(hosts, req.URL.Host):
		return fmt.Errorf("%w: off-site, to %s", errRedirect, req.URL)
	}
	for _, v := range via {
		if v.URL.String() == req.URL.String() {
			return fmt.Errorf("%w: loop back to %s", errRedirect, req.URL)
		}
	}
	return nil
}

// pageError describes a failed page. A timeout names the setting to look
// at: which layer noticed the deadline first (the transport's
// "Client.Timeout exceeded" or a bare "context deadline exceeded") is a
// race.
func pageError(pageURL, reason string, err error, timeout time.Duration) *PageError {
	msg := err.Error()
	if reason == ReasonTimeout {
		msg = fmt.Sprintf("no complete response within %v (crawl.timeout): %s", timeout, msg)
	}
	return &PageError{URL: pageURL, Reason: reason, Message: msg, err: err}
}

// classify names the failure reason of a request error; abort is the
// reason a callback gave when it aborted the transfer.
func classify(err error, status int, abort string) string {
	var ne net.Error
	switch {
	case abort != "":
		return abort
	case status >= 500:
		return ReasonHTTP5xx
	case status >= 400:
		return ReasonHTTP4xx
	case status >= 300:
		return ReasonRedirect // a redirect without a usable Location
	case errors.Is(err, colly.ErrRobotsTxtBlocked):
		return ReasonRobots
	case errors.Is(err, errTooLarge):
		return ReasonTooLarge
	case errors.Is(err, errRedirect):
		return ReasonRedirect
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ReasonTimeout
	case errors.As(err, new(*net.DNSError)):
		return ReasonDNS
	}
	// Anything else failed at the connection: reset, refused, closed
	// early.
	return ReasonReset
}

// retryable reports whether a failure may go away by itself.
func retryable(reason string, status int) bool {
	switch reason {
	case ReasonHTTP5xx, ReasonTimeout, ReasonReset, ReasonDNS:
		return true
	}
	return status == http.StatusTooManyRequests
}

// transient reports whether a page that failed for good in this run may
// succeed in the next: the feeds listing it then keep their old
// validators, so that the next run lists it again. A page gone (404), off
// limits (robots.txt), too large or without the profile's markup fails the
// same way next time, and holds no feed back.
func transient(reason string, status int, err error) bool {
	return retryable(reason, status) || reason == ReasonBlocked || errors.Is(err, errRobotsUnavailable)
}

// backoff is the wait before retry number attempt (from 1): base doubled
// per earlier retry, capped.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date,
// capped at maxRetryAfter.
func retryAfter(h *http.Header, now time.Time) (time.Duration, bool) {
	if h == nil {
		return 0, false
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, 0), maxRetryAfter), true
}

// isChallenge reports whether body is an ArvanCloud challenge page.
func isChallenge(body []byte) bool {
	return len(body) < challengeMax && bytes.Contains(bytes.ToLower(body), []byte("arvancloud"))
}
