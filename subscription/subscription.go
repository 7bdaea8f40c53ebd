// Package subscription puts subscribers in control of their digests
// (docs/subscriptions.md): their own choice of topics, a pause, an
// unsubscription, each kept in the store with an audit line saying what
// changed, when, and through which path — the one-click link of a digest,
// the preferences page, the `subscribers` command, or the config.
//
// The config stays the list of who may receive digests; the store says
// what each of them chose. A Manager is the delivery.Audience of both:
// the configured subscribers who receive digests now, with their stored
// topics. Its Pages serve the one-click unsubscribe (RFC 8058) and the
// preferences page.
//
// Every change goes through Manager.change, which writes the state and its
// audit line in one transaction (store.ChangeSubscription), and cancels
// the digests queued for a subscriber who stops receiving. An
// unsubscription then waits for a digest of theirs already on the wire,
// so that none goes out once it has been confirmed.
package subscription

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"mediadigest/clock"
	"mediadigest/config"
	"mediadigest/delivery"
	"mediadigest/digest"
	"mediadigest/model"
	"mediadigest/store"
)

// Store is the subscription state as the Manager uses it: *store.Store.
type Store interface {
	Subscriptions(ctx context.Context) ([]model.Subscription, error)
	Subscription(ctx context.Context, email string) (model.Subscription, error)
	ChangeSubscription(ctx context.Context, email string, now time.Time,
		change func(*model.Subscription) (model.SubscriptionChange, error)) (model.Subscription, error)
	SubscriptionChanges(ctx context.Context, email string, limit int) ([]model.SubscriptionChange, error)
	Sending(ctx context.Context, subscriber string, now time.Time) (int, error)
}

// Errors of the Manager's changes.
var (
	// ErrUnknown: the address is not among the config's subscribers.
	ErrUnknown = errors.New("not a configured subscriber: only the addresses under subscribers: in the config receive digests")
	// ErrInvalid: the change asked for is not one a subscriber can make
	// (an unknown topic, no topic at all, a pause out of bounds).
	ErrInvalid = errors.New("invalid choice")

	errUnknownTopic      = fmt.Errorf("%w: no such topic", ErrInvalid)
	errNoTopic           = fmt.Errorf("%w: choose at least one topic, or unsubscribe", ErrInvalid)
	errPauseLength       = fmt.Errorf("%w: a pause lasts from a day to %d weeks", ErrInvalid, MaxPause/(7*24*time.Hour))
	errPauseUnsubscribed = fmt.Errorf("%w: unsubscribed: re-subscribe before pausing", ErrInvalid)
)

// MaxPause is the longest pause: a longer absence is an unsubscription.
const MaxPause = 26 * 7 * 24 * time.Hour

// sendingPoll is how often an unsubscription checks, in real time,
// whether the digest of theirs on the wire has been recorded.
const sendingPoll = 20 * time.Millisecond

// Options complete a Manager; the zero value of each field is its default.
type Options struct {
	Clock  clock.Clock  // nil: the system's
	Logger *slog.Logger // nil: slog.Default()
}

// Manager keeps the subscription state of one config over one store. It
// is safe for concurrent use.
type Manager struct {
	cfg *config.Config
	st  Store
	clk clock.Clock
	log *slog.Logger
}

// NewManager returns the manager of cfg's subscribers over st.
func NewManager(cfg *config.Config, st Store, o Options) *Manager {
	return &Manager{cfg: cfg, st: st, clk: clock.Or(o.Clock), log: cmp.Or(o.Logger, slog.Default())}
}

// Status is a subscriber as they stand: what `subscribers` lists.
type Status struct {
	Email string `json:"email"`
	// State is model.SubscriberActive, SubscriberPaused or
	// SubscriberUnsubscribed; "removed" for an address the config no
	// longer lists, which receives nothing.
	State string `json:"state"`
	// Topics are the topics their digests show, empty for all; Chosen
	// says they chose them (else they are the config's).
	Topics         []string                  `json:"topics"`
	Chosen         bool                      `json:"chosen"`
	PausedUntil    *time.Time                `json:"paused_until,omitempty"`
	UnsubscribedAt *time.Time                `json:"unsubscribed_at,omitempty"`
	LastChange     *model.SubscriptionChange `json:"last_change,omitempty"`
}

// StateRemoved is the State of an address the config no longer lists.
const StateRemoved = "removed"

// List returns every configured subscriber in config order, then the
// addresses the store knows that the config no longer lists.
func (m *Manager) List(ctx context.Context) ([]Status, error) {
	stored, err := m.stored(ctx)
	if err != nil {
		return nil, err
	}
	var out []Status
	for _, c := range m.cfg.Subscribers {
		s, err := m.status(ctx, c, stored[strings.ToLower(c.Email)])
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	for _, email := range slices.Sorted(func(yield func(string) bool) {
		for e := range stored {
			if !yield(e) {
				return
			}
		}
	}) {
		if _, ok := m.cfg.Subscriber(email); ok {
			continue
		}
		s, err := m.status(ctx, config.Subscriber{Email: email}, stored[email])
		if err != nil {
			return nil, err
		}
		s.State = StateRemoved
		out = append(out, s)
	}
	return out, nil
}

// Status returns one configured subscriber as they stand.
func (m *Manager) Status(ctx context.Context, email string) (Status, error) {
	c, ok := m.cfg.Subscriber(email)
	if !ok {
		return Status{}, fmt.Errorf("%q: %w", email, ErrUnknown)
	}
	sub, err := m.st.Subscription(ctx, email)
	if err != nil {
		return Status{}, err
	}
	return m.status(ctx, c, sub)
}

func (m *Manager) status(ctx context.Context, c config.Subscriber, sub model.Subscription) (Status, error) {
	now := m.clk.Now()
	s := Status{Email: c.Email, State: sub.State(now), Topics: m.topics(c, sub), Chosen: sub.Topics != nil}
	if s.Topics == nil {
		s.Topics = []string{}
	}
	if s.State == model.SubscriberPaused {
		t := sub.PausedUntil
		s.PausedUntil = &t
	}
	if !sub.UnsubscribedAt.IsZero() {
		t := sub.UnsubscribedAt
		s.UnsubscribedAt = &t
	}
	last, err := m.st.SubscriptionChanges(ctx, c.Email, 1)
	if err != nil {
		return Status{}, err
	}
	if len(last) == 1 {
		s.LastChange = &last[0]
	}
	return s, nil
}

// Changes returns the audit lines of email (all subscribers for ""),
// newest first, at most limit (<= 0: all).
func (m *Manager) Changes(ctx context.Context, email string, limit int) ([]model.SubscriptionChange, error) {
	return m.st.SubscriptionChanges(ctx, email, limit)
}

// Recipients returns the configured subscribers who receive digests now,
// with their topics and since when: delivery.Audience.
func (m *Manager) Recipients(ctx context.Context) ([]digest.Subscriber, error) {
	stored, err := m.stored(ctx)
	if err != nil {
		return nil, err
	}
	now := m.clk.Now()
	var out []digest.Subscriber
	for _, c := range m.cfg.Subscribers {
		sub := stored[strings.ToLower(c.Email)]
		if sub.State(now) != model.SubscriberActive {
			continue
		}
		out = append(out, digest.Subscriber{Email: c.Email, Topics: m.topics(c, sub), Since: sub.Since(now)})
	}
	return out, nil
}

// Recipient returns one configured subscriber: delivery.Audience. The
// error wraps delivery.ErrNoRecipient for an address the config does not
// list, and delivery.ErrNotReceiving, with the subscriber, for one who
// receives nothing now.
func (m *Manager) Recipient(ctx context.Context, email string) (digest.Subscriber, error) {
	c, ok := m.cfg.Subscriber(email)
	if !ok {
		return digest.Subscriber{}, fmt.Errorf("%w %q: not in the config's subscribers", delivery.ErrNoRecipient, email)
	}
	sub, err := m.st.Subscription(ctx, email)
	if err != nil {
		return digest.Subscriber{}, err
	}
	now := m.clk.Now()
	d := digest.Subscriber{Email: c.Email, Topics: m.topics(c, sub), Since: sub.Since(now)}
	switch sub.State(now) {
	case model.SubscriberUnsubscribed:
		return d, fmt.Errorf("%s %w: unsubscribed at %s", c.Email, delivery.ErrNotReceiving, sub.UnsubscribedAt.UTC().Format(time.RFC3339))
	case model.SubscriberPaused:
		return d, fmt.Errorf("%s %w: paused until %s", c.Email, delivery.ErrNotReceiving, sub.PausedUntil.UTC().Format(time.RFC3339))
	}
	return d, nil
}

// topics are the topics c's digests show: their stored choice among the
// topics still configured, else the config's (empty: all).
func (m *Manager) topics(c config.Subscriber, sub model.Subscription) []string {
	if sub.Topics == nil {
		return c.Topics
	}
	var out []string
	for _, id := range sub.Topics {
		if m.known(id) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		// Every topic they chose left the config: the config's choice
		// rather than all of them, or none.
		return c.Topics
	}
	return out
}

// known reports whether id is a topic a subscriber may choose: a
// configured one, or the unclassified stories.
func (m *Manager) known(id string) bool {
	return id == model.OtherTopicID || slices.ContainsFunc(m.cfg.Topics, func(t model.Topic) bool { return t.ID == id })
}

// stored reads every stored subscription, by lower-cased address.
func (m *Manager) stored(ctx context.Context) (map[string]model.Subscription, error) {
	subs, err := m.st.Subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]model.Subscription, len(subs))
	for _, s := range subs {
		out[s.Email] = s
	}
	return out, nil
}

// change applies fn to the subscription of a configured subscriber with
// its audit line (what, via), in one transaction. fn returns the line's
// detail, or store.ErrNoChange when nothing is to change.
func (m *Manager) change(ctx context.Context, email, what, via string, fn func(sub *model.Subscription, now time.Time) (string, error)) (model.Subscription, error) {
	c, ok := m.cfg.Subscriber(email)
	if !ok {
		return model.Subscription{}, fmt.Errorf("%q: %w", strings.TrimSpace(email), ErrUnknown)
	}
	now := m.clk.Now()
	sub, err := m.st.ChangeSubscription(ctx, c.Email, now, func(sub *model.Subscription) (model.SubscriptionChange, error) {
		detail, err := fn(sub, now)
		return model.SubscriptionChange{What: what, Via: via, Detail: detail}, err
	})
	if err != nil {
		if errors.Is(err, ErrInvalid) {
			return sub, errors.Unwrap(err) // the store's context says nothing to a subscriber
		}
		return sub, err
	}
	m.log.Info("subscription changed", "subscriber", c.Email, "what", what, "via", via)
	return sub, nil
}

// Unsubscribe stops every digest to email, through via, and returns once
// none of theirs is on the wire any more: from then on nothing is sent
// to them, whatever was queued. Unsubscribing twice changes nothing.
func (m *Manager) Unsubscribe(ctx context.Context, email, via string) (model.Subscription, error) {
	sub, err := m.change(ctx, email, model.ChangeUnsubscribe, via, func(sub *model.Subscription, now time.Time) (string, error) {
		if !sub.UnsubscribedAt.IsZero() {
			return "", store.ErrNoChange
		}
		sub.UnsubscribedAt = now
		return "", nil
	})
	if err != nil {
		return sub, err
	}
	return sub, m.waitSent(ctx, sub.Email)
}

// waitSent returns once no digest of email is on the wire: the sender
// marked it before checking the subscriber (delivery), so it either saw
// the unsubscription or sends before this returns.
func (m *Manager) waitSent(ctx context.Context, email string) error {
	for {
		n, err := m.st.Sending(ctx, email, m.clk.Now())
		if err != nil || n == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("subscription: waiting for the digest of %s on the wire: %w", email, ctx.Err())
		case <-time.After(sendingPoll):
		}
	}
}

// Resubscribe undoes an unsubscription (and ends any pause): digests
// start again with what arrives from now on.
func (m *Manager) Resubscribe(ctx context.Context, email, via string) (model.Subscription, error) {
	return m.change(ctx, email, model.ChangeResubscribe, via, func(sub *model.Subscription, now time.Time) (string, error) {
		if sub.UnsubscribedAt.IsZero() {
			return "", store.ErrNoChange
		}
		sub.UnsubscribedAt, sub.PausedUntil, sub.ResumedAt = time.Time{}, time.Time{}, now
		return "", nil
	})
}

// Pause stops email's digests for d, at most MaxPause; a new pause
// replaces one running. An unsubscribed subscriber re-subscribes first.
func (m *Manager) Pause(ctx context.Context, email string, d time.Duration, via string) (model.Subscription, error) {
	if d < 24*time.Hour || d > MaxPause {
		return model.Subscription{}, fmt.Errorf("%w, not %s", errPauseLength, d)
	}
	return m.change(ctx, email, model.ChangePause, via, func(sub *model.Subscription, now time.Time) (string, error) {
		if !sub.UnsubscribedAt.IsZero() {
			return "", errPauseUnsubscribed
		}
		sub.PausedUntil = now.Add(d)
		return "until " + sub.PausedUntil.UTC().Format(time.RFC3339), nil
	})
}

// Resume ends a pause now.
func (m *Manager) Resume(ctx context.Context, email, via string) (model.Subscription, error) {
	return m.change(ctx, email, model.ChangeResume, via, func(sub *model.Subscription, now time.Time) (string, error) {
		if !sub.PausedUntil.After(now) {
			return "", store.ErrNoChange
		}
		sub.PausedUntil, sub.ResumedAt = time.Time{}, now
		return "", nil
	})
}

// SetTopics makes topics (ids of configured topics, model.OtherTopicID
// for the unclassified stories) the ones email's digests show, in the
// config's order. At least one is needed: no topic at all is an
// unsubscription.
func (m *Manager) SetTopics(ctx context.Context, email string, topics []string, via string) (model.Subscription, error) {
	chosen, err := m.choice(topics)
	if err != nil {
		return model.Subscription{}, err
	}
	return m.change(ctx, email, model.ChangeTopics, via, func(sub *model.Subscription, _ time.Time) (string, error) {
		if sub.Topics != nil && slices.Equal(sub.Topics, chosen) {
			return "", store.ErrNoChange
		}
		sub.Topics = chosen
		return strings.Join(chosen, ","), nil
	})
}

// choice checks topics and puts them in the config's order, "other" last.
func (m *Manager) choice(topics []string) ([]string, error) {
	for _, id := range topics {
		if !m.known(id) {
			return nil, fmt.Errorf("%w %q in the config (topics: %s)", errUnknownTopic, id, strings.Join(m.topicIDs(), ", "))
		}
	}
	var chosen []string
	for _, id := range m.topicIDs() {
		if slices.Contains(topics, id) {
			chosen = append(chosen, id)
		}
	}
	if len(chosen) == 0 {
		return nil, errNoTopic
	}
	return chosen, nil
}

// topicIDs are the ids a subscriber may choose, in the config's order.
func (m *Manager) topicIDs() []string {
	var ids []string
	for _, t := range m.choosable() {
		ids = append(ids, t.ID)
	}
	return ids
}

// choosable are the topics a subscriber may choose: the configured ones,
// then the unclassified stories («سایر»).
func (m *Manager) choosable() []model.Topic {
	return append(slices.Clone(m.cfg.Topics), model.Topic{ID: model.OtherTopicID, Name: model.OtherTopicName})
}

// Sync records the config's list of subscribers in the store, through the
// config path: an address it lists for the first time, or again, is
// added; a stored one it no longer lists is removed, and receives
// nothing. Nothing a subscriber chose is touched: an unsubscription
// outlives a config edit and a restart. A config edit takes effect when
// a command or the daemon starts and calls Sync.
func (m *Manager) Sync(ctx context.Context) error {
	stored, err := m.stored(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range m.cfg.Subscribers {
		sub, ok := stored[strings.ToLower(c.Email)]
		if ok && sub.RemovedAt.IsZero() {
			continue
		}
		_, err := m.change(ctx, c.Email, model.ChangeAdded, model.ViaConfig, func(sub *model.Subscription, now time.Time) (string, error) {
			if !sub.RemovedAt.IsZero() {
				// Back after a removal: what arrived while they were
				// out of the config is not theirs.
				sub.RemovedAt, sub.ResumedAt = time.Time{}, now
				return "back in the config", nil
			}
			if !sub.UpdatedAt.IsZero() {
				return "", store.ErrNoChange // another process added them meanwhile
			}
			return "", nil
		})
		errs = append(errs, err)
	}
	for email, sub := range stored {
		if _, ok := m.cfg.Subscriber(email); ok || !sub.RemovedAt.IsZero() {
			continue
		}
		now := m.clk.Now()
		_, err := m.st.ChangeSubscription(ctx, email, now, func(sub *model.Subscription) (model.SubscriptionChange, error) {
			if !sub.RemovedAt.IsZero() {
				return model.SubscriptionChange{}, store.ErrNoChange
			}
			sub.RemovedAt = now
			return model.SubscriptionChange{What: model.ChangeRemoved, Via: model.ViaConfig, Detail: "no longer in the config"}, nil
		})
		if err == nil {
			m.log.Info("subscription changed", "subscriber", email, "what", model.ChangeRemoved, "via", model.ViaConfig)
		}
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("subscription: record the config's subscribers: %w", err)
	}
	return nil
}
