package web

import (
	"net/http"
	"net/url"

	"mediadigest/token"
)

// StoryURL is the desk page of a story, for a digest.
func (s *Site) StoryURL(id string) string { return s.URL("story/"+url.PathEscape(id), nil) }

// UnsubscribeURL is a subscriber's one-click unsubscribe link: a GET shows
// a confirmation, a POST (the mail client's button) unsubscribes. Its
// token never expires: a link in an old mail must still work.
func (s *Site) UnsubscribeURL(email string) string {
	return s.URL("u/"+s.signer.Make(email, token.Unsubscribe, 0), nil)
}

// PreferencesURL is a subscriber's link to their preferences page, valid
// for http.link_ttl.
func (s *Site) PreferencesURL(email string) string {
	return s.URL("subscription", url.Values{"t": {s.signer.Make(email, token.Preferences, s.cfg.HTTP.LinkTTL.D())}})
}

// Routes mounts the site's own handlers: sign-in, sign-out and the
// stylesheet.
func (s *Site) Routes(mux interface {
	Handle(pattern string, h http.Handler)
}) {
	mux.Handle("GET /login", http.HandlerFunc(s.Login))
	mux.Handle("POST /logout", http.HandlerFunc(s.Logout))
	mux.Handle("GET /static/desk.css", s.Static())
}
