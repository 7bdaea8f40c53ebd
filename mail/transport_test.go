package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	gomail "github.com/wneessen/go-mail"

	"mediadigest/internal/smtptest"
)

// certificate returns a server config with a fresh self-signed certificate
// for 127.0.0.1, and a client config trusting only it.
func certificate(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "smtptest"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

func TestNewSMTP(t *testing.T) {
	tests := []struct {
		cfg      SMTPConfig
		wantAddr string
		wantErr  bool
	}{
		{SMTPConfig{Host: "smtp.example.com"}, "smtp.example.com:587", false},
		{SMTPConfig{Host: "smtp.example.com", TLS: TLSImplicit}, "smtp.example.com:465", false},
		{SMTPConfig{Host: "127.0.0.1", TLS: TLSNone}, "127.0.0.1:25", false},
		{SMTPConfig{Host: "smtp.example.com", Port: 2525, TLS: TLSStartTLS}, "smtp.example.com:2525", false},
		{SMTPConfig{Host: "smtp.example.com", TLS: "ssl"}, "", true},
		{SMTPConfig{TLS: TLSNone}, "", true},
	}
	for _, tt := range tests {
		s, err := NewSMTP(tt.cfg)
		if (err != nil) != tt.wantErr {
			t.Errorf("NewSMTP(%+v) error = %v, want error %v", tt.cfg, err, tt.wantErr)
			continue
		}
		if err == nil && s.addr != tt.wantAddr {
			t.Errorf("NewSMTP(%+v) connects to %s, want %s", tt.cfg, s.addr, tt.wantAddr)
		}
	}
}

func TestSMTPSecurity(t *testing.T) {
	serverTLS, clientTLS := certificate(t)
	users := map[string]string{"digest": "s3cret"}
	tests := []struct {
		name     string
		server   smtptest.Options
		cfg      SMTPConfig
		wantErr  string // "" when the message must arrive
		wantUser string
	}{
		{
			name:   "starttls",
			server: smtptest.Options{TLS: serverTLS},
			cfg:    SMTPConfig{TLS: TLSStartTLS, TLSConfig: clientTLS},
		},
		{
			name:    "starttls never falls back to plain text",
			server:  smtptest.Options{},
			cfg:     SMTPConfig{TLS: TLSStartTLS, TLSConfig: clientTLS},
			wantErr: "STARTTLS",
		},
		{
			name:    "starttls checks the certificate",
			server:  smtptest.Options{TLS: serverTLS},
			cfg:     SMTPConfig{TLS: TLSStartTLS},
			wantErr: "certificate",
		},
		{
			name:   "implicit tls",
			server: smtptest.Options{TLS: serverTLS, Implicit: true},
			cfg:    SMTPConfig{TLS: TLSImplicit, TLSConfig: clientTLS},
		},
		{
			name:     "auth over starttls",
			server:   smtptest.Options{TLS: serverTLS, Users: users},
			cfg:      SMTPConfig{TLS: TLSStartTLS, TLSConfig: clientTLS, Username: "digest", Password: "s3cret"},
			wantUser: "digest",
		},
		{
			name:     "auth over implicit tls",
			server:   smtptest.Options{TLS: serverTLS, Implicit: true, Users: users},
			cfg:      SMTPConfig{TLS: TLSImplicit, TLSConfig: clientTLS, Username: "digest", Password: "s3cret"},
			wantUser: "digest",
		},
		{
			name:    "wrong password",
			server:  smtptest.Options{TLS: serverTLS, Users: users},
			cfg:     SMTPConfig{TLS: TLSStartTLS, TLSConfig: clientTLS, Username: "digest", Password: "guess"},
			wantErr: "535",
		},
	}
	f := loadFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, tt.server)
			tt.cfg.Host, tt.cfg.Port, tt.cfg.Timeout = srv.Host, srv.Port, 5*time.Second
			tr, err := NewSMTP(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Compose(f.digest, f.html, f.text, f.header())
			if err != nil {
				t.Fatal(err)
			}
			errs := sendAll(t, context.Background(), tr, []*gomail.Msg{m})
			msgs := srv.Messages()
			if tt.wantErr != "" {
				if errs[0] == nil || !strings.Contains(errs[0].Error(), tt.wantErr) {
					t.Errorf("error = %v, want one mentioning %q", errs[0], tt.wantErr)
				}
				// A refused login or TLS setup is about the connection, not
				// the digest: retried, so a password being rotated does not
				// fail the digests due meanwhile (README, SMTP password).
				if Permanent(errs[0]) {
					t.Errorf("error %v is permanent, want it retried", errs[0])
				}
				if len(msgs) != 0 {
					t.Errorf("server received %d messages", len(msgs))
				}
				return
			}
			if errs[0] != nil {
				t.Fatal(errs[0])
			}
			if len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != tt.wantUser {
				t.Errorf("server received %d messages, first %+v; want one over TLS by user %q", len(msgs), msgs, tt.wantUser)
			}
		})
	}
}

// go-mail calls a connection lost after DATA not temporary (it has no 4xx
// code); Permanent must not follow it: the message may simply not have
// arrived.
func TestLostConnectionIsTemporary(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{})
	srv.SetFaults(smtptest.Faults{Cut: map[string]bool{"analyst@example.com": true}})
	f := loadFixture(t)
	m, err := Compose(f.digest, f.html, f.text, f.header())
	if err != nil {
		t.Fatal(err)
	}
	errs := sendAll(t, context.Background(), plainSMTP(t, srv.Host, srv.Port), []*gomail.Msg{m})
	var se *gomail.SendError
	if !errors.As(errs[0], &se) {
		t.Fatalf("error = %v, want a go-mail SendError", errs[0])
	}
	if se.IsTemp() {
		t.Error("go-mail now calls a lost connection temporary; Permanent's workaround can go")
	}
	if Permanent(errs[0]) {
		t.Errorf("Permanent(%v) = true, want false", errs[0])
	}
}

func TestFileTransport(t *testing.T) {
	f := loadFixture(t)
	dir := filepath.Join(t.TempDir(), "outbox")
	tr := NewFile(dir)
	var msgs []*gomail.Msg
	for _, sub := range []string{"a@example.com", "b@example.com"} {
		h := f.header()
		h.To = sub
		h.MessageID = "digest-" + strings.ReplaceAll(sub, "@", ".") + "@example.com"
		m, err := Compose(f.digest, f.html, f.text, h)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	// A resend replaces the file: the same name, the same content.
	for range 2 {
		for i, err := range sendAll(t, context.Background(), tr, msgs) {
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("%s holds %d files, want 2 (no temporary files left)", dir, len(entries))
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		// A mail pickup service reads the files as another user.
		if got := info.Mode().Perm(); got != 0o644 {
			t.Errorf("%s has mode %v, want -rw-r--r--", e.Name(), got)
		}
	}
	for _, m := range msgs {
		id := strings.Trim(m.GetMessageID(), "<>")
		b, err := os.ReadFile(filepath.Join(dir, id+".eml"))
		if err != nil {
			t.Fatal(err)
		}
		if p := parse(t, b); p.header.Get("Message-Id") != "<"+id+">" {
			t.Errorf("%s.eml holds Message-ID %s", id, p.header.Get("Message-Id"))
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if errs := sendAll(t, ctx, tr, msgs); !errors.Is(errs[1], context.Canceled) {
		t.Errorf("cancelled Send: %v, want context.Canceled", errs[1])
	}
}

func TestFileName(t *testing.T) {
	tests := []struct{ id, want string }{
		{"<digest-0a1b@example.com>", "digest-0a1b@example.com"},
		{"<../../etc/passwd>", ".._.._etc_passwd"},
		{`<a/b\c:d*e?>`, "a_b_c_d_e_"},
	}
	for _, tt := range tests {
		if got := fileName(tt.id); got != tt.want {
			t.Errorf("fileName(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
}

// A 5xx reply is permanent, a 4xx one is not, whatever the stage.
func TestPermanent(t *testing.T) {
	tests := []struct {
		name string
		err  *smtp.SMTPError
		want bool
	}{
		{"550 user unknown", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "unknown"}, true},
		{"552 too big", &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "too big"}, true},
		{"452 full", &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "full"}, false},
	}
	f := loadFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t, smtptest.Options{})
			srv.SetFaults(smtptest.Faults{Data: map[string]*smtp.SMTPError{"analyst@example.com": tt.err}})
			m, err := Compose(f.digest, f.html, f.text, f.header())
			if err != nil {
				t.Fatal(err)
			}
			errs := sendAll(t, context.Background(), plainSMTP(t, srv.Host, srv.Port), []*gomail.Msg{m})
			if errs[0] == nil || Permanent(errs[0]) != tt.want {
				t.Errorf("Permanent(%v) = %v, want %v", errs[0], !tt.want, tt.want)
			}
		})
	}
	if !Permanent(errors.Join(errors.New("render"), ErrPermanent)) {
		t.Error("an error wrapping ErrPermanent is not permanent")
	}
}

// sendAll sends msgs through tr and returns each message's outcome,
// checking that tr reports each message once, in order.
func sendAll(t testing.TB, ctx context.Context, tr Transport, msgs []*gomail.Msg) []error {
	t.Helper()
	errs := make([]error, len(msgs))
	next := 0
	tr.Send(ctx, msgs, func(i int, err error) {
		if i != next {
			t.Errorf("result for message %d, want %d", i, next)
		}
		next++
		errs[i] = err
	})
	if next != len(msgs) {
		t.Errorf("results for %d of %d messages", next, len(msgs))
	}
	return errs
}
