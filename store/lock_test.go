package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestLockInSameProcess(t *testing.T) {
	s, clock := openTest(t)
	ctx := t.Context()
	release, err := acquireLock(ctx, s.path, "serve", 4242, "worker-1", clock.now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = acquireLock(ctx, s.path, "serve", 5151, "worker-2", clock.now)
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second AcquireLock = %v, want a *LockedError", err)
	}
	if locked.PID != 4242 || locked.Host != "worker-1" || !locked.Started.Equal(clock.now()) {
		t.Errorf("LockedError names %+v, want PID 4242 on worker-1 started %v", locked, clock.now())
	}
	want := "store: mediadigest.db is in use by PID 4242 on worker-1 (serve started 2026-11-26T04:30:00Z)"
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	// Other names are other locks.
	releaseBackfill, err := AcquireLock(ctx, s.path, "backfill", 4242, "worker-1")
	if err != nil {
		t.Fatalf("AcquireLock(backfill) while serve is held: %v", err)
	}
	if err := releaseBackfill(); err != nil {
		t.Fatal(err)
	}

	for range 2 { // releasing twice is harmless
		if err := release(); err != nil {
			t.Fatal(err)
		}
	}
	release, err = AcquireLock(ctx, s.path, "serve", 5151, "worker-2")
	if err != nil {
		t.Fatalf("AcquireLock after release: %v", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
}

func TestLockRejectsBadNames(t *testing.T) {
	s, _ := openTest(t)
	for _, name := range []string{"", "Serve", "../serve", "serve lock", "-serve"} {
		if release, err := AcquireLock(t.Context(), s.path, name, os.Getpid(), "host"); err == nil {
			release()
			t.Errorf("AcquireLock(%q) succeeded", name)
		}
	}
}

// TestLockBeforeOpen: serve takes the lock before it opens the store, so
// taking it must leave the database alone: not created, not migrated.
func TestLockBeforeOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mediadigest.db")
	release, err := AcquireLock(t.Context(), path, "serve", os.Getpid(), "host")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 1 || entries[0].Name() != "mediadigest.db.serve.lock" {
		t.Errorf("directory holds %v, %v; want only the lock file", entries, err)
	}

	for _, dsn := range []string{"postgres://md@db.example.com/md", "file:" + path, path + "?mode=ro", ""} {
		if release, err := AcquireLock(t.Context(), dsn, "serve", os.Getpid(), "host"); err == nil {
			release()
			t.Errorf("AcquireLock(%q) succeeded, want it refused", dsn)
		}
	}
}

// helperEnv names the store TestHelperProcess locks when run as a child.
const helperEnv = "MEDIADIGEST_STORE_LOCK_HELPER"

// TestHelperProcess is not a test: run by TestLockTakenOverAfterKill as a
// child process, it takes the serve lock and waits to be killed.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		return
	}
	if _, err := AcquireLock(t.Context(), path, "serve", os.Getpid(), "child"); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	time.Sleep(time.Minute) // the parent kills us long before
	os.Exit(1)
}

func TestLockTakenOverAfterKill(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "mediadigest.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q, %v; want locked", line, err)
	}

	_, err = AcquireLock(ctx, path, "serve", os.Getpid(), "parent")
	var locked *LockedError
	if !errors.As(err, &locked) || locked.PID != cmd.Process.Pid ||
		!strings.Contains(err.Error(), fmt.Sprintf("PID %d", cmd.Process.Pid)) {
		t.Errorf("AcquireLock while the child holds it = %v, want it to name PID %d", err, cmd.Process.Pid)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() // reports the kill

	release, err := AcquireLock(ctx, path, "serve", os.Getpid(), "parent")
	if err != nil {
		t.Fatalf("AcquireLock after the holder was killed: %v", err)
	}
	if holder, err := os.ReadFile(path + ".serve.lock"); err != nil || !strings.Contains(string(holder), fmt.Sprintf(`"pid":%d`, os.Getpid())) {
		t.Errorf("lock file holds %q, %v; want our PID", holder, err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
}
