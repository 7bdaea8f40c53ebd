package suggest

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// YAML is the suggestion as a profile file: each field with its
// confidence in a comment, marked CHECK when not every page bore it out.
func (s *Suggestion) YAML() ([]byte, error) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(m *yaml.Node, key string, v *yaml.Node, comment string) {
		v.LineComment = comment
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	}
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
	add(root, "id", str(s.ID), "")
	add(root, "name", str(s.Name.Value), confidence(s.Name))
	list := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, f := range s.Feeds {
		list.Content = append(list.Content, str(f))
	}
	add(root, "feeds", list, confidence(s.FeedsConf))
	if s.URL.Value != "" {
		add(root, "article_url", str(s.URL.Value), confidence(s.URL))
		if s.Canonical != "" {
			add(root, "canonical", str(s.Canonical), "")
		}
	} else {
		// A profile needs article_url: every path, until it is written.
		add(root, "article_url", str("."), confidence(s.URL))
	}
	sel := &yaml.Node{Kind: yaml.MappingNode}
	for _, f := range []struct {
		key string
		f   Field
	}{
		{"container", s.Container}, {"title", s.Title}, {"kicker", s.Kicker}, {"lead", s.Lead},
		{"body", s.Body}, {"date", s.Date}, {"date_meta", s.DateMeta},
	} {
		if f.f.Value == "" {
			if f.f.Note != "" {
				sel.Content = append(sel.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: f.key, HeadComment: f.key + ": none (" + f.f.Note + ")"}, str(""))
			}
			continue
		}
		add(sel, f.key, str(f.f.Value), confidence(f.f))
	}
	add(root, "selectors", sel, "")
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}, HeadComment: s.head()}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("suggest: %w", err)
	}
	return b.Bytes(), nil
}

func (s *Suggestion) head() string {
	host := s.Host
	if host == "" {
		host = "an outlet whose pages do not name their host"
	}
	return fmt.Sprintf("Profile suggested by `mediadigest profile suggest` from %d article pages of %s.\n"+
		"Each field's confidence is the share of the pages on which it holds; check the\n"+
		"fields marked CHECK with `mediadigest extract -outlet %s PAGE`, fix them here,\n"+
		"and name this file as the outlet's profile in the config (docs/profiles.md).", s.Pages, host, s.ID)
}

// confidence is a field's comment.
func confidence(f Field) string {
	switch {
	case f.Value == "" && f.Confidence == 0 && f.Note != "":
		return "CHECK: " + f.Note
	case f.Confidence < 1:
		c := fmt.Sprintf("confidence %.2f CHECK", f.Confidence)
		if f.Note != "" {
			c += ": " + f.Note
		}
		return c
	}
	return "confidence 1.00"
}
