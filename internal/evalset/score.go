package evalset

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"mediadigest/persian"
)

// Got is what an extractor read from a page, as a user would see it.
type Got struct {
	Title, Lead string
	// Paragraphs are the body's paragraphs after the extractor's cleaning.
	Paragraphs []string
	// Published is zero when the extractor found no date.
	Published time.Time
}

// Field is one measured field of an extraction.
type Field int

// The fields, in the order of the table.
const (
	Title Field = iota
	Lead
	Date
	First
	Last
	Count
	Clean
	nFields
)

var fieldNames = [nFields]string{"title", "lead", "date (minute)", "first ¶", "last ¶", "¶ count", "no end marker / metadata line"}

func (f Field) String() string { return fieldNames[f] }

// Score is which fields an extraction got right.
type Score [nFields]bool

// Check scores an extraction of a page. Texts compare in matching form
// (spacing, ZWNJ and letter variants aside); the date to the minute; Clean
// holds when no paragraph kept is an end marker or a metadata line.
func Check(want Expect, got Got) Score {
	same := func(a, b string) bool { return persian.Match(a) == persian.Match(b) }
	var s Score
	s[Title] = same(got.Title, want.Title)
	s[Lead] = same(got.Lead, want.Lead)
	s[Date] = !got.Published.IsZero() && got.Published.Truncate(time.Minute).Equal(want.Published.Truncate(time.Minute))
	if n := len(got.Paragraphs); n > 0 {
		s[First] = same(got.Paragraphs[0], want.First)
		s[Last] = same(got.Paragraphs[n-1], want.Last)
	}
	s[Count] = len(got.Paragraphs) == want.Paragraphs
	s[Clean] = true
	for _, p := range got.Paragraphs {
		if IsMarkerOrMetadata(p) {
			s[Clean] = false
		}
	}
	return s
}

// Misses names the fields a score got wrong.
func (s Score) Misses() []string {
	var out []string
	for f := range nFields {
		if !s[f] {
			out = append(out, f.String())
		}
	}
	return out
}

var (
	endMarker = regexp.MustCompile(`^(انتهای|پایان) پیام( \S+){0,3}$`)
	metaLine  = regexp.MustCompile(`^(کد خبر|شناسه خبر|زمان|بازدید|تاریخ انتشار)\s*[:：]`)
)

// IsMarkerOrMetadata reports whether a paragraph is an agency's end
// marker (with or without a desk code) or a line of page metadata: what
// no article text is.
func IsMarkerOrMetadata(p string) bool {
	return endMarker.MatchString(persian.Match(p)) || metaLine.MatchString(strings.TrimSpace(persian.Display(p)))
}

// Table is the per-field accuracy of extractors over the set.
type Table struct {
	names []string
	n     map[string]int
	right map[string]*[nFields]int
}

// Add records the score of one page for an extractor.
func (t *Table) Add(extractor string, s Score) {
	if t.n == nil {
		t.n, t.right = map[string]int{}, map[string]*[nFields]int{}
	}
	if _, ok := t.n[extractor]; !ok {
		t.names = append(t.names, extractor)
		t.right[extractor] = &[nFields]int{}
	}
	t.n[extractor]++
	for f := range nFields {
		if s[f] {
			t.right[extractor][f]++
		}
	}
}

// Rate is the share of pages an extractor got a field right on.
func (t *Table) Rate(extractor string, f Field) float64 {
	if t.n[extractor] == 0 {
		return 0
	}
	return float64(t.right[extractor][f]) / float64(t.n[extractor])
}

// Markdown formats the table, one row an extractor.
func (t *Table) Markdown() string {
	var b strings.Builder
	b.WriteString("| extractor | pages |")
	for f := range nFields {
		fmt.Fprintf(&b, " %s |", f)
	}
	b.WriteString("\n|---|---:|")
	b.WriteString(strings.Repeat("---:|", int(nFields)))
	b.WriteString("\n")
	for _, name := range t.names {
		fmt.Fprintf(&b, "| %s | %d |", name, t.n[name])
		for f := range nFields {
			fmt.Fprintf(&b, " %.0f%% |", 100*t.Rate(name, f))
		}
		b.WriteString("\n")
	}
	return b.String()
}
