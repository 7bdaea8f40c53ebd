// Package pipeline wires the stages of mediadigest for one config and one
// store: crawl (scrape) → store → clean, stories and topics (dedupe, topics)
// → digest → mail. The commands and the daemon call it; the stages
// themselves know nothing of each other.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"time"

	gomail "github.com/wneessen/go-mail"

	"mediadigest/config"
	"mediadigest/dedupe"
	"mediadigest/digest"
	"mediadigest/mail"
	"mediadigest/model"
	"mediadigest/persian"
	"mediadigest/scrape"
	"mediadigest/store"
	"mediadigest/topics"
)

// Pipeline runs the stages over one store.
type Pipeline struct {
	cfg        *config.Config
	store      *store.Store
	log        *slog.Logger
	now        func() time.Time
	crawler    *scrape.Crawler
	outlets    map[string]scrape.Outlet
	rules      map[string]dedupe.Rules
	classifier *topics.Classifier
	renderer   *digest.Renderer
	names      map[string]string // outlet id → display name
}

// Option adjusts a Pipeline.
type Option func(*Pipeline)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(p *Pipeline) { p.now = now } }

// New builds a pipeline for cfg over st.
func New(cfg *config.Config, st *store.Store, log *slog.Logger, opts ...Option) (*Pipeline, error) {
	p := &Pipeline{
		cfg:        cfg,
		store:      st,
		log:        log,
		now:        time.Now,
		outlets:    map[string]scrape.Outlet{},
		rules:      map[string]dedupe.Rules{},
		classifier: topics.New(cfg.Topics),
		names:      map[string]string{},
	}
	for _, o := range opts {
		o(p)
	}
	p.crawler = scrape.New(scrape.Options{
		UserAgent:   cfg.Crawl.UserAgent,
		Delay:       cfg.Crawl.Delay.D(),
		Parallelism: cfg.Crawl.Parallelism,
		Timeout:     cfg.Crawl.Timeout.D(),
		MaxBody:     int64(cfg.Crawl.MaxBody),
		Retries:     retries(cfg.Crawl.Retries),
		Logger:      log,
		Location:    cfg.Location,
	})
	byName := map[string]string{}
	for _, o := range cfg.Outlets {
		name := o.Name
		if name == "" {
			name = cfg.Profiles[o.ID].Name
		}
		p.names[o.ID] = name
		byName[name] = o.ID
		byName[cfg.Profiles[o.ID].Name] = o.ID
	}
	for _, o := range cfg.Outlets {
		prof := cfg.Profiles[o.ID]
		p.outlets[o.ID] = scrape.Outlet{ID: o.ID, Name: p.names[o.ID], BaseURL: o.BaseURL, Feeds: o.Feeds, Profile: prof}
		r := dedupe.Rules{PromoMarkers: prof.PromoMarkers, EndMarkers: prof.EndMarkers, Outlets: byName}
		for _, d := range prof.Datelines {
			re, err := regexp.Compile(d)
			if err != nil {
				return nil, fmt.Errorf("pipeline: outlet %s: dateline %q: %w", o.ID, d, err)
			}
			r.Datelines = append(r.Datelines, re)
		}
		p.rules[o.ID] = r
	}
	var err error
	p.renderer, err = digest.NewRenderer(cfg.Digest.Templates, digest.RenderOptions{
		Location: cfg.Location, OutletNames: p.names, Unsubscribe: cfg.Digest.Unsubscribe,
	})
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	return p, nil
}

// retries maps the config's count (0: none) onto scrape's (0: default,
// negative: none).
func retries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// Outlet returns the configured outlet id, or an error naming the known ones.
func (p *Pipeline) Outlet(id string) (scrape.Outlet, error) {
	o, ok := p.outlets[id]
	if !ok {
		return scrape.Outlet{}, fmt.Errorf("unknown outlet %q (configured: %v)", id, p.cfg.OutletIDs())
	}
	return o, nil
}

// OutletName returns the display name of an outlet id.
func (p *Pipeline) OutletName(id string) string { return p.names[id] }

// known adapts the store to scrape.Known.
type known struct{ st *store.Store }

func (k known) Known(ctx context.Context, url string) (bool, time.Time, error) {
	a, err := k.st.Article(ctx, url)
	if errors.Is(err, store.ErrNotFound) {
		return false, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, err
	}
	return true, a.FirstSeen, nil
}

// sink stores every extracted page: the raw HTML (for reprocess) and the
// article with its paragraph keys (for learned promo lines), in that order,
// so a crash between the two leaves a raw page to re-extract, never an
// article without its source.
func (p *Pipeline) sink(ctx context.Context, pg scrape.Page) (string, error) {
	a := pg.Article
	if err := p.store.SaveRawPage(ctx, a.URL, a.Outlet, pg.Body, pg.Fetched); err != nil {
		return "", err
	}
	if a.FirstSeen.IsZero() {
		a.FirstSeen = pg.Fetched
	}
	out, err := p.store.UpsertArticle(ctx, &a, keys(a.Raw))
	return string(out), err
}

// keys are the paragraph identities that learned promo lines count.
func keys(raw []string) []string {
	ks := make([]string, 0, len(raw))
	for _, r := range raw {
		if k := persian.Key(r); k != "" {
			ks = append(ks, k)
		}
	}
	return ks
}

// CrawlReport is what one crawl pass did.
type CrawlReport struct {
	Outlets []scrape.Stats
	Derived ProcessReport
}

// Crawl runs one pass over the feeds of the given outlets (all when ids is
// empty), records each run for health, then recomputes the derived views.
// One outlet failing never stops the others; the returned error joins the
// failures.
func (p *Pipeline) Crawl(ctx context.Context, ids []string) (CrawlReport, error) {
	if len(ids) == 0 {
		ids = p.cfg.OutletIDs()
	}
	var rep CrawlReport
	var errs []error
	for _, id := range ids {
		o, err := p.Outlet(id)
		if err != nil {
			return rep, err
		}
		start := p.now()
		st, err := p.crawler.Crawl(ctx, o, known{p.store}, p.store, p.sink)
		st.Outlet = id
		rep.Outlets = append(rep.Outlets, st)
		if rerr := p.record(ctx, start, st, err); rerr != nil {
			errs = append(errs, rerr)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("outlet %s: %w", id, err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	// What was stored is processed even when the crawl was cancelled, so a
	// stopped daemon leaves no article without its clean view.
	var err error
	if rep.Derived, err = p.Process(context.WithoutCancel(ctx)); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}

// record stores the outcome of one crawl run. A run cut short by
// cancellation (shutdown) is not recorded: it is neither the outlet's
// failure nor a finished pass, and the daemon's catch-up at the next start
// runs it again.
func (p *Pipeline) record(ctx context.Context, start time.Time, st scrape.Stats, err error) error {
	if ctx.Err() != nil {
		p.log.Info("crawl cancelled; not recorded", "outlet", st.Outlet, "fetched", st.Fetched)
		return nil
	}
	run := store.CrawlRun{
		Outlet: st.Outlet, Started: start, Finished: p.now(),
		Fetched: st.Fetched, New: st.New, Updated: st.Updated, Unchanged: st.Unchanged,
		Failed: st.Failed, Failures: st.Failures, Blocked: st.Blocked,
	}
	if err != nil {
		run.Err = err.Error()
	} else if st.Blocked {
		run.Err = "blocked by a challenge page (ArvanCloud): the outlet refuses the crawler"
	}
	return p.store.RecordCrawl(ctx, run)
}

// ProcessReport sums up the derived state after Process.
type ProcessReport struct {
	Articles int
	Stories  int
	Removed  map[string]int // paragraphs removed, by reason
}

// Process recomputes what is derived from the raw articles: learned promo
// lines per outlet, every article's clean view, stories and topics. It is
// a pure function of the stored raw articles, so running it again changes
// nothing, and a better rule improves old articles too.
func (p *Pipeline) Process(ctx context.Context) (ProcessReport, error) {
	rep := ProcessReport{Removed: map[string]int{}}
	learned := map[string]map[string]bool{}
	for _, id := range p.cfg.OutletIDs() {
		l, err := p.learned(ctx, id)
		if err != nil {
			return rep, err
		}
		learned[id] = l
	}
	articles, err := p.store.Articles(ctx, store.ArticleQuery{})
	if err != nil {
		return rep, fmt.Errorf("pipeline: %w", err)
	}
	for i := range articles {
		a := &articles[i]
		l := learned[a.Outlet]
		a.Clean = dedupe.Clean(a.Raw, p.rules[a.Outlet], func(k string) bool { return l[k] })
		_, a.Topics = p.classifier.Classify(a.Title, body(a))
		for _, r := range a.Removed {
			rep.Removed[r.Reason]++
		}
	}
	rep.Articles = len(articles)
	rep.Stories = len(dedupe.Group(articles, dedupe.IndexOptions{Window: p.cfg.Cleaning.StoryWindow.D()}))
	updates := make([]store.Derived, len(articles))
	for i, a := range articles {
		updates[i] = store.Derived{ID: a.ID, Clean: a.Clean, Topics: a.Topics, Story: a.Story}
	}
	if err := p.store.SaveDerived(ctx, updates); err != nil {
		return rep, fmt.Errorf("pipeline: %w", err)
	}
	return rep, nil
}

// learned returns the learned promo lines of one outlet.
func (p *Pipeline) learned(ctx context.Context, outlet string) (map[string]bool, error) {
	occ, err := p.store.KeyOccurrences(ctx, outlet)
	if err != nil {
		return nil, fmt.Errorf("pipeline: learned lines of %s: %w", outlet, err)
	}
	return dedupe.LearnedKeys(occ, dedupe.LearnPolicy{
		MinArticles: p.cfg.Cleaning.LearnMinArticles,
		Window:      p.cfg.Cleaning.LearnWindow.D(),
		MaxRunes:    p.cfg.Cleaning.LearnMaxRunes,
	}), nil
}

// body is the text topics are matched on besides the title.
func body(a *model.Article) []string {
	return append([]string{a.Lead}, a.Paragraphs...)
}

// Stories returns the stories whose headline was published in win, each
// with its topic.
func (p *Pipeline) Stories(ctx context.Context, win model.Window) ([]model.Story, error) {
	// Every article of a story lies within the story window of its first
	// one, so this range holds every story whose headline is in win.
	articles, err := p.store.Articles(ctx, store.ArticleQuery{
		Since: win.From.Add(-p.cfg.Cleaning.StoryWindow.D()), Until: win.To,
	})
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	var out []model.Story
	for _, s := range dedupe.Group(articles, dedupe.IndexOptions{Window: p.cfg.Cleaning.StoryWindow.D()}) {
		if !win.Contains(s.Headline.Published) {
			continue
		}
		s.Topic, _ = p.classifier.Classify(s.Headline.Title, body(&s.Headline))
		out = append(out, s)
	}
	return out, nil
}

// Subscriber returns the configured subscriber with that address.
func (p *Pipeline) Subscriber(email string) (config.Subscriber, error) {
	for _, s := range p.cfg.Subscribers {
		if s.Email == email {
			return s, nil
		}
	}
	return config.Subscriber{}, fmt.Errorf("unknown subscriber %q", email)
}

// Digest builds the digest of one subscriber for win.
func (p *Pipeline) Digest(ctx context.Context, sub config.Subscriber, win model.Window) (model.Digest, error) {
	stories, err := p.Stories(ctx, win)
	if err != nil {
		return model.Digest{}, err
	}
	return p.build(stories, sub, win), nil
}

func (p *Pipeline) build(stories []model.Story, sub config.Subscriber, win model.Window) model.Digest {
	return digest.Build(stories, p.cfg.Topics, digest.Subscriber{Email: sub.Email, Topics: sub.Topics}, win, digest.Options{
		Location: p.cfg.Location, PerTopic: p.cfg.Digest.PerTopic, OutletNames: p.names,
	})
}

// Render returns the HTML and text parts of d.
func (p *Pipeline) Render(d model.Digest) (html, text []byte, err error) {
	if html, err = p.renderer.HTML(d); err != nil {
		return nil, nil, err
	}
	if text, err = p.renderer.Text(d); err != nil {
		return nil, nil, err
	}
	return html, text, nil
}

// Message composes the mail of d with the stable Message-ID of its
// subscriber and window.
func (p *Pipeline) Message(d model.Digest, boundary string) (*gomail.Msg, error) {
	html, text, err := p.Render(d)
	if err != nil {
		return nil, err
	}
	return mail.Compose(d, html, text, mail.Header{
		From:        p.cfg.Digest.From,
		MessageID:   mail.MessageID(d.Subscriber, d.Window, p.cfg.Digest.From),
		Unsubscribe: p.cfg.Digest.Unsubscribe,
		Date:        p.now(),
		Boundary:    boundary,
	})
}

// render is the outbox's RenderFunc: the digest of the row's subscriber and
// window, rebuilt from the store.
func (p *Pipeline) render(ctx context.Context, it model.OutboxItem) (*gomail.Msg, error) {
	sub, err := p.Subscriber(it.Subscriber)
	if err != nil {
		// The subscriber left the config after the row was queued.
		return nil, fmt.Errorf("%w: %w", mail.ErrPermanent, err)
	}
	d, err := p.Digest(ctx, sub, it.Window)
	if err != nil {
		return nil, err
	}
	return p.Message(d, "")
}

// Transport returns the configured mail transport.
func (p *Pipeline) Transport() (mail.Transport, error) {
	m := p.cfg.Mail
	if m.Transport == "file" {
		return mail.NewFile(m.Dir), nil
	}
	return mail.NewSMTP(mail.SMTPConfig{
		Host: m.SMTP.Host, Port: m.SMTP.Port, Username: m.SMTP.Username, Password: m.SMTP.Password(),
		TLS: m.SMTP.TLS, Timeout: m.SMTP.Timeout.D(),
	})
}

// Deliverer returns the outbox deliverer of the configured transport.
func (p *Pipeline) Deliverer() (*mail.Deliverer, error) {
	tr, err := p.Transport()
	if err != nil {
		return nil, err
	}
	return &mail.Deliverer{Outbox: p.store, Transport: tr, Render: p.render, From: p.cfg.Digest.From, Logger: p.log}, nil
}

// Send enqueues the digest of each subscriber (all when emails is empty)
// for win, then delivers everything due. Sending the same window again
// enqueues nothing and delivers nothing new.
func (p *Pipeline) Send(ctx context.Context, win model.Window, emails []string) (mail.Report, error) {
	d, err := p.Deliverer()
	if err != nil {
		return mail.Report{}, err
	}
	for _, s := range p.cfg.Subscribers {
		if len(emails) > 0 && !slices.Contains(emails, s.Email) {
			continue
		}
		if _, _, err := d.Enqueue(ctx, s.Email, win, p.now()); err != nil {
			return mail.Report{}, err
		}
	}
	return d.Deliver(ctx, p.now())
}
