package config

import (
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// problemLine is the form of every problem `check` prints.
var problemLine = regexp.MustCompile(`^x\.yaml:(\d+): \S`)

// FuzzParse feeds random YAML to Parse: it never panics, and it either
// returns a usable config or problems that are each one line naming a line
// of the input. The seeds are the two shipped configs and, under
// testdata/fuzz/FuzzParse, broken variants of them.
func FuzzParse(f *testing.F) {
	for _, path := range []string{"../mediadigest.example.yaml", "demo.yaml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("x.yaml", data)
		if err == nil {
			if cfg.Location == nil || len(cfg.Outlets) == 0 || len(cfg.Profiles) != len(cfg.Outlets) {
				t.Fatalf("Parse accepted a config without zone, outlets or profiles: %+v", cfg)
			}
			return
		}
		var ps Problems
		if !errors.As(err, &ps) || len(ps) == 0 {
			t.Fatalf("Parse error %v (%T), want Problems", err, err)
		}
		lines := yamlLines(data)
		for _, p := range ps {
			m := problemLine.FindStringSubmatch(p)
			if m == nil {
				t.Fatalf("problem %q is not `x.yaml:LINE: message`", p)
			}
			// One past the last line is the end of the stream, where YAML
			// reports what is missing.
			if n, _ := strconv.Atoi(m[1]); n < 1 || n > lines+1 {
				t.Fatalf("problem %q names line %d of a %d-line file", p, n, lines)
			}
			if strings.ContainsAny(p, "\r\n") {
				t.Fatalf("problem %q spans several lines", p)
			}
		}
	})
}

// yamlLines counts the lines of data as YAML does: CR LF, CR, LF, NEL, LS
// and PS each end one.
func yamlLines(data []byte) int {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	return 1 + strings.Count(s, "\n") + strings.Count(s, "\r") +
		strings.Count(s, "\u0085") + strings.Count(s, "\u2028") + strings.Count(s, "\u2029")
}
