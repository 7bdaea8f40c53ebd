// Package smtptest runs an SMTP server on 127.0.0.1 for tests: it records
// what it accepts, counts connections, and misbehaves on demand.
package smtptest

import (
	"bytes"
	"crypto/tls"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	User string // who authenticated, or ""
	TLS  bool   // whether the connection was encrypted
}

// Options configure a Server.
type Options struct {
	// TLS, when set, makes the server offer STARTTLS, or, with Implicit,
	// speak TLS from the first byte.
	TLS      *tls.Config
	Implicit bool
	// Users, when set, makes the server offer AUTH PLAIN and require it;
	// it maps user names to passwords.
	Users map[string]string
}

// Faults say how the server misbehaves. Maps are keyed by recipient
// address; a message is hit by the fault of any of its recipients.
type Faults struct {
	// Greeting, when set, is sent instead of the 220 greeting (for example
	// "421 4.3.2 Service not available"), and the connection is closed.
	Greeting string
	Rcpt     map[string]*smtp.SMTPError // the reply to RCPT TO
	Data     map[string]*smtp.SMTPError // the reply after the message data
	// Cut closes the connection after reading the message data, without
	// replying: the client cannot know whether the message was accepted.
	Cut map[string]bool
	// CutAfterAccept accepts the message, replies 250, then closes the
	// connection: the message is delivered but the client's next command
	// fails.
	CutAfterAccept map[string]bool
	// Hold is called once the message data is read and before the server
	// replies: the message is on the wire until it returns.
	Hold map[string]func()
}

// Server is a running test server.
type Server struct {
	Host string
	Port int

	users map[string]string

	mu       sync.Mutex
	faults   Faults
	messages []Message
	sessions int
}

// Start serves on a free port of 127.0.0.1 until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, users: o.Users}
	srv := smtp.NewServer(s)
	srv.Domain = "smtptest.localhost"
	// The server's goroutines outlive the test by a moment: logging into t
	// would panic, and its complaints about cut connections are expected.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if o.Implicit {
		l = tls.NewListener(l, o.TLS)
	} else {
		srv.TLSConfig = o.TLS
	}
	go func() { _ = srv.Serve(&faultListener{Listener: l, s: s}) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// SetFaults replaces the faults of later commands.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Messages returns the accepted messages, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Sessions counts the SMTP sessions opened: one per connection that got as
// far as EHLO, and one more after STARTTLS.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions++
	return &session{s: s, conn: c}, nil
}

func (s *Server) faultsNow() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

type session struct {
	s    *Server
	conn *smtp.Conn
	user string
	from string
	to   []string
	// cut is set by an accepted message hit by Faults.CutAfterAccept; go-smtp
	// calls Reset once the reply is written.
	cut bool
}

func (ss *session) Reset() {
	if ss.cut {
		_ = ss.conn.Conn().Close()
	}
	ss.from, ss.to = "", nil
}

func (ss *session) Logout() error { return nil }

// AuthMechanisms implements smtp.AuthSession.
func (ss *session) AuthMechanisms() []string {
	if ss.s.users == nil {
		return nil
	}
	return []string{sasl.Plain}
}

// Auth implements smtp.AuthSession.
func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if want, ok := ss.s.users[user]; !ok || want != password {
			return smtp.ErrAuthFailed
		}
		ss.user = user
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.users != nil && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.s.faultsNow().Rcpt[to]; err != nil {
		return err
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	var b bytes.Buffer
	if _, err := io.Copy(&b, r); err != nil {
		return err
	}
	f := ss.s.faultsNow()
	for _, to := range ss.to {
		if hold := f.Hold[to]; hold != nil {
			hold()
		}
	}
	for _, to := range ss.to {
		if f.Cut[to] {
			_ = ss.conn.Conn().Close()
			return nil
		}
		if err := f.Data[to]; err != nil {
			return err
		}
		ss.cut = ss.cut || f.CutAfterAccept[to]
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	_, isTLS := ss.conn.TLSConnectionState()
	ss.s.messages = append(ss.s.messages, Message{From: ss.from, To: ss.to, Data: b.Bytes(), User: ss.user, TLS: isTLS})
	return nil
}

// faultListener answers connections with Faults.Greeting, when set, before
// go-smtp sees them: go-smtp always greets with 220.
type faultListener struct {
	net.Listener
	s *Server
}

func (l *faultListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		g := l.s.faultsNow().Greeting
		if g == "" {
			return c, nil
		}
		_, _ = io.WriteString(c, g+"\r\n")
		_ = c.Close()
	}
}
