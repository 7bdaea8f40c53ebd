package desk

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"mediadigest/search"
	"mediadigest/token"
	"mediadigest/web"
)

// The Atom feed of a search (RFC 4287), so that a query can be followed
// in a feed reader. A feed reader has no session: the feed's link
// carries a token of the subscriber who made it (token.Feed), which never
// expires and stops working when they leave the config (docs/desk.md).

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   atomText    `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     atomText   `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Author    atomPerson `xml:"author"`
	Links     []atomLink `xml:"link"`
	Summary   atomText   `xml:"summary"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Text string `xml:",chardata"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

// feed is GET /search.atom: the newest stories of a search as an Atom
// feed, for the subscriber whose feed token the link carries (or who is
// signed in). A forged token, or one of a subscriber no longer in the
// config, gets 403; a query the engine refuses, 400; both in plain text,
// which a feed reader shows.
func (d *Desk) feed(w http.ResponseWriter, r *http.Request) {
	if !d.feedAllowed(r) {
		http.Error(w, "this feed's link is not valid (forged, or its subscriber was removed): copy it again from the search page of the desk", http.StatusForbidden)
		return
	}
	form := readForm(r.URL.Query())
	form.Order, form.Page = "", ""
	if !form.asked {
		http.Error(w, "q: a feed follows a search; give its words in ?q=", http.StatusBadRequest)
		return
	}
	res, err := d.run(r.Context(), form, searchFeedPerPage)
	var qe *search.Error
	switch {
	case errors.As(err, &qe):
		http.Error(w, qe.Error(), http.StatusBadRequest)
		return
	case err != nil:
		d.fail(w, r, err, "")
		return
	}
	body, err := xml.MarshalIndent(d.atom(r, form, res), "", "  ")
	if err != nil {
		d.fail(w, r, err, "")
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(append([]byte(xml.Header), append(body, '\n')...))
}

// feedAllowed reports whether r may read a feed: its token is a feed
// token of a configured subscriber, or r carries a session.
func (d *Desk) feedAllowed(r *http.Request) bool {
	if tok := r.URL.Query().Get("token"); tok != "" {
		email, err := d.site.Signer().Check(tok, token.Feed)
		if err != nil {
			return false
		}
		_, ok := d.cfg.Subscriber(email)
		return ok
	}
	_, ok := d.site.Session(r)
	return ok
}

// atom is the feed of the results res of form.
func (d *Desk) atom(r *http.Request, form searchForm, res *search.Results) atomFeed {
	page := d.absolute(r, "/search?"+form.values(0).Encode())
	f := atomFeed{
		Lang:    "fa",
		ID:      page,
		Title:   atomText{Type: "text", Text: "جستجو: " + form.Q + " — " + web.Name},
		Updated: d.site.Clock().Now().UTC().Format(time.RFC3339),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: d.absolute(r, r.URL.RequestURI())},
			{Rel: "alternate", Type: "text/html", Href: page},
		},
		Author: atomPerson{Name: web.Name},
	}
	for i, h := range res.Hits {
		a := h.Article
		v := d.hitView(h)
		if i == 0 {
			f.Updated = a.Published.UTC().Format(time.RFC3339)
		}
		e := atomEntry{
			ID:        d.absolute(r, v.Link),
			Title:     atomText{Type: "text", Text: search.Plain(h.Title)},
			Updated:   a.Published.UTC().Format(time.RFC3339),
			Published: a.Published.UTC().Format(time.RFC3339),
			Author:    atomPerson{Name: v.Outlet},
			Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: d.absolute(r, v.Link)}},
			Summary:   atomText{Type: "text", Text: feedSummary(h, v)},
		}
		if v.URL != "" {
			e.Links = append(e.Links, atomLink{Rel: "related", Type: "text/html", Href: v.URL})
		}
		f.Entries = append(f.Entries, e)
	}
	return f
}

// feedSummary is an entry's text: the snippet, and the outlets that
// carry the story.
func feedSummary(h search.Hit, v hitView) string {
	var b bytes.Buffer
	b.WriteString(search.Plain(h.Snippet))
	if len(v.Others) > 0 {
		names := []string{v.Outlet}
		for _, o := range v.Others {
			names = append(names, o.Outlet)
		}
		b.WriteString("\n\nدر " + strings.Join(names, "، "))
	}
	return b.String()
}

// absolute is the address of a path of the desk: under http.public_url,
// or on the host r came to when it is unset.
func (d *Desk) absolute(r *http.Request, path string) string {
	if d.site.Public() {
		u, err := url.Parse(path)
		if err == nil {
			return d.site.URL(strings.TrimPrefix(u.Path, "/"), u.Query())
		}
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}
