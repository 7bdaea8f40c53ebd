package mail

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Transport delivers messages.
type Transport interface {
	// Send delivers msgs in order, over one connection where there is one,
	// and calls result once for each message, in order, with its index and
	// outcome: nil when the message was accepted. result returns before the
	// next message goes out, so the caller records each delivery before
	// another starts: a crash can then leave at most one message delivered
	// but unrecorded. An error wrapping ErrPermanent or carrying a 5xx
	// reply is permanent; any other is worth a later retry. Once ctx is
	// done, no further message goes out: result gets an error wrapping
	// ctx's for each one left, so that result may stop a batch half way.
	Send(ctx context.Context, msgs []*gomail.Msg, result func(i int, err error))
}

// TLS modes of SMTPConfig.
const (
	TLSStartTLS = "starttls" // STARTTLS required; never falls back to plain text
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // plain text: for a relay on loopback only
)

// SMTPConfig configures an SMTP transport.
type SMTPConfig struct {
	Host     string
	Port     int    // 0: 587 for starttls, 465 for tls, 25 for none
	Username string // "" sends without authentication
	Password string
	TLS      string        // TLSStartTLS ("" too), TLSImplicit or TLSNone
	Timeout  time.Duration // bounds the dial and each SMTP command; 0 is 30s
	// TLSConfig replaces the default of the system roots; its ServerName
	// defaults to Host.
	TLSConfig *tls.Config
}

// SMTP sends by SMTP, one connection per batch. It is safe for concurrent
// use: each Send has its own connection.
type SMTP struct {
	cfg  SMTPConfig
	addr string
	opts []gomail.Option
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// NewSMTP checks cfg and returns a transport; it connects to nothing yet.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" {
		return nil, errors.New("mail: SMTP host is empty")
	}
	cfg.TLS = cmp.Or(cfg.TLS, TLSStartTLS)
	cfg.Timeout = cmp.Or(cfg.Timeout, 30*time.Second)
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsConfig = cfg.TLSConfig.Clone()
	}
	tlsConfig.ServerName = cmp.Or(tlsConfig.ServerName, cfg.Host)

	netDialer := &net.Dialer{}
	dial := netDialer.DialContext
	opts := []gomail.Option{gomail.WithTimeout(cfg.Timeout), gomail.WithTLSConfig(tlsConfig)}
	switch cfg.TLS {
	case TLSStartTLS:
		cfg.Port = cmp.Or(cfg.Port, 587)
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		cfg.Port = cmp.Or(cfg.Port, 465)
		// The dialer is ours (see Send), so go-mail does not wrap it in TLS
		// itself: WithSSL only tells it not to try STARTTLS on top.
		tlsDialer := &tls.Dialer{NetDialer: netDialer, Config: tlsConfig}
		dial = tlsDialer.DialContext
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		cfg.Port = cmp.Or(cfg.Port, 25)
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("mail: SMTP tls %q: want %s, %s or %s", cfg.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	}
	opts = append(opts, gomail.WithPort(cfg.Port))
	if cfg.Username != "" {
		// PLAIN, not auto-discovery: go-mail counts a connection as encrypted
		// only when it did the TLS itself, and would refuse PLAIN on ours;
		// PLAIN itself checks the socket and refuses plain text off loopback.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	return &SMTP{cfg: cfg, addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)), opts: opts, dial: dial}, nil
}

// Send delivers msgs over one connection, one message per transaction so
// that each gets its own result (go-mail's batch send can fail a connection
// check without marking any message). A dial failure fails every message
// temporarily. After a message's connection is lost the rest are not tried:
// they fail temporarily too, rather than each waiting for a timeout.
//
// ctx bounds the dial; cancelling it later closes the connection, so the
// message in flight fails (temporarily: the server may have accepted it).
func (s *SMTP) Send(ctx context.Context, msgs []*gomail.Msg, result func(i int, err error)) {
	if len(msgs) == 0 {
		return
	}
	var socks sockets
	defer socks.closeAll()

	// Clip: concurrent batches must not append into one backing array.
	c, err := gomail.NewClient(s.cfg.Host, append(slices.Clip(s.opts), gomail.WithDialContextFunc(socks.dialer(ctx, s.dial)))...)
	if err != nil {
		failFrom(0, len(msgs), result, fmt.Errorf("smtp %s: %w", s.addr, err))
		return
	}
	client, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		failFrom(0, len(msgs), result, fmt.Errorf("smtp %s: connect: %w", s.addr, err))
		return
	}
	// A failed QUIT changes no message's fate; closeAll shuts the socket.
	defer func() { _ = c.CloseWithSMTPClient(client) }()

	for i, m := range msgs {
		if err := ctx.Err(); err != nil {
			failFrom(i, len(msgs), result, fmt.Errorf("smtp %s: not sent: %w", s.addr, err))
			return
		}
		err := c.SendWithSMTPClient(client, m)
		if err == nil || resetAfterDelivery(m, err) {
			result(i, nil)
		} else {
			result(i, fmt.Errorf("smtp %s: %w", s.addr, err))
		}
		if err != nil && connectionLost(err) {
			// Not wrapped: err names the other message.
			failFrom(i+1, len(msgs), result, fmt.Errorf("smtp %s: not sent: the connection was lost on an earlier message", s.addr))
			return
		}
	}
}

// resetAfterDelivery reports whether err is go-mail's report of a failed
// RSET after the server accepted m's DATA: m is delivered all the same.
func resetAfterDelivery(m *gomail.Msg, err error) bool {
	var se *gomail.SendError
	return errors.As(err, &se) && se.Reason == gomail.ErrSMTPReset && m.IsDelivered()
}

// Reply returns the server's reply to a message it accepted, for the outbox.
func Reply(m *gomail.Msg) string {
	if r := m.ServerResponse(); r != "" {
		return "250 " + r
	}
	return "accepted"
}

// Permanent reports whether err is a failure that retrying cannot fix: it
// wraps ErrPermanent, or the server answered 5xx, or the message itself is
// unusable (no sender or recipient). go-mail's SendError.IsTemp is not
// enough: it calls a lost connection permanent, as it has no 4xx code.
func Permanent(err error) bool {
	if errors.Is(err, ErrPermanent) {
		return true
	}
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
		return true
	}
	return se.ErrorCode() >= 500 && se.ErrorCode() <= 599
}

// connectionLost reports whether err left the connection unusable: a
// transport failure has no SMTP reply code.
func connectionLost(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return true
	}
	switch se.Reason {
	case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
		return false
	}
	return se.ErrorCode() == 0
}

// failFrom reports err for messages from to n-1.
func failFrom(from, n int, result func(int, error), err error) {
	for i := from; i < n; i++ {
		result(i, err)
	}
}

// sockets closes every connection of a batch at its end: go-mail leaves
// the socket open when EHLO, STARTTLS or AUTH fails, and when QUIT fails.
type sockets struct {
	mu    sync.Mutex
	conns []net.Conn
	stops []func() bool
}

func (s *sockets) dialer(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error)) gomail.DialContextFunc {
	return func(dialCtx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(dialCtx, network, addr)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.conns = append(s.conns, conn)
		// go-mail's commands take no context: closing the socket is how a
		// cancel interrupts one.
		s.stops = append(s.stops, context.AfterFunc(ctx, func() { _ = conn.Close() }))
		return conn, nil
	}
}

func (s *sockets) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range s.conns {
		s.stops[i]()
		_ = c.Close() // mostly already closed by QUIT
	}
}

// File writes each message as <dir>/<Message-ID>.eml, for mail.transport:
// file. The write is atomic (a temporary file renamed), so a reader never
// sees half a message and a resend replaces the file with the same content.
// Files are readable by all (0644), for a pickup service running as another
// user.
//
// A temporary file is locked (flock) by the process writing it. A process
// killed mid-write leaves its temporary file unlocked, and the next Send
// of any process on dir removes it (docs/crawling.md, "Mail files").
type File struct {
	dir string
}

// tempSuffix ends the names of temporary files: .<name>.eml.<random>.tmp.
const tempSuffix = ".tmp"

// NewFile returns a transport writing into dir, which it creates as needed.
func NewFile(dir string) *File { return &File{dir: dir} }

// Send writes msgs; there is no connection, so each error is its own.
func (f *File) Send(ctx context.Context, msgs []*gomail.Msg, result func(i int, err error)) {
	if len(msgs) > 0 {
		f.sweep()
	}
	for i, m := range msgs {
		if err := ctx.Err(); err != nil {
			failFrom(i, len(msgs), result, fmt.Errorf("mail: not written: %w", err))
			return
		}
		result(i, f.write(m))
	}
}

func (f *File) write(m *gomail.Msg) error {
	name := fileName(m.GetMessageID())
	if name == "" {
		return fmt.Errorf("mail: write .eml: message has no Message-ID: %w", ErrPermanent)
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return fmt.Errorf("mail: write .eml: %w", err)
	}
	path := filepath.Join(f.dir, name+".eml")
	tmp, err := f.createTemp(name)
	if err != nil {
		return fmt.Errorf("mail: write %s: %w", path, err)
	}
	_, err = m.WriteTo(tmp)
	// CreateTemp makes the file 0600. Chmod, unlike the mode of a create,
	// is not narrowed by the umask.
	err = errors.Join(err, tmp.Chmod(0o644), tmp.Sync())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	// Closing drops the lock: a sweep may take the name only now, when it
	// is renamed or removed.
	if err = errors.Join(err, tmp.Close()); err != nil {
		return fmt.Errorf("mail: write %s: %w", path, err)
	}
	return nil
}

// createTemp creates a temporary file for the message name in the
// directory and locks it until it is closed.
func (f *File) createTemp(name string) (*os.File, error) {
	for range 3 {
		tmp, err := os.CreateTemp(f.dir, "."+name+".eml.*"+tempSuffix)
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(tmp.Fd()), syscall.LOCK_EX); err != nil {
			_ = os.Remove(tmp.Name())
			_ = tmp.Close()
			return nil, fmt.Errorf("lock %s: %w", tmp.Name(), err)
		}
		// A sweep may have found the file unlocked between its creation
		// and the lock, and removed it: then write under another name.
		if onDisk, err := os.Stat(tmp.Name()); err == nil {
			if held, err := tmp.Stat(); err == nil && os.SameFile(onDisk, held) {
				return tmp, nil
			}
		}
		_ = tmp.Close()
	}
	return nil, fmt.Errorf("temporary file in %s removed as soon as created, three times", f.dir)
}

// sweep removes the temporary files that no process holds locked: those
// of a process killed or crashed mid-write. The files of live writers are
// locked, and kept.
func (f *File) sweep() {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return // nothing written yet; write reports a directory it cannot use
	}
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(n, ".") || !strings.HasSuffix(n, tempSuffix) || !strings.Contains(n, ".eml.") {
			continue
		}
		path := filepath.Join(f.dir, n)
		tmp, err := os.Open(path)
		if err != nil {
			continue // gone meanwhile, or another user's
		}
		if syscall.Flock(int(tmp.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			_ = os.Remove(path)
		}
		_ = tmp.Close()
	}
}

// fileName keeps the characters of a Message-ID that are safe in a file
// name on every system and replaces the rest.
func fileName(messageID string) string {
	id := strings.TrimSuffix(strings.TrimPrefix(messageID, "<"), ">")
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			r == '.' || r == '-' || r == '_' || r == '@' || r == '+':
			return r
		}
		return '_'
	}, id)
}
