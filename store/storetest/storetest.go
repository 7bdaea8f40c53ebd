// Package storetest gives tests a PostgreSQL store of their own.
//
// The server is named by $MEDIADIGEST_TEST_POSTGRES, a DSN: `.ci/run`
// starts a throwaway one with .ci/postgres (which installs Debian's
// PostgreSQL when it is missing) and exports it. `go test` itself installs
// nothing: without the variable, the PostgreSQL tests are skipped with one
// line saying how to run them, and fail in CI ($CI=true), which must run
// them (docs/testing.md).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// EnvDSN names the environment variable holding the test server's DSN.
const EnvDSN = "MEDIADIGEST_TEST_POSTGRES"

// Postgres creates a fresh schema on the test server, dropped when the
// test ends, and returns a DSN whose search_path is that schema: a store
// opened on it starts empty and sees no other test's tables.
func Postgres(t testing.TB) string {
	t.Helper()
	base, err := serverDSN()
	if err != nil {
		msg := "PostgreSQL tests skipped: " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvDSN, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	schema := "t_" + hex.EncodeToString(b)

	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("%s: %v", EnvDSN, err)
	}
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema %s on %s: %v", schema, u.Redacted(), err)
	}
	t.Cleanup(func() {
		// Stores are closed by cleanups registered after this one, which
		// run first; a connection left over would only delay the drop.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// serverDSN returns $MEDIADIGEST_TEST_POSTGRES.
func serverDSN() (string, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return dsn, nil
	}
	return "", errors.New("$" + EnvDSN + " is unset; run them with `export " + EnvDSN + "=$(.ci/postgres)` (or .ci/run)")
}
