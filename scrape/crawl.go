package scrape

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/mmcdole/gofeed"

	"mediadigest/jalali"
)

// maxArchivePages bounds the paging of one archive day, in case an outlet
// keeps producing links.
const maxArchivePages = 500

// Crawl makes one pass over the outlet's feeds and fetches every listed
// article that is not stored yet, or that its feed says changed since it
// was fetched. Feeds are fetched with conditional GET when feeds is not
// nil. Their validators are saved unless an article they list failed in a
// way that may pass (timeout, reset, 5xx, 429, challenge page): the next
// pass then gets the whole feed and tries that article again. An article
// that fails for good (404, robots.txt, too large, off-site redirect, no
// markup) does not keep a feed from conditional GET. known may be nil
// (nothing is stored).
//
// Failed pages are counted in Stats and never stop the others. The error
// is for the run as a whole: a bad outlet, a failing Known, FeedCache or
// Sink, or ctx ending.
func (c *Crawler) Crawl(ctx context.Context, o Outlet, known Known, feeds FeedCache, sink Sink) (Stats, error) {
	r, err := c.newRun(ctx, o, known, sink)
	if err != nil {
		return Stats{Outlet: o.ID}, err
	}
	defer r.cancel(nil)

	urls := r.feedURLs()
	if len(urls) == 0 {
		return r.finish(fmt.Errorf("scrape: outlet %s: no feeds to crawl (set feeds in the config or the profile)", o.ID))
	}
	var feedJobs []*job
	for _, u := range urls {
		j := &job{kind: feedPage, url: u, header: http.Header{}}
		if feeds != nil {
			etag, modified, err := feeds.FeedState(r.ctx, u)
			if err != nil {
				return r.finish(fmt.Errorf("scrape: %s: feed state of %s: %w", o.ID, u, err))
			}
			if etag != "" {
				j.header.Set("If-None-Match", etag)
			}
			if modified != "" {
				j.header.Set("If-Modified-Since", modified)
			}
		}
		feedJobs = append(feedJobs, j)
	}
	r.each(feedJobs, func(f *job) { f.items = r.feed(f) })
	if err := r.anyFeedRead(feedJobs); err != nil {
		return r.finish(err)
	}
	articles, err := r.unknown(mergeArticles(feedJobs))
	if err != nil {
		return r.finish(err)
	}
	r.each(articles, r.article)

	if feeds != nil && !r.stopped() {
		for _, f := range feedJobs {
			if !f.ok || f.retryLater {
				continue
			}
			if err := feeds.SetFeedState(r.ctx, f.url, f.respHeader.Get("ETag"), f.respHeader.Get("Last-Modified")); err != nil {
				return r.finish(fmt.Errorf("scrape: %s: save feed state of %s: %w", o.ID, f.url, err))
			}
		}
	}
	return r.finish(nil)
}

// anyFeedRead fails the run when not one feed could be read: the outlet is
// down or blocks us, and the health checks must see a failed run, not an
// empty successful one.
func (r *run) anyFeedRead(feeds []*job) error {
	if r.ctx.Err() != nil {
		return nil
	}
	for _, f := range feeds {
		if f.ok || f.notModified {
			return nil
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stats.Blocked {
		return nil // reported as Blocked
	}
	msg := "no answer"
	if len(r.stats.Errors) > 0 {
		e := r.stats.Errors[0]
		msg = e.URL + ": " + e.Message
	}
	return fmt.Errorf("scrape: outlet %s: none of its %d feed(s) could be read (%s)", r.outlet.ID, len(feeds), msg)
}

// feed fetches and parses one feed and returns its article jobs.
func (r *run) feed(f *job) []*job {
	if !r.get(f) {
		return nil
	}
	parsed, err := gofeed.NewParser().Parse(bytes.NewReader(f.body))
	if err != nil {
		r.fail(f, ReasonFeed, fmt.Errorf("parse feed: %w", err))
		return nil
	}
	var out []*job
	for _, it := range parsed.Items {
		link := it.Link
		if link == "" && len(it.Links) > 0 {
			link = it.Links[0]
		}
		u, ok := Canonical(r.outlet, link)
		if !ok {
			continue
		}
		j := &job{kind: articlePage, url: u, found: foundAs(r.base, link, u), feeds: []*job{f}}
		switch {
		case it.PublishedParsed != nil:
			j.hint = it.PublishedParsed.UTC()
		case it.UpdatedParsed != nil:
			j.hint = it.UpdatedParsed.UTC()
		}
		j.changed = j.hint
		if it.UpdatedParsed != nil {
			j.changed = it.UpdatedParsed.UTC()
		}
		out = append(out, j)
	}
	return r.newest(f, out)
}

// newest keeps the crawl.max_items newest of a feed's articles, those
// without a date last: a feed of thousands of items (an archive dumped as
// a feed, a hostile one) costs no more than its newest. Ties keep the
// feed's order, which is newest first by custom.
func (r *run) newest(f *job, items []*job) []*job {
	if len(items) <= r.opt.MaxItems {
		return items
	}
	slices.SortStableFunc(items, func(a, b *job) int {
		if c := cmp.Compare(btoi(a.changed.IsZero()), btoi(b.changed.IsZero())); c != 0 {
			return c
		}
		return b.changed.Compare(a.changed)
	})
	r.log.Warn("feed lists more articles than crawl.max_items: the oldest are ignored",
		"feed", f.url, "articles", len(items), "ignored", len(items)-r.opt.MaxItems, "crawl.max_items", r.opt.MaxItems)
	return items[:r.opt.MaxItems]
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// mergeArticles lists the feeds' articles in feed order, folding an
// article listed by several feeds into one job: the first feed gives its
// date, the latest change counts.
func mergeArticles(feeds []*job) []*job {
	byURL := map[string]*job{}
	var out []*job
	for _, f := range feeds {
		for _, j := range f.items {
			if first, dup := byURL[j.url]; dup {
				if !slices.Contains(first.feeds, f) {
					first.feeds = append(first.feeds, f)
				}
				first.addFound(j.found)
				first.changed = later(first.changed, j.changed)
				continue
			}
			byURL[j.url] = j
			out = append(out, j)
		}
	}
	return out
}

// foundAs returns the address a link (raw) to the article stored under
// canonical was found at, resolved against base, when it differs from
// canonical: robots.txt is asked about both (run.get).
func foundAs(base *url.URL, raw, canonical string) []string {
	u, err := base.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil
	}
	u.Fragment, u.RawFragment = "", ""
	if s := u.String(); s != canonical {
		return []string{s}
	}
	return nil
}

// addFound adds the forms of j's URL in urls that it lacks.
func (j *job) addFound(urls []string) {
	for _, u := range urls {
		if !slices.Contains(j.found, u) {
			j.found = append(j.found, u)
		}
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Backfill fetches the articles of one day from the outlet's archive
// pages, paging from the profile's first page until a page adds no new
// article link. Stored articles are skipped. The archive item's time is the
// date of an article page that shows none.
func (c *Crawler) Backfill(ctx context.Context, o Outlet, day jalali.Date, known Known, sink Sink) (Stats, error) {
	r, err := c.newRun(ctx, o, known, sink)
	if err != nil {
		return Stats{Outlet: o.ID}, err
	}
	defer r.cancel(nil)
	if o.Profile.Archive.URL == "" {
		return r.finish(fmt.Errorf("scrape: outlet %s: profile %s has no archive URL", o.ID, o.Profile.ID))
	}

	seen := map[string]*job{}
	var articles []*job
	first := o.Profile.Archive.FirstPage
	for page := first; page < first+maxArchivePages && !r.stopped(); page++ {
		j := &job{kind: archivePage, url: r.archiveURL(day, page)}
		if !r.get(j) {
			break
		}
		body, err := r.decode(j)
		if err != nil {
			r.fail(j, ReasonEncoding, err)
			break
		}
		added := 0
		for _, l := range archiveLinks(r.outlet, body) {
			found := foundAs(r.base, l.href, l.url)
			if j := seen[l.url]; j != nil {
				j.addFound(found)
				continue
			}
			j := &job{kind: articlePage, url: l.url, found: found, hint: l.time}
			seen[l.url] = j
			articles = append(articles, j)
			added++
		}
		if added == 0 {
			break
		}
	}
	if articles, err = r.unknown(articles); err != nil {
		return r.finish(err)
	}
	r.each(articles, r.article)
	return r.finish(nil)
}

// archiveURL fills the profile's archive template for day and page.
func (r *run) archiveURL(day jalali.Date, page int) string {
	y, m, d := day.Year, day.Month, day.Day
	if r.outlet.Profile.Archive.Calendar == "gregorian" {
		t := day.Time(r.outlet.Profile.Location())
		y, m, d = t.Year(), int(t.Month()), t.Day()
	}
	s := strings.NewReplacer(
		"{year}", strconv.Itoa(y),
		"{month}", strconv.Itoa(m),
		"{day}", strconv.Itoa(d),
		"{mm}", fmt.Sprintf("%02d", m),
		"{dd}", fmt.Sprintf("%02d", d),
		"{page}", strconv.Itoa(page),
	).Replace(r.outlet.Profile.Archive.URL)
	u, err := r.base.Parse(s)
	if err != nil {
		return s
	}
	return u.String()
}

type archiveLink struct {
	url  string // canonical
	href string // as the page links it
	time time.Time
}

// archiveLinks lists the article links of an archive page: the profile's
// archive items, else every link that is an article of the outlet. Item
// times are read in the profile's zone.
func archiveLinks(o Outlet, body []byte) []archiveLink {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	arch := o.Profile.Archive
	sel := arch.Item
	if sel == "" {
		sel = "a[href]"
	}
	var out []archiveLink
	doc.Find(sel).Each(func(_ int, item *goquery.Selection) {
		a := item
		if goquery.NodeName(item) != "a" {
			a = item.Find("a[href]").First()
		}
		href := a.AttrOr("href", "")
		u, ok := Canonical(o, href)
		if !ok {
			return
		}
		l := archiveLink{url: u, href: href}
		if arch.ItemTime != "" {
			l.time = itemTime(item, arch.Item, arch.ItemTime, o.Profile.Location())
		}
		out = append(out, l)
	})
	return out
}

// itemTime finds the time of an archive item: the item selector may name
// the link, so the time is looked for in the closest ancestor that holds
// it, but never in one that spans several items.
func itemTime(item *goquery.Selection, itemSel, timeSel string, loc *time.Location) time.Time {
	for a := item; a.Length() > 0; a = a.Parent() {
		if a.Find(itemSel).Length() > 1 {
			break
		}
		el := a.Find(timeSel).First()
		if el.Length() == 0 {
			continue
		}
		v := el.AttrOr("title", "")
		if strings.TrimSpace(v) == "" {
			v = text(el)
		}
		if t, err := jalali.Parse(v, loc); err == nil {
			return t.UTC()
		}
		break
	}
	return time.Time{}
}

// unknown drops the articles stored already, unless their feed item
// changed after the stored copy was fetched.
func (r *run) unknown(jobs []*job) ([]*job, error) {
	if r.known == nil {
		return jobs, nil
	}
	var out []*job
	for _, j := range jobs {
		stored, fetched, err := r.known.Known(r.ctx, j.url)
		if err != nil {
			return nil, fmt.Errorf("scrape: %s: is %s stored: %w", r.outlet.ID, j.url, err)
		}
		if stored && !j.changed.After(fetched) {
			r.mu.Lock()
			r.stats.Skipped++
			r.mu.Unlock()
			continue
		}
		out = append(out, j)
	}
	return out, nil
}

// each runs fn on every job with as many workers as the per-host
// parallelism. Workers stop taking jobs when the run stops, so a
// cancellation waits at most for the requests in flight.
func (r *run) each(jobs []*job, fn func(*job)) {
	ch := make(chan *job)
	var wg sync.WaitGroup
	for range min(r.opt.Parallelism, len(jobs)) {
		wg.Go(func() {
			for j := range ch {
				fn(j)
			}
		})
	}
feed:
	for _, j := range jobs {
		if r.stopped() {
			break
		}
		select {
		case ch <- j:
		case <-r.ctx.Done():
			break feed
		}
	}
	close(ch)
	wg.Wait()
}

// article fetches and extracts one article and hands it to the sink.
func (r *run) article(j *job) {
	r.count(func(s *Stats) { s.Pages++ })
	if !r.get(j) {
		return
	}
	r.count(func(s *Stats) { s.Fetched++ })
	body, err := r.decode(j)
	if err != nil {
		r.fail(j, ReasonEncoding, err)
		return
	}
	a, err := Extract(r.outlet.Profile, j.url, body)
	if err != nil {
		r.fail(j, ReasonExtract, err)
		return
	}
	a.Outlet = r.outlet.ID
	a.FirstSeen = j.fetched
	if a.Published.IsZero() {
		a.Published, a.DateGuessed = j.hint, true
		if a.Published.IsZero() {
			a.Published = j.fetched
		}
	}
	r.store(Page{Article: a, Body: body, Fetched: j.fetched})
}

// decode reads j's body as text (Decode), and logs what Decode warns of
// with j's address.
func (r *run) decode(j *job) ([]byte, error) {
	text, warning, err := Decode(j.body, j.contentType)
	if warning != "" {
		r.log.Warn(warning, "url", j.url)
	}
	return text, err
}

// store hands p to the sink and counts the outcome; a sink error stops
// the run.
func (r *run) store(p Page) {
	r.sinkMu.Lock()
	outcome, err := r.sink(r.ctx, p)
	r.sinkMu.Unlock()
	if err == nil {
		switch outcome {
		case OutcomeNew:
			r.count(func(s *Stats) { s.New++ })
		case OutcomeUpdated:
			r.count(func(s *Stats) { s.Updated++ })
		case OutcomeUnchanged:
			r.count(func(s *Stats) { s.Unchanged++ })
		default:
			err = fmt.Errorf("unknown outcome %q", outcome)
		}
	}
	if err != nil && r.ctx.Err() == nil {
		r.cancel(fmt.Errorf("scrape: %s: store %s: %w", r.outlet.ID, p.Article.URL, err))
	}
}

func (r *run) count(f func(*Stats)) {
	r.mu.Lock()
	f(&r.stats)
	r.mu.Unlock()
}

// finish returns the run's stats and its error: err, else why the run's
// context ended.
func (r *run) finish(err error) (Stats, error) {
	if err == nil && r.ctx.Err() != nil {
		err = context.Cause(r.ctx)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("scrape: %s: %w", r.outlet.ID, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, reason := range slices.Sorted(maps.Keys(r.unlogged)) {
		r.log.Warn("pages failed beyond the ones logged one by one",
			"reason", reason, "pages", r.unlogged[reason], "logged", r.opt.LoggedFailures)
	}
	return r.stats, err
}
