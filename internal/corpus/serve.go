package corpus

import (
	"net/http"
	"strconv"
	"time"

	"mediadigest/jalali"
)

// robots allows what the crawler reads. It has no Crawl-delay: the
// benchmarks measure the pipeline, not politeness.
const robots = `User-agent: *
Disallow: /page/search.xhtml
Disallow: /comment/
Disallow: /fa/search
Disallow: /fa/print/
Disallow: /fa/comment/

User-agent: GPTBot
Disallow: /
`

// Handler serves the corpus as both outlets' sites on one origin (their
// paths do not overlap), so one loopback server, or one per outlet, can
// stand for them:
//
//	/robots.txt
//	/news/{13 digits}[/{slug}]                       ISNA article
//	/page/archive.xhtml?dy=D&mn=M&yr=Y&pi=P          ISNA archive of a Jalali day
//	/fa/news/{id}[/{slug}]                           Eghtesad24 article
//	/fa/archive?from_date=Y/MM/DD&p=P                Eghtesad24 archive of a Jalali day
//
// Archive pages list ArchivePageSize articles, newest first; pages past
// the last one, and days outside the corpus, are listings without items.
// Anything else is 404.
func (c *Corpus) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /robots.txt", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(robots))
	})
	isna := func(w http.ResponseWriter, r *http.Request) { c.serveArticle(w, c.isnaIndex(r.PathValue("id"))) }
	egh := func(w http.ResponseWriter, r *http.Request) { c.serveArticle(w, c.eghIndex(r.PathValue("id"))) }
	mux.HandleFunc("GET /news/{id}", isna)
	mux.HandleFunc("GET /news/{id}/{slug...}", isna)
	mux.HandleFunc("GET /fa/news/{id}", egh)
	mux.HandleFunc("GET /fa/news/{id}/{slug...}", egh)
	mux.HandleFunc("GET /page/archive.xhtml", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		y, _ := strconv.Atoi(q.Get("yr"))
		m, _ := strconv.Atoi(q.Get("mn"))
		d, _ := strconv.Atoi(q.Get("dy"))
		c.serveArchive(w, ISNA, jalali.Date{Year: y, Month: m, Day: d}, pageParam(q.Get("pi")))
	})
	mux.HandleFunc("GET /fa/archive", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		day, err := jalali.ParseDay(q.Get("from_date"))
		if err != nil {
			http.Error(w, "bad from_date", http.StatusBadRequest)
			return
		}
		c.serveArchive(w, Eghtesad24, day, pageParam(q.Get("p")))
	})
	return mux
}

// pageParam reads a page number; a missing one is the first page.
func pageParam(s string) int {
	if s == "" {
		return 1
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

func (c *Corpus) serveArticle(w http.ResponseWriter, i int) {
	if i < 0 {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(c.Page(i).HTML)
}

func (c *Corpus) serveArchive(w http.ResponseWriter, outlet string, day jalali.Date, page int) {
	k := -1
	if day.Valid() {
		k = c.dayIndex(day)
	}
	if k < 0 || k*PerDay >= c.n {
		// Outside the corpus: an empty listing, as for days without news.
		k, page = 0, 0
	}
	body, err := c.archive(outlet, k, page)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(body)
}

// dayIndex is the number of days from the corpus's first day to d, -1
// before it.
func (c *Corpus) dayIndex(d jalali.Date) int {
	t := d.Time(tehran)
	if t.Before(c.start) {
		return -1
	}
	return int(t.Sub(c.start) / (24 * time.Hour))
}

// isnaIndex maps an ISNA article id (Jalali date and the number of the
// article in its day) to its index, -1 when the corpus has no such page.
func (c *Corpus) isnaIndex(id string) int {
	if len(id) != 13 {
		return -1
	}
	y, err1 := strconv.Atoi(id[:4])
	m, err2 := strconv.Atoi(id[4:6])
	d, err3 := strconv.Atoi(id[6:8])
	seq, err4 := strconv.Atoi(id[8:])
	day := jalali.Date{Year: y, Month: m, Day: d}
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || !day.Valid() || seq >= PerDay {
		return -1
	}
	k := c.dayIndex(day)
	if k < 0 {
		return -1
	}
	return c.check(k*PerDay+seq, ISNA)
}

func (c *Corpus) eghIndex(id string) int {
	n, err := strconv.Atoi(id)
	if err != nil {
		return -1
	}
	return c.check(n-eghFirstID, Eghtesad24)
}

// check returns i when it is a page of the outlet, else -1.
func (c *Corpus) check(i int, outlet string) int {
	if i < 0 || i >= c.n || c.outletOf(i) != outlet {
		return -1
	}
	return i
}
