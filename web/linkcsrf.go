package web

import (
	"net/http"

	"mediadigest/token"
)

// LinkCSRF returns the token of the forms of a page opened by a signed
// link (tok) rather than a session, such as the preferences page of a
// digest: bound to that link, so that a form posted from another site,
// which cannot know the link, is refused.
func (s *Site) LinkCSRF(tok string) string { return s.signer.Bound(tok, token.CSRF) }

// CheckLinkCSRF reports whether r's form carries the token LinkCSRF made
// for the link tok.
func (s *Site) CheckLinkCSRF(r *http.Request, tok string) bool {
	return tok != "" && s.signer.BoundTo(r.PostFormValue("csrf"), tok, token.CSRF)
}
