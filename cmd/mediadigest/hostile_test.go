package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// refusingSMTP offers AUTH PLAIN on loopback and refuses every password,
// noting the ones it was given.
type refusingSMTP struct {
	port      int
	mu        sync.Mutex
	passwords []string
}

func startRefusingSMTP(t *testing.T) *refusingSMTP {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &refusingSMTP{port: l.Addr().(*net.TCPAddr).Port}
	srv := smtp.NewServer(r)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

func (r *refusingSMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return refusingSession{r}, nil }

type refusingSession struct{ r *refusingSMTP }

func (s refusingSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s refusingSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, _, password string) error {
		s.r.mu.Lock()
		defer s.r.mu.Unlock()
		s.r.passwords = append(s.r.passwords, password)
		return smtp.ErrAuthFailed
	}), nil
}

func (refusingSession) Mail(string, *smtp.MailOptions) error { return smtp.ErrAuthRequired }
func (refusingSession) Rcpt(string, *smtp.RcptOptions) error { return smtp.ErrAuthRequired }
func (refusingSession) Data(io.Reader) error                 { return smtp.ErrAuthRequired }
func (refusingSession) Reset()                               {}
func (refusingSession) Logout() error                        { return nil }

// TestSecretNeverPrinted runs the commands that touch the SMTP password,
// logging at debug, against a server that refuses it: the password reaches
// the server and nothing else, neither stdout, nor stderr, nor the log, nor
// the outbox's recorded replies, in clear or in the base64 of AUTH PLAIN.
func TestSecretNeverPrinted(t *testing.T) {
	const secret = "s3cret-value"
	t.Setenv("MEDIADIGEST_SMTP_PASSWORD", secret)
	srv := startRefusingSMTP(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "mediadigest.yaml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`store: %s/mediadigest.db
log: {level: debug}
outlets:
  - {id: isna, profile: isna, base_url: "http://127.0.0.1:9"}
topics:
  - {id: energy, name: انرژی, keywords: [نفت]}
subscribers:
  - email: analyst@example.com
mail:
  transport: smtp
  smtp: {host: 127.0.0.1, port: %d, username: digest, password_env: MEDIADIGEST_SMTP_PASSWORD, tls: none}
`, dir, srv.port)), 0o644); err != nil {
		t.Fatal(err)
	}

	forms := []string{
		secret,
		base64.StdEncoding.EncodeToString([]byte("\x00digest\x00" + secret)),
		base64.StdEncoding.EncodeToString([]byte(secret)),
	}
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"check"}, 0},
		{[]string{"digest", "-date", "1405/09/05", "-send"}, 1},
		{[]string{"outbox"}, 0},
		{[]string{"status"}, 0},
	} {
		code, stdout, stderr := runCmd(t, append(tt.args, "-config", config)...)
		if code != tt.code {
			t.Errorf("%s exited %d, want %d\n%s%s", tt.args, code, tt.code, stdout, stderr)
		}
		for _, f := range forms {
			if strings.Contains(stdout+stderr, f) {
				t.Errorf("%s printed the password (as %q):\n%s%s", tt.args, f, stdout, stderr)
			}
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.passwords) == 0 || srv.passwords[0] != secret {
		t.Errorf("the SMTP server was given %q, want the password from the environment", srv.passwords)
	}
}
