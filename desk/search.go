package desk

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"mediadigest/search"
	"mediadigest/token"
	"mediadigest/web"
)

// Searcher runs the desk's searches: *search.Engine, the engine
// `mediadigest search` runs too.
type Searcher interface {
	Search(ctx context.Context, q search.Query) (*search.Results, error)
}

// searchForm is the query of /search and /search.atom as typed: the
// form's fields, given back to the form as they were.
type searchForm struct {
	Q, Outlet, Topic, From, To, Order, Page string
	asked                                   bool // the URL carries q: a search, not the empty form
}

// readForm reads the form's fields from a URL's query.
func readForm(v url.Values) searchForm {
	return searchForm{
		Q: v.Get("q"), Outlet: v.Get("outlet"), Topic: v.Get("topic"),
		From: v.Get("from"), To: v.Get("to"), Order: v.Get("order"), Page: v.Get("page"),
		asked: v.Has("q"),
	}
}

// values are the form's fields as a URL query, empty ones left out, page
// set to page (none for 0).
func (f searchForm) values(page int) url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{"q", f.Q}, {"outlet", f.Outlet}, {"topic", f.Topic}, {"from", f.From}, {"to", f.To}, {"order", f.Order}} {
		if kv[1] != "" || kv[0] == "q" {
			v.Set(kv[0], kv[1])
		}
	}
	if page > 0 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}

// searchPage is the data of search.html.tmpl.
type searchPage struct {
	Form            searchForm
	Outlets, Topics []option
	Asked           bool
	// Error says why the query was refused, in Persian; Field names the
	// form's field at fault (search.Error.Field).
	Error, Field string
	Total        int  // stories found, up to search.MaxResults
	More         bool // more than Total
	Page, Pages  int
	First, Last  int // the hits shown, counted from 1
	Hits         []hitView
	Prev, Next   string // links to the pages around, "" at either end
	Feed         string // the Atom feed of the query, with the subscriber's feed token
}

// option is an outlet or topic of the form's lists.
type option struct {
	ID, Name string
	Selected bool
}

// hitView is one story found, as the page shows it.
type hitView struct {
	Link      string // its story page, or the article's page when it has no story yet
	Title     []search.Span
	Snippet   []search.Span
	Outlet    string
	URL       string // the shown article's original, "" when not an http(s) link
	Published time.Time
	Outlets   int
	Others    []copyView // the story's other articles
}

// copyView is another article of a hit's story.
type copyView struct {
	Outlet, Link string
	Published    time.Time
	Matched      bool
}

// searchFeedPerPage is how many stories an Atom feed of a search holds:
// the newest.
const searchFeedPerPage = 30

// search is GET /search: the form, and with ?q= a page of the stories
// found (docs/desk.md). A query the engine refuses shows the form again
// with the reason, status 400.
func (d *Desk) search(w http.ResponseWriter, r *http.Request) {
	form := readForm(r.URL.Query())
	page := searchPage{Form: form, Asked: form.asked, Outlets: d.outletOptions(form.Outlet), Topics: d.topicOptions(form.Topic)}
	title := "جستجو"
	if !form.asked {
		d.render(w, r, http.StatusOK, d.searchPage, title, "search", page)
		return
	}
	title = "جستجو: " + form.Q
	res, err := d.run(r.Context(), form, search.DefaultPerPage)
	var qe *search.Error
	switch {
	case errors.As(err, &qe):
		page.Error, page.Field = qe.Fa, qe.Field
		d.render(w, r, http.StatusBadRequest, d.searchPage, title, "search", page)
		return
	case err != nil:
		d.fail(w, r, err, "")
		return
	}
	page.Total, page.More, page.Page, page.Pages = res.Total, res.More, res.Page, res.Pages
	if len(res.Hits) > 0 {
		page.First = (res.Page-1)*res.PerPage + 1
		page.Last = page.First + len(res.Hits) - 1
	}
	if res.Page > 1 {
		page.Prev = "/search?" + form.values(res.Page-1).Encode()
	}
	if res.Page < res.Pages {
		page.Next = "/search?" + form.values(res.Page+1).Encode()
	}
	for _, h := range res.Hits {
		page.Hits = append(page.Hits, d.hitView(h))
	}
	feed := form.values(0)
	feed.Del("order")
	feed.Set("token", d.site.Signer().Make(web.Subscriber(r).Email, token.Feed, 0))
	page.Feed = "/search.atom?" + feed.Encode()
	d.render(w, r, http.StatusOK, d.searchPage, title, "search", page)
}

// run reads form into a query and runs it. A field the engine cannot
// read comes back as a *search.Error, as the engine's own refusals do.
func (d *Desk) run(ctx context.Context, form searchForm, perPage int) (*search.Results, error) {
	from, to, err := search.Dates(form.From, form.To, d.cfg.Location)
	if err != nil {
		return nil, err
	}
	q := search.Query{Text: form.Q, Outlet: form.Outlet, Topic: form.Topic, From: from, To: to, PerPage: perPage}
	switch form.Order {
	case "", "newest":
	case "relevance":
		q.Order = search.Relevance
	default:
		return nil, &search.Error{Field: "order", Msg: "order is newest or relevance", Fa: "ترتیب نتیجه‌ها «تازه‌ترین» یا «مرتبط‌ترین» است."}
	}
	if form.Page != "" {
		n, err := strconv.Atoi(strings.TrimSpace(form.Page))
		if err != nil || n < 1 {
			return nil, &search.Error{Field: "page", Msg: "page is a number from 1", Fa: "شماره صفحه عددی از ۱ به بالاست."}
		}
		q.Page = n
	}
	return d.searcher.Search(ctx, q)
}

// hitView lays out one hit.
func (d *Desk) hitView(h search.Hit) hitView {
	a := h.Article
	v := hitView{
		Link: storyLink(h.Story), Title: h.Title, Snippet: h.Snippet, Outlet: d.outletName(a.Outlet),
		URL: original(a.URL), Published: a.Published, Outlets: h.Outlets,
	}
	if h.Story == "" {
		v.Link = articleLink(a.ID)
	}
	for _, o := range h.Articles {
		if o.ID != a.ID {
			v.Others = append(v.Others, copyView{Outlet: d.outletName(o.Outlet), Link: articleLink(o.ID), Published: o.Published, Matched: o.Matched})
		}
	}
	return v
}

// outletOptions are the configured outlets, selected the one chosen.
func (d *Desk) outletOptions(chosen string) []option {
	var out []option
	for _, id := range d.cfg.OutletIDs() {
		out = append(out, option{ID: id, Name: d.outletName(id), Selected: id == chosen})
	}
	return out
}

// topicOptions are the configured topics, selected the one chosen.
func (d *Desk) topicOptions(chosen string) []option {
	var out []option
	for _, t := range d.cfg.Topics {
		out = append(out, option{ID: t.ID, Name: t.Name, Selected: t.ID == chosen})
	}
	return out
}
