// Package config reads and validates the mediadigest YAML configuration
// (docs/configuration.md). Decoding is strict: an unknown key or a bad value is an error
// that names the file and line, so `mediadigest check` can print one line
// per problem.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"mediadigest/internal/yamlerr"
	"mediadigest/model"
	"mediadigest/profile"
)

// Config is the whole configuration. Zero fields are filled with the
// defaults of docs/configuration.md by Load.
type Config struct {
	Timezone    string        `yaml:"timezone"`
	Store       string        `yaml:"store"`
	HTTP        HTTP          `yaml:"http"`
	Log         Log           `yaml:"log"`
	Crawl       Crawl         `yaml:"crawl"`
	Outlets     []Outlet      `yaml:"outlets"`
	Cleaning    Cleaning      `yaml:"cleaning"`
	Topics      []model.Topic `yaml:"topics"`
	Subscribers []Subscriber  `yaml:"subscribers"`
	Digest      Digest        `yaml:"digest"`
	Mail        Mail          `yaml:"mail"`
	Cluster     Cluster       `yaml:"cluster"`
	Search      Search        `yaml:"search"`

	// File is the path the config was read from ("" for built-in ones).
	File string `yaml:"-"`
	// Location is Timezone loaded.
	Location *time.Location `yaml:"-"`
	// Profiles are the loaded profiles of the outlets, by outlet id.
	Profiles map[string]*profile.Profile `yaml:"-"`
}

// HTTP configures the daemon's HTTP server: its address, and the pages
// it serves to readers (docs/desk.md, docs/subscriptions.md).
type HTTP struct {
	Listen string `yaml:"listen"`
	// PublicURL is where readers reach the pages ("https://news.example.com",
	// a path allowed): every link in a digest to the desk, the preferences
	// page or the one-click unsubscribe starts with it. Empty: digests
	// carry none of those links.
	PublicURL string `yaml:"public_url"`
	// SecretEnv names the environment variable holding the secret that
	// signs links and sessions; PreviousSecretEnv the one holding the
	// secret used before a rotation, still accepted until it is removed.
	// SecretFile, instead of SecretEnv, names a file holding the secret
	// (mode 0600, read from the config file's directory when relative), as
	// the demo writes one. Without a secret the pages are not served.
	SecretEnv         string `yaml:"secret_env"`
	SecretFile        string `yaml:"secret_file"`
	PreviousSecretEnv string `yaml:"previous_secret_env"`
	// LoginTTL is how long a login link works, SessionTTL how long a desk
	// session lasts, LinkTTL how long the preferences link of a digest
	// works. Unsubscribe links never expire.
	LoginTTL   Duration `yaml:"login_ttl"`
	SessionTTL Duration `yaml:"session_ttl"`
	LinkTTL    Duration `yaml:"link_ttl"`
}

// Secrets returns the signing secrets: the current one (from secret_env,
// or secret_file), then the previous one when set. Empty when neither
// names a secret, or the one named is empty.
func (h HTTP) Secrets() [][]byte {
	var current string
	switch {
	case h.SecretEnv != "":
		current = os.Getenv(h.SecretEnv)
	case h.SecretFile != "":
		b, _ := os.ReadFile(h.SecretFile) // check has said whether it reads
		current = strings.TrimSpace(string(b))
	}
	if current == "" {
		return nil
	}
	out := [][]byte{[]byte(current)}
	if h.PreviousSecretEnv != "" {
		if v := os.Getenv(h.PreviousSecretEnv); v != "" {
			out = append(out, []byte(v))
		}
	}
	return out
}

// Log configures logging: format "text" (default) or "json", level
// "debug", "info" (default), "warn" or "error".
type Log struct {
	Format string `yaml:"format"`
	Level  string `yaml:"level"`
}

// Crawl holds the politeness and fault settings shared by every outlet.
type Crawl struct {
	Schedule    string   `yaml:"schedule"`
	UserAgent   string   `yaml:"user_agent"`
	Delay       Duration `yaml:"delay"`
	Parallelism int      `yaml:"parallelism"`
	Timeout     Duration `yaml:"timeout"`
	MaxBody     ByteSize `yaml:"max_body"`
	Retries     int      `yaml:"retries"` // 0: no retries
	// MaxItems is how many items of one feed a crawl considers, newest
	// first; the rest are ignored with a warning.
	MaxItems int `yaml:"max_items"`
}

// Outlet is one monitored site.
type Outlet struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Profile is a built-in profile's id or a profile file; Parse resolves
	// a relative path against the config file's directory.
	Profile  string   `yaml:"profile"`
	BaseURL  string   `yaml:"base_url"`
	Feeds    []string `yaml:"feeds"`
	Schedule string   `yaml:"schedule"` // overrides crawl.schedule
}

// OutletNames returns the display name of every outlet by id: its name in
// the config, else its profile's.
func (c *Config) OutletNames() map[string]string {
	names := make(map[string]string, len(c.Outlets))
	for _, o := range c.Outlets {
		names[o.ID] = o.Name
		if o.Name == "" && c.Profiles[o.ID] != nil {
			names[o.ID] = c.Profiles[o.ID].Name
		}
	}
	return names
}

// CrawlSchedule returns the outlet's own crawl schedule, else the default.
func (c *Config) CrawlSchedule(o Outlet) string {
	if o.Schedule != "" {
		return o.Schedule
	}
	return c.Crawl.Schedule
}

// Cleaning tunes learned promo lines and story detection.
type Cleaning struct {
	// LearnMinArticles is how many distinct articles of one outlet must
	// carry a paragraph within LearnWindow before it is a promo line.
	LearnMinArticles int      `yaml:"learn_min_articles"`
	LearnWindow      Duration `yaml:"learn_window"`
	// LearnMaxRunes: longer paragraphs are content (shared quotes), never
	// learned.
	LearnMaxRunes int      `yaml:"learn_max_runes"`
	StoryWindow   Duration `yaml:"story_window"`
}

// Subscriber is one recipient of the digest.
type Subscriber struct {
	Email  string   `yaml:"email"`
	Topics []string `yaml:"topics"`
}

// Digest configures the digest schedule and content.
type Digest struct {
	Schedule    string `yaml:"schedule"`
	From        string `yaml:"from"`
	Unsubscribe string `yaml:"unsubscribe"`
	PerTopic    int    `yaml:"per_topic"`
	Templates   string `yaml:"templates"`
	// MinScore is the score a topic needs for a story to count under it
	// (topics.WithMinScore): a title hit weighs 3, a body hit 1.
	MinScore int `yaml:"min_score"`
}

// Cluster configures daemons sharing a PostgreSQL store (store:
// postgres://…).
type Cluster struct {
	// Lease is how long a daemon holds an outlet's crawl or a claimed
	// outbox row without renewing it: when a daemon dies, another takes its
	// work over after at most this long. A crawl renews its lease every
	// third of it; sending a batch of digests must fit in it.
	Lease Duration `yaml:"lease"`
}

// Search configures the upkeep of the search index.
type Search struct {
	// Merge is when the daemon merges SQLite's full-text index into one
	// segment, in short steps crawls go on between; "" never.
	Merge string `yaml:"merge"`
}

// Mail configures delivery.
type Mail struct {
	Transport string `yaml:"transport"`
	Dir       string `yaml:"dir"`
	SMTP      SMTP   `yaml:"smtp"`
}

// SMTP configures the SMTP transport. The password is read from the
// environment variable PasswordEnv, never from the file.
type SMTP struct {
	Host          string   `yaml:"host"`
	Port          int      `yaml:"port"`
	Username      string   `yaml:"username"`
	PasswordEnv   string   `yaml:"password_env"`
	TLS           string   `yaml:"tls"`
	AllowInsecure bool     `yaml:"allow_insecure"`
	Timeout       Duration `yaml:"timeout"`
}

// Password returns the SMTP password from the environment.
func (s SMTP) Password() string {
	if s.PasswordEnv == "" {
		return ""
	}
	return os.Getenv(s.PasswordEnv)
}

// DefaultPath is the config file read when neither -config nor
// $MEDIADIGEST_CONFIG names one.
const DefaultPath = "mediadigest.yaml"

// Path returns the config path to use: flag, else $MEDIADIGEST_CONFIG, else
// DefaultPath.
func Path(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv("MEDIADIGEST_CONFIG"); env != "" {
		return env
	}
	return DefaultPath
}

// Problems is the list of every problem found in a config, one per line
// as "FILE:LINE: message".
type Problems []string

func (p Problems) Error() string { return strings.Join(p, "\n") }

// Load reads, decodes and validates the config file. A returned error is
// either a Problems list (bad config) or an I/O error.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w (create one from mediadigest.example.yaml, or pass -config)", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates config data read from file. An outlet's
// profile file named by a relative path is read from file's directory.
func Parse(file string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Problems(yamlerr.Lines(file, err))
	}
	cfg := defaults(file)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	v := &validator{file: file, root: &root}
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, Problems(yamlerr.Lines(file, err))
		}
		// The decoder went on past each problem: the values that did
		// decode are validated too, so one run of check lists everything.
		for _, pr := range yamlerr.Explain(file, &root, cfg, err) {
			v.problems = append(v.problems, pr.Text)
			if !pr.UnknownKey {
				v.undecoded = append(v.undecoded, lost(pr.Path))
			}
		}
	}
	if cfg.Digest.Unsubscribe == "" {
		// Every digest carries an unsubscribe link (List-Unsubscribe and the
		// footer); without one configured, replies go to the sender.
		if a, err := mail.ParseAddress(cfg.Digest.From); err == nil {
			cfg.Digest.Unsubscribe = "mailto:" + a.Address + "?subject=unsubscribe"
		}
	}
	for i := range cfg.Outlets {
		if cfg.Outlets[i].Profile == "" {
			cfg.Outlets[i].Profile = cfg.Outlets[i].ID
		}
	}
	v.validate(cfg)
	if len(v.problems) > 0 {
		return nil, v.problems
	}
	return cfg, nil
}

// defaults returns a config holding docs/configuration.md's defaults. The file is decoded
// on top of it, so a key the file leaves out keeps its default while a key
// it sets — even to zero, like `delay: 0s` or `retries: 0` — is kept as set.
func defaults(file string) *Config {
	return &Config{
		File:     file,
		Timezone: "Asia/Tehran",
		Store:    "mediadigest.db",
		HTTP: HTTP{
			Listen:     "127.0.0.1:8080",
			LoginTTL:   Duration(24 * time.Hour),
			SessionTTL: Duration(30 * 24 * time.Hour),
			LinkTTL:    Duration(60 * 24 * time.Hour),
		},
		Log: Log{Format: "text", Level: "info"},
		Crawl: Crawl{
			Schedule:    "*/20 * * * *",
			UserAgent:   "mediadigest/1.0 (+https://github.com/mediadigest)",
			Delay:       Duration(time.Second),
			Parallelism: 2,
			Timeout:     Duration(30 * time.Second),
			MaxBody:     10 << 20,
			Retries:     3,
			MaxItems:    500,
		},
		Cleaning: Cleaning{
			LearnMinArticles: 3,
			LearnWindow:      Duration(30 * 24 * time.Hour),
			LearnMaxRunes:    200,
			StoryWindow:      Duration(72 * time.Hour),
		},
		Digest: Digest{
			Schedule: "0 7 * * *",
			From:     "Media Digest <digest@example.com>",
			PerTopic: 10,
			MinScore: 2,
		},
		Mail: Mail{
			Transport: "file",
			Dir:       "outbox",
			SMTP:      SMTP{Port: 587, TLS: "starttls", Timeout: Duration(30 * time.Second)},
		},
		Cluster: Cluster{Lease: Duration(2 * time.Minute)},
		Search:  Search{Merge: "30 4 * * *"},
	}
}

// Outlet returns the outlet with the given id.
func (c *Config) Outlet(id string) (Outlet, bool) {
	for _, o := range c.Outlets {
		if o.ID == id {
			return o, true
		}
	}
	return Outlet{}, false
}

// Subscriber returns the subscriber with the given address. Addresses
// are compared without regard to case: ANALYST@EXAMPLE.COM is
// analyst@example.com, as every mail system treats them.
func (c *Config) Subscriber(email string) (Subscriber, bool) {
	for _, s := range c.Subscribers {
		if strings.EqualFold(s.Email, email) {
			return s, true
		}
	}
	return Subscriber{}, false
}

// OutletIDs lists the configured outlet ids in config order.
func (c *Config) OutletIDs() []string {
	ids := make([]string, len(c.Outlets))
	for i, o := range c.Outlets {
		ids[i] = o.ID
	}
	return ids
}

//go:embed demo.yaml
var demoYAML []byte

// Demo returns the built-in demo config: the two sample outlets at the
// given base URLs, demo topics and one subscriber, with the store and mail
// directory inside dir.
func Demo(isnaURL, eghtesadURL, dir string) (*Config, error) {
	return Parse("demo.yaml", DemoYAML(isnaURL, eghtesadURL, dir))
}

// DemoYAML is the text of the config Demo parses.
func DemoYAML(isnaURL, eghtesadURL, dir string) []byte {
	r := strings.NewReplacer("{ISNA}", isnaURL, "{EGHTESAD24}", eghtesadURL, "{DIR}", dir)
	return []byte(r.Replace(string(demoYAML)))
}
