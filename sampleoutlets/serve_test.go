package sampleoutlets

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/mmcdole/gofeed"
	"github.com/temoto/robotstxt"

	"mediadigest/profile"
)

// realHosts must not survive in any served body.
var realHosts = []string{"https://www.isna.ir", "https://amp.isna.ir", "https://eghtesaad24.ir"}

func start(t *testing.T) *Outlets {
	t.Helper()
	o, err := Start(Reference)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Close)
	return o
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, rawURL string, header ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func builtin(t *testing.T, id string) *profile.Profile {
	t.Helper()
	p, err := profile.Builtin(id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sampleDays are the Jalali days the sample outlets publish on.
var sampleDays = []struct{ year, month, day int }{{1405, 9, 4}, {1405, 9, 5}}

// archiveURL fills a profile's archive URL template.
func archiveURL(base string, p *profile.Profile, year, month, day, page int) string {
	return base + strings.NewReplacer(
		"{year}", strconv.Itoa(year),
		"{month}", strconv.Itoa(month), "{day}", strconv.Itoa(day),
		"{mm}", twoDigits(month), "{dd}", twoDigits(day),
		"{page}", strconv.Itoa(page),
	).Replace(p.Archive.URL)
}

func twoDigits(n int) string { return strconv.Itoa(n/10) + strconv.Itoa(n%10) }

// archiveLinks returns the article links of one archive page, absolute, in
// page order: the profile's item selector, or every link matching the
// article URL pattern when the profile has none (Eghtesad24, docs/configuration.md#the-built-in-profiles).
func archiveLinks(t *testing.T, pageURL, body string, p *profile.Profile) []string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		t.Fatal(err)
	}
	pattern := regexp.MustCompile(p.ArticleURL)
	sel := p.Archive.Item
	if sel == "" {
		sel = "a[href]"
	}
	var links []string
	doc.Find(sel).Each(func(_ int, a *goquery.Selection) {
		u, err := base.Parse(a.AttrOr("href", ""))
		if err != nil {
			t.Errorf("%s: bad link %q: %v", pageURL, a.AttrOr("href", ""), err)
			return
		}
		if pattern.MatchString(u.Path) && !slices.Contains(links, u.String()) {
			links = append(links, u.String())
		}
	})
	return links
}

// walkArchive pages through one day's archive as backfill would, until a
// page adds no new article, and returns the articles and the pages that
// listed some.
func walkArchive(t *testing.T, base string, p *profile.Profile, year, month, day int) (links []string, pages int) {
	t.Helper()
	for page := p.Archive.FirstPage; ; page++ {
		u := archiveURL(base, p, year, month, day, page)
		r := get(t, u)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: status %d", u, r.status)
		}
		added := 0
		for _, l := range archiveLinks(t, u, r.body, p) {
			if !slices.Contains(links, l) {
				links = append(links, l)
				added++
			}
		}
		if added == 0 {
			return links, pages
		}
		pages++
	}
}

// articleID is the id the profile's article pattern captures from a URL.
func articleID(t *testing.T, p *profile.Profile, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(p.ArticleURL).FindStringSubmatch(u.Path)
	if m == nil {
		t.Fatalf("%s is not an article URL of %s", rawURL, p.ID)
	}
	return m[1]
}

func TestArchivesListEveryArticleAndServeIt(t *testing.T) {
	o := start(t)
	for _, id := range []string{ISNA, Eghtesad24} {
		t.Run(id, func(t *testing.T) {
			p := builtin(t, id)
			total := 0
			for _, d := range sampleDays {
				links, pages := walkArchive(t, o.URL(id), p, d.year, d.month, d.day)
				if pages < 2 {
					t.Errorf("%d/%d/%d: %d archive pages, want the day to span 2", d.year, d.month, d.day, pages)
				}
				for _, l := range links {
					r := get(t, l)
					if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/html; charset=utf-8" {
						t.Errorf("GET %s: %d %q", l, r.status, r.header.Get("Content-Type"))
					}
				}
				total += len(links)
			}
			if total < 16 {
				t.Errorf("%d articles over the sample days, want at least 16", total)
			}
		})
	}
}

func TestArchiveOfADayWithoutArticlesIsEmpty(t *testing.T) {
	o := start(t)
	for _, id := range []string{ISNA, Eghtesad24} {
		p := builtin(t, id)
		u := archiveURL(o.URL(id), p, 1405, 9, 3, p.Archive.FirstPage)
		r := get(t, u)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: status %d", u, r.status)
		}
		if links := archiveLinks(t, u, r.body, p); len(links) != 0 {
			t.Errorf("GET %s lists %d articles, want none", u, len(links))
		}
	}
}

func TestFeeds(t *testing.T) {
	o := start(t)
	tests := []struct {
		outlet, path string
		// archiveOnly: some archive articles must be missing from the
		// feed, so that backfill has something to find.
		archiveOnly bool
	}{
		{ISNA, "/rss", true},
		{ISNA, "/rss/tp/34", true},
		{Eghtesad24, "/fa/rss/allnews", true},
	}
	for _, tt := range tests {
		t.Run(tt.outlet+tt.path, func(t *testing.T) {
			p := builtin(t, tt.outlet)
			r := get(t, o.URL(tt.outlet)+tt.path)
			if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/rss+xml; charset=utf-8" {
				t.Fatalf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
			}
			feed, err := gofeed.NewParser().ParseString(r.body)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(feed.Items); n == 0 || n > 12 {
				t.Errorf("%d items, want 1 to 12", n)
			}
			inFeed := map[string]bool{}
			var prev time.Time
			for i, it := range feed.Items {
				if !strings.HasSuffix(it.Published, " GMT") || it.PublishedParsed == nil {
					t.Errorf("item %d: pubDate %q is not an RFC 822 date in GMT", i, it.Published)
				} else {
					if i > 0 && it.PublishedParsed.After(prev) {
						t.Errorf("item %d (%s) is newer than the one before: feeds list newest first", i, it.Published)
					}
					prev = *it.PublishedParsed
				}
				if !strings.HasPrefix(it.Link, o.URL(tt.outlet)+"/") {
					t.Errorf("item %d: link %s is not on the loopback server", i, it.Link)
				}
				if r := get(t, it.Link); r.status != http.StatusOK {
					t.Errorf("GET %s: status %d", it.Link, r.status)
				}
				inFeed[articleID(t, p, it.Link)] = true
			}
			missing := 0
			for _, d := range sampleDays {
				links, _ := walkArchive(t, o.URL(tt.outlet), p, d.year, d.month, d.day)
				for _, l := range links {
					if !inFeed[articleID(t, p, l)] {
						missing++
					}
				}
			}
			if tt.archiveOnly && missing == 0 {
				t.Error("every archived article is in the feed; want some only in the archive")
			}
		})
	}
}

func TestEconomyFeedLinksCarryTracking(t *testing.T) {
	o := start(t)
	r := get(t, o.URL(ISNA)+"/rss/tp/34")
	feed, err := gofeed.NewParser().ParseString(r.body)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range feed.Items {
		u, err := url.Parse(it.Link)
		if err != nil {
			t.Fatal(err)
		}
		if u.Query().Get("utm_source") == "" {
			t.Errorf("%s has no utm_source", it.Link)
		}
		if r := get(t, it.Link); r.status != http.StatusOK {
			t.Errorf("GET %s: status %d", it.Link, r.status)
		}
	}
}

func TestBodiesNameOnlyLoopbackHosts(t *testing.T) {
	o := start(t)
	isna, egh := o.URL(ISNA), o.URL(Eghtesad24)
	pages := []string{
		isna + "/robots.txt", isna + "/rss", isna + "/rss/tp/34",
		isna + "/page/archive.xhtml?ms=0&dy=5&mn=9&yr=1405&pi=1",
		isna + "/news/1405090501372", isna + "/news/1405090500940",
		egh + "/robots.txt", egh + "/fa/rss/allnews",
		egh + "/fa/archive?service_id=-1&sec_id=-1&cat_id=-1&rpp=100&from_date=1405/09/05&to_date=1405/09/05&p=1",
		egh + "/fa/news/312480", egh + "/fa/news/312508",
	}
	for _, u := range pages {
		r := get(t, u)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: status %d", u, r.status)
			continue
		}
		for _, h := range realHosts {
			if strings.Contains(r.body, h) {
				t.Errorf("GET %s: body still names %s", u, h)
			}
		}
	}
	// The related box of the gasoline article links the gas story's AMP copy.
	page := get(t, isna+"/news/1405090501372").body
	amp := isna + "/amp/news/1405090500087"
	if !strings.Contains(page, `href="`+amp+`"`) {
		t.Errorf("ISNA 1405090501372 does not link %s", amp)
	}
	if a, b := get(t, amp), get(t, isna+"/news/1405090500087"); a.status != http.StatusOK || a.body != b.body {
		t.Errorf("GET %s: status %d, want the article page itself", amp, a.status)
	}
}

func TestUnknownPathsAreNotFound(t *testing.T) {
	o := start(t)
	tests := []struct{ outlet, path string }{
		{ISNA, "/"},
		{ISNA, "/news/140509050137"},            // 12 digits
		{ISNA, "/news/1405090599999/slug"},      // no such article
		{ISNA, "/news/1405090501372/a/b"},       // extra segment
		{ISNA, "/rss/tp/14"},                    // feed not bundled
		{ISNA, "/page/archive.xhtml?dy=4&mn=9"}, // no year
		{ISNA, "/page/archive.xhtml?yr=1405&mn=9&dy=../4"},
		{ISNA, "/fa/news/312480"}, // the other outlet's path
		{Eghtesad24, "/fa/news/999999"},
		{Eghtesad24, "/fa/rss/economy"},
		{Eghtesad24, "/fa/archive?p=1"},
		{Eghtesad24, "/sitemap.xml"},
	}
	for _, tt := range tests {
		u := o.URL(tt.outlet) + tt.path
		if r := get(t, u); r.status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", u, r.status)
		}
	}
}

func TestArticleSlugIsOptional(t *testing.T) {
	o := start(t)
	tests := []string{
		o.URL(ISNA) + "/news/1405090501372",
		o.URL(ISNA) + "/news/1405090501372/",
		o.URL(ISNA) + "/news/1405090501372/any-slug",
		o.URL(Eghtesad24) + "/fa/news/312480",
		o.URL(Eghtesad24) + "/fa/news/312480/%D8%B9%D9%86%D9%88%D8%A7%D9%86",
	}
	for _, u := range tests {
		if r := get(t, u); r.status != http.StatusOK {
			t.Errorf("GET %s: status %d", u, r.status)
		}
	}
}

func TestConditionalGetOnFeeds(t *testing.T) {
	o := start(t)
	for _, feed := range []string{o.URL(ISNA) + "/rss", o.URL(Eghtesad24) + "/fa/rss/allnews"} {
		first := get(t, feed)
		etag, modified := first.header.Get("ETag"), first.header.Get("Last-Modified")
		if etag == "" || modified == "" {
			t.Fatalf("GET %s: ETag %q, Last-Modified %q; want both", feed, etag, modified)
		}
		lm, err := http.ParseTime(modified)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			header []string
			want   int
		}{
			{"same ETag", []string{"If-None-Match", etag}, http.StatusNotModified},
			{"other ETag", []string{"If-None-Match", `"0123456789abcdef"`}, http.StatusOK},
			{"not modified since", []string{"If-Modified-Since", modified}, http.StatusNotModified},
			{"modified since", []string{"If-Modified-Since", lm.Add(-time.Hour).Format(http.TimeFormat)}, http.StatusOK},
		}
		for _, tt := range tests {
			r := get(t, feed, tt.header...)
			if r.status != tt.want {
				t.Errorf("%s, %s: status %d, want %d", feed, tt.name, r.status, tt.want)
			}
			if tt.want == http.StatusOK && r.body != first.body {
				t.Errorf("%s, %s: body differs from the first GET", feed, tt.name)
			}
		}
	}
}

func TestRobots(t *testing.T) {
	o := start(t)
	tests := []struct {
		outlet  string
		allowed []string
		blocked []string
	}{
		{ISNA,
			[]string{"/rss", "/rss/tp/34", "/news/1405090501372/slug", "/page/archive.xhtml?ms=0&dy=4&mn=9&yr=1405&pi=1"},
			[]string{"/page/search.xhtml?q=نفت", "/search"}},
		{Eghtesad24,
			[]string{"/fa/rss/allnews", "/fa/news/312480/slug", "/fa/archive?from_date=1405/09/04&to_date=1405/09/04&p=1"},
			[]string{"/fa/search?query=نفت", "/fa/print/312480"}},
	}
	for _, tt := range tests {
		r := get(t, o.URL(tt.outlet)+"/robots.txt")
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("%s robots.txt: %d %q", tt.outlet, r.status, r.header.Get("Content-Type"))
		}
		robots, err := robotstxt.FromString(r.body)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range tt.allowed {
			if !robots.TestAgent(p, "mediadigest") {
				t.Errorf("%s robots.txt disallows %s", tt.outlet, p)
			}
		}
		for _, p := range tt.blocked {
			if robots.TestAgent(p, "mediadigest") {
				t.Errorf("%s robots.txt allows %s", tt.outlet, p)
			}
		}
	}
}

func TestURLOfUnknownOutlet(t *testing.T) {
	o := start(t)
	if u := o.URL("irna"); u != "" {
		t.Errorf("URL(irna) = %q, want empty", u)
	}
	for _, id := range []string{ISNA, Eghtesad24} {
		if u := o.URL(id); !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Errorf("URL(%s) = %q, want a 127.0.0.1 address", id, u)
		}
	}
}

func TestMethods(t *testing.T) {
	o := start(t)
	u := o.URL(ISNA) + "/rss"
	tests := []struct {
		method   string
		want     int
		wantBody bool
	}{
		{http.MethodGet, http.StatusOK, true},
		{http.MethodHead, http.StatusOK, false},
		{http.MethodPost, http.StatusMethodNotAllowed, true},
	}
	for _, tt := range tests {
		req, err := http.NewRequestWithContext(t.Context(), tt.method, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tt.want || (len(body) > 0) != tt.wantBody {
			t.Errorf("%s %s: status %d with %d body bytes, want %d (body: %v)", tt.method, u, resp.StatusCode, len(body), tt.want, tt.wantBody)
		}
	}
}
