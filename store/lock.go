package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"time"
)

// LockedError is returned by AcquireLock when another process (or another
// acquisition in this one) holds the lock.
type LockedError struct {
	Store   string // base name of the database file
	Name    string // the lock's name, e.g. "serve"
	PID     int    // 0 when the holder has not written its details yet
	Host    string
	Started time.Time
}

func (e *LockedError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("store: %s is in use by another process (%s lock)", e.Store, e.Name)
	}
	return fmt.Sprintf("store: %s is in use by PID %d on %s (%s started %s)",
		e.Store, e.PID, e.Host, e.Name, e.Started.Format(time.RFC3339))
}

// lockHolder is the content of a lock file.
type lockHolder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Started time.Time `json:"started"`
}

var lockName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// AcquireLock takes the named lock (e.g. "serve": one daemon per store) of
// the SQLite store at path for the process pid on host, and returns the
// function that releases it. When the lock is held the error is a
// *LockedError naming the holder. It neither opens nor creates the
// database: a process takes the lock before it opens the store, as Open
// migrates the schema, which must not change under the process holding
// the lock.
//
// The lock is flock(2) on the file "<path>.<name>.lock", next to the
// database. A row in the database would outlive a process killed with
// SIGKILL and block every restart; the kernel drops a flock when its holder
// dies, so a stale file is simply taken over. The file holds the holder's
// PID, host and start time for the error message and for operators. It
// works on Linux and other Unix systems, on a local file system.
func AcquireLock(ctx context.Context, path, name string, pid int, host string) (release func() error, err error) {
	return acquireLock(ctx, path, name, pid, host, time.Now)
}

// acquireLock is AcquireLock with the clock of the holder's start time.
func acquireLock(ctx context.Context, dbPath, name string, pid int, host string, now func() time.Time) (release func() error, err error) {
	if !lockName.MatchString(name) {
		return nil, fmt.Errorf("store: lock %q: name must be lower-case letters, digits and dashes", name)
	}
	if isPostgres(dbPath) {
		return nil, fmt.Errorf("store: lock %s: a PostgreSQL store has no lock file: the daemons sharing it take leases instead", name)
	}
	if err := checkSQLitePath(dbPath); err != nil {
		return nil, fmt.Errorf("store: lock %s of %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: lock %s of %s: %w", name, dbPath, err)
	}
	path := dbPath + "." + name + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("store: lock %s: %w", path, err)
		}
		locked := &LockedError{Store: filepath.Base(dbPath), Name: name}
		var h lockHolder
		if b, err := io.ReadAll(f); err == nil && json.Unmarshal(b, &h) == nil {
			locked.PID, locked.Host, locked.Started = h.PID, h.Host, h.Started
		}
		return nil, locked
	}

	b, err := json.Marshal(lockHolder{PID: pid, Host: host, Started: now().UTC().Truncate(time.Second)})
	if err == nil {
		err = writeHolder(f, append(b, '\n'))
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: lock %s: %w", path, err), f.Close())
	}
	// The file itself stays: removing it would let a process that opened
	// it just before lock the unlinked file while another creates a new one.
	return sync.OnceValue(func() error {
		err := errors.Join(f.Truncate(0), syscall.Flock(int(f.Fd()), syscall.LOCK_UN), f.Close())
		if err != nil {
			return fmt.Errorf("store: release lock %s: %w", path, err)
		}
		return nil
	}), nil
}

// writeHolder replaces the content of the lock file.
func writeHolder(f *os.File, b []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		return err
	}
	return f.Sync()
}
