// Package delivery owns a digest from the moment it is due to the moment
// a mail server accepts it: which window each subscriber's next digest
// covers (Plan), queuing it in the outbox under the store-wide queuing
// lease (Queue), building it from the stored stories and sending it over
// the configured transport, with retries and backoff (Send, Retry). The
// daemon and the digest and outbox commands all go through one Manager;
// the rules are in docs/windows.md.
//
// Delivery is at most once per outbox row, with one exception: a row is
// marked sent right after the server accepted it, before the next message
// goes out, so a process killed between the two leaves that one row queued
// and resends it, with the same Message-ID, by which receivers recognise
// it.
package delivery

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"mediadigest/clock"
	"mediadigest/config"
	"mediadigest/digest"
	"mediadigest/internal/lease"
	"mediadigest/mail"
	"mediadigest/model"
)

// Store is the outbox and the leases, as delivery uses them. *store.Store
// implements it.
type Store interface {
	Enqueue(ctx context.Context, it model.OutboxItem) (model.OutboxItem, bool, error)
	LastWindowEnd(ctx context.Context, subscriber string) (end time.Time, ok bool, err error)
	ClaimDue(ctx context.Context, holder string, now time.Time, ttl time.Duration, limit int) ([]model.OutboxItem, error)
	ClaimItem(ctx context.Context, holder string, id int64, now time.Time, ttl time.Duration) ([]model.OutboxItem, error)
	RenewClaims(ctx context.Context, holder string, expires time.Time) (int64, error)
	Requeue(ctx context.Context, id int64, now time.Time) (model.OutboxItem, error)
	MarkSent(ctx context.Context, id int64, reply string, at time.Time) error
	MarkRetry(ctx context.Context, id int64, reply string, next time.Time) error
	MarkFailed(ctx context.Context, id int64, reply string) error
	MarkSending(ctx context.Context, id int64, now time.Time) error
	MarkCancelled(ctx context.Context, id int64, reason string) error
	lease.Store
}

// Stories are the stored stories of a window: *stories.Reader.
type Stories interface {
	Window(ctx context.Context, win model.Window) ([]model.Story, error)
}

// Audience says who receives digests and what each follows: the config's
// subscribers (ConfigAudience), or those of them whose stored choices let
// them receive now, with their stored topics (package subscription).
type Audience interface {
	// Recipients are everyone who gets a digest now.
	Recipients(ctx context.Context) ([]digest.Subscriber, error)
	// Recipient is one of them. The error wraps ErrNoRecipient when the
	// address may not receive digests (any more), and ErrNotReceiving,
	// with the subscriber returned all the same, when they receive none
	// now (unsubscribed, paused).
	Recipient(ctx context.Context, email string) (digest.Subscriber, error)
}

// Links are what a digest links to on the pages (http.public_url): each
// story's page on the desk, and the subscriber's one-click unsubscribe
// and preferences page. *web.Site implements it.
type Links interface {
	StoryURL(id string) string
	UnsubscribeURL(email string) string
	PreferencesURL(email string) string
}

// ErrNoRecipient marks an address that may not receive digests: a digest
// queued for it fails for good.
var ErrNoRecipient = errors.New("unknown subscriber")

// ErrNotReceiving marks a subscriber who receives no digest now: they
// unsubscribed or paused (docs/subscriptions.md). A digest queued for them
// is cancelled, never sent.
var ErrNotReceiving = errors.New("receives no digest now")

// Defaults of Options.
const (
	DefaultBatch       = 1000
	DefaultMaxAttempts = 12
	DefaultMaxAge      = 24 * time.Hour
)

// Options complete a Manager; the zero value of each field is its default.
type Options struct {
	Clock     clock.Clock    // nil: the system's
	Logger    *slog.Logger   // nil: slog.Default()
	Holder    string         // this process in leases and outbox claims; "": HOST:PID
	Transport mail.Transport // nil: the config's (mail.transport)
	Links     Links          // nil: digests link to the outlets alone
	// Batch is how many rows one Send claims at a time; it sends batch
	// after batch until nothing is due.
	Batch int
	// MaxAttempts and MaxAge bound the retries of one row (see fail).
	MaxAttempts int
	MaxAge      time.Duration
}

// Manager queues and sends the digests of one config over one store. It
// is safe for concurrent use.
type Manager struct {
	cfg      *config.Config
	st       Store
	stories  Stories
	audience Audience
	tr       mail.Transport
	links    Links
	renderer *digest.Renderer
	names    map[string]string // outlet id → display name
	clk      clock.Clock
	log      *slog.Logger
	holder   string
	lease    time.Duration // cluster.lease: of the queuing lease and outbox claims
	batch    int
	attempts int
	maxAge   time.Duration

	// sending makes one Send at a time of this process: its claims are
	// its own, and a second Send would wait for them to lapse anyway.
	sending sync.Mutex
	// queuing makes one Queue at a time of this process. The queuing
	// lease keeps other processes out but lets its holder in again, and
	// in a daemon the start-up catch-up and a scheduled digest can queue
	// at once: both would read the same latest windows, and queue
	// overlapping ones.
	queuing sync.Mutex
}

// New builds the manager of cfg over st, reading stories from stories and
// recipients from audience.
func New(cfg *config.Config, st Store, stories Stories, audience Audience, o Options) (*Manager, error) {
	m := &Manager{
		cfg: cfg, st: st, stories: stories, audience: audience,
		clk:      clock.Or(o.Clock),
		log:      cmp.Or(o.Logger, slog.Default()),
		holder:   cmp.Or(o.Holder, lease.DefaultHolder()),
		lease:    cfg.Cluster.Lease.D(),
		batch:    cmp.Or(o.Batch, DefaultBatch),
		attempts: cmp.Or(o.MaxAttempts, DefaultMaxAttempts),
		maxAge:   cmp.Or(o.MaxAge, DefaultMaxAge),
		names:    cfg.OutletNames(),
		tr:       o.Transport,
		links:    o.Links,
	}
	if m.tr == nil {
		var err error
		if m.tr, err = transport(cfg.Mail); err != nil {
			return nil, fmt.Errorf("delivery: mail transport: %w", err)
		}
	}
	var err error
	m.renderer, err = digest.NewRenderer(cfg.Digest.Templates, digest.RenderOptions{
		Location: cfg.Location, OutletNames: m.names, Unsubscribe: cfg.Digest.Unsubscribe,
	})
	if err != nil {
		return nil, fmt.Errorf("delivery: %w", err)
	}
	return m, nil
}

// transport returns the configured mail transport.
func transport(m config.Mail) (mail.Transport, error) {
	if m.Transport == "file" {
		return mail.NewFile(m.Dir), nil
	}
	return mail.NewSMTP(mail.SMTPConfig{
		Host: m.SMTP.Host, Port: m.SMTP.Port, Username: m.SMTP.Username, Password: m.SMTP.Password(),
		TLS: m.SMTP.TLS, Timeout: m.SMTP.Timeout.D(),
	})
}

// Report counts what one Send did: rows sent, put back for a later
// attempt, failed for good, and cancelled as their subscriber left.
type Report struct {
	Sent, Retry, Failed, Cancelled int
}

func (r *Report) add(o Report) {
	r.Sent += o.Sent
	r.Retry += o.Retry
	r.Failed += o.Failed
	r.Cancelled += o.Cancelled
}
