// Package config reads and validates the mediadigest YAML configuration
// (SPEC §3). Decoding is strict: an unknown key or a bad value is an error
// that names the file and line, so `mediadigest check` can print one line
// per problem.
package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"mediadigest/internal/yamlerr"
	"mediadigest/model"
	"mediadigest/profile"
)

// Config is the whole configuration. Zero fields are filled with the
// defaults of SPEC §3 by Load.
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

	// File is the path the config was read from ("" for built-in ones).
	File string `yaml:"-"`
	// Location is Timezone loaded.
	Location *time.Location `yaml:"-"`
	// Profiles are the loaded profiles of the outlets, by outlet id.
	Profiles map[string]*profile.Profile `yaml:"-"`
}

// HTTP configures the daemon's HTTP listener.
type HTTP struct {
	Listen string `yaml:"listen"`
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
	Retries     int      `yaml:"retries"`
}

// Outlet is one monitored site.
type Outlet struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name"`
	Profile  string   `yaml:"profile"`
	BaseURL  string   `yaml:"base_url"`
	Feeds    []string `yaml:"feeds"`
	Schedule string   `yaml:"schedule"` // overrides crawl.schedule
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

// Parse decodes and validates config data read from file.
func Parse(file string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Problems(yamlerr.Lines(file, err))
	}
	cfg := &Config{File: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, Problems(yamlerr.Lines(file, err))
	}
	cfg.applyDefaults()
	v := &validator{file: file, root: &root}
	v.validate(cfg)
	if len(v.problems) > 0 {
		return nil, v.problems
	}
	return cfg, nil
}

// applyDefaults fills what the file left out with SPEC §3's defaults.
func (c *Config) applyDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Timezone, "Asia/Tehran")
	def(&c.Store, "mediadigest.db")
	def(&c.HTTP.Listen, "127.0.0.1:8080")
	def(&c.Log.Format, "text")
	def(&c.Log.Level, "info")
	def(&c.Crawl.Schedule, "*/20 * * * *")
	def(&c.Crawl.UserAgent, "mediadigest/1.0 (+https://github.com/mediadigest)")
	if c.Crawl.Delay == 0 {
		c.Crawl.Delay = Duration(time.Second)
	}
	if c.Crawl.Parallelism == 0 {
		c.Crawl.Parallelism = 2
	}
	if c.Crawl.Timeout == 0 {
		c.Crawl.Timeout = Duration(30 * time.Second)
	}
	if c.Crawl.MaxBody == 0 {
		c.Crawl.MaxBody = 10 << 20
	}
	if c.Crawl.Retries == 0 {
		c.Crawl.Retries = 3
	}
	if c.Cleaning.LearnMinArticles == 0 {
		c.Cleaning.LearnMinArticles = 3
	}
	if c.Cleaning.LearnWindow == 0 {
		c.Cleaning.LearnWindow = Duration(30 * 24 * time.Hour)
	}
	if c.Cleaning.LearnMaxRunes == 0 {
		c.Cleaning.LearnMaxRunes = 200
	}
	if c.Cleaning.StoryWindow == 0 {
		c.Cleaning.StoryWindow = Duration(72 * time.Hour)
	}
	def(&c.Digest.Schedule, "0 7 * * *")
	def(&c.Digest.From, "Media Digest <digest@example.com>")
	if c.Digest.PerTopic == 0 {
		c.Digest.PerTopic = 10
	}
	def(&c.Mail.Transport, "file")
	def(&c.Mail.Dir, "outbox")
	if c.Mail.SMTP.Port == 0 {
		c.Mail.SMTP.Port = 587
	}
	def(&c.Mail.SMTP.TLS, "starttls")
	if c.Mail.SMTP.Timeout == 0 {
		c.Mail.SMTP.Timeout = Duration(30 * time.Second)
	}
	for i := range c.Outlets {
		o := &c.Outlets[i]
		def(&o.Profile, o.ID)
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
	r := strings.NewReplacer("{ISNA}", isnaURL, "{EGHTESAD24}", eghtesadURL, "{DIR}", dir)
	return Parse("demo.yaml", []byte(r.Replace(string(demoYAML))))
}
