package config

import (
	"fmt"
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
	if demo.Crawl.MaxItems != 500 {
		t.Errorf("crawl.max_items default = %d, want 500", demo.Crawl.MaxItems)
	}
	if got := cfg.CrawlSchedule(cfg.Outlets[0]); got != "*/20 * * * *" {
		t.Errorf("outlet schedule default = %q", got)
	}
}

func TestDemoConfigIsValid(t *testing.T) {
	dir := t.TempDir()
	if cfg, err := Demo("http://127.0.0.1:1", "http://127.0.0.1:2", dir); err != nil || cfg.HTTP.Secrets() != nil {
		t.Errorf("the demo config without its secret file: %v, %q; want it valid, with no secret", err, cfg.HTTP.Secrets())
	}
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("a secret of thirty-two bytes, ok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Demo("http://127.0.0.1:1", "http://127.0.0.1:2", dir)
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.HTTP.Secrets(); len(s) != 1 || string(s[0]) != "a secret of thirty-two bytes, ok" {
		t.Errorf("secrets %q, want the file's, trimmed", s)
	}
	if cfg.Store != dir+"/demo.db" || cfg.Outlets[1].BaseURL != "http://127.0.0.1:2" {
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
		want       []string // every problem, as a substring of its line
	}{
		{"unknown top key", base + "colour: red\n", []string{"x.yaml:12: unknown key \"colour\""}},
		{"unknown nested key", strings.Replace(base, "    profile: isna\n", "    profile: isna\n    selector: h1\n", 1),
			[]string{"x.yaml:5: unknown key \"selector\""}},
		{"bad duration", base + "crawl:\n  delay: fast\n", []string{`x.yaml:13: crawl.delay: want a duration such as 1s, 500ms, 30m or 720h, got "fast"`}},
		{"bad size", base + "crawl:\n  max_body: lots\n", []string{`x.yaml:13: crawl.max_body: want a size such as 10MiB, 512KiB or a number of bytes, got "lots"`}},
		{"size overflow", base + "crawl:\n  max_body: 9999999999GiB\n", []string{`x.yaml:13: crawl.max_body: want a size`}},
		{"wrong type", base + "crawl:\n  parallelism: two\n", []string{`x.yaml:13: crawl.parallelism: want a whole number, got "two"`}},
		{"every decoding problem", base + "crawl:\n  delay: fast\n  delai: 1s\nfoo: 1\n",
			[]string{`x.yaml:13: crawl.delay: want a duration`, `x.yaml:14: unknown key "delai"`, `x.yaml:15: unknown key "foo"`}},
		{"decoding and validation problems", base + "crawl:\n  parallelism: two\n  retries: -1\ndigest:\n  timeout: 1s\n  from: nobody\n",
			[]string{`x.yaml:13: crawl.parallelism: want a whole number, got "two"`, `x.yaml:16: unknown key "timeout"`, `x.yaml:14: retries must be ≥ 0`, `x.yaml:17: bad from address "nobody"`}},
		{"list item of the wrong type hides its list", strings.Replace(strings.Replace(base, "outlets:\n", "outlets:\n  - isna\n", 1), "https://www.isna.ir", "www.isna.ir", 1),
			[]string{`x.yaml:3: outlets[0]: want a mapping, got "isna"`}},
		{"value in a list item hides what depends on it", strings.Replace(base, "    profile: isna\n", "    profile: generic\n    feeds: /rss\n    schedule: nonsense\n", 1),
			[]string{`x.yaml:5: outlets[0].feeds: want a list, got "/rss"`, `x.yaml:6: bad cron schedule "nonsense"`}},
		{"outlet id of the wrong type hides the outlet", strings.Replace(strings.Replace(base, "id: isna", "id: [isna]", 1), "https://www.isna.ir", "www.isna.ir", 1),
			[]string{`x.yaml:3: outlets[0].id: want text, got a list`}},
		{"topic keywords not decoded", strings.Replace(base, "keywords: [نفت]", "keywords: نفت", 1) + "    topics: [energy, sport]\n",
			[]string{`x.yaml:9: topics[0].keywords: want a list, got "نفت"`, `x.yaml:12: subscriber a@example.com names unknown topic "sport"`}},
		{"topic id not decoded, subscribers' topics not checked", strings.Replace(base, "id: energy", "id: {energy: 1}", 1) + "    topics: [energy]\n",
			[]string{`x.yaml:7: topics[0].id: want text, got a mapping`}},
		{"subscriber's topic not decoded", base + "    topics: [[energy], sport]\n",
			[]string{`x.yaml:12: subscribers[0].topics[0]: want text, got a list`}},
		{"section of the wrong type", base + "mail: smtp\nlog: {level: loud}\n",
			[]string{`x.yaml:12: mail: want a mapping, got "smtp"`, `x.yaml:13: log level "loud"`}},
		{"duplicate key", base + "crawl:\n  delay: 1s\n  delay: 2s\n", []string{`x.yaml:14: mapping key "delay" already defined at line 13`}},
		{"bad cron", base + "digest:\n  schedule: \"0 7 * *\"\n", []string{"x.yaml:13: bad cron schedule"}},
		{"cron tz only", base + "crawl:\n  schedule: \"CRON_TZ=Asia/Tehran\"\n", []string{"x.yaml:13: bad cron schedule"}},
		{"min score zero", base + "digest:\n  min_score: 0\n", []string{"x.yaml:13: min_score must be at least 1"}},
		{"plain http unsubscribe", base + "digest:\n  unsubscribe: http://news.example.com/u\n", []string{`x.yaml:13: unsubscribe "http://news.example.com/u": want a mailto: or https: URL`}},
		{"bad public url", base + "http:\n  public_url: news.example.com\n", []string{`x.yaml:13: public_url "news.example.com": want the address readers reach the pages at`}},
		{"secret in the file", base + "http:\n  secret_env: s3cr3t-value!\n", []string{`x.yaml:13: secret_env "s3cr3t-value!": want the name of an environment variable`}},
		{"previous secret alone", base + "http:\n  previous_secret_env: OLD_SECRET\n", []string{`x.yaml:13: previous_secret_env without secret_env`}},
		{"zero login ttl", base + "http:\n  login_ttl: 0s\n", []string{`x.yaml:13: login_ttl must be a positive duration`}},
		{"unknown zone", strings.Replace(base, "Asia/Tehran", "Asia/Atlantis", 1), []string{"x.yaml:1: unknown time zone \"Asia/Atlantis\""}},
		{"unknown profile", strings.Replace(base, "profile: isna", "profile: tabnak", 1), []string{"x.yaml:4: outlet isna: profile \"tabnak\": no built-in profile"}},
		{"missing profile file", strings.Replace(base, "profile: isna", "profile: ./nope.yaml", 1), []string{`x.yaml:4: outlet isna: profile "./nope.yaml": open nope.yaml: no such file`}},
		{"duplicate outlet", base + "  - email: b@example.com\n", nil},
		{"duplicate ids", strings.Replace(base, "topics:", "  - id: isna\n    base_url: https://isna.ir\ntopics:", 1), []string{"x.yaml:6: duplicate outlet id \"isna\""}},
		{"unknown topic", base + "    topics: [sport]\n", []string{"x.yaml:12: subscriber a@example.com names unknown topic \"sport\""}},
		{"bad email", strings.Replace(base, "a@example.com", "not-an-address", 1), []string{"x.yaml:11: bad email address \"not-an-address\""}},
		{"address of 254 bytes", strings.Replace(base, "a@example.com", strings.Repeat("a", 242)+"@example.com", 1), nil},
		{"address of 255 bytes", strings.Replace(base, "a@example.com", strings.Repeat("a", 243)+"@example.com", 1),
			[]string{`x.yaml:11: email address "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"… is 255 bytes long, over the limit of 254`}},
		{"address of a megabyte", strings.Replace(base, "a@example.com", strings.Repeat("a", 1<<20)+"@example.com", 1),
			[]string{fmt.Sprintf(`x.yaml:11: email address "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"… is %d bytes long, over the limit of 254`, 1<<20+12)}},
		{"control character in an address", strings.Replace(base, "a@example.com", `"a\x01b@example.com"`, 1),
			[]string{`x.yaml:11: email address "a\x01b@example.com" holds the control character U+0001`}},
		{"tab in a quoted local part", strings.Replace(base, "a@example.com", `"\"a\tb\"@example.com"`, 1),
			[]string{`x.yaml:11: email address "\"a\tb\"@example.com" holds the control character U+0009`}},
		{"bidi mark in an address", strings.Replace(base, "a@example.com", `"a\u200Eb@example.com"`, 1),
			[]string{`x.yaml:11: email address "a\u200eb@example.com" holds the invisible formatting character U+200E`}},
		{"duplicate address in another case", base + "  - email: A@EXAMPLE.COM\n", []string{`x.yaml:12: duplicate subscriber "A@EXAMPLE.COM"`}},
		{"max_items zero", base + "crawl:\n  max_items: 0\n", []string{"x.yaml:13: max_items must be at least 1"}},
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
			if ps := err.(Problems); len(ps) != len(tt.want) {
				t.Errorf("problems:\n%v\nwant only %q", err, tt.want)
			}
		})
	}
}

// TestSubscriberLookup: an address names its subscriber in any case.
func TestSubscriberLookup(t *testing.T) {
	cfg, err := Parse("x.yaml", []byte(base+"  - email: Analyst@Example.com\n    topics: [energy]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		email, want string
	}{
		{"a@example.com", "a@example.com"},
		{"A@EXAMPLE.COM", "a@example.com"},
		{"ANALYST@EXAMPLE.COM", "Analyst@Example.com"},
		{"analyst@example.com", "Analyst@Example.com"},
		{"b@example.com", ""},
		{"analyst@example.co", ""},
	} {
		s, ok := cfg.Subscriber(tt.email)
		if s.Email != tt.want || ok != (tt.want != "") {
			t.Errorf("Subscriber(%q) = %q, %v; want %q", tt.email, s.Email, ok, tt.want)
		}
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

func TestCronRanges(t *testing.T) {
	withOutletSchedule := func(spec string) string {
		return strings.Replace(base, "    profile: isna\n", "    profile: isna\n    schedule: \""+spec+"\"\n", 1)
	}
	tests := []struct {
		name, yaml, want string // want "": accepted
	}{
		{"step too large", base + "crawl:\n  schedule: \"*/61 * * * *\"\n", `x.yaml:13: bad cron schedule "*/61 * * * *": minute "*/61": step 61 is larger than the field's range 0-59`},
		{"step of a start too large", base + "crawl:\n  schedule: \"5/60 * * * *\"\n", `minute "5/60": step 60`},
		{"largest step", base + "crawl:\n  schedule: \"*/59 * * * *\"\n", ""},
		{"hour step", withOutletSchedule("0 */24 * * *"), `x.yaml:5: bad cron schedule "0 */24 * * *": hour "*/24": step 24 is larger than the field's range 0-23`},
		{"hour out of range", withOutletSchedule("0 7,25 * * *"), `x.yaml:5: bad cron schedule "0 7,25 * * *": hour "7,25": 25 is outside 0-23`},
		{"range end out of field", base + "digest:\n  schedule: \"0-60 7 * * *\"\n", `x.yaml:13: bad cron schedule "0-60 7 * * *": minute "0-60": 60 is outside 0-59`},
		{"day of month zero", base + "digest:\n  schedule: \"0 7 0 * *\"\n", `day of month "0": 0 is outside 1-31`},
		{"month step", base + "digest:\n  schedule: \"0 7 1 */12 *\"\n", `month "*/12": step 12 is larger than the field's range 1-12`},
		{"day of week 7", base + "digest:\n  schedule: \"0 7 * * 7\"\n", `day of week "7": 7 is outside 0-6`},
		{"with a time zone", base + "crawl:\n  schedule: \"CRON_TZ=Asia/Tehran */90 * * * *\"\n", `minute "*/90": step 90`},
		{"names and lists", base + "digest:\n  schedule: \"0 7,19 1-15/2 jan-jun mon-fri\"\n", ""},
		{"descriptor", base + "crawl:\n  schedule: \"@every 15m\"\n", ""},
		{"search merge", base + "search:\n  merge: \"30 25 * * *\"\n", `x.yaml:13: bad cron schedule "30 25 * * *": hour "25": 25 is outside 0-23`},
		{"search merge never", base + "search:\n  merge: \"\"\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.yaml))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected problems:\n%v", err)
			case tt.want == "":
			case err == nil:
				t.Fatalf("accepted, want %q", tt.want)
			case len(err.(Problems)) != 1 || !strings.Contains(err.Error(), tt.want):
				t.Errorf("problems:\n%v\nwant only %q", err, tt.want)
			}
		})
	}
}

func TestProfilePathRelativeToConfig(t *testing.T) {
	dir := t.TempDir()
	work := t.TempDir()
	t.Chdir(work) // a systemd unit runs in its state directory, not the config's
	prof := []byte("id: mehr\narticle_url: '^/news/(\\d+)'\nfeeds: [/rss]\n")
	for _, f := range []string{filepath.Join(dir, "profiles", "mehr.yaml"), filepath.Join(work, "mehr")} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, prof, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	relDir, err := filepath.Rel(work, dir)
	if err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(dir, "profiles", "mehr.yaml")
	tests := []struct {
		name, config, ref string
		want              string // the outlet's profile once loaded, or a problem
	}{
		{"relative", filepath.Join(dir, "md.yaml"), "profiles/mehr.yaml", abs},
		{"dot relative", filepath.Join(dir, "md.yaml"), "./profiles/mehr.yaml", abs},
		{"config named relative", filepath.Join(relDir, "md.yaml"), "profiles/mehr.yaml", filepath.Join(relDir, "profiles", "mehr.yaml")},
		{"absolute", filepath.Join(dir, "md.yaml"), abs, abs},
		{"up to a name without dot", filepath.Join("sub", "md.yaml"), "../mehr", "./mehr"},
		{"built-in", filepath.Join(dir, "md.yaml"), "isna", "isna"},
		{"missing", filepath.Join(dir, "md.yaml"), "profiles/nope.yaml",
			`md.yaml:2: outlet mehr: profile "profiles/nope.yaml": open ` + filepath.Join(dir, "profiles", "nope.yaml") + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.MkdirAll(filepath.Dir(tt.config), 0o755); err != nil {
				t.Fatal(err)
			}
			text := "outlets:\n  - {id: mehr, profile: " + tt.ref + ", base_url: https://www.mehrnews.com}\n"
			if err := os.WriteFile(tt.config, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(tt.config)
			if strings.Contains(tt.want, ": ") {
				if err == nil || !strings.HasSuffix(err.Error(), tt.want) {
					t.Fatalf("Load: %v, want a problem ending %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Outlets[0].Profile; got != tt.want {
				t.Errorf("profile = %q, want %q", got, tt.want)
			}
			if cfg.Profiles["mehr"] == nil {
				t.Errorf("profile %s not loaded", tt.ref)
			}
		})
	}
}

// TestTemplatesRelativeToConfig: digest.templates is read from the config
// file's directory, like profile files, and must be a directory.
func TestTemplatesRelativeToConfig(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(t.TempDir())
	if err := os.Mkdir(filepath.Join(dir, "mail"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref, want string // want: the resolved directory, or a problem
	}{
		{"mail", filepath.Join(dir, "mail")},
		{filepath.Join(dir, "mail"), filepath.Join(dir, "mail")},
		{"nope", `md.yaml:1: templates "nope": want a directory holding digest.html.tmpl and digest.txt.tmpl (read ` + filepath.Join(dir, "nope") + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			path := filepath.Join(dir, "md.yaml")
			if err := os.WriteFile(path, []byte("digest: {templates: "+tt.ref+"}\noutlets: [{id: isna, profile: isna, base_url: https://www.isna.ir}]\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path)
			switch {
			case strings.Contains(tt.want, ": "):
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("Load: %v, want the problem %q", err, tt.want)
				}
			case err != nil:
				t.Fatal(err)
			case cfg.Digest.Templates != tt.want:
				t.Errorf("templates = %q, want %q", cfg.Digest.Templates, tt.want)
			}
		})
	}
}
