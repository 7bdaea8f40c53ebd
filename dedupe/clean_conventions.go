package dedupe

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"mediadigest/jalali"
	"mediadigest/persian"
	"mediadigest/profile"
)

// conventionsYAML is the data of the shared Persian agency conventions;
// docs/profiles.md describes them.
//
//go:embed clean_conventions.yaml
var conventionsYAML []byte

// Convention is one entry of the shared conventions: the text it matches
// and why what it removes is not article text.
type Convention struct {
	Text string `yaml:"text"`
	Why  string `yaml:"why"`
}

// Conventions are the cleaning rules every outlet shares, whatever its
// profile: Persian agency conventions, as data (clean_conventions.yaml).
// A profile's own lists extend them.
type Conventions struct {
	EndMarkers []Convention `yaml:"end_markers"`
	// DeskCodes says why a paragraph of digits alone goes.
	DeskCodes string `yaml:"desk_codes"`
	// AfterEndMarker says why the paragraphs after an end marker go.
	AfterEndMarker   string       `yaml:"after_end_marker"`
	MetadataLabels   []Convention `yaml:"metadata_labels"`
	PromoMarkers     []Convention `yaml:"promo_markers"`
	SponsoredMarkers []Convention `yaml:"sponsored_markers"`
}

// SharedConventions returns the conventions every outlet's cleaning
// applies, as read from the embedded data.
func SharedConventions() Conventions { return shared }

// shared is the embedded data, decoded once, and sharedLabels its
// metadata labels compiled; a test proves they decode, so the panic is a
// build mistake, never input.
var (
	shared = func() Conventions {
		c, err := parseConventions(conventionsYAML)
		if err != nil {
			panic(err)
		}
		return c
	}()
	sharedLabels    = labelPattern(texts(shared.MetadataLabels))
	sharedPromo     = texts(shared.PromoMarkers)
	sharedEnd       = texts(shared.EndMarkers)
	sharedSponsored = texts(shared.SponsoredMarkers)
)

func parseConventions(data []byte) (Conventions, error) {
	var c Conventions
	if err := yaml.Unmarshal(data, &c); err != nil {
		return Conventions{}, fmt.Errorf("dedupe: clean_conventions.yaml: %w", err)
	}
	for _, list := range [][]Convention{c.EndMarkers, c.MetadataLabels, c.PromoMarkers, c.SponsoredMarkers} {
		for _, e := range list {
			if strings.TrimSpace(e.Text) == "" || strings.TrimSpace(e.Why) == "" {
				return Conventions{}, fmt.Errorf("dedupe: clean_conventions.yaml: entry %q needs a text and a why", e.Text)
			}
		}
	}
	return c, nil
}

func texts(list []Convention) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.Text
	}
	return out
}

// NewRules builds the complete cleaning rules of an outlet from its
// profile: the profile's markers, datelines and metadata labels (used
// with the shared conventions, which Clean always applies), and the
// display names of all outlets for attribution ("ایسنا" → "isna").
func NewRules(p *profile.Profile, outletByName map[string]string) (Rules, error) {
	r := Rules{
		PromoMarkers:     p.PromoMarkers,
		EndMarkers:       p.EndMarkers,
		MetadataLabels:   p.MetadataLines,
		SponsoredMarkers: p.SponsoredMarkers,
		Outlets:          outletByName,
	}
	for _, d := range p.Datelines {
		re, err := regexp.Compile(d)
		if err != nil {
			return Rules{}, fmt.Errorf("dedupe: profile %s: dateline %q: %w", p.ID, d, err)
		}
		r.Datelines = append(r.Datelines, re)
	}
	return r, nil
}

const (
	// metadataMaxBytes bounds a paragraph looked at as a metadata line:
	// such a line is a few labels and values.
	metadataMaxBytes = 400
	// metadataMaxWords bounds the words of a metadata line's values.
	metadataMaxWords = 30
	// deskCodeMaxRunes bounds the code after an end marker's slash.
	deskCodeMaxRunes = 8
	// minCodeDigits and maxCodeBytes bound a paragraph read as a code:
	// a few digits, never a number in a sentence.
	minCodeDigits = 3
	maxCodeBytes  = 24
)

// isDeskCode reports whether a paragraph's matching form is a code of
// digits alone: the * and / between them fold to spaces.
func isDeskCode(match string) bool {
	if len(match) > maxCodeBytes {
		return false
	}
	digits := 0
	for i := 0; i < len(match); i++ {
		switch c := match[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c != ' ':
			return false
		}
	}
	return digits >= minCodeDigits
}

// labelPattern matches the metadata labels at a word start, each followed
// by its colon; the words of a label may be joined by spaces or a ZWNJ.
// Longer labels come first, so that "تاریخ انتشار" wins over "تاریخ".
func labelPattern(labels []string) *regexp.Regexp {
	var alts []string
	for _, l := range labels {
		words := strings.FieldsFunc(persian.Display(strings.TrimRight(strings.TrimSpace(l), ":："+" ")), func(r rune) bool {
			return unicode.IsSpace(r) || r == '\u200c'
		})
		if len(words) == 0 {
			continue
		}
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		alts = append(alts, strings.Join(words, `[\s\x{200c}]*`))
	}
	if len(alts) == 0 {
		return nil
	}
	// Longest first: the alternation takes the first that matches.
	for i := 1; i < len(alts); i++ {
		for j := i; j > 0 && len(alts[j]) > len(alts[j-1]); j-- {
			alts[j], alts[j-1] = alts[j-1], alts[j]
		}
	}
	return regexp.MustCompile(`(?:^|\s)(?:` + strings.Join(alts, "|") + `)\s*[:：]`)
}

// isMetadata reports whether p (display form) is a line of page metadata:
// it starts with a label and its colon, and either carries two labels or
// more with short values, or one label whose value is data.
func isMetadata(labels *regexp.Regexp, p string) bool {
	if labels == nil || len(p) > metadataMaxBytes || !strings.ContainsAny(p, ":：") {
		return false
	}
	p = strings.TrimSpace(p)
	found := labels.FindAllStringIndex(p, -1)
	if len(found) == 0 || found[0][0] != 0 {
		return false
	}
	var values []string
	for i, f := range found {
		end := len(p)
		if i+1 < len(found) {
			end = found[i+1][0]
		}
		values = append(values, strings.TrimSpace(p[f[1]:end]))
	}
	words := 0
	for _, v := range values {
		if v == "" && len(values) == 1 {
			return false
		}
		words += len(strings.Fields(v))
	}
	if words > metadataMaxWords {
		return false
	}
	return len(values) > 1 || isData(values[0])
}

// isData reports whether a metadata value is data rather than words: a
// date, or numbers and Latin codes only (d1Gjx, ۶۹۹۸۵۵۱).
func isData(v string) bool {
	if _, err := jalali.Parse(v, time.UTC); err == nil {
		return true
	}
	for _, w := range strings.Fields(persian.Match(v)) {
		for _, r := range w {
			if r >= 0x80 {
				return false
			}
		}
	}
	return persian.Match(v) != ""
}

// isEndMarker reports whether a paragraph (display, matching form and
// key) is an end marker, alone or with a desk code after a slash.
func (c *cleaner) isEndMarker(p, match, key string) bool {
	if c.endMarkers[key] {
		return true
	}
	for _, m := range c.endMatch {
		rest, ok := strings.CutPrefix(match, m)
		if !ok || rest == "" || rest[0] != ' ' {
			continue
		}
		code := strings.ReplaceAll(rest, " ", "")
		if n := utf8.RuneCountInString(code); n > 0 && n <= deskCodeMaxRunes && strings.Count(rest, " ") <= 3 &&
			strings.ContainsAny(p, "/／") {
			return true
		}
	}
	return false
}
