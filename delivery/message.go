package delivery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"mediadigest/digest"
	"mediadigest/mail"
	"mediadigest/model"
)

// Digest builds the digest sub gets for win from the stored stories.
func (m *Manager) Digest(ctx context.Context, sub digest.Subscriber, win model.Window) (model.Digest, error) {
	ds, err := m.Digests(ctx, []digest.Subscriber{sub}, win)
	if err != nil {
		return model.Digest{}, err
	}
	return ds[0], nil
}

// Digests builds the digests of several subscribers for one window,
// reading its stories once.
func (m *Manager) Digests(ctx context.Context, subs []digest.Subscriber, win model.Window) ([]model.Digest, error) {
	b, err := builders{}.of(ctx, m, win)
	if err != nil {
		return nil, err
	}
	out := make([]model.Digest, len(subs))
	for i, s := range subs {
		out[i] = m.build(b, s)
	}
	return out, nil
}

// build selects the stories of sub's digest and gives it its links.
func (m *Manager) build(b *digest.Builder, sub digest.Subscriber) model.Digest {
	d := b.For(sub)
	if m.links == nil {
		d.Unsubscribe = digest.UnsubscribeURL(m.cfg.Digest.Unsubscribe, d.Subscriber)
		return d
	}
	d.Unsubscribe, d.Preferences = m.links.UnsubscribeURL(d.Subscriber), m.links.PreferencesURL(d.Subscriber)
	for i := range d.Topics {
		for j := range d.Topics[i].Stories {
			s := &d.Topics[i].Stories[j]
			s.Link = m.links.StoryURL(s.ID)
		}
	}
	return d
}

// Formats are the formats of Format.
var Formats = []string{"html", "text", "json", "eml"}

// Format renders d as the digest command writes it: the HTML or text part
// of its mail, its JSON (docs/formats.md), or the whole mail as an .eml
// file with the Message-ID its outbox row would carry.
func (m *Manager) Format(d model.Digest, format string) ([]byte, error) {
	switch format {
	case "html":
		return m.renderer.HTML(d)
	case "text":
		return m.renderer.Text(d)
	case "json":
		return digest.JSON(d)
	case "eml":
		msg, err := m.message(d, MessageID(d.Subscriber, d.Window, m.cfg.Digest.From), "")
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if _, err := msg.WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("delivery: write eml: %w", err)
		}
		return buf.Bytes(), nil
	}
	return nil, fmt.Errorf("delivery: unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// Message composes the mail of d with the given Message-ID and MIME
// boundary ("": random), for tests and tools that compare whole mails.
func (m *Manager) Message(d model.Digest, messageID, boundary string) (*gomail.Msg, error) {
	return m.message(d, messageID, boundary)
}

func (m *Manager) message(d model.Digest, messageID, boundary string) (*gomail.Msg, error) {
	html, err := m.renderer.HTML(d)
	if err != nil {
		return nil, err
	}
	text, err := m.renderer.Text(d)
	if err != nil {
		return nil, err
	}
	return mail.Compose(d, html, text, mail.Header{
		From:        m.cfg.Digest.From,
		MessageID:   messageID,
		Unsubscribe: m.unsubscribe(d),
		Date:        m.clk.Now(),
		Boundary:    boundary,
	})
}

// unsubscribe is the List-Unsubscribe of d: its one-click https link when
// the pages are served over https (RFC 8058), with the configured mailto:
// beside it for clients that only mail; else the configured link.
func (m *Manager) unsubscribe(d model.Digest) []string {
	configured := digest.UnsubscribeURL(m.cfg.Digest.Unsubscribe, d.Subscriber)
	if !strings.HasPrefix(d.Unsubscribe, "https://") || d.Unsubscribe == configured {
		if configured == "" {
			return nil
		}
		return []string{configured}
	}
	out := []string{d.Unsubscribe}
	if strings.HasPrefix(configured, "mailto:") {
		out = append(out, configured)
	}
	return out
}

// MessageID returns the Message-ID (without angle brackets) of the digest
// of subscriber for win: the same for every attempt and every run, so that
// a resend after a crash is recognisably the same message. Its domain is
// the sender's; an unparsable sender gets "mediadigest.invalid".
func MessageID(subscriber string, win model.Window, fromAddr string) string {
	sum := sha256.Sum256([]byte(Key(subscriber, win)))
	domain := "mediadigest.invalid"
	if a, err := netmail.ParseAddress(fromAddr); err == nil {
		domain = a.Address[strings.LastIndexByte(a.Address, '@')+1:]
	}
	return "digest-" + hex.EncodeToString(sum[:16]) + "@" + domain
}

// Key identifies the digest of one subscriber and one window; the outbox
// keeps one row per key. A window on an arrival basis is another digest
// than the day's with the same bounds (a midnight schedule); the day's
// keeps the key it had before windows had a basis.
func Key(subscriber string, win model.Window) string {
	k := strings.ToLower(strings.TrimSpace(subscriber)) + " " +
		win.From.UTC().Format(time.RFC3339) + " " + win.To.UTC().Format(time.RFC3339)
	if win.Basis != model.ByPublished {
		k += " " + string(win.Basis)
	}
	return k
}

// Backoff is the wait after the n-th failed attempt: 1m, 2m, 4m, …, at
// most 1h.
func Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 7 { // 2^6 minutes is already over the cap
		return time.Hour
	}
	return min(time.Minute<<(n-1), time.Hour)
}

// builders holds the digest builder of each window for one run: every
// recipient of a window shares its stories, and what their digests have in
// common, rather than working them out again.
type builders map[windowKey]*digest.Builder

type windowKey struct {
	from, to int64
	basis    model.Basis
}

func (c builders) of(ctx context.Context, m *Manager, win model.Window) (*digest.Builder, error) {
	k := windowKey{win.From.UnixNano(), win.To.UnixNano(), win.Basis}
	if b, ok := c[k]; ok {
		return b, nil
	}
	stories, err := m.stories.Window(ctx, win)
	if err != nil {
		return nil, err
	}
	b := digest.NewBuilder(stories, m.cfg.Topics, win, digest.Options{
		Location: m.cfg.Location, PerTopic: m.cfg.Digest.PerTopic, OutletNames: m.names,
	})
	c[k] = b
	return b, nil
}

// Subscriber returns the subscriber with that address as the audience
// knows them (their topics), for a digest built by hand: `digest`,
// /preview. One who receives nothing now (paused, unsubscribed) is
// returned all the same: looking is not sending.
func (m *Manager) Subscriber(ctx context.Context, email string) (digest.Subscriber, error) {
	sub, err := m.audience.Recipient(ctx, email)
	if errors.Is(err, ErrNotReceiving) {
		err = nil
	}
	return sub, err
}
