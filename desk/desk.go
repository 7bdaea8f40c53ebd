// Package desk serves the analysts' desk on a web.Site (docs/desk.md):
// the day's stories by topic as they come in, each topic with a chart of
// its stories over 30 days (/); a search of the archive (/search) and its
// Atom feed (/search.atom); every article of one story in order of
// publication, with what each copy changed against the first (/story/ID);
// one stored article, its clean view and every paragraph removed with its
// reason (/article/ID). Every page wants a signed-in subscriber.
//
// The pages read what the store holds — stories, clean views, title
// histories, the stories begun each day — and derive nothing else but the
// word-level diffs of a story's copies (diff.go).
package desk

import (
	"cmp"
	"context"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"mediadigest/config"
	"mediadigest/delivery"
	"mediadigest/digest"
	"mediadigest/model"
	"mediadigest/store"
	"mediadigest/stories"
	"mediadigest/templates"
	"mediadigest/web"
)

// Store is what the desk reads of the store: *store.Store.
type Store interface {
	ForEachStoryArticle(ctx context.Context, since, until time.Time, fn func(*model.Article) error) error
	StoryDays(ctx context.Context, bounds []time.Time, lookback time.Duration) ([]store.DayCount, error)
	ArticleByID(ctx context.Context, id int64) (*model.Article, error)
	TitleHistory(ctx context.Context, url string) ([]string, error)
	StoryTitles(ctx context.Context, story string) (map[int64][]string, error)
}

// Stories reads one stored story: *stories.Reader.
type Stories interface {
	Story(ctx context.Context, id string) (model.Story, error)
}

// Audience says which topics a subscriber follows: *subscription.Manager,
// or delivery.ConfigAudience.
type Audience interface {
	Recipient(ctx context.Context, email string) (digest.Subscriber, error)
}

// Options complete a Desk; the zero value of each field is its default.
type Options struct {
	Logger *slog.Logger // nil: slog.Default()
}

// Desk serves the desk's pages. It is safe for concurrent use.
type Desk struct {
	site     *web.Site
	cfg      *config.Config
	st       Store
	stories  Stories
	day      *stories.Reader // a day's stories, read whole (wholeStories)
	audience Audience
	searcher Searcher
	names    map[string]string // outlet id → display name
	log      *slog.Logger

	todayPage, storyPage, articlePage, searchPage *template.Template
}

// New returns the desk of site over st, reading stories from s, the
// topics each subscriber follows from a, and searching with se.
func New(site *web.Site, st Store, s Stories, a Audience, se Searcher, o Options) (*Desk, error) {
	cfg := site.Config()
	d := &Desk{
		site: site, cfg: cfg, st: st, stories: s, audience: a, searcher: se,
		day:   stories.New(wholeStories{st}, 0),
		names: cfg.OutletNames(),
		log:   cmp.Or(o.Logger, slog.Default()),
	}
	for _, p := range []struct {
		t    **template.Template
		file string
	}{
		{&d.todayPage, "web/today.html.tmpl"},
		{&d.storyPage, "web/story.html.tmpl"},
		{&d.articlePage, "web/article.html.tmpl"},
		{&d.searchPage, "web/search.html.tmpl"},
	} {
		var err error
		if *p.t, err = site.PageTemplate(templates.Web(), p.file, nil); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Routes mounts the pages, each behind a session, and a page saying so
// for any other path.
func (d *Desk) Routes(mux interface {
	Handle(pattern string, h http.Handler)
}) {
	mux.Handle("GET /{$}", d.site.RequireSession(d.today))
	mux.Handle("GET /story/{id}", d.site.RequireSession(d.story))
	mux.Handle("GET /article/{id}", d.site.RequireSession(d.article))
	mux.Handle("GET /search", d.site.RequireSession(d.search))
	// The feed checks its own token: a feed reader has no session.
	mux.Handle("GET /search.atom", http.HandlerFunc(d.feed))
	mux.Handle("/", http.HandlerFunc(d.notFound))
}

// wholeStories is the store of the desk's stories.Reader: asked for the
// articles of a range of time, it hands over the whole stories that have
// an article in it (store.ForEachStoryArticle). A reader over it needs no
// story window of its own (stories.New(wholeStories{st}, 0)), and reads a
// day's stories at a seventh of the cost of reading every article of the
// story window before the day (docs/desk.md). It answers the Since and
// Until of a query: the reader asks nothing else of it.
type wholeStories struct{ st Store }

func (w wholeStories) ForEachArticle(ctx context.Context, q store.ArticleQuery, fn func(*model.Article) error) error {
	return w.st.ForEachStoryArticle(ctx, q.Since, q.Until, fn)
}

// page renders a page of the desk for the signed-in subscriber.
func (d *Desk) page(w http.ResponseWriter, r *http.Request, t *template.Template, title, nav string, data any) {
	d.render(w, r, http.StatusOK, t, title, nav, data)
}

// render renders a page of the desk with status.
func (d *Desk) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, title, nav string, data any) {
	d.site.Render(w, r, t, status, web.Page{
		Title: title, Nav: nav, Subscriber: web.Subscriber(r).Email, CSRF: d.site.CSRF(r), Data: data,
	})
}

// fail shows the page of an error: 404 for what the store does not hold,
// nothing for a client gone, and for anything else a 500 that says no
// more than that (the log has the cause: never a raw SQL error on a page).
func (d *Desk) fail(w http.ResponseWriter, r *http.Request, err error, notFound string) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.site.Error(w, r, http.StatusNotFound, notFound)
	case r.Context().Err() != nil:
		// The client went away: nobody reads an answer.
	default:
		d.log.Error("desk page failed", "path", r.URL.Path, "error", err)
		d.site.Error(w, r, http.StatusInternalServerError, "این صفحه خوانده نشد؛ خطا در گزارش سرویس ثبت شد. کمی بعد دوباره امتحان کنید.")
	}
}

// notFound answers a path the pages do not have.
func (d *Desk) notFound(w http.ResponseWriter, r *http.Request) {
	d.site.Error(w, r, http.StatusNotFound, "چنین صفحه‌ای نیست. از میز خبر شروع کنید.")
}

// subscriber returns the signed-in subscriber as the audience knows
// them: their topics. One who receives no digest now (paused,
// unsubscribed) still reads the desk with their topics.
func (d *Desk) subscriber(ctx context.Context, r *http.Request) (digest.Subscriber, error) {
	email := web.Subscriber(r).Email
	sub, err := d.audience.Recipient(ctx, email)
	if errors.Is(err, delivery.ErrNotReceiving) {
		err = nil
	}
	return sub, err
}

// storyID matches the ids of stories (dedupe: "s" and 16 hex digits).
var storyID = regexp.MustCompile(`^s[0-9a-f]{16}$`)

// storyLink is the desk's page of a story.
func storyLink(id string) string { return "/story/" + url.PathEscape(id) }

// articleLink is the desk's page of a stored article.
func articleLink(id int64) string { return "/article/" + strconv.FormatInt(id, 10) }

// original is the address of an article as a link may carry it: an
// http(s) URL, or "" (the page then shows it as text). html/template
// would defuse another scheme too; this keeps it from being a link at all.
func original(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return raw
}

// outletName is the display name of an outlet, its id when unnamed.
func (d *Desk) outletName(id string) string { return cmp.Or(d.names[id], id) }
