// Package storetest gives tests a PostgreSQL store of their own.
//
// The server is named by $MEDIADIGEST_TEST_POSTGRES, a DSN. Without it, the
// project's own .ci/postgres is run once per test process: it installs
// Debian's PostgreSQL if needed and starts a throwaway cluster on loopback,
// so `go test ./...` needs nothing set up by hand. When that fails too (no
// root to install), the PostgreSQL tests fail in CI ($CI=true), which must
// run them, and are skipped elsewhere with the reason.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
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
		msg := "no PostgreSQL to test against: " + err.Error()
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

var (
	startOnce sync.Once
	started   string
	startErr  error
)

// serverDSN returns $MEDIADIGEST_TEST_POSTGRES, else starts the project's
// throwaway server with .ci/postgres (once per process) and returns its DSN.
func serverDSN() (string, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		return dsn, nil
	}
	startOnce.Do(func() {
		script, err := findScript()
		if err != nil {
			startErr = err
			return
		}
		var stderr bytes.Buffer
		cmd := exec.Command("bash", script)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			startErr = fmt.Errorf("%s: %v\n%s", script, err, stderr.String())
			return
		}
		started = strings.TrimSpace(string(out))
	})
	return started, startErr
}

// findScript finds .ci/postgres in the module root above the working
// directory (go test runs in the package's directory).
func findScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".ci", "postgres"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s is unset and no go.mod above the working directory", EnvDSN)
		}
		dir = parent
	}
}
