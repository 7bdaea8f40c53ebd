// Package web is what every page mediadigest serves to readers shares: the
// layout and stylesheet (right-to-left Persian, readable at 375 px and
// 1280 px, no script), the security headers, sign-in by signed link and
// the session cookie, CSRF tokens, and clear error pages. The desk
// (package desk) and the subscription pages (package subscription) are
// built on one Site (docs/desk.md, docs/subscriptions.md).
package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"mediadigest/clock"
	"mediadigest/config"
	"mediadigest/jalali"
	"mediadigest/persian"
	"mediadigest/templates"
	"mediadigest/token"
)

// SessionCookie is the name of the desk's session cookie.
const SessionCookie = "mediadigest_session"

// Site holds what the pages share. It is safe for concurrent use.
type Site struct {
	cfg    *config.Config
	signer *token.Signer
	clk    clock.Clock
	log    *slog.Logger
	layout *template.Template
	errors *template.Template // the error page
	base   *url.URL           // http.public_url, or "/" when unset
	secure bool               // cookies are Secure: the public URL is https
}

// Options complete a Site; the zero value of each field is its default.
type Options struct {
	Clock  clock.Clock  // nil: the system's
	Logger *slog.Logger // nil: slog.Default()
}

// ErrNoSecret says the pages cannot be served: nothing signs their links.
var ErrNoSecret = errors.New("no secret to sign links and sessions: set http.secret_env in the config and that variable in the environment, or http.secret_file and that file (`openssl rand -base64 32`)")

// NewSite builds the site of cfg, signing with the secrets of
// http.secret_env; ErrNoSecret when there are none.
func NewSite(cfg *config.Config, o Options) (*Site, error) {
	clk := clock.Or(o.Clock)
	secrets := cfg.HTTP.Secrets()
	if len(secrets) == 0 {
		return nil, ErrNoSecret
	}
	signer, err := token.NewSigner(clk.Now, secrets[0], secrets[1:]...)
	if err != nil {
		return nil, fmt.Errorf("web: the secret of http.%s: %w", secretKey(cfg.HTTP), err)
	}
	s := &Site{cfg: cfg, signer: signer, clk: clk, log: o.Logger, base: &url.URL{Path: "/"}}
	if s.log == nil {
		s.log = slog.Default()
	}
	if cfg.HTTP.PublicURL != "" {
		if s.base, err = url.Parse(strings.TrimSuffix(cfg.HTTP.PublicURL, "/") + "/"); err != nil {
			return nil, fmt.Errorf("web: http.public_url: %w", err)
		}
		s.secure = s.base.Scheme == "https"
	}
	if s.layout, err = template.New("").Funcs(s.funcs()).ParseFS(templates.Web(), "web/layout.html.tmpl"); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if s.errors, err = s.PageTemplate(templates.Web(), "web/error.html.tmpl", nil); err != nil {
		return nil, err
	}
	return s, nil
}

// Signer returns the site's signer of links and sessions.
func (s *Site) Signer() *token.Signer { return s.signer }

// Clock returns the site's clock.
func (s *Site) Clock() clock.Clock { return s.clk }

// Config returns the site's config.
func (s *Site) Config() *config.Config { return s.cfg }

// URL returns the absolute address of a page, for mails and feeds: under
// http.public_url, or the path alone when it is unset.
func (s *Site) URL(path string, query url.Values) string {
	u := s.base.JoinPath(path)
	if strings.HasSuffix(path, "/") && !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	u.RawQuery = query.Encode()
	return u.String()
}

// Public reports whether http.public_url is set: links in mails need it.
func (s *Site) Public() bool { return s.base.IsAbs() }

// PageTemplate parses one page's template file from fsys with the layout:
// the file defines "title" and "main", which the layout shows.
func (s *Site) PageTemplate(fsys fs.FS, file string, funcs template.FuncMap) (*template.Template, error) {
	t, err := s.layout.Clone()
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if t, err = t.Funcs(funcs).ParseFS(fsys, file); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	return t, nil
}

// Page is what the layout executes with.
type Page struct {
	Title      string // the page's own title; the site's name follows it
	Nav        string // the menu item to mark: "today", "search", "subscription"
	Subscriber string // who is signed in, "" for nobody
	CSRF       string // the token of the page's forms
	Data       any    // the page template's own data
}

// Render executes a page template (PageTemplate) with p, status status.
// A page is rendered whole before anything is written: a template failing
// half way is an error page, never half a page.
func (s *Site) Render(w http.ResponseWriter, r *http.Request, t *template.Template, status int, p Page) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("page failed to render", "path", r.URL.Path, "error", err)
		s.Error(w, r, http.StatusInternalServerError, "این صفحه ساخته نشد؛ خطا در گزارش سرویس ثبت شد.")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Error shows a page saying what went wrong and what to do, with status.
func (s *Site) Error(w http.ResponseWriter, r *http.Request, status int, msg string) {
	var buf bytes.Buffer
	err := s.errors.ExecuteTemplate(&buf, "layout", Page{Title: http.StatusText(status), Data: struct {
		Status  int
		Message string
	}{status, msg}})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err != nil {
		s.log.Error("error page failed to render", "error", err)
		fmt.Fprintf(w, "<!doctype html><title>%d</title><p>%s</p>", status, template.HTMLEscapeString(msg))
		return
	}
	_, _ = w.Write(buf.Bytes())
}

// contentSecurityPolicy lets a page load its own stylesheet and images,
// submit forms to its own site, and nothing else: no script at all, and
// no framing. Scraped text on a page can then do nothing even if it
// slipped through escaping.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// Secure wraps h with the headers every page carries.
func Secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

// Static serves the stylesheet, GET /static/desk.css.
func (s *Site) Static() http.Handler {
	css, err := fs.ReadFile(templates.Web(), "web/desk.css")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err != nil {
			s.Error(w, r, http.StatusInternalServerError, "stylesheet missing from the build")
			return
		}
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(css)
	})
}

func (s *Site) funcs() template.FuncMap {
	loc := s.cfg.Location
	return template.FuncMap{
		"jdate":  func(t time.Time) string { return jalali.FormatDate(t.In(loc)) },
		"jtime":  func(t time.Time) string { return jalali.FormatTime(t.In(loc)) },
		"digits": func(v any) string { return persian.Digits(fmt.Sprint(v)) },
		"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"site":   func() string { return Name },
	}
}

// Name is the site's name, in the title of every page and feed.
const Name = "خلاصه اخبار"

// secretKey names the config key that gives the current secret.
func secretKey(h config.HTTP) string {
	if h.SecretEnv != "" {
		return "secret_env ($" + h.SecretEnv + ")"
	}
	return "secret_file (" + h.SecretFile + ")"
}
