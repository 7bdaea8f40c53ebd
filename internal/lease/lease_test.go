package lease_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"mediadigest/internal/lease"
	"mediadigest/store"
)

func TestHold(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "lease.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const ttl = 300 * time.Millisecond

	held, release, ok, err := lease.Hold(ctx, st, "crawl:isna", "a", ttl, time.Now)
	if err != nil || !ok {
		t.Fatalf("Hold by a = %v, %v; want the free lease", ok, err)
	}
	// Renewed while a works: b never gets it, well past one ttl.
	for range 4 {
		time.Sleep(ttl / 2)
		if _, _, ok, err := lease.Hold(ctx, st, "crawl:isna", "b", ttl, time.Now); err != nil || ok {
			t.Fatalf("Hold by b while a holds it = %v, %v; want refused", ok, err)
		}
	}
	if held.Err() != nil {
		t.Fatalf("a's context ended while it held the lease: %v", context.Cause(held))
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	// Released: b takes it at once.
	held, release, ok, err = lease.Hold(ctx, st, "crawl:isna", "b", ttl, time.Now)
	if err != nil || !ok {
		t.Fatalf("Hold by b after a released = %v, %v; want it", ok, err)
	}
	// Taken away (its holder's clock stopped, the row rewritten by an
	// operator): the renewal fails and the work is told to stop.
	if err := st.ReleaseLease(ctx, "crawl:isna", "b"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held.Done():
		if !errors.Is(context.Cause(held), lease.ErrLost) {
			t.Errorf("cause = %v, want ErrLost", context.Cause(held))
		}
	case <-time.After(2 * ttl):
		t.Error("the context of a lost lease was not cancelled")
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
}
