// Package sampleoutlets serves the bundled sample outlets (ISNA and
// Eghtesad24, see testdata/outlets/README.md) on loopback, one httptest
// server per outlet, for the demo, the tests and the benchmarks.
//
// The outlets publish on two consecutive days, the later one the day
// before the time they are started at in Tehran: the demo, and a daemon
// crawling them, always find yesterday's news, whatever the date. Started
// at Reference, they serve exactly the files of testdata/outlets.
//
// Each request is mapped to a file of the outlet's directory by a small
// route table: path patterns, plus query parameters that name archive pages.
// The real hosts written in the files are rewritten to the loopback servers
// in every body, so links, feed items and AMP copies all lead back to them.
// Feeds carry ETag and Last-Modified and answer conditional GETs with 304.
package sampleoutlets

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"mediadigest/jalali"
	"mediadigest/sampleoutlets/internal/gen"
)

// Outlet ids accepted by URL.
const (
	ISNA       = "isna"
	Eghtesad24 = "eghtesad24"
)

// site describes one sample outlet: where its files are, which real
// origins its pages name, and how requests map to files.
type site struct {
	id string
	// origins are real URL prefixes and the path on this outlet's server
	// they stand for.
	origins [][2]string
	routes  []route
}

// route maps a request whose path matches path to a file. In file, $1…
// are path groups and {name} the value of query parameter name, whose
// numbers are written without padding and joined by "-" ("1405/09/04" and
// "1405/9/4" both read "1405-9-4"), so one file serves every spelling.
type route struct {
	path     *regexp.Regexp
	params   []param
	file     string
	fallback string // served when file does not exist: a listing with no items
}

// param is a query parameter a route needs; def, when set, is used if the
// request omits it.
type param struct{ name, def string }

var sites = []site{
	{
		id: ISNA,
		origins: [][2]string{
			{"https://amp.isna.ir/amp/news/", "/amp/news/"},
			{"https://www.isna.ir", ""},
		},
		routes: []route{
			{path: regexp.MustCompile(`^/robots\.txt$`), file: "robots.txt"},
			{path: regexp.MustCompile(`^/rss$`), file: "rss.xml"},
			{path: regexp.MustCompile(`^/rss/tp/(\d+)$`), file: "rss/tp/$1.xml"},
			// The slug is decoration: any slug, or none, serves the article;
			// AMP copies are served as the article itself.
			{path: regexp.MustCompile(`^/(?:amp/)?news/(\d{13})(?:/[^/]*)?$`), file: "news/$1.html"},
			{
				path:     regexp.MustCompile(`^/page/archive\.xhtml$`),
				params:   []param{{name: "yr"}, {name: "mn"}, {name: "dy"}, {name: "pi", def: "1"}},
				file:     "archive/{yr}-{mn}-{dy}-p{pi}.html",
				fallback: "archive/empty.html",
			},
		},
	},
	{
		id:      Eghtesad24,
		origins: [][2]string{{"https://eghtesaad24.ir", ""}},
		routes: []route{
			{path: regexp.MustCompile(`^/robots\.txt$`), file: "robots.txt"},
			{path: regexp.MustCompile(`^/fa/rss/(\w+)$`), file: "fa/rss/$1.xml"},
			{path: regexp.MustCompile(`^/fa/news/(\d+)(?:/[^/]*)?$`), file: "fa/news/$1.html"},
			{
				path:     regexp.MustCompile(`^/fa/archive$`),
				params:   []param{{name: "from_date"}, {name: "p", def: "1"}},
				file:     "fa/archive/{from_date}-p{p}.html",
				fallback: "fa/archive/empty.html",
			},
		},
	},
}

// contentTypes are the media types of the files, by extension.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".xml":  "application/rss+xml; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
}

// Outlets are the running sample outlet servers.
type Outlets struct {
	servers map[string]*httptest.Server
	days    [2]jalali.Date
}

// Days returns the two days the outlets publish on, the earlier first.
func (o *Outlets) Days() [2]jalali.Date { return o.days }

// tehran is the sample outlets' zone, fixed as their pages print it.
var tehran = time.FixedZone("+0330", 3*3600+1800)

// Reference is a time at which Start serves exactly the files of
// testdata/outlets, whose days are 1405/09/04 and 1405/09/05 (2026-11-25
// and 2026-11-26): the morning after them in Tehran. Tests whose
// expectations name those days start the outlets, and their clocks, here.
var Reference = time.Date(2026, 11, 27, 10, 0, 0, 0, tehran)

// sampleDay is the later of the two days of testdata/outlets.
var sampleDay = jalali.Date{Year: 1405, Month: 9, Day: 5}

// Start serves every sample outlet on its own 127.0.0.1 port, publishing
// on the two days before now's day in Tehran. Call Close when done.
func Start(now time.Time) (*Outlets, error) {
	latest := jalali.Of(now.In(tehran)).AddDays(-1)
	shift := latest.Sub(sampleDay)
	files, err := gen.FilesShifted(shift)
	if err != nil {
		return nil, fmt.Errorf("sampleoutlets: %w", err)
	}
	o := &Outlets{servers: map[string]*httptest.Server{}, days: [2]jalali.Date{latest.AddDays(-1), latest}}
	// Every server's URL must be known before any body is rewritten, as
	// pages link across outlets.
	for _, s := range sites {
		o.servers[s.id] = httptest.NewUnstartedServer(nil)
	}
	var pairs []string
	for _, s := range sites {
		base := "http://" + o.servers[s.id].Listener.Addr().String()
		for _, origin := range s.origins {
			pairs = append(pairs, origin[0], base+origin[1])
		}
	}
	rewrite := strings.NewReplacer(pairs...)
	for _, s := range sites {
		h, err := newHandler(files, s, rewrite)
		if err != nil {
			o.Close()
			return nil, err
		}
		o.servers[s.id].Config.Handler = h
	}
	for _, srv := range o.servers {
		srv.Start()
	}
	return o, nil
}

// URL returns the base URL ("http://127.0.0.1:PORT") of the outlet with the
// given id, or "" for an unknown id.
func (o *Outlets) URL(id string) string {
	if srv, ok := o.servers[id]; ok {
		return srv.URL
	}
	return ""
}

// Close stops every server.
func (o *Outlets) Close() {
	for _, srv := range o.servers {
		srv.Close()
	}
}

// file is a served file, its hosts already rewritten.
type file struct {
	body        []byte
	contentType string
	etag        string    // feeds only
	modTime     time.Time // feeds only: the feed's lastBuildDate
}

// handler serves one outlet from files loaded at start.
type handler struct {
	site  site
	files map[string]file
}

func newHandler(files map[string][]byte, s site, rewrite *strings.Replacer) (*handler, error) {
	h := &handler{site: s, files: map[string]file{}}
	prefix := s.id + "/"
	for name, data := range files {
		name, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		ext := path.Ext(name)
		ct, ok := contentTypes[ext]
		if !ok {
			return nil, fmt.Errorf("sampleoutlets: %s: %s: no content type for %q files", s.id, name, ext)
		}
		f := file{body: []byte(rewrite.Replace(string(data))), contentType: ct}
		if ext == ".xml" {
			var err error
			if f.modTime, err = lastBuildDate(data); err != nil {
				return nil, fmt.Errorf("sampleoutlets: %s: %s: %w", s.id, name, err)
			}
			sum := sha256.Sum256(f.body)
			f.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
		}
		h.files[name] = f
	}
	return h, nil
}

// lastBuildDate reads a feed's lastBuildDate, its Last-Modified.
func lastBuildDate(feed []byte) (time.Time, error) {
	var rss struct {
		LastBuildDate string `xml:"channel>lastBuildDate"`
	}
	if err := xml.NewDecoder(bytes.NewReader(feed)).Decode(&rss); err != nil {
		return time.Time{}, fmt.Errorf("reading feed: %w", err)
	}
	t, err := http.ParseTime(rss.LastBuildDate)
	if err != nil {
		return time.Time{}, fmt.Errorf("feed lastBuildDate: %w", err)
	}
	return t, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f, ok := h.resolve(r.URL)
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	if f.etag != "" {
		w.Header().Set("ETag", f.etag)
	}
	// ServeContent answers If-None-Match and If-Modified-Since with 304
	// and sets Last-Modified when modTime is not zero.
	http.ServeContent(w, r, "", f.modTime, bytes.NewReader(f.body))
}

// resolve finds the file a URL maps to.
func (h *handler) resolve(u *url.URL) (file, bool) {
	for _, rt := range h.site.routes {
		m := rt.path.FindStringSubmatchIndex(u.Path)
		if m == nil {
			continue
		}
		name, ok := rt.fileName(u.Path, m, u.Query())
		if !ok {
			return file{}, false
		}
		if f, ok := h.files[name]; ok {
			return f, true
		}
		if rt.fallback != "" {
			f, ok := h.files[rt.fallback]
			return f, ok
		}
		return file{}, false
	}
	return file{}, false
}

// numbers is a query value a file name may carry.
var numbers = regexp.MustCompile(`^\d{1,4}(?:/\d{1,4})*$`)

func (rt route) fileName(p string, match []int, q url.Values) (string, bool) {
	name := string(rt.path.ExpandString(nil, rt.file, p, match))
	for _, prm := range rt.params {
		v := q.Get(prm.name)
		if v == "" {
			v = prm.def
		}
		if !numbers.MatchString(v) {
			return "", false
		}
		parts := strings.Split(v, "/")
		for i, part := range parts {
			n, err := strconv.Atoi(part)
			if err != nil {
				return "", false
			}
			parts[i] = strconv.Itoa(n)
		}
		name = strings.ReplaceAll(name, "{"+prm.name+"}", strings.Join(parts, "-"))
	}
	return name, true
}
