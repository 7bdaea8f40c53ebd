package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExampleConfigIsValid(t *testing.T) {
	cfg, err := Load("../mediadigest.example.yaml")
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	if cfg.Location.String() != "Asia/Tehran" {
		t.Errorf("location = %v", cfg.Location)
	}
	if cfg.Crawl.MaxBody != 10<<20 || cfg.Crawl.Delay.D() != time.Second {
		t.Errorf("crawl = %+v", cfg.Crawl)
	}
	if len(cfg.Profiles) != 2 || cfg.Profiles["isna"].ID != "isna" {
		t.Errorf("profiles = %v", cfg.Profiles)
	}
	demo, _ := Parse("x.yaml", []byte(base+"crawl: {delay: 0s, retries: 0}\n"))
	if demo.Crawl.Delay != 0 || demo.Crawl.Retries != 0 || demo.Crawl.Parallelism != 2 {
		t.Errorf("explicit zero values must be kept, unset ones defaulted: %+v", demo.Crawl)
	}
	if got := cfg.CrawlSchedule(cfg.Outlets[0]); got != "*/20 * * * *" {
		t.Errorf("outlet schedule default = %q", got)
	}
}

func TestDemoConfigIsValid(t *testing.T) {
	cfg, err := Demo("http://127.0.0.1:1", "http://127.0.0.1:2", "/tmp/x")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store != "/tmp/x/demo.db" || cfg.Outlets[1].BaseURL != "http://127.0.0.1:2" {
		t.Errorf("demo config = %+v", cfg)
	}
}

const base = `timezone: Asia/Tehran
outlets:
  - id: isna
    profile: isna
    base_url: https://www.isna.ir
topics:
  - id: energy
    name: انرژی
    keywords: [نفت]
subscribers:
  - email: a@example.com
`

func TestProblems(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string // substrings, each expected in one problem line
	}{
		{"unknown top key", base + "colour: red\n", []string{"x.yaml:12: unknown key \"colour\""}},
		{"unknown nested key", strings.Replace(base, "    profile: isna\n", "    profile: isna\n    selector: h1\n", 1),
			[]string{"x.yaml:5: unknown key \"selector\""}},
		{"bad duration", base + "crawl:\n  delay: fast\n", []string{"x.yaml:13: bad duration \"fast\""}},
		{"bad size", base + "crawl:\n  max_body: lots\n", []string{"x.yaml:13: bad size"}},
		{"bad cron", base + "digest:\n  schedule: \"0 7 * *\"\n", []string{"x.yaml:13: bad cron schedule"}},
		{"cron tz only", base + "crawl:\n  schedule: \"CRON_TZ=Asia/Tehran\"\n", []string{"x.yaml:13: bad cron schedule"}},
		{"unknown zone", strings.Replace(base, "Asia/Tehran", "Asia/Atlantis", 1), []string{"x.yaml:1: unknown time zone \"Asia/Atlantis\""}},
		{"unknown profile", strings.Replace(base, "profile: isna", "profile: tabnak", 1), []string{"x.yaml:4: outlet isna: profile \"tabnak\": no built-in profile"}},
		{"missing profile file", strings.Replace(base, "profile: isna", "profile: ./nope.yaml", 1), []string{"x.yaml:4: outlet isna: profile:"}},
		{"duplicate outlet", base + "  - email: b@example.com\n", nil},
		{"duplicate ids", strings.Replace(base, "topics:", "  - id: isna\n    base_url: https://isna.ir\ntopics:", 1), []string{"x.yaml:6: duplicate outlet id \"isna\""}},
		{"unknown topic", base + "    topics: [sport]\n", []string{"x.yaml:12: subscriber a@example.com names unknown topic \"sport\""}},
		{"bad email", strings.Replace(base, "a@example.com", "not-an-address", 1), []string{"x.yaml:11: bad email address \"not-an-address\""}},
		{"relative base url", strings.Replace(base, "https://www.isna.ir", "www.isna.ir", 1), []string{"x.yaml:5: outlet isna: base_url"}},
		{"tls none remote", base + "mail:\n  transport: smtp\n  smtp: {host: smtp.example.com, tls: none}\n", []string{"x.yaml:14: tls: none sends the password"}},
		{"tls none loopback", base + "mail:\n  transport: smtp\n  smtp: {host: 127.0.0.1, tls: none}\n", nil},
		{"tls none allowed", base + "mail:\n  transport: smtp\n  smtp: {host: relay.lan, tls: none, allow_insecure: true}\n", nil},
		{"bad transport", base + "mail:\n  transport: pigeon\n", []string{"x.yaml:13: mail transport \"pigeon\""}},
		{"reserved topic", strings.Replace(base, "id: energy", "id: other", 1), []string{"reserved"}},
		{"not yaml", "outlets: [\n", []string{"x.yaml:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.yaml))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected problems:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no problem reported, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("problems:\n%v\nwant one containing %q", err, w)
				}
			}
		})
	}
}

func TestEveryProblemReported(t *testing.T) {
	y := base + "crawl:\n  schedule: nonsense\ndigest:\n  from: nobody\n"
	_, err := Parse("x.yaml", []byte(y))
	ps, ok := err.(Problems)
	if !ok || len(ps) != 2 {
		t.Fatalf("want 2 problems, got %v", err)
	}
}

func TestPathAndLoad(t *testing.T) {
	t.Setenv("MEDIADIGEST_CONFIG", "")
	if Path("") != DefaultPath || Path("x.yaml") != "x.yaml" {
		t.Error("Path defaults wrong")
	}
	t.Setenv("MEDIADIGEST_CONFIG", "/etc/md.yaml")
	if Path("") != "/etc/md.yaml" {
		t.Error("Path ignores $MEDIADIGEST_CONFIG")
	}
	_, err := Load(filepath.Join(t.TempDir(), "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "mediadigest.example.yaml") {
		t.Errorf("missing file error should say what to do: %v", err)
	}
	f := filepath.Join(t.TempDir(), "p.yaml")
	os.WriteFile(f, []byte("id: x\narticle_url: '^/n/(\\d+)$'\nbogus: 1\n"), 0o644)
	_, err = Parse("c.yaml", []byte(strings.Replace(base, "profile: isna", "profile: "+f, 1)))
	if err == nil || !strings.Contains(err.Error(), "p.yaml:3") {
		t.Errorf("bad profile file should be reported with its line: %v", err)
	}
}

func TestSecretFromEnvironment(t *testing.T) {
	t.Setenv("MD_TEST_PW", "s3cret")
	if (SMTP{PasswordEnv: "MD_TEST_PW"}).Password() != "s3cret" {
		t.Error("password not read from the environment")
	}
}
