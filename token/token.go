// Package token makes and checks the signed tokens of mediadigest's links
// and sessions: each names one subscriber and one purpose (unsubscribe,
// preferences, login, session, feed), may carry an expiry, and is signed with
// HMAC-SHA256. A Signer signs with the current secret and accepts the
// previous one too, so that a secret can be rotated without breaking the
// links in mails already sent (docs/subscriptions.md).
//
// A token is "v1.PAYLOAD.MAC", PAYLOAD the base64url of "purpose|expiry|
// address" (expiry in Unix seconds, 0 for none) and MAC the base64url of
// its HMAC: readable by nobody but harmless to show, and short enough for
// a List-Unsubscribe header.
package token

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Purpose is what a token lets its bearer do.
type Purpose string

// The purposes of tokens.
const (
	Unsubscribe Purpose = "unsubscribe" // the one-click unsubscribe of a digest; never expires
	Preferences Purpose = "preferences" // the preferences page, from a digest
	Login       Purpose = "login"       // a link that opens a desk session
	Session     Purpose = "session"     // the desk's session cookie
	CSRF        Purpose = "csrf"        // a form's token, bound to the token or session that showed it
	// Feed is a search feed's link (/search.atom), which a feed reader
	// fetches without a session; it never expires (docs/desk.md).
	Feed Purpose = "feed"
)

// MaxLen is the longest token Check reads: anything longer is refused
// before it is decoded.
const MaxLen = 1024

// Errors of Check.
var (
	ErrInvalid = errors.New("invalid or forged token")
	ErrExpired = errors.New("expired token")
	ErrPurpose = errors.New("token made for another purpose")
)

// minSecret is the shortest secret accepted: 16 bytes, 128 bits.
const minSecret = 16

// Signer makes and checks tokens. It is safe for concurrent use.
type Signer struct {
	keys [][]byte // the current secret first
	now  func() time.Time
}

// NewSigner returns a signer with the current secret and any previous
// ones still accepted; now is the clock of the expiries.
func NewSigner(now func() time.Time, current []byte, previous ...[]byte) (*Signer, error) {
	s := &Signer{now: now}
	for _, k := range append([][]byte{current}, previous...) {
		if len(k) < minSecret {
			return nil, fmt.Errorf("token: a secret must be at least %d bytes (generate one with `openssl rand -base64 32`)", minSecret)
		}
		s.keys = append(s.keys, bytes.Clone(k))
	}
	return s, nil
}

// Make returns a token naming address for purpose, valid for ttl; a ttl
// of 0 makes one that never expires.
func (s *Signer) Make(address string, p Purpose, ttl time.Duration) string {
	var exp int64
	if ttl > 0 {
		exp = s.now().Add(ttl).Unix()
	}
	payload := string(p) + "|" + strconv.FormatInt(exp, 10) + "|" + address
	enc := base64.RawURLEncoding
	return "v1." + enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(mac(s.keys[0], payload))
}

// Check returns the address a token names, when the token was made by
// this signer (with the current or a previous secret), for purpose p, and
// has not expired.
func (s *Signer) Check(tok string, p Purpose) (string, error) {
	if len(tok) > MaxLen {
		return "", ErrInvalid
	}
	version, rest, ok := strings.Cut(tok, ".")
	if !ok || version != "v1" {
		return "", ErrInvalid
	}
	enc := base64.RawURLEncoding
	b64, sig64, ok := strings.Cut(rest, ".")
	if !ok {
		return "", ErrInvalid
	}
	payload, err := enc.DecodeString(b64)
	if err != nil {
		return "", ErrInvalid
	}
	sig, err := enc.DecodeString(sig64)
	if err != nil {
		return "", ErrInvalid
	}
	signed := false
	for _, k := range s.keys {
		if hmac.Equal(sig, mac(k, string(payload))) {
			signed = true
			break
		}
	}
	if !signed {
		return "", ErrInvalid
	}
	parts := strings.SplitN(string(payload), "|", 3)
	if len(parts) != 3 || parts[2] == "" {
		return "", ErrInvalid
	}
	if Purpose(parts[0]) != p {
		return "", ErrPurpose
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return "", ErrInvalid
	}
	if exp != 0 && !s.now().Before(time.Unix(exp, 0)) {
		return "", ErrExpired
	}
	return parts[2], nil
}

// Bound returns a token for purpose p bound to another token: a form's
// CSRF token, valid as long as the token that showed the form. It names
// no one; BoundTo checks it.
func (s *Signer) Bound(to string, p Purpose) string {
	return base64.RawURLEncoding.EncodeToString(mac(s.keys[0], string(p)+"|"+to))
}

// BoundTo reports whether tok is the token Bound made for to and p, with
// any of the signer's secrets.
func (s *Signer) BoundTo(tok, to string, p Purpose) bool {
	sig, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(tok) > MaxLen {
		return false
	}
	for _, k := range s.keys {
		if hmac.Equal(sig, mac(k, string(p)+"|"+to)) {
			return true
		}
	}
	return false
}

func mac(key []byte, payload string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(payload))
	return h.Sum(nil)
}
