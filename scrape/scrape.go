// Package scrape discovers article pages of an outlet (feeds, archive
// pages), fetches them politely with colly and extracts model.Articles with
// their raw paragraphs in display form.
//
// It knows nothing of cleaning or storage: every extracted page goes to a
// Sink, and the store answers the two questions the crawler has (Known,
// FeedCache) through interfaces defined here.
package scrape

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"mediadigest/model"
	"mediadigest/profile"
)

// Failure reasons: the values of PageError.Reason and the keys of
// Stats.Failures, used as metric labels.
const (
	ReasonHTTP4xx  = "http_4xx"
	ReasonHTTP5xx  = "http_5xx"
	ReasonTimeout  = "timeout"
	ReasonReset    = "reset" // connection reset, refused or closed early
	ReasonDNS      = "dns"   // host name not found: a typo in base_url, or DNS down
	ReasonTooLarge = "too_large"
	ReasonRedirect = "redirect" // loop, too many hops, off-site or odd scheme
	ReasonBlocked  = "blocked"  // ArvanCloud challenge page
	ReasonRobots   = "robots"
	ReasonEncoding = "encoding"
	ReasonExtract  = "extract" // no title or no body found
	ReasonFeed     = "feed"    // feed unparsable
)

// Outcomes a Sink reports for a page.
const (
	OutcomeNew       = "new"
	OutcomeUpdated   = "updated"
	OutcomeUnchanged = "unchanged"
)

// Options tune a Crawler. Zero values take the defaults noted. Delay and
// Parallelism pace each host across every run of the Crawler, whichever
// outlet asks it.
type Options struct {
	UserAgent   string        // default "mediadigest"
	Delay       time.Duration // between requests to one host; default none
	Parallelism int           // concurrent requests per host; default 1
	Timeout     time.Duration // per request, body included; default 30s
	MaxBody     int64         // larger bodies fail as too_large; default 10 MiB
	Retries     int           // retries of a failed request; default 3, negative for none
	Backoff     time.Duration // first retry delay, doubled per retry; default 1s
	MaxItems    int           // items of one feed a crawl considers, newest first; default 500
	// LoggedFailures is how many failed pages a run logs one by one; the
	// rest are summed up in one line per reason at its end. Default 20.
	LoggedFailures int
	Logger         *slog.Logger // default discards
	// Now is the clock of the pages' fetched times; default time.Now.
	Now func() time.Time
}

// Outlet is one configured outlet. Feeds and the profile's URLs resolve
// against BaseURL; empty Feeds mean the profile's.
type Outlet struct {
	ID, Name, BaseURL string
	Feeds             []string
	Profile           *profile.Profile
}

// Known tells the crawler which articles are stored already. Fetched is
// when the stored copy was last fetched (Page.Fetched); a stored article is
// fetched again only when its feed item says it changed after that.
type Known interface {
	Known(ctx context.Context, url string) (stored bool, fetched time.Time, err error)
}

// FeedCache keeps the conditional-GET validators of each feed between runs.
type FeedCache interface {
	FeedState(ctx context.Context, feedURL string) (etag, lastModified string, err error)
	SetFeedState(ctx context.Context, feedURL, etag, lastModified string) error
}

// Page is one fetched and extracted article.
type Page struct {
	Article model.Article
	Body    []byte // the HTML as fetched, decoded to UTF-8
	Fetched time.Time
}

// Sink receives every extracted page and reports one of the Outcome
// values. One run never calls it concurrently; runs side by side call
// theirs at once, so a sink shared by them must serialize what needs it.
// An error from the sink stops the run: pages that cannot be stored are
// not worth fetching.
type Sink func(ctx context.Context, p Page) (outcome string, err error)

// Stats count what one run did for one outlet.
type Stats struct {
	Outlet string
	// Pages counts the article pages asked for, Fetched those downloaded;
	// New, Updated and Unchanged split those the sink took; Skipped counts
	// stored articles not fetched again.
	Pages, Fetched, New, Updated, Unchanged, Skipped int
	// Failed counts pages (feeds, archive pages, articles) that failed
	// for good, after retries; Failures splits them by reason.
	Failed   int
	Failures map[string]int
	// Blocked is set when the outlet answered with a challenge page; the
	// run then stops asking it.
	Blocked bool
	Errors  []PageError // the first maxErrors failures
}

// PageError is one failed page: a failure of a crawl in Stats.Errors, the
// error of Fetch. Reason is one of the Reason values.
type PageError struct {
	URL, Reason, Message string
	err                  error // the cause, for errors.Is
}

func (e *PageError) Error() string {
	return fmt.Sprintf("scrape: %s: %s (%s)", e.URL, e.Message, e.Reason)
}

func (e *PageError) Unwrap() error { return e.err }

// Crawler fetches outlets. It is safe for concurrent use: outlets crawled
// side by side share only the politeness of the hosts they ask (delay,
// parallelism, Crawl-delay, Retry-After pauses; see gates), so different
// hosts never wait for each other. Every run builds its own collector, so
// nothing else leaks from one run into another.
type Crawler struct {
	opt   Options
	gates *gates
}

const (
	defaultUserAgent = "mediadigest"
	defaultTimeout   = 30 * time.Second
	defaultMaxBody   = 10 << 20
	defaultRetries   = 3
	defaultBackoff   = time.Second
	defaultMaxItems  = 500
	defaultLogged    = 20
)

// New returns a Crawler with o, defaults filled in.
func New(o Options) *Crawler {
	if o.UserAgent == "" {
		o.UserAgent = defaultUserAgent
	}
	if o.Parallelism < 1 {
		o.Parallelism = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = defaultMaxBody
	}
	switch {
	case o.Retries == 0:
		o.Retries = defaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.Backoff <= 0 {
		o.Backoff = defaultBackoff
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxItems <= 0 {
		o.MaxItems = defaultMaxItems
	}
	if o.LoggedFailures <= 0 {
		o.LoggedFailures = defaultLogged
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Crawler{opt: o, gates: newGates(o.Parallelism, o.Delay)}
}
