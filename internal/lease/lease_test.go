package lease_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"mediadigest/clock"
	"mediadigest/internal/lease"
	"mediadigest/store"
)

// settle waits until n goroutines sleep on clk: the renewal loop has gone
// back to sleep after its last renewal.
func settle(t *testing.T, clk *clock.Fake, n int) {
	t.Helper()
	if !clk.Settle(n, 10*time.Second) {
		t.Fatalf("%d goroutines sleep on the clock, want %d", clk.Waiters(), n)
	}
}

func TestHold(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "lease.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const ttl = 30 * time.Second
	clk := clock.NewFake(time.Date(2027, 3, 20, 23, 50, 0, 0, time.UTC))

	held, release, ok, err := lease.Hold(ctx, st, clk, "crawl:isna", "a", ttl)
	if err != nil || !ok {
		t.Fatalf("Hold by a = %v, %v; want the free lease", ok, err)
	}
	// Renewed while a works: b never gets it, well past one ttl.
	for range 4 {
		settle(t, clk, 1)
		clk.Advance(ttl / 2)
		settle(t, clk, 1)
		if _, _, ok, err := lease.Hold(ctx, st, clk, "crawl:isna", "b", ttl); err != nil || ok {
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
	held, release, ok, err = lease.Hold(ctx, st, clk, "crawl:isna", "b", ttl)
	if err != nil || !ok {
		t.Fatalf("Hold by b after a released = %v, %v; want it", ok, err)
	}
	// Taken away (its holder's clock stopped, the row rewritten by an
	// operator): the next renewal fails and the work is told to stop.
	if err := st.ReleaseLease(ctx, "crawl:isna", "b"); err != nil {
		t.Fatal(err)
	}
	settle(t, clk, 1)
	clk.Advance(ttl / 3)
	select {
	case <-held.Done():
		if !errors.Is(context.Cause(held), lease.ErrLost) {
			t.Errorf("cause = %v, want ErrLost", context.Cause(held))
		}
	case <-time.After(10 * time.Second):
		t.Error("the context of a lost lease was not cancelled")
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
}

// TestExpiredLeasePassesOn: a holder that dies stops renewing; once its
// lease has expired on the clock, another process takes it.
func TestExpiredLeasePassesOn(t *testing.T) {
	ctx := t.Context()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "lease.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const ttl = 30 * time.Second
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if won, err := st.TryLease(ctx, "crawl:isna", "dead", now, ttl); err != nil || !won {
		t.Fatalf("TryLease = %v, %v", won, err)
	}
	clk := clock.NewFake(now.Add(ttl - time.Second))
	if _, _, ok, err := lease.Hold(ctx, st, clk, "crawl:isna", "b", ttl); err != nil || ok {
		t.Fatalf("Hold before the dead holder's lease expired = %v, %v; want refused", ok, err)
	}
	clk.Advance(time.Second)
	_, release, ok, err := lease.Hold(ctx, st, clk, "crawl:isna", "b", ttl)
	if err != nil || !ok {
		t.Fatalf("Hold once it expired = %v, %v; want it", ok, err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
}
