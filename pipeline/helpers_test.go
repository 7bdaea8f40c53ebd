package pipeline

import (
	"fmt"
	"testing"

	"mediadigest/config"
	"mediadigest/store"
)

// testConfig parses a config text in which %[1]s is a fresh directory (for
// the store and the outbox) and %[2]s… are args.
func testConfig(t *testing.T, name, text string, args ...any) *config.Config {
	t.Helper()
	cfg, err := config.Parse(name, []byte(fmt.Sprintf(text, append([]any{t.TempDir()}, args...)...)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// testStore opens cfg's store, closed when the test ends.
func testStore(t *testing.T, cfg *config.Config) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
