package delivery

import (
	"context"
	"fmt"

	"mediadigest/config"
	"mediadigest/digest"
)

// ConfigAudience is the audience of the config's subscribers: each gets
// every digest, with the topics the config gives them.
func ConfigAudience(cfg *config.Config) Audience { return configAudience{cfg} }

type configAudience struct{ cfg *config.Config }

// Recipients returns every configured subscriber.
func (a configAudience) Recipients(context.Context) ([]digest.Subscriber, error) {
	out := make([]digest.Subscriber, len(a.cfg.Subscribers))
	for i, s := range a.cfg.Subscribers {
		out[i] = digest.Subscriber{Email: s.Email, Topics: s.Topics}
	}
	return out, nil
}

// Recipient returns the configured subscriber with that address, whatever
// its case.
func (a configAudience) Recipient(_ context.Context, email string) (digest.Subscriber, error) {
	s, ok := a.cfg.Subscriber(email)
	if !ok {
		return digest.Subscriber{}, fmt.Errorf("%w %q: not in the config's subscribers", ErrNoRecipient, email)
	}
	return digest.Subscriber{Email: s.Email, Topics: s.Topics}, nil
}
