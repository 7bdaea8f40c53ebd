package store

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// dialect is what differs between SQLite and PostgreSQL. Everything else —
// upserts (ON CONFLICT … DO UPDATE SET … = excluded.…), RETURNING, window
// functions — both spell alike, so the store's queries are written once,
// with ? placeholders, and pass through rebind.
type dialect struct {
	name string // "sqlite" or "postgres": the migrations directory too
	// numbered placeholders: ? becomes $1, $2, … (PostgreSQL).
	numbered bool
	// skipLocked ends a SELECT whose rows the transaction claims: other
	// processes skip them instead of waiting. SQLite has one writer at a
	// time, so its claims need no row locks.
	skipLocked string
	// forUpdate ends a SELECT whose row the transaction goes on to change.
	forUpdate string
	// titleSeq orders article_titles by insertion: SQLite's rowid, a
	// PostgreSQL identity column.
	titleSeq string
	// lockMigrations serialises migrations across processes (SQLite's
	// write lock already does); it returns the function that unlocks.
	lockMigrations func(ctx context.Context, db *sql.DB) (func() error, error)
	// resetIDs brings identity sequences past the ids a copy inserted.
	resetIDs []string
	// removedReasons counts the paragraphs removed from the stored clean
	// views (JSON), by reason.
	removedReasons string
	// dayStory is the condition on an article a of a story, not paid
	// content, in the form the index articles_days holds it (0008_desk).
	dayStory string
}

var sqliteDialect = dialect{
	name:     "sqlite",
	titleSeq: "t.rowid",
	removedReasons: `SELECT r.value ->> '$.reason', COUNT(*)
		FROM articles, json_each(articles.clean, '$.removed') AS r
		WHERE json_type(articles.clean, '$.removed') = 'array' GROUP BY 1`,
	dayStory: `a.story <> '' AND json_extract(a.clean, '$.sponsored') IS NOT 1`,
}

// migrationLockKey is the PostgreSQL advisory lock held while migrating.
const migrationLockKey = 0x6d656469 // "medi"

var postgresDialect = dialect{
	name:       "postgres",
	numbered:   true,
	skipLocked: " FOR UPDATE SKIP LOCKED",
	forUpdate:  " FOR UPDATE",
	titleSeq:   "t.id",
	lockMigrations: func(ctx context.Context, db *sql.DB) (func() error, error) {
		// A session lock on a connection of its own: the steps run in
		// transactions on other connections of the pool meanwhile.
		conn, err := db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
			return nil, errors.Join(err, conn.Close())
		}
		return func() error {
			_, err := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey)
			return errors.Join(err, conn.Close())
		}, nil
	},
	removedReasons: `SELECT r ->> 'reason', COUNT(*)
		FROM articles CROSS JOIN LATERAL jsonb_array_elements(clean::jsonb -> 'removed') AS r
		WHERE jsonb_typeof(clean::jsonb -> 'removed') = 'array' GROUP BY 1`,
	dayStory: `a.story <> '' AND (a.clean::jsonb ->> 'sponsored') IS DISTINCT FROM 'true'`,
	resetIDs: []string{
		"SELECT setval(pg_get_serial_sequence('articles', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM articles",
		"SELECT setval(pg_get_serial_sequence('crawl_runs', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM crawl_runs",
		"SELECT setval(pg_get_serial_sequence('outbox', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM outbox",
		"SELECT setval(pg_get_serial_sequence('subscription_changes', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM subscription_changes",
	},
}

// rebind rewrites the ? placeholders of query for d, leaving string
// literals and quoted names alone.
func (d *dialect) rebind(query string) string {
	if !d.numbered || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// db is a connection pool that speaks the store's dialect.
type db struct {
	*sql.DB
	d *dialect
}

func (p db) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.DB.ExecContext(ctx, p.d.rebind(query), args...)
}

func (p db) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.DB.QueryContext(ctx, p.d.rebind(query), args...)
}

func (p db) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.DB.QueryRowContext(ctx, p.d.rebind(query), args...)
}

// BeginTx starts a transaction that speaks the pool's dialect.
func (p db) BeginTx(ctx context.Context, opts *sql.TxOptions) (*tx, error) {
	t, err := p.DB.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &tx{Tx: t, d: p.d}, nil
}

// tx is a transaction that speaks the store's dialect.
type tx struct {
	*sql.Tx
	d *dialect
}

func (t *tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, t.d.rebind(query), args...)
}

func (t *tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, t.d.rebind(query), args...)
}

func (t *tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, t.d.rebind(query), args...)
}

func (t *tx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.Tx.PrepareContext(ctx, t.d.rebind(query))
}

// isPostgres reports whether dsn names a PostgreSQL database.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// redact hides the password of a DSN for error messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "the PostgreSQL DSN"
	}
	return u.Redacted()
}
