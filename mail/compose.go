// Package mail turns rendered digests into MIME messages (Compose) and
// hands them to a mail server (SMTP) or writes them as .eml files (File).
// Which digests to send, and what became of each, is package delivery's.
package mail

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"mediadigest/jalali"
	"mediadigest/model"
)

// ErrPermanent marks errors that retrying cannot fix: a malformed address,
// a 5xx reply. Errors without it are worth another attempt later.
var ErrPermanent = errors.New("permanent failure")

// SubjectPrefix starts the default subject, which goes on with the Jalali
// date of the digest's day.
const SubjectPrefix = "خلاصه اخبار — "

// Header holds the header fields of a digest mail.
type Header struct {
	From      string // "Name <addr>" or "addr"
	To        string // "" is the digest's subscriber
	MessageID string // without angle brackets, as MessageID returns it
	// Unsubscribe are the List-Unsubscribe URIs, mailto: or https:, in
	// order of preference; an https one also gets one-click (RFC 8058).
	Unsubscribe []string
	Date        time.Time // when the mail is sent, by the sender's clock
	Subject     string    // "" is SubjectPrefix and the Jalali date of the digest's day
	Boundary    string    // fixed MIME boundary, for reproducible output; "" is random
}

// Compose builds the multipart/alternative message of digest d from its
// rendered parts: text first, then HTML, as RFC 2046 orders them from the
// plainest to the richest. Only the header values reach the header; the
// scraped text of d is in the bodies alone.
func Compose(d model.Digest, html, text []byte, h Header) (*gomail.Msg, error) {
	if h.MessageID == "" {
		return nil, fmt.Errorf("mail: compose digest for %s: no Message-ID", d.Subscriber)
	}
	opts := []gomail.MsgOption{gomail.WithNoDefaultUserAgent()}
	if h.Boundary != "" {
		opts = append(opts, gomail.WithBoundary(h.Boundary))
	}
	m := gomail.NewMsg(opts...)
	if err := m.From(h.From); err != nil {
		return nil, fmt.Errorf("mail: compose digest for %s: From %q: %w: %w", d.Subscriber, h.From, ErrPermanent, err)
	}
	to := cmp.Or(h.To, d.Subscriber)
	if err := m.To(to); err != nil {
		return nil, fmt.Errorf("mail: compose digest for %s: To %q: %w: %w", d.Subscriber, to, ErrPermanent, err)
	}
	if err := setUnsubscribe(m, h.Unsubscribe); err != nil {
		return nil, fmt.Errorf("mail: compose digest for %s: %w", d.Subscriber, err)
	}
	subject := h.Subject
	if subject == "" {
		day, err := time.Parse(time.DateOnly, d.Date)
		if err != nil {
			return nil, fmt.Errorf("mail: compose digest for %s: bad digest date: %w", d.Subscriber, err)
		}
		subject = SubjectPrefix + jalali.FormatDate(day)
	}
	m.Subject(subject)
	// go-mail adds the angle brackets; an id stored with them would get two.
	m.SetMessageIDWithValue(strings.TrimSuffix(strings.TrimPrefix(h.MessageID, "<"), ">"))
	if h.Date.IsZero() {
		return nil, fmt.Errorf("mail: compose digest for %s: no Date", d.Subscriber)
	}
	m.SetDateWithValue(h.Date)
	m.SetUserAgent("mediadigest")
	m.SetBulk()
	m.SetBodyString(gomail.TypeTextPlain, string(text))
	m.AddAlternativeString(gomail.TypeTextHTML, string(html))
	return m, nil
}

// setUnsubscribe writes List-Unsubscribe, and List-Unsubscribe-Post when
// an https URI is among them (RFC 8058 one-click; a mailto: URI cannot
// take a POST). Both go through SetGenHeader rather than go-mail's
// SetListUnsubscribe*, which write "preformatted" headers from a map, in
// random order and unchecked. Each URI must be plain ASCII without spaces:
// url.Parse refuses control characters, so no value can break the header
// line.
func setUnsubscribe(m *gomail.Msg, uris []string) error {
	if len(uris) == 0 {
		return fmt.Errorf("no unsubscribe URI (digest.unsubscribe, or http.public_url with http.secret_env): %w", ErrPermanent)
	}
	var values []string
	oneClick := false
	for _, uri := range uris {
		u, err := url.Parse(uri)
		if err != nil {
			return fmt.Errorf("unsubscribe URI: %w: %w", ErrPermanent, err)
		}
		value := u.String()
		if strings.ContainsFunc(value, func(r rune) bool { return r <= ' ' || r > '~' }) {
			return fmt.Errorf("unsubscribe URI %q: not printable ASCII (percent-encode it): %w", uri, ErrPermanent)
		}
		switch {
		case u.Scheme == "https" && u.Host != "":
			oneClick = true
		case u.Scheme == "mailto" && u.Opaque != "":
		default:
			return fmt.Errorf("unsubscribe URI %q (want mailto:ADDRESS or https://HOST/…): %w", uri, ErrPermanent)
		}
		values = append(values, "<"+value+">")
	}
	m.SetGenHeader(gomail.HeaderListUnsubscribe, strings.Join(values, ", "))
	if oneClick {
		m.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	return nil
}
