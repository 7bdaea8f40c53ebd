// Package store keeps mediadigest's state in one SQLite file or one
// PostgreSQL database: articles with their raw paragraphs and derived
// views, raw pages, feed validators, crawl runs, backfill progress, the
// outbox of digests, and the leases and process registrations of daemons
// sharing a PostgreSQL store.
//
// The schema is created and upgraded by the embedded migrations of the
// database's dialect when the store is opened. Every write that must be
// atomic runs in one transaction, so a killed process never leaves half an
// article or half a digest record. The queries are written once; the small
// differences between the two databases live in dialect.go.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// ErrNotFound is returned (wrapped) when the article, raw page or outbox
// item asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrState is returned (wrapped) when an outbox item is not in the state an
// operation requires, e.g. marking a sent digest as sent again.
var ErrState = errors.New("outbox item in wrong state")

// Pragmas are per connection, so they go in the DSN where database/sql
// applies them to every connection it opens. The writer takes the write
// lock at BEGIN (_txlock=immediate): a transaction that starts reading and
// then writes can then never fail with SQLITE_BUSY halfway through.
const (
	writerParams = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_txlock=immediate"
	readerParams = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=query_only(1)"

	// readers bounds the read pool; readers never wait for each other or
	// for the writer in WAL mode, so a few are enough for the daemon's
	// HTTP handlers next to a crawl.
	readers = 4

	// postgresConns bounds the PostgreSQL pool of one process: a crawl,
	// the outbox, the HTTP handlers and a streaming read with writes in
	// its callback, with room to spare, times a few daemons stays far
	// below the server's default of 100 connections.
	postgresConns = 10
)

// Store is the SQLite or PostgreSQL store. It is safe for concurrent use.
//
// On SQLite it holds two pools on the same file. SQLite allows one writer
// at a time, so the write pool has exactly one connection and writes queue
// in Go instead of spinning on SQLITE_BUSY. Reads go to a separate
// read-only pool: in WAL mode they see a consistent snapshot while the
// writer commits, and a streaming read (ForEachArticle) does not hold the
// only connection — with a single shared connection, a callback that
// writes (reprocess: read an article, SaveDerived it) would deadlock. On
// PostgreSQL both are the same pool of several connections.
type Store struct {
	path string // the database file as given to Open, or the DSN without its password
	name string // the file's base name, or the DSN, for error messages
	d    *dialect
	w    db
	r    db
	now  func() time.Time
	// gzips holds the raw-page compressors between pages: each allocates
	// about 1 MiB, which per page cost the backfill a quarter of its
	// speed in allocation and GC.
	gzips sync.Pool
}

// Open opens the store named by dsn and applies the migrations it lacks. A
// dsn starting with postgres:// or postgresql:// is a PostgreSQL database
// (pgx connection string: sslmode, search_path, … as URL parameters); any
// other is the path of a SQLite file, created if needed. The path must
// name a file: the read and write pools must share one database, which
// ":memory:" would not.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if isPostgres(dsn) {
		return openPostgres(ctx, dsn, o)
	}
	return openSQLite(ctx, dsn, o)
}

// Option adjusts a Store as Open opens it.
type Option func(*options)

type options struct{ now func() time.Time }

// WithClock gives the store the clock of the times it records itself: when
// an article was first stored (its arrival, docs/windows.md), updated, a
// day backfilled, a migration applied.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

func openSQLite(ctx context.Context, path string, o options) (*Store, error) {
	if err := checkSQLitePath(path); err != nil {
		return nil, fmt.Errorf("store: open %w", err)
	}
	s := &Store{path: path, name: filepath.Base(path), d: &sqliteDialect, now: o.now}

	w, err := sql.Open("sqlite", path+"?"+writerParams)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	s.w = db{w, s.d}
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := s.migrateAll(ctx); err != nil {
		w.Close()
		return nil, err
	}

	r, err := sql.Open("sqlite", path+"?"+readerParams)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(readers)
	s.r = db{r, s.d}
	return s, nil
}

// checkSQLitePath refuses what is not a plain file path, as the read and
// write pools, and the locks next to the file, must all name one file.
func checkSQLitePath(path string) error {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.Contains(path, "?") {
		return fmt.Errorf("%q: want a plain file path (no \"file:\" URI, \"?\" or \":memory:\") or a postgres:// DSN", path)
	}
	return nil
}

func openPostgres(ctx context.Context, dsn string, o options) (*Store, error) {
	s := &Store{path: redact(dsn), d: &postgresDialect, now: o.now}
	s.name = s.path
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", s.path, err)
	}
	p.SetMaxOpenConns(postgresConns)
	p.SetMaxIdleConns(postgresConns)
	s.w, s.r = db{p, s.d}, db{p, s.d}
	if err := p.PingContext(ctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("store: connect to %s: %w (is the server running, and the DSN right?)", s.path, err)
	}
	if err := s.migrateAll(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return s, nil
}

// Shared reports whether several processes may use the store at once: a
// PostgreSQL store, where daemons share the work through leases. A SQLite
// file is for one daemon (AcquireLock).
func (s *Store) Shared() bool { return s.d.name == postgresDialect.name }

// IsShared reports whether dsn names a store that Shared reports as
// shared, before it is opened.
func IsShared(dsn string) bool { return isPostgres(dsn) }

// String names the store: its file, or its DSN without the password.
func (s *Store) String() string { return s.path }

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.name }

// Close closes the connection pools.
func (s *Store) Close() error {
	err := s.w.Close()
	if s.r.DB != s.w.DB {
		err = errors.Join(s.r.Close(), err)
	}
	if err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	return nil
}

// IntegrityCheck runs SQLite's PRAGMA integrity_check and returns an error
// listing the problems unless the database is intact. PostgreSQL checks
// its pages itself: on it, IntegrityCheck returns nil.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	if s.Shared() {
		return nil
	}
	rows, err := s.r.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("store: integrity check of %s: %w", s.path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("store: integrity check of %s: %w", s.path, err)
		}
		problems = append(problems, line)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: integrity check of %s: %w", s.path, err)
	}
	if len(problems) == 1 && problems[0] == "ok" {
		return nil
	}
	return fmt.Errorf("store: integrity check of %s failed: %s", s.path, strings.Join(problems, "; "))
}

// inTx runs fn in one write transaction, committing when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	return tx.Commit()
}

// ignoreDone drops the error Rollback returns when the driver has already
// rolled back (a cancelled context), which says nothing new.
func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// timeLayout is fixed-width so stored times sort as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// fmtTime is the stored form of t: UTC in timeLayout, "" for the zero time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// timeCol scans a stored time into *t.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case nil:
	default:
		return fmt.Errorf("time column holds %T", v)
	}
	if s == "" {
		*c.t = time.Time{}
		return nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return fmt.Errorf("time column: %w", err)
	}
	*c.t = t
	return nil
}

// jsonCol scans a JSON column into the value p points to; NULL leaves it
// untouched.
type jsonCol struct{ p any }

func (c jsonCol) Scan(v any) error {
	switch v := v.(type) {
	case string:
		return json.Unmarshal([]byte(v), c.p)
	case []byte:
		return json.Unmarshal(v, c.p)
	case nil:
		return nil
	default:
		return fmt.Errorf("JSON column holds %T", v)
	}
}

// jsonText encodes v for a JSON column.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %T: %w", v, err)
	}
	return string(b), nil
}

// stringList makes nil encode as [] rather than null.
func stringList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
