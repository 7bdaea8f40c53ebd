package token

import (
	"errors"
	"strings"
	"testing"
	"time"

	"mediadigest/clock"
)

var (
	current  = []byte("the current secret, 32 bytes lon")
	previous = []byte("the secret before the rotation..")
	other    = []byte("a secret of another installation")
)

func TestCheck(t *testing.T) {
	clk := clock.NewFake(time.Date(2027, 3, 20, 20, 20, 0, 0, time.UTC))
	old, err := NewSigner(clk.Now, previous)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(clk.Now, current, previous)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := NewSigner(clk.Now, other)
	if err != nil {
		t.Fatal(err)
	}
	unsub := s.Make("analyst@example.com", Unsubscribe, 0)
	login := s.Make("analyst@example.com", Login, time.Hour)
	feed := s.Make("analyst@example.com", Feed, 0)
	tampered := []byte(unsub)
	tampered[len(tampered)-3] ^= 1
	otherPayload := strings.Split(s.Make("boss@example.com", Unsubscribe, 0), ".")[1]
	forged := "v1." + otherPayload + "." + strings.Split(unsub, ".")[2]
	tests := []struct {
		name    string
		tok     string
		purpose Purpose
		later   time.Duration
		want    string
		err     error
	}{
		{"unsubscribe", unsub, Unsubscribe, 0, "analyst@example.com", nil},
		{"unsubscribe years later", unsub, Unsubscribe, 5 * 365 * 24 * time.Hour, "analyst@example.com", nil},
		{"login within its hour", login, Login, 59 * time.Minute, "analyst@example.com", nil},
		{"login after its hour", login, Login, time.Hour, "", ErrExpired},
		{"another purpose", unsub, Preferences, 0, "", ErrPurpose},
		{"feed years later", feed, Feed, 5 * 365 * 24 * time.Hour, "analyst@example.com", nil},
		{"a feed's token as a session", feed, Session, 0, "", ErrPurpose},
		{"a login as a feed's token", login, Feed, 0, "", ErrPurpose},
		{"signed with the previous secret", old.Make("analyst@example.com", Unsubscribe, 0), Unsubscribe, 0, "analyst@example.com", nil},
		{"signed by another installation", stranger.Make("analyst@example.com", Unsubscribe, 0), Unsubscribe, 0, "", ErrInvalid},
		{"tampered", string(tampered), Unsubscribe, 0, "", ErrInvalid},
		{"another subscriber's payload, this one's signature", forged, Unsubscribe, 0, "", ErrInvalid},
		{"empty", "", Unsubscribe, 0, "", ErrInvalid},
		{"not a token", "hello", Unsubscribe, 0, "", ErrInvalid},
		{"10 KB", "v1." + strings.Repeat("A", 10<<10) + ".x", Unsubscribe, 0, "", ErrInvalid},
		{"bad base64", "v1.%%%.%%%", Unsubscribe, 0, "", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clock.NewFake(clk.Now().Add(tt.later))
			s := &Signer{keys: s.keys, now: c.Now}
			got, err := s.Check(tt.tok, tt.purpose)
			if got != tt.want || !errors.Is(err, tt.err) && !(err == nil && tt.err == nil) {
				t.Errorf("Check = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
	// Once the previous secret is removed, what it signed is refused.
	rotated, err := NewSigner(clk.Now, current)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rotated.Check(old.Make("analyst@example.com", Unsubscribe, 0), Unsubscribe); !errors.Is(err, ErrInvalid) {
		t.Errorf("a token of a removed secret: %v, want ErrInvalid", err)
	}
}

func TestBound(t *testing.T) {
	clk := clock.NewFake(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s, err := NewSigner(clk.Now, current, previous)
	if err != nil {
		t.Fatal(err)
	}
	session := s.Make("analyst@example.com", Session, time.Hour)
	csrf := s.Bound(session, CSRF)
	if !s.BoundTo(csrf, session, CSRF) {
		t.Error("a form's own token is refused")
	}
	if s.BoundTo(csrf, s.Make("boss@example.com", Session, time.Hour), CSRF) {
		t.Error("a form token of another session is accepted")
	}
	if s.BoundTo("", session, CSRF) || s.BoundTo(strings.Repeat("A", 2000), session, CSRF) {
		t.Error("an empty or huge form token is accepted")
	}
}

func TestShortSecretRefused(t *testing.T) {
	if _, err := NewSigner(time.Now, []byte("short")); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
}
