// Package yamlerr turns YAML decoding errors into "FILE:LINE: message"
// lines, the form every config and profile problem is reported in.
package yamlerr

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	linePrefix = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	// oneLine escapes the line breaks a message may quote from the file
	// (a multi-line value), so that each problem stays on one line.
	oneLine    = strings.NewReplacer("\r", `\r`, "\n", `\n`)
	unknownKey = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

// Lines returns one "FILE:LINE: message" line for each problem in err, an
// error returned by a yaml.Decoder. Unknown-field errors read
// `unknown key "x"`.
func Lines(file string, err error) []string {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	out := make([]string, 0, len(msgs))
	for _, msg := range msgs {
		msg = oneLine.Replace(msg)
		m := linePrefix.FindStringSubmatch(msg)
		if m == nil {
			out = append(out, fmt.Sprintf("%s:1: %s", file, strings.TrimPrefix(msg, "yaml: ")))
			continue
		}
		line, _ := strconv.Atoi(m[1])
		text := m[2]
		if f := unknownKey.FindStringSubmatch(text); f != nil {
			text = fmt.Sprintf("unknown key %q", f[1])
		}
		out = append(out, fmt.Sprintf("%s:%d: %s", file, line, text))
	}
	return out
}
