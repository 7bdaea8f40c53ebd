package clock

import (
	"context"
	"testing"
	"time"
)

func TestFakeSleepEndsWhenMovedPastIt(t *testing.T) {
	start := time.Date(2027, 3, 20, 23, 50, 0, 0, time.UTC)
	f := NewFake(start)
	woke := make(chan error, 1)
	go func() { woke <- f.Sleep(context.Background(), time.Hour) }()
	if !f.Settle(1, 10*time.Second) {
		t.Fatal("the sleeper never went to sleep")
	}
	if next, ok := f.NextWait(); !ok || !next.Equal(start.Add(time.Hour)) {
		t.Errorf("NextWait = %v, %v; want %v", next, ok, start.Add(time.Hour))
	}
	f.Advance(59 * time.Minute)
	select {
	case <-woke:
		t.Fatal("woke before its hour had passed")
	default:
	}
	f.Advance(time.Minute)
	select {
	case err := <-woke:
		if err != nil {
			t.Errorf("Sleep = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not wake once its hour had passed")
	}
	if got := f.Now(); !got.Equal(start.Add(time.Hour)) {
		t.Errorf("Now = %v, want %v", got, start.Add(time.Hour))
	}
}

func TestFakeSleepCancelled(t *testing.T) {
	f := NewFake(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	ctx, cancel := context.WithCancel(context.Background())
	woke := make(chan error, 1)
	go func() { woke <- f.Sleep(ctx, time.Minute) }()
	if !f.Settle(1, 10*time.Second) {
		t.Fatal("the sleeper never went to sleep")
	}
	cancel()
	if err := <-woke; err != context.Canceled {
		t.Errorf("Sleep = %v, want context.Canceled", err)
	}
	if n := f.Waiters(); n != 0 {
		t.Errorf("%d sleepers left after the cancel, want 0", n)
	}
	if err := f.Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0) = %v, want at once", err)
	}
}

// TestFakeSleepUntilIsATime: a sleep until a time of day ends at that
// time however far the clock moved before the sleep began, and at once
// for a time already passed.
func TestFakeSleepUntilIsATime(t *testing.T) {
	start := time.Date(2026, 12, 21, 6, 59, 0, 0, time.UTC)
	f := NewFake(start)
	at := start.Add(time.Minute)
	f.Advance(30 * time.Second) // between a reading of the time and the sleep
	woke := make(chan error, 1)
	go func() { woke <- f.SleepUntil(context.Background(), at) }()
	if !f.Settle(1, 10*time.Second) {
		t.Fatal("the sleeper never went to sleep")
	}
	if next, ok := f.NextWait(); !ok || !next.Equal(at) {
		t.Errorf("NextWait = %v, %v; want %v", next, ok, at)
	}
	f.Set(at)
	select {
	case err := <-woke:
		if err != nil {
			t.Errorf("SleepUntil = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not wake at its time")
	}
	if err := f.SleepUntil(context.Background(), start); err != nil || f.Waiters() != 0 {
		t.Errorf("SleepUntil(a time passed) = %v, %d sleepers; want at once", err, f.Waiters())
	}
}

func TestFakeRefusesToGoBack(t *testing.T) {
	f := NewFake(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	defer func() {
		if recover() == nil {
			t.Error("Set to an earlier time did not panic")
		}
	}()
	f.Set(time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC))
}

func TestOffsetRunsFromItsStart(t *testing.T) {
	start := time.Date(2030, 3, 20, 12, 0, 0, 0, time.UTC)
	c := Offset(start)
	if d := c.Now().Sub(start); d < 0 || d > time.Minute {
		t.Errorf("Offset reads %v past its start, want about nothing", d)
	}
	before := c.Now()
	if err := c.Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !c.Now().After(before) {
		t.Error("an Offset clock did not move while sleeping")
	}
}
