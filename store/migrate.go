package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"mediadigest/persian"
)

// migrationFiles are the schema steps, migrations/DIALECT/NNNN_name.sql,
// applied in order. A released step is never edited: changes go in a new
// file, one per dialect with the same number.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// migration is one schema step.
type migration struct {
	version int
	name    string
	sql     string
	// after runs in the step's transaction once its SQL has: data
	// conversions SQL cannot express.
	after func(context.Context, *tx) error
}

// goSteps are the Go parts of schema steps, by version.
var goSteps = map[int]func(context.Context, *tx) error{
	3: hashKeys,
	9: buildSearchIndex,
}

// migrations reads the steps of the dialect in fsys and checks they are
// numbered 1, 2, … without gaps, so a misnamed file fails every test
// instead of being skipped.
func migrations(fsys fs.FS, dialect string) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/"+dialect+"/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for i, p := range names { // fs.Glob returns them sorted
		name := path.Base(p)
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want name %04d_description.sql", name, i+1)
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body), after: goSteps[v]})
	}
	return ms, nil
}

// migrateAll applies the store's migrations, one process at a time.
func (s *Store) migrateAll(ctx context.Context) (err error) {
	ms, err := migrations(migrationFiles, s.d.name)
	if err == nil && s.d.lockMigrations != nil {
		var unlock func() error
		if unlock, err = s.d.lockMigrations(ctx, s.w.DB); err == nil {
			defer func() { err = errors.Join(err, unlock()) }()
		}
	}
	if err == nil {
		err = s.migrate(ctx, ms)
	}
	if err != nil {
		return fmt.Errorf("store: migrate %s: %w", s.path, err)
	}
	return nil
}

// migrate brings the schema up to the last of ms, one transaction per
// step, and refuses a schema newer than ms knows. Each step re-reads the
// version inside its transaction, so two processes opening a fresh file at
// once apply every step exactly once.
func (s *Store) migrate(ctx context.Context, ms []migration) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	current, err := schemaVersion(ctx, s.w)
	if err != nil {
		return err
	}
	if current > len(ms) {
		return fmt.Errorf("schema version %d is newer than this binary knows (%d): upgrade mediadigest", current, len(ms))
	}
	for _, m := range ms[current:] {
		err := s.inTx(ctx, func(tx *tx) error {
			current, err := schemaVersion(ctx, tx)
			if err != nil || current >= m.version {
				return err
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("apply %s: %w", m.name, err)
			}
			if m.after != nil {
				if err := m.after(ctx, tx); err != nil {
					return fmt.Errorf("apply %s: %w", m.name, err)
				}
			}
			_, err = tx.ExecContext(ctx, "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", m.version, fmtTime(s.now()))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// schemaVersion is the newest applied migration, 0 for a new file.
func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// hashKeys is the Go part of 0003_key_hashes: every row of paragraph_keys
// becomes a row of paragraph_hashes, then the old table goes. It reads
// in pages of hashBatch rows, so a large store is converted in bounded
// memory.
func hashKeys(ctx context.Context, tx *tx) error {
	ins, err := tx.PrepareContext(ctx, `INSERT INTO paragraph_hashes (article_id, outlet, hash, runes, published)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (article_id, hash) DO NOTHING`)
	if err != nil {
		return err
	}
	defer ins.Close()
	type row struct {
		article                int64
		outlet, key, published string
	}
	var last row
	for {
		rows, err := tx.QueryContext(ctx, `SELECT article_id, outlet, key, published FROM paragraph_keys
			WHERE article_id > ? OR (article_id = ? AND key > ?)
			ORDER BY article_id, key LIMIT ?`, last.article, last.article, last.key, hashBatch)
		if err != nil {
			return fmt.Errorf("read paragraph keys: %w", err)
		}
		var page []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.article, &r.outlet, &r.key, &r.published); err != nil {
				rows.Close()
				return fmt.Errorf("read paragraph keys: %w", err)
			}
			page = append(page, r)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("read paragraph keys: %w", err)
		}
		for _, r := range page {
			if _, err := ins.ExecContext(ctx, r.article, r.outlet, int64(persian.KeyHash(r.key)),
				utf8.RuneCountInString(r.key), r.published); err != nil {
				return fmt.Errorf("hash paragraph keys: %w", err)
			}
		}
		if len(page) < hashBatch {
			break
		}
		last = page[len(page)-1]
	}
	_, err = tx.ExecContext(ctx, "DROP TABLE paragraph_keys")
	return err
}

// hashBatch is how many paragraph keys hashKeys reads at a time; a
// variable so a test can page through a handful.
var hashBatch = 10000
