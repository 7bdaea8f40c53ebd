package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"

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
}

// at reports a problem at the node reached by path (mapping keys and
// sequence indexes); the nearest existing ancestor's line is used when the
// key is absent.
func (v *validator) at(path []any, format string, args ...any) {
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
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		v.at(p("http", "listen"), "listen %q: want host:port", c.HTTP.Listen)
	}
	if f := c.Log.Format; f != "text" && f != "json" {
		v.at(p("log", "format"), "log format %q: want text or json", f)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.at(p("log", "level"), "log level %q: want debug, info, warn or error", c.Log.Level)
	}
	v.cron(p("crawl", "schedule"), c.Crawl.Schedule)
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
	v.outlets(c)
	v.topics(c)
	v.digest(c)
	v.mail(c)
}

func (v *validator) cron(path []any, spec string) {
	if strings.TrimSpace(spec) == "" {
		v.at(path, "empty cron schedule")
		return
	}
	if err := parseCron(spec); err != nil {
		v.at(path, "bad cron schedule %q: %v", spec, err)
	}
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
		prof, err := profile.Load(o.Profile)
		if err != nil {
			v.at(p("outlets", i, "profile"), "outlet %s: %v", o.ID, err)
		} else {
			c.Profiles[o.ID] = prof
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
	emails := map[string]bool{}
	for i, s := range c.Subscribers {
		if _, err := parseAddress(s.Email); err != nil {
			v.at(p("subscribers", i, "email"), "bad email address %q: %v", s.Email, err)
		}
		if emails[strings.ToLower(s.Email)] {
			v.at(p("subscribers", i, "email"), "duplicate subscriber %q", s.Email)
		}
		emails[strings.ToLower(s.Email)] = true
		for j, t := range s.Topics {
			if !seen[t] && t != "other" {
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
		if err != nil || (pu.Scheme != "mailto" && pu.Scheme != "https" && pu.Scheme != "http") {
			v.at(p("digest", "unsubscribe"), "unsubscribe %q: want a mailto: or https: URL", u)
		}
	}
	if c.Digest.PerTopic < 1 {
		v.at(p("digest", "per_topic"), "per_topic must be at least 1")
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
