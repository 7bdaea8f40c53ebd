package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"mediadigest/config"
	"mediadigest/token"
)

// LoginURL returns the sign-in link of a configured subscriber, valid for
// http.login_ttl: what `mediadigest link EMAIL` prints.
func (s *Site) LoginURL(email string) (string, error) {
	sub, ok := s.cfg.Subscriber(email)
	if !ok {
		return "", errUnknown
	}
	return s.URL("login", url.Values{"t": {s.signer.Make(sub.Email, token.Login, s.cfg.HTTP.LoginTTL.D())}}), nil
}

var errUnknown = errors.New("not a configured subscriber: only the addresses under subscribers: in the config may sign in")

// Login is GET /login?t=TOKEN: a valid login link of a configured
// subscriber opens a session (an HttpOnly cookie, SameSite=Lax, Secure
// behind https) and goes to the desk. A forged, expired or foreign link
// gets 403 and changes nothing.
func (s *Site) Login(w http.ResponseWriter, r *http.Request) {
	email, err := s.signer.Check(r.URL.Query().Get("t"), token.Login)
	if err != nil {
		msg := "این پیوند ورود معتبر نیست. پیوند تازه‌ای بخواهید (mediadigest link EMAIL)."
		if errors.Is(err, token.ErrExpired) {
			msg = "این پیوند ورود منقضی شده است. پیوند تازه‌ای بخواهید (mediadigest link EMAIL)."
		}
		s.Error(w, r, http.StatusForbidden, msg)
		return
	}
	sub, ok := s.cfg.Subscriber(email)
	if !ok {
		s.Error(w, r, http.StatusForbidden, "این نشانی در میان مشترکان نیست.")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    s.signer.Make(sub.Email, token.Session, s.cfg.HTTP.SessionTTL.D()),
		Path:     "/",
		MaxAge:   int(s.cfg.HTTP.SessionTTL.D().Seconds()),
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	})
	s.log.Info("signed in", "subscriber", sub.Email)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// Logout is POST /logout: it ends the session on this browser.
func (s *Site) Logout(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.Session(r); ok && !s.CheckCSRF(r) {
		s.Error(w, r, http.StatusForbidden, "این فرم منقضی شده است؛ صفحه را دوباره باز کنید.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// Session returns the subscriber signed in on r: a valid session cookie
// of an address still among the configured subscribers.
func (s *Site) Session(r *http.Request) (config.Subscriber, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return config.Subscriber{}, false
	}
	email, err := s.signer.Check(c.Value, token.Session)
	if err != nil {
		return config.Subscriber{}, false
	}
	return s.cfg.Subscriber(email)
}

type subscriberKey struct{}

// RequireSession serves h to a signed-in subscriber (Subscriber reads who)
// and a 403 page saying how to sign in to anyone else: the desk is not
// public.
func (s *Site) RequireSession(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sub, ok := s.Session(r)
		if !ok {
			s.Error(w, r, http.StatusForbidden, "برای دیدن میز خبر وارد شوید: پیوند ورود را با دستور mediadigest link EMAIL بگیرید.")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), subscriberKey{}, sub)))
	}
}

// Subscriber returns who RequireSession let through.
func Subscriber(r *http.Request) config.Subscriber {
	sub, _ := r.Context().Value(subscriberKey{}).(config.Subscriber)
	return sub
}

// CSRF returns the token of r's forms, bound to its session: a form
// posted from another site, which cannot read it, is refused.
func (s *Site) CSRF(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	return s.signer.Bound(c.Value, token.CSRF)
}

// CheckCSRF reports whether r's form carries the token of its session.
func (s *Site) CheckCSRF(r *http.Request) bool {
	c, err := r.Cookie(SessionCookie)
	return err == nil && s.signer.BoundTo(r.PostFormValue("csrf"), c.Value, token.CSRF)
}
