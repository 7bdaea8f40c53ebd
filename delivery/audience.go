package delivery

import (
	"context"
	"fmt"
	"strings"

	"mediadigest/config"
	"mediadigest/digest"
)

// ConfigAudience is the audience of the config's subscribers: each gets
// every digest, with the topics the config gives them.
type ConfigAudience []config.Subscriber

// Recipients returns every configured subscriber.
func (a ConfigAudience) Recipients(context.Context) ([]digest.Subscriber, error) {
	out := make([]digest.Subscriber, len(a))
	for i, s := range a {
		out[i] = digest.Subscriber{Email: s.Email, Topics: s.Topics}
	}
	return out, nil
}

// Recipient returns the configured subscriber with that address.
func (a ConfigAudience) Recipient(_ context.Context, email string) (digest.Subscriber, error) {
	for _, s := range a {
		if sameAddress(s.Email, email) {
			return digest.Subscriber{Email: s.Email, Topics: s.Topics}, nil
		}
	}
	return digest.Subscriber{}, fmt.Errorf("%w %q: not in the config's subscribers", ErrNoRecipient, email)
}

// sameAddress compares mail addresses as their owners do: case does not
// matter (ANALYST@EXAMPLE.COM is analyst@example.com).
func sameAddress(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
