package subscription

import (
	"errors"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"mediadigest/model"
	"mediadigest/templates"
	"mediadigest/token"
	"mediadigest/web"
)

// maxForm bounds the body of a form: the largest, the topics, is a few
// hundred bytes.
const maxForm = 64 << 10

// Pages serve the one-click unsubscribe and the preferences page on a
// web.Site (docs/subscriptions.md).
type Pages struct {
	site   *web.Site
	m      *Manager
	unsub  *template.Template
	prefs  *template.Template
	signer *token.Signer
}

// NewPages returns the subscription pages of site, changing subscriptions
// through m.
func NewPages(site *web.Site, m *Manager) (*Pages, error) {
	p := &Pages{site: site, m: m, signer: site.Signer()}
	var err error
	if p.unsub, err = site.PageTemplate(templates.Web(), "web/unsubscribe.html.tmpl", nil); err != nil {
		return nil, err
	}
	if p.prefs, err = site.PageTemplate(templates.Web(), "web/subscription.html.tmpl", nil); err != nil {
		return nil, err
	}
	return p, nil
}

// Routes mounts the pages: /u/TOKEN, the one-click unsubscribe link of a
// digest, and /subscription, the preferences page.
func (p *Pages) Routes(mux interface {
	Handle(pattern string, h http.Handler)
}) {
	mux.Handle("GET /u/{token}", http.HandlerFunc(p.confirm))
	mux.Handle("POST /u/{token}", http.HandlerFunc(p.oneClick))
	mux.Handle("GET /subscription", http.HandlerFunc(p.show))
	mux.Handle("POST /subscription", http.HandlerFunc(p.post))
}

// unsubscribePage is the data of unsubscribe.html.tmpl.
type unsubscribePage struct {
	Email        string
	Action       string     // where the button posts: the link itself
	Done         bool       // unsubscribed by this request
	Unsubscribed *time.Time // earlier, if so
	Preferences  string     // a fresh link to the preferences page
}

// confirm is GET /u/TOKEN: a page with one button that posts to the same
// link. It never unsubscribes: link scanners and previews fetch every
// link of a mail.
func (p *Pages) confirm(w http.ResponseWriter, r *http.Request) {
	email, ok := p.linkSubscriber(w, r, r.PathValue("token"), token.Unsubscribe)
	if !ok {
		return
	}
	st, err := p.m.Status(r.Context(), email)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	page := unsubscribePage{Email: st.Email, Action: "/u/" + r.PathValue("token"), Preferences: p.preferencesLink(st.Email),
		Unsubscribed: st.UnsubscribedAt}
	p.site.Render(w, r, p.unsub, http.StatusOK, web.Page{Title: "لغو اشتراک", Data: page})
}

// oneClick is POST /u/TOKEN, the mail client's unsubscribe button (RFC
// 8058): a form body of List-Unsubscribe=One-Click, no cookie, no CSRF
// token (the link is the secret). It unsubscribes at once and answers 200
// once no digest of theirs is on the wire. Doing it again changes nothing
// and answers 200 too.
func (p *Pages) oneClick(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r) {
		return
	}
	if r.PostForm.Get("List-Unsubscribe") != "One-Click" {
		p.site.Error(w, r, http.StatusBadRequest, "این درخواست لغو اشتراک List-Unsubscribe=One-Click را ندارد (RFC 8058). دکمه لغو اشتراک را در صفحه همین پیوند بزنید.")
		return
	}
	email, ok := p.linkSubscriber(w, r, r.PathValue("token"), token.Unsubscribe)
	if !ok {
		return
	}
	sub, err := p.m.Unsubscribe(r.Context(), email, model.ViaLink)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	page := unsubscribePage{Email: email, Done: true, Preferences: p.preferencesLink(sub.Email)}
	if c, ok := p.site.Config().Subscriber(email); ok {
		page.Email = c.Email
	}
	p.site.Render(w, r, p.unsub, http.StatusOK, web.Page{Title: "لغو اشتراک", Data: page})
}

// linkSubscriber returns the configured subscriber a link's token names
// for purpose, or answers with a page saying why not: 403 for a token
// forged, tampered with, expired or made for another purpose, 404 for an
// address the config no longer lists.
func (p *Pages) linkSubscriber(w http.ResponseWriter, r *http.Request, tok string, purpose token.Purpose) (string, bool) {
	email, err := p.signer.Check(tok, purpose)
	if err != nil {
		msg := "این پیوند معتبر نیست: ناقص است یا دست خورده است. پیوند را از آخرین خلاصه اخبار خود باز کنید."
		if errors.Is(err, token.ErrExpired) {
			msg = "این پیوند منقضی شده است. پیوند تنظیمات اشتراک را از آخرین خلاصه اخبار خود باز کنید."
		}
		p.site.Error(w, r, http.StatusForbidden, msg)
		return "", false
	}
	c, ok := p.site.Config().Subscriber(email)
	if !ok {
		p.site.Error(w, r, http.StatusNotFound, "این نشانی در میان مشترکان نیست و خلاصه‌ای برایش فرستاده نمی‌شود.")
		return "", false
	}
	return c.Email, true
}

// readForm parses a posted form, refusing a body that is not one (415)
// or too large (413): nothing is changed.
func (p *Pages) readForm(w http.ResponseWriter, r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data") {
		p.site.Error(w, r, http.StatusUnsupportedMediaType,
			"این درخواست فرم نیست: بدنه آن باید application/x-www-form-urlencoded یا multipart/form-data باشد.")
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if mt == "multipart/form-data" {
		err = r.ParseMultipartForm(maxForm)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		status := http.StatusBadRequest
		if errors.As(err, new(*http.MaxBytesError)) {
			status = http.StatusRequestEntityTooLarge
		}
		p.site.Error(w, r, status, "این فرم خوانده نشد؛ صفحه را دوباره باز کنید و دوباره بفرستید.")
		return false
	}
	return true
}

// preferencesLink is a fresh link to the preferences page of email, on
// this site.
func (p *Pages) preferencesLink(email string) string {
	return "/subscription?" + url.Values{"t": {p.signer.Make(email, token.Preferences, p.site.Config().HTTP.LinkTTL.D())}}.Encode()
}

// fail shows the page of an error of the Manager: 400 for a choice it
// refuses, 404 for an address not configured, 500 for the store.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrInvalid):
		p.site.Error(w, r, http.StatusBadRequest, invalidMessage(err))
	case errors.Is(err, ErrUnknown):
		p.site.Error(w, r, http.StatusNotFound, "این نشانی در میان مشترکان نیست و خلاصه‌ای برایش فرستاده نمی‌شود.")
	case r.Context().Err() != nil:
		// The client went away: nobody reads an answer.
	default:
		p.m.log.Error("subscription page failed", "path", r.URL.Path, "error", err)
		p.site.Error(w, r, http.StatusInternalServerError, "تغییر ثبت نشد؛ خطا در گزارش سرویس ثبت شد. کمی بعد دوباره امتحان کنید.")
	}
}

// invalidMessage says in Persian what a refused choice was.
func invalidMessage(err error) string {
	switch {
	case errors.Is(err, errNoTopic):
		return "دست‌کم یک موضوع را برگزینید؛ اگر هیچ خبری نمی‌خواهید، اشتراک را لغو کنید."
	case errors.Is(err, errUnknownTopic):
		return "موضوعی که فرستاده شد در فهرست موضوع‌ها نیست. صفحه تنظیمات را دوباره باز کنید."
	case errors.Is(err, errPauseLength):
		return "مدت توقف باید یک، دو یا چهار هفته باشد."
	case errors.Is(err, errPauseUnsubscribed):
		return "اشتراک شما لغو شده است؛ برای توقف موقت، نخست دوباره مشترک شوید."
	}
	return "این تغییر پذیرفته نشد: " + err.Error()
}

// pauseWeeks are the pauses the page offers.
var pauseWeeks = []weekChoice{{1, "یک هفته"}, {2, "دو هفته"}, {4, "چهار هفته"}}

type weekChoice struct {
	N    int
	Name string
}

// prefsPage is the data of subscription.html.tmpl.
type prefsPage struct {
	Email       string
	State       string
	PausedUntil time.Time
	Topics      []topicChoice
	Weeks       []weekChoice
	Link        string // the preferences link the forms carry, "" for a session
	Notice      string
	Changes     []changeLine
}

type topicChoice struct {
	ID, Name string
	Checked  bool
}

type changeLine struct {
	At        time.Time
	What, Via string
}

// who returns the subscriber the preferences page is for, and the link
// token its forms carry: the link's (t, from the query or the form) or,
// without one, the desk's session (link ""). Otherwise it answers 403.
func (p *Pages) who(w http.ResponseWriter, r *http.Request, t string) (email, link string, ok bool) {
	if t != "" {
		email, ok := p.linkSubscriber(w, r, t, token.Preferences)
		return email, t, ok
	}
	if sub, ok := p.site.Session(r); ok {
		return sub.Email, "", true
	}
	p.site.Error(w, r, http.StatusForbidden, "این صفحه را با پیوند «تنظیمات اشتراک» پایین هر خلاصه اخبار باز کنید، یا نخست وارد میز خبر شوید.")
	return "", "", false
}

// show is GET /subscription?t=TOKEN, or with the desk's session.
func (p *Pages) show(w http.ResponseWriter, r *http.Request) {
	email, link, ok := p.who(w, r, r.URL.Query().Get("t"))
	if !ok {
		return
	}
	st, err := p.m.Status(r.Context(), email)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	changes, err := p.m.Changes(r.Context(), email, 5)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	page := prefsPage{Email: st.Email, State: st.State, Link: link, Weeks: pauseWeeks, Notice: notices[r.URL.Query().Get("done")]}
	if st.PausedUntil != nil {
		page.PausedUntil = *st.PausedUntil
	}
	for _, t := range p.m.choosable() {
		page.Topics = append(page.Topics, topicChoice{ID: t.ID, Name: t.Name, Checked: len(st.Topics) == 0 || slices.Contains(st.Topics, t.ID)})
	}
	for _, c := range changes {
		page.Changes = append(page.Changes, changeLine{At: c.At, What: whatNames[c.What], Via: viaNames[c.Via]})
	}
	wp := web.Page{Title: "تنظیمات اشتراک", Nav: "subscription", Data: page}
	if link != "" {
		wp.CSRF = p.site.LinkCSRF(link)
	} else {
		wp.Subscriber, wp.CSRF = st.Email, p.site.CSRF(r)
	}
	p.site.Render(w, r, p.prefs, http.StatusOK, wp)
}

// post is POST /subscription: one change, then back to the page (303).
func (p *Pages) post(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r) {
		return
	}
	email, link, ok := p.who(w, r, r.PostForm.Get("t"))
	if !ok {
		return
	}
	if (link != "" && !p.site.CheckLinkCSRF(r, link)) || (link == "" && !p.site.CheckCSRF(r)) {
		p.site.Error(w, r, http.StatusForbidden, "این فرم معتبر نیست یا منقضی شده است؛ صفحه تنظیمات را دوباره باز کنید.")
		return
	}
	ctx := r.Context()
	action := r.PostForm.Get("action")
	var err error
	switch action {
	case "topics":
		_, err = p.m.SetTopics(ctx, email, r.PostForm["topic"], model.ViaPage)
	case "pause":
		weeks, convErr := strconv.Atoi(r.PostForm.Get("weeks"))
		if convErr != nil || !slices.ContainsFunc(pauseWeeks, func(w weekChoice) bool { return w.N == weeks }) {
			err = errPauseLength
			break
		}
		_, err = p.m.Pause(ctx, email, time.Duration(weeks)*7*24*time.Hour, model.ViaPage)
	case "resume":
		_, err = p.m.Resume(ctx, email, model.ViaPage)
	case "unsubscribe":
		_, err = p.m.Unsubscribe(ctx, email, model.ViaPage)
	case "resubscribe":
		_, err = p.m.Resubscribe(ctx, email, model.ViaPage)
	default:
		p.site.Error(w, r, http.StatusBadRequest, "این فرم کاری نمی‌خواهد که این صفحه بشناسد؛ صفحه تنظیمات را دوباره باز کنید.")
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	q := url.Values{"done": {action}}
	if link != "" {
		q.Set("t", link)
	}
	http.Redirect(w, r, "/subscription?"+q.Encode(), http.StatusSeeOther)
}

// notices say what the change just made did.
var notices = map[string]string{
	"topics":      "موضوع‌های شما ذخیره شد؛ خلاصه بعدی همین موضوع‌ها را دارد.",
	"pause":       "ارسال خلاصه متوقف شد.",
	"resume":      "ارسال خلاصه از سر گرفته شد.",
	"unsubscribe": "اشتراک شما لغو شد؛ خلاصه‌ای دیگر فرستاده نمی‌شود.",
	"resubscribe": "اشتراک شما دوباره برقرار شد.",
}

var whatNames = map[string]string{
	model.ChangeUnsubscribe: "لغو اشتراک",
	model.ChangeResubscribe: "اشتراک دوباره",
	model.ChangePause:       "توقف موقت",
	model.ChangeResume:      "ادامه ارسال",
	model.ChangeTopics:      "تغییر موضوع‌ها",
	model.ChangeAdded:       "افزوده شدن به مشترکان",
	model.ChangeRemoved:     "حذف از مشترکان",
}

var viaNames = map[string]string{
	model.ViaLink:    "با پیوند لغو اشتراک",
	model.ViaPage:    "در صفحه تنظیمات",
	model.ViaCommand: "به دست مدیر سرویس",
	model.ViaConfig:  "در پیکربندی",
}
