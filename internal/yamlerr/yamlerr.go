// Package yamlerr turns YAML decoding errors into "FILE:LINE: message"
// lines, the form every config and profile problem is reported in.
package yamlerr

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	linePrefix = regexp.MustCompile(`(?s)^(?:yaml: )?line (\d+): (.*)$`)
	// oneLine escapes the line breaks a message may quote from the file
	// (a multi-line value), so that each problem stays on one line.
	oneLine    = strings.NewReplacer("\r", `\r`, "\n", `\n`)
	unknownKey = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	// mismatch is yaml.v3's message for a value of the wrong type. It
	// quotes a scalar cut to 7 bytes and "..." when longer than 10.
	mismatch = regexp.MustCompile("(?s)^cannot unmarshal (\\S+)(?: `(.*)`)? into (\\S+)$")
	// wantGot is the message of TypeError.
	wantGot = regexp.MustCompile(`^want .+, got (.+)$`)
)

// A Problem is one decoding problem.
type Problem struct {
	// Text reads "FILE:LINE: message".
	Text string
	// UnknownKey reports an unknown key: it was skipped and nothing else
	// was lost.
	UnknownKey bool
	// Path leads from the document's root to the value that was not
	// decoded, through mapping keys (string) and sequence indexes (int).
	// It is nil when the problem could not be placed.
	Path []any
}

// Lines returns one "FILE:LINE: message" line for each problem in err, an
// error returned by a yaml.Decoder. Unknown-field errors read
// `unknown key "x"`.
func Lines(file string, err error) []string {
	var out []string
	for _, p := range Explain(file, nil, nil, err) {
		out = append(out, p.Text)
	}
	return out
}

// Explain is Lines for a document whose node tree is root, decoded into
// out, and says where each problem is. A value of the wrong type, or one a
// TypeError refused, is named by its key with what it should be:
// `crawl.parallelism: want a whole number, got "two"`. With a nil root or
// out it places nothing. A problem repeated on one line (through an alias)
// is listed once.
func Explain(file string, root *yaml.Node, out any, err error) []Problem {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var nodes map[string]spot
	seen := map[string]bool{}
	ps := make([]Problem, 0, len(msgs))
	for _, msg := range msgs {
		if seen[msg] {
			continue
		}
		seen[msg] = true
		m := linePrefix.FindStringSubmatch(msg)
		if m == nil {
			ps = append(ps, Problem{Text: fmt.Sprintf("%s:1: %s", file, oneLine.Replace(strings.TrimPrefix(msg, "yaml: ")))})
			continue
		}
		line, _ := strconv.Atoi(m[1])
		var p Problem
		text := m[2]
		if f := unknownKey.FindStringSubmatch(text); f != nil {
			text, p.UnknownKey = fmt.Sprintf("unknown key %q", f[1]), true
		} else if root != nil && out != nil {
			if nodes == nil {
				nodes = spots(root, reflect.TypeOf(out))
			}
			text, p.Path = place(nodes, line, text)
		}
		p.Text = fmt.Sprintf("%s:%d: %s", file, line, oneLine.Replace(text))
		ps = append(ps, p)
	}
	return ps
}

// TypeError is the error a yaml.Unmarshaler returns for a node it cannot
// read, saying what it wants ("a duration such as 1s"). Being a
// *yaml.TypeError, it lets the decoder go on to the other problems.
func TypeError(n *yaml.Node, want string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want %s, got %s", n.Line, want, got(n))}}
}

// place finds the node on line that the type error text is about. It
// returns text naming the node's key, and the node's path; or text and nil
// when no node fits.
func place(nodes map[string]spot, line int, text string) (string, []any) {
	var s spot
	var ok bool
	if m := mismatch.FindStringSubmatch(text); m != nil {
		if s, ok = nodes[mismatchKey(line, m[1], m[2], m[3])]; ok {
			text = fmt.Sprintf("want %s, got %s", wants(s.t), got(s.n))
		}
	} else if m := wantGot.FindStringSubmatch(text); m != nil {
		s, ok = nodes[ownKey(line, m[1])]
	}
	if !ok {
		return text, nil
	}
	if len(s.path) > 0 {
		text = key(s.path) + ": " + text
	}
	return text, s.path
}

// A spot is a node of a decoded tree, with its Go type and path.
type spot struct {
	n    *yaml.Node
	t    reflect.Type
	path []any
}

var unmarshaler = reflect.TypeFor[yaml.Unmarshaler]()

// spots indexes the nodes of root, decoded into a value of type t, by what
// a type error about each one says: yaml.v3's names the node's line, tag,
// value (cut) and type; TypeError's its line and value, and only types
// with their own decoding return it. That tells apart equal values on one
// line when only one of them has the wrong type. Of nodes that read alike,
// the first in the document is kept.
func spots(root *yaml.Node, t reflect.Type) map[string]spot {
	nodes := map[string]spot{}
	add := func(k string, s spot) {
		if _, ok := nodes[k]; !ok {
			nodes[k] = s
		}
	}
	var walk func(n *yaml.Node, t reflect.Type, path []any)
	walk = func(n *yaml.Node, t reflect.Type, path []any) {
		for t != nil && t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t == nil {
			return
		}
		if n.Kind == yaml.DocumentNode {
			for _, c := range n.Content {
				walk(c, t, path)
			}
			return
		}
		s := spot{n, t, path}
		add(mismatchKey(n.Line, n.ShortTag(), cut(n), t.String()), s)
		if t.Implements(unmarshaler) || reflect.PointerTo(t).Implements(unmarshaler) {
			add(ownKey(n.Line, got(n)), s)
		}
		switch n.Kind {
		case yaml.SequenceNode:
			if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
				for i, c := range n.Content {
					walk(c, t.Elem(), append(slices.Clip(path), i))
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				walk(n.Content[i+1], field(t, k), append(slices.Clip(path), k))
			}
		}
	}
	walk(root, t, []any{})
	return nodes
}

func mismatchKey(line int, tag, cut, typ string) string {
	return strings.Join([]string{"mismatch", strconv.Itoa(line), tag, cut, typ}, "\x00")
}

func ownKey(line int, got string) string {
	return strings.Join([]string{"own", strconv.Itoa(line), got}, "\x00")
}

// field returns the type of the value key holds in a value of type t, as
// yaml.v3 maps keys to struct fields (inline fields are not looked into),
// or nil when t holds no such key.
func field(t reflect.Type, key string) reflect.Type {
	switch t.Kind() {
	case reflect.Map:
		return t.Elem()
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			if f.IsExported() && name == key && name != "-" {
				return f.Type
			}
		}
	}
	return nil
}

// wants says what a value of type t is written as.
func wants(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number ≥ 0"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

// got describes a node as a problem quotes it: a scalar's value, cut when
// long, or the kind of a collection.
func got(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	const most = 40
	v := n.Value
	if r := []rune(v); len(r) > most {
		v = string(r[:most]) + "…"
	}
	return strconv.Quote(v)
}

// cut is a node's value as yaml.v3 quotes it in a type error.
func cut(n *yaml.Node) string {
	switch {
	case n.Kind != yaml.ScalarNode:
		return ""
	case len(n.Value) > 10:
		return n.Value[:7] + "..."
	}
	return n.Value
}

// key spells a path the way the config is documented: outlets[0].feeds.
func key(path []any) string {
	var b strings.Builder
	for _, step := range path {
		switch s := step.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
		}
	}
	return b.String()
}
