package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mediadigest/clock"
	"mediadigest/sampleoutlets"
)

// clockEnv names the file holding the clock of a command run in a
// process of its own (TestMain): the test and every process it starts
// share that clock, and the test moves it by writing the file, so that a
// daemon's schedules fire when the test says, not when real time comes.
const clockEnv = "MEDIADIGEST_TEST_CLOCK"

// testClock is the clock of the commands the tests run in their own
// process: the morning after the sample outlets' days
// (sampleoutlets.Reference), running from there.
func testClock() clock.Clock { return clock.Offset(sampleoutlets.Reference) }

// fileClock is a clock kept in a file. It stands still until Set or
// Advance writes a later time; Sleep polls the file.
type fileClock struct{ path string }

// newFileClock starts a file clock at t in a directory of the test's.
func newFileClock(t testing.TB, at time.Time) fileClock {
	t.Helper()
	c := fileClock{path: filepath.Join(t.TempDir(), "clock")}
	c.Set(at)
	return c
}

// Now reads the time from the file.
func (c fileClock) Now() time.Time {
	b, err := os.ReadFile(c.path)
	if err != nil {
		panic(fmt.Sprintf("test clock: %v", err))
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		panic(fmt.Sprintf("test clock %s: %v", c.path, err))
	}
	return t
}

// Sleep returns once the file's time is d past the time of the call.
func (c fileClock) Sleep(ctx context.Context, d time.Duration) error {
	return c.SleepUntil(ctx, c.Now().Add(d))
}

// SleepUntil returns once the file's time is until or later.
func (c fileClock) SleepUntil(ctx context.Context, until time.Time) error {
	for c.Now().Before(until) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return ctx.Err()
}

// Set writes t to the file, whole: a reader sees the old time or the new.
func (c fileClock) Set(t time.Time) {
	tmp := c.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(t.Format(time.RFC3339Nano)), 0o644); err != nil {
		panic(err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		panic(err)
	}
}

// Advance moves the clock d forward.
func (c fileClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// mainEnv is the environment of a command run in a process of its own, on
// the clock in the file (testClock's when the path is "").
func mainEnv(clockFile string) []string {
	env := append(os.Environ(), runMainEnv+"=1")
	if clockFile != "" {
		return append(env, clockEnv+"="+clockFile)
	}
	return append(env, nowEnv+"="+testClock().Now().Format(time.RFC3339Nano))
}
