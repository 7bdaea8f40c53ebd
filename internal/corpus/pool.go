package corpus

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

//go:embed pool.txt
var poolText string

// pool is the text pages are composed of. Body paragraphs are built from
// sentences, two to four at a time, so that no two articles share a
// paragraph by chance: a paragraph repeated across articles is what the
// cleaner learns as an outlet's promo line.
type pool struct {
	kickers, titles, leads []string
	sentences              []string
}

// sentenceEnd is the end of a Persian sentence: a full stop, question or
// exclamation mark followed by a space. "۴.۱" has no space, so decimals
// stay whole.
const minSentence = 20 // runes

var sentenceEnd = regexp.MustCompile(`[.!?؟](?:\s|$)`)

func loadPool(text string) (*pool, error) {
	p := &pool{}
	var section *[]string
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case line == "[kickers]":
			section = &p.kickers
		case line == "[titles]":
			section = &p.titles
		case line == "[leads]":
			section = &p.leads
		case line == "[paragraphs]":
			section = nil
			p.sentences = []string{}
		case section != nil:
			*section = append(*section, line)
		case p.sentences != nil:
			p.sentences = append(p.sentences, sentences(line)...)
		default:
			return nil, fmt.Errorf("corpus: pool.txt:%d: text before any section", n+1)
		}
	}
	if len(p.kickers) == 0 || len(p.titles) == 0 || len(p.leads) == 0 || len(p.sentences) < 100 {
		return nil, fmt.Errorf("corpus: pool.txt: %d kickers, %d titles, %d leads, %d sentences: a section is missing or too small",
			len(p.kickers), len(p.titles), len(p.leads), len(p.sentences))
	}
	return p, nil
}

// sentences splits a paragraph after each sentence end, dropping fragments
// too short to be a sentence.
func sentences(par string) []string {
	var out []string
	for len(par) > 0 {
		loc := sentenceEnd.FindStringIndex(par)
		end := len(par)
		if loc != nil {
			end = loc[1]
		}
		s := strings.TrimSpace(par[:end])
		par = par[end:]
		if utf8.RuneCountInString(s) >= minSentence {
			out = append(out, s)
		}
	}
	return out
}
