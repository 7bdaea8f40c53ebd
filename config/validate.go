package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	// Every binary needs the zone database: Asia/Tehran must load on a
	// machine without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"mediadigest/profile"
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// validator collects problems with their lines, looked up in the YAML
// node tree by path.
type validator struct {
	file     string
	root     *yaml.Node
	problems Problems
	// undecoded are the parts of the config holding a value that did not
	// decode, as paths (see lost).
	undecoded [][]any
}

// at reports a problem at the node reached by path (mapping keys and
// sequence indexes); the nearest existing ancestor's line is used when the
// key is absent. A problem about a part that did not decode, already
// reported, is left out.
func (v *validator) at(path []any, format string, args ...any) {
	if !v.decoded(path) {
		return
	}
	line := v.line(path)
	v.problems = append(v.problems, fmt.Sprintf("%s:%d: %s", v.file, line, fmt.Sprintf(format, args...)))
}

func (v *validator) line(path []any) int {
	n := v.root
	if n == nil {
		return 1
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := max(n.Line, 1)
	for _, step := range path {
		var next *yaml.Node
		switch s := step.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == s {
						next = n.Content[i+1]
						line = n.Content[i].Line
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && s < len(n.Content) {
				next = n.Content[s]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

func p(steps ...any) []any { return steps }

// lost returns the part of the config that a value which did not decode
// at path leaves unreliable: everything when the value was not placed (nil
// path); the list when it was a list item, which the decoder drops so that
// the items after it move up; the item when it was the item's id or email,
// which its problems name it by; else the value itself.
func lost(path []any) []any {
	n := len(path)
	switch {
	case path == nil:
		return []any{}
	case n > 0 && isIndex(path[n-1]):
		return path[:n-1]
	case n > 1 && isIndex(path[n-2]) && (path[n-1] == "id" || path[n-1] == "email"):
		return path[:n-1]
	}
	return path
}

func isIndex(step any) bool {
	_, ok := step.(int)
	return ok
}

// decoded reports whether the value at path, and everything in and around
// it, decoded.
func (v *validator) decoded(path []any) bool {
	for _, u := range v.undecoded {
		n := min(len(u), len(path))
		if slices.Equal(u[:n], path[:n]) {
			return false
		}
	}
	return true
}

func (v *validator) validate(c *Config) {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		v.at(p("timezone"), "unknown time zone %q (use an IANA name such as Asia/Tehran)", c.Timezone)
	} else {
		c.Location = loc
	}
	switch {
	case c.Store == "":
		v.at(p("store"), "store is empty")
	case strings.HasPrefix(c.Store, "postgres://") || strings.HasPrefix(c.Store, "postgresql://"):
		if _, err := url.Parse(c.Store); err != nil {
			v.at(p("store"), "bad PostgreSQL DSN: want postgres://user@host:port/database?sslmode=…")
		}
	}
	if c.Cluster.Lease < Duration(time.Second) {
		v.at(p("cluster", "lease"), "lease must be at least 1s")
	}
	v.http(&c.HTTP)
	if f := c.Log.Format; f != "text" && f != "json" {
		v.at(p("log", "format"), "log format %q: want text or json", f)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.at(p("log", "level"), "log level %q: want debug, info, warn or error", c.Log.Level)
	}
	v.cron(p("crawl", "schedule"), c.Crawl.Schedule)
	if c.Search.Merge != "" {
		v.cron(p("search", "merge"), c.Search.Merge)
	}
	if c.Crawl.Parallelism < 1 {
		v.at(p("crawl", "parallelism"), "parallelism must be at least 1")
	}
	if c.Crawl.Delay < 0 || c.Crawl.Timeout <= 0 {
		v.at(p("crawl"), "delay must be ≥ 0 and timeout > 0")
	}
	if c.Crawl.MaxBody < 1024 {
		v.at(p("crawl", "max_body"), "max_body must be at least 1KiB")
	}
	if c.Crawl.Retries < 0 {
		v.at(p("crawl", "retries"), "retries must be ≥ 0")
	}
	if c.Crawl.MaxItems < 1 {
		v.at(p("crawl", "max_items"), "max_items must be at least 1")
	}
	v.outlets(c)
	v.topics(c)
	v.digest(c)
	v.mail(c)
}

func (v *validator) http(h *HTTP) {
	if h.SecretFile != "" {
		// Read, like profile files, from the config file's directory.
		// Whether it reads is the environment's, as with secret_env: the
		// pages are not served without it, and `check` says so.
		if !filepath.IsAbs(h.SecretFile) {
			h.SecretFile = filepath.Join(filepath.Dir(v.file), h.SecretFile)
		}
	}
	if _, _, err := net.SplitHostPort(h.Listen); err != nil {
		v.at(p("http", "listen"), "listen %q: want host:port", h.Listen)
	}
	if h.PublicURL != "" {
		u, err := url.Parse(h.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			v.at(p("http", "public_url"), "public_url %q: want the address readers reach the pages at, such as https://news.example.com", h.PublicURL)
		}
	}
	for _, k := range []struct {
		key string
		env string
	}{{"secret_env", h.SecretEnv}, {"previous_secret_env", h.PreviousSecretEnv}} {
		if k.env != "" && !envName.MatchString(k.env) {
			v.at(p("http", k.key), "%s %q: want the name of an environment variable, such as MEDIADIGEST_SECRET (the secret itself never goes in the file)", k.key, k.env)
		}
	}
	if h.SecretEnv != "" && h.SecretFile != "" {
		v.at(p("http", "secret_file"), "secret_file and secret_env both set: name the secret once")
	}
	if h.PreviousSecretEnv != "" && h.SecretEnv == "" && h.SecretFile == "" {
		v.at(p("http", "previous_secret_env"), "previous_secret_env without secret_env: name the current secret too")
	}
	for key, d := range map[string]Duration{"login_ttl": h.LoginTTL, "session_ttl": h.SessionTTL, "link_ttl": h.LinkTTL} {
		if d <= 0 {
			v.at(p("http", key), "%s must be a positive duration, such as 24h", key)
		}
	}
}

// envName is the form of an environment variable's name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (v *validator) cron(path []any, spec string) {
	if strings.TrimSpace(spec) == "" {
		v.at(path, "empty cron schedule")
		return
	}
	err := cronRanges(spec)
	if err == nil {
		err = parseCron(spec)
	}
	if err != nil {
		v.at(path, "bad cron schedule %q: %v", spec, err)
	}
}

// cronFields are the fields of a standard cron spec, with their values.
var cronFields = []struct {
	name     string
	min, max int
}{{"minute", 0, 59}, {"hour", 0, 23}, {"day of month", 1, 31}, {"month", 1, 12}, {"day of week", 0, 6}}

// cronRanges checks the numbers in a standard cron spec against their
// field. cron v3 takes a step larger than the field silently ("*/61" is
// minute 0 alone), and refuses a value outside it without naming the field.
// Descriptors (@daily) and a wrong number of fields are left to cron.
func cronRanges(spec string) error {
	fields := strings.Fields(spec)
	if len(fields) > 0 && (strings.HasPrefix(fields[0], "TZ=") || strings.HasPrefix(fields[0], "CRON_TZ=")) {
		fields = fields[1:]
	}
	if len(fields) != len(cronFields) {
		return nil
	}
	for i, f := range cronFields {
		for part := range strings.SplitSeq(fields[i], ",") {
			values, step, _ := strings.Cut(part, "/")
			if n, err := strconv.Atoi(step); err == nil && n > f.max-f.min {
				return fmt.Errorf("%s %q: step %d is larger than the field's range %d-%d", f.name, fields[i], n, f.min, f.max)
			}
			for bound := range strings.SplitSeq(values, "-") {
				if n, err := strconv.Atoi(bound); err == nil && (n < f.min || n > f.max) {
					return fmt.Errorf("%s %q: %d is outside %d-%d", f.name, fields[i], n, f.min, f.max)
				}
			}
		}
	}
	return nil
}

// parseCron validates a cron spec. cron v3 panics (instead of returning an
// error) on a spec that is only a "CRON_TZ=…" prefix; that is turned into an
// error here so a config line can never crash the daemon later.
func parseCron(spec string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("no schedule after the time zone")
		}
	}()
	_, err = cron.ParseStandard(spec)
	return err
}

func (v *validator) outlets(c *Config) {
	if len(c.Outlets) == 0 {
		v.at(p("outlets"), "no outlets configured")
	}
	c.Profiles = map[string]*profile.Profile{}
	seen := map[string]bool{}
	for i, o := range c.Outlets {
		switch {
		case o.ID == "":
			v.at(p("outlets", i), "outlet without id")
		case !idPattern.MatchString(o.ID):
			v.at(p("outlets", i, "id"), "outlet id %q: use lower-case letters, digits, - and _", o.ID)
		case seen[o.ID]:
			v.at(p("outlets", i, "id"), "duplicate outlet id %q", o.ID)
		}
		seen[o.ID] = true
		c.Outlets[i].Profile = profilePath(v.file, o.Profile)
		prof, err := profile.Load(c.Outlets[i].Profile)
		switch {
		case err == nil:
			c.Profiles[o.ID] = prof
		case isProfileFile(o.Profile):
			// The path as written, then the error naming the file read.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe
			}
			v.at(p("outlets", i, "profile"), "outlet %s: profile %q: %v", o.ID, o.Profile, err)
		default:
			v.at(p("outlets", i, "profile"), "outlet %s: %v", o.ID, err)
		}
		u, err := url.Parse(o.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.at(p("outlets", i, "base_url"), "outlet %s: base_url %q: want an absolute http(s) URL", o.ID, o.BaseURL)
		}
		if prof != nil && len(o.Feeds) == 0 && len(prof.Feeds) == 0 {
			v.at(p("outlets", i), "outlet %s: no feeds (profile %s has none; list them under feeds)", o.ID, prof.ID)
		}
		if o.Schedule != "" {
			v.cron(p("outlets", i, "schedule"), o.Schedule)
		}
	}
}

// profilePath resolves a profile file named relative to the config file
// against the config file's directory, so that the config reads the same
// from any working directory (a systemd unit runs in its state directory).
// Built-in profile names and absolute paths are kept.
func profilePath(configFile, ref string) string {
	if !isProfileFile(ref) || filepath.IsAbs(ref) {
		return ref
	}
	path := filepath.Join(filepath.Dir(configFile), ref)
	if !isProfileFile(path) {
		// "./x" or "../x" may join to "x", which would name a built-in.
		path = "." + string(filepath.Separator) + path
	}
	return path
}

// isProfileFile reports whether an outlet's profile names a file rather
// than a built-in profile, as profile.Load tells them apart.
func isProfileFile(ref string) bool { return strings.ContainsAny(ref, `/.\`) }

func (v *validator) topics(c *Config) {
	seen := map[string]bool{}
	for i, t := range c.Topics {
		switch {
		case t.ID == "":
			v.at(p("topics", i), "topic without id")
		case !idPattern.MatchString(t.ID):
			v.at(p("topics", i, "id"), "topic id %q: use lower-case letters, digits, - and _", t.ID)
		case t.ID == "other":
			v.at(p("topics", i, "id"), `topic id "other" is reserved for stories with no topic`)
		case seen[t.ID]:
			v.at(p("topics", i, "id"), "duplicate topic id %q", t.ID)
		}
		seen[t.ID] = true
		if len(t.Keywords) == 0 {
			v.at(p("topics", i), "topic %s has no keywords", t.ID)
		}
		for j, k := range t.Keywords {
			if strings.TrimSpace(k) == "" {
				v.at(p("topics", i, "keywords", j), "topic %s: empty keyword", t.ID)
			}
		}
	}
	// A subscriber may name a topic whose id did not decode: a topic lost
	// whole or by its id (see lost).
	idsDecoded := !slices.ContainsFunc(v.undecoded, func(u []any) bool {
		return len(u) == 0 || (u[0] == "topics" && len(u) <= 2)
	})
	emails := map[string]bool{}
	for i, s := range c.Subscribers {
		if err := subscriberAddress(s.Email); err != nil {
			v.at(p("subscribers", i, "email"), "%v", err)
		}
		if emails[strings.ToLower(s.Email)] {
			v.at(p("subscribers", i, "email"), "duplicate subscriber %q", s.Email)
		}
		emails[strings.ToLower(s.Email)] = true
		for j, t := range s.Topics {
			if !seen[t] && t != "other" && idsDecoded {
				v.at(p("subscribers", i, "topics", j), "subscriber %s names unknown topic %q", s.Email, t)
			}
		}
	}
}

func (v *validator) digest(c *Config) {
	v.cron(p("digest", "schedule"), c.Digest.Schedule)
	if _, err := mail.ParseAddress(c.Digest.From); err != nil {
		v.at(p("digest", "from"), "bad from address %q: %v", c.Digest.From, err)
	}
	if u := c.Digest.Unsubscribe; u != "" {
		pu, err := url.Parse(strings.ReplaceAll(u, "{email}", "analyst%40example.com"))
		// Mail clients offer plain-http unsubscribe links to nobody
		// (RFC 2369 allows them, RFC 8058 one-click wants https), and
		// mail.Compose refuses them.
		if err != nil || !(pu.Scheme == "mailto" && pu.Opaque != "" || pu.Scheme == "https" && pu.Host != "") {
			v.at(p("digest", "unsubscribe"), "unsubscribe %q: want a mailto: or https: URL", u)
		}
	}
	if c.Digest.PerTopic < 1 {
		v.at(p("digest", "per_topic"), "per_topic must be at least 1")
	}
	if t := c.Digest.Templates; t != "" {
		// Read, like profile files, from the config file's directory.
		if !filepath.IsAbs(t) {
			c.Digest.Templates = filepath.Join(filepath.Dir(v.file), t)
		}
		if fi, err := os.Stat(c.Digest.Templates); err != nil || !fi.IsDir() {
			v.at(p("digest", "templates"), "templates %q: want a directory holding digest.html.tmpl and digest.txt.tmpl (read %s)", t, c.Digest.Templates)
		}
	}
	if c.Digest.MinScore < 1 {
		v.at(p("digest", "min_score"), "min_score must be at least 1 (a title hit scores 3, a body hit 1)")
	}
}

func (v *validator) mail(c *Config) {
	m := c.Mail
	switch m.Transport {
	case "file":
		if m.Dir == "" {
			v.at(p("mail", "dir"), "mail.dir is empty")
		}
	case "smtp":
		if m.SMTP.Host == "" {
			v.at(p("mail", "smtp", "host"), "smtp host is empty")
		}
		if m.SMTP.Port < 1 || m.SMTP.Port > 65535 {
			v.at(p("mail", "smtp", "port"), "smtp port %d out of range", m.SMTP.Port)
		}
		switch m.SMTP.TLS {
		case "starttls", "tls":
		case "none":
			if !isLoopback(m.SMTP.Host) && !m.SMTP.AllowInsecure {
				v.at(p("mail", "smtp", "tls"), "tls: none sends the password and mail in clear to %s; refused except on loopback (set allow_insecure: true to override)", m.SMTP.Host)
			}
		default:
			v.at(p("mail", "smtp", "tls"), "tls %q: want starttls, tls or none", m.SMTP.TLS)
		}
		if m.SMTP.Username != "" && m.SMTP.PasswordEnv == "" {
			v.at(p("mail", "smtp"), "smtp username set but no password_env (the password comes from the environment)")
		}
	default:
		v.at(p("mail", "transport"), "mail transport %q: want file or smtp", m.Transport)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// maxAddress is the longest address SMTP carries (RFC 5321 §4.5.3.1.3,
// a path of 256 octets with its angle brackets).
const maxAddress = 254

// subscriberAddress checks a subscriber's address: it becomes a mail
// header and, with the file transport, a file name, so it must be short
// and hold no control or invisible formatting characters, besides being
// a bare address.
func subscriberAddress(s string) error {
	if len(s) > maxAddress {
		return fmt.Errorf("email address %.40q… is %d bytes long, over the limit of %d", s, len(s), maxAddress)
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return fmt.Errorf("email address %q holds the control character %U", s, r)
		case unicode.Is(unicode.Cf, r):
			return fmt.Errorf("email address %q holds the invisible formatting character %U", s, r)
		}
	}
	if _, err := parseAddress(s); err != nil {
		return fmt.Errorf("bad email address %q: %v", s, err)
	}
	return nil
}

func parseAddress(s string) (*mail.Address, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, err
	}
	if a.Name != "" || !strings.Contains(a.Address, "@") {
		return nil, fmt.Errorf("want a bare address such as analyst@example.com")
	}
	return a, nil
}
