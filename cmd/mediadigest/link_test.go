package main

import (
	"strings"
	"testing"
)

func TestLink(t *testing.T) {
	t.Setenv("MEDIADIGEST_TEST_SECRET", "a secret of thirty-two bytes, ok")
	withSecret := writeConfig(t, strings.Replace(minimal, "BASE", "https://www.isna.ir", 1)+"http: {listen: \"127.0.0.1:8181\", secret_env: MEDIADIGEST_TEST_SECRET}\n")
	public := writeConfig(t, strings.Replace(minimal, "BASE", "https://www.isna.ir", 1)+"http: {public_url: \"https://news.example.com\", secret_env: MEDIADIGEST_TEST_SECRET}\n")
	noSecret := writeConfig(t, strings.Replace(minimal, "BASE", "https://www.isna.ir", 1)+"http: {secret_env: MEDIADIGEST_TEST_UNSET_SECRET}\n")
	tests := []struct {
		name string
		args []string
		code int
		out  string // stdout starts with it
		err  string // in stderr
	}{
		{"where serve listens", []string{"link", "-config", withSecret, "a@example.com"}, 0, "http://127.0.0.1:8181/login?t=v1.", "valid for 24h0m0s"},
		{"where serve -listen listens", []string{"link", "-config", withSecret, "-listen", "127.0.0.1:9191", "a@example.com"}, 0, "http://127.0.0.1:9191/login?t=v1.", ""},
		{"under the public URL", []string{"link", "-config", public, "A@EXAMPLE.COM"}, 0, "https://news.example.com/login?t=v1.", ""},
		{"not a subscriber", []string{"link", "-config", withSecret, "x@example.com"}, 2, "", "not a configured subscriber"},
		{"no secret", []string{"link", "-config", noSecret, "a@example.com"}, 2, "", "set http.secret_env"},
		{"no address", []string{"link", "-config", withSecret}, 2, "", "want one subscriber EMAIL"},
		{"a flag after the address", []string{"link", "-config", withSecret, "a@example.com", "-listen", "127.0.0.1:9191"}, 2, "", "flags go before EMAIL: link [-config FILE] [-listen ADDR] EMAIL"},
		{"every interface", []string{"link", "-config", withSecret, "-listen", ":9191", "a@example.com"}, 0, "http://127.0.0.1:9191/login?t=v1.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCmd(t, tt.args...)
			if code != tt.code || !strings.HasPrefix(out, tt.out) || !strings.Contains(errs, tt.err) {
				t.Errorf("exit %d\nstdout: %s\nstderr: %s\nwant %d, %q, %q", code, out, errs, tt.code, tt.out, tt.err)
			}
		})
	}
}
