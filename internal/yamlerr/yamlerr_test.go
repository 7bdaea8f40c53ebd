package yamlerr

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// level has its own decoding, as config.Duration does.
type level int

func (l *level) UnmarshalYAML(n *yaml.Node) error {
	switch n.Value {
	case "low":
		*l = 1
	case "high":
		*l = 2
	default:
		return TypeError(n, "low or high")
	}
	return nil
}

type doc struct {
	Name    string         `yaml:"name"`
	Count   int            `yaml:"count"`
	Size    uint           `yaml:"size"`
	Ratio   float64        `yaml:"ratio"`
	Enabled bool           `yaml:"enabled"`
	Tags    []string       `yaml:"tags"`
	Limits  map[string]int `yaml:"limits"`
	Level   level          `yaml:"level"`
	Items   []item         `yaml:"items"`
	Next    *doc           `yaml:"next"`
	Plain   string         // key "plain", as yaml.v3 names untagged fields
	Hidden  int            `yaml:"-"`
}

type item struct {
	ID    string `yaml:"id"`
	Level level  `yaml:"level"`
}

func TestExplain(t *testing.T) {
	long := strings.Repeat("۱", 50)
	tests := []struct {
		name, yaml string
		want       []Problem
	}{
		{"int", "count: two\n", []Problem{{Text: `f.yaml:1: count: want a whole number, got "two"`, Path: []any{"count"}}}},
		{"uint", "size: -1\n", []Problem{{Text: `f.yaml:1: size: want a whole number ≥ 0, got "-1"`, Path: []any{"size"}}}},
		{"float", "ratio: half\n", []Problem{{Text: `f.yaml:1: ratio: want a number, got "half"`, Path: []any{"ratio"}}}},
		{"bool", "enabled: maybe\n", []Problem{{Text: `f.yaml:1: enabled: want true or false, got "maybe"`, Path: []any{"enabled"}}}},
		{"text given a list", "name: [a, b]\n", []Problem{{Text: `f.yaml:1: name: want text, got a list`, Path: []any{"name"}}}},
		{"list given text", "tags: news\n", []Problem{{Text: `f.yaml:1: tags: want a list, got "news"`, Path: []any{"tags"}}}},
		{"mapping given text", "limits: 3\n", []Problem{{Text: `f.yaml:1: limits: want a mapping, got "3"`, Path: []any{"limits"}}}},
		{"map value", "limits: {a: 1, b: x}\n", []Problem{{Text: `f.yaml:1: limits.b: want a whole number, got "x"`, Path: []any{"limits", "b"}}}},
		{"untagged field", "plain: [x]\n", []Problem{{Text: `f.yaml:1: plain: want text, got a list`, Path: []any{"plain"}}}},
		{"own decoding in a list item", "items:\n  - id: a\n  - {id: b, level: extreme}\n",
			[]Problem{{Text: `f.yaml:3: items[1].level: want low or high, got "extreme"`, Path: []any{"items", 1, "level"}}}},
		{"list item", "items: [a]\n", []Problem{{Text: `f.yaml:1: items[0]: want a mapping, got "a"`, Path: []any{"items", 0}}}},
		{"through pointers", "next:\n  next:\n    count: many\n",
			[]Problem{{Text: `f.yaml:3: next.next.count: want a whole number, got "many"`, Path: []any{"next", "next", "count"}}}},
		{"long value cut", "count: " + long + "\n",
			[]Problem{{Text: `f.yaml:1: count: want a whole number, got "` + long[:80] + `…"`, Path: []any{"count"}}}},
		{"multi-line value", "count: |\n  two\n  lines\n",
			[]Problem{{Text: `f.yaml:1: count: want a whole number, got "two\nlines\n"`, Path: []any{"count"}}}},
		{"equal values on one line", "{name: two, count: two}\n",
			[]Problem{{Text: `f.yaml:1: count: want a whole number, got "two"`, Path: []any{"count"}}}},
		{"equal values on one line, own decoding", "{plain: x, level: x}\n",
			[]Problem{{Text: `f.yaml:1: level: want low or high, got "x"`, Path: []any{"level"}}}},
		{"repeated through an alias", "items: [&a {level: extreme}, *a]\n",
			[]Problem{{Text: `f.yaml:1: items[0].level: want low or high, got "extreme"`, Path: []any{"items", 0, "level"}}}},
		{"whole document", "just text\n", []Problem{{Text: `f.yaml:1: want a mapping, got "just text"`, Path: []any{}}}},
		{"unknown key", "colour: red\n", []Problem{{Text: `f.yaml:1: unknown key "colour"`, UnknownKey: true}}},
		{"key of no field", "{\"-\": two, count: two}\n", []Problem{
			{Text: `f.yaml:1: unknown key "-"`, UnknownKey: true},
			{Text: `f.yaml:1: count: want a whole number, got "two"`, Path: []any{"count"}},
		}},
		{"duplicate key is not placed", "count: 1\ncount: 2\n", []Problem{{Text: `f.yaml:2: mapping key "count" already defined at line 1`}}},
		{"every problem", "count: two\nlevel: extreme\ncolour: red\ntags: x\n", []Problem{
			{Text: `f.yaml:1: count: want a whole number, got "two"`, Path: []any{"count"}},
			{Text: `f.yaml:2: level: want low or high, got "extreme"`, Path: []any{"level"}},
			{Text: `f.yaml:3: unknown key "colour"`, UnknownKey: true},
			{Text: `f.yaml:4: tags: want a list, got "x"`, Path: []any{"tags"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var root yaml.Node
			if err := yaml.Unmarshal([]byte(tt.yaml), &root); err != nil {
				t.Fatal(err)
			}
			dec := yaml.NewDecoder(bytes.NewReader([]byte(tt.yaml)))
			dec.KnownFields(true)
			var d doc
			err := dec.Decode(&d)
			if err == nil {
				t.Fatal("decoded without error")
			}
			if got := Explain("f.yaml", &root, &d, err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Explain =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
}

func TestLines(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"syntax error", errors.New("yaml: line 3: did not find expected key"), []string{"f.yaml:3: did not find expected key"}},
		{"no line", errors.New("yaml: control characters are not allowed"), []string{"f.yaml:1: control characters are not allowed"}},
		{"type errors left as they are", &yaml.TypeError{Errors: []string{
			"line 2: field colour not found in type config.Config",
			"line 4: cannot unmarshal !!str `a\nb` into int",
		}}, []string{`f.yaml:2: unknown key "colour"`, "f.yaml:4: cannot unmarshal !!str `a\\nb` into int"}},
		{"own decoding", TypeError(&yaml.Node{Kind: yaml.ScalarNode, Line: 7, Value: "extreme"}, "low or high"),
			[]string{`f.yaml:7: want low or high, got "extreme"`}},
		{"own decoding of a mapping", TypeError(&yaml.Node{Kind: yaml.MappingNode, Line: 2}, "low or high"),
			[]string{`f.yaml:2: want low or high, got a mapping`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Lines("f.yaml", tt.err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Lines = %q, want %q", got, tt.want)
			}
		})
	}
}
