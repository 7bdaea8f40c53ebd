package desk

import (
	"slices"
	"strings"

	"mediadigest/persian"
)

// What a copy of a story changed against its first article
// (docs/desk.md#the-diff): paragraphs are set against each other first,
// then the words of each pair. Both are compared in their key form
// (persian.Key: the matching form without spaces), and shown in the
// display form, so that other spacing, ZWNJ, Arabic letters, digits or
// diacritics make a word respelled, not changed.

// Op says what a copy did with a paragraph, or a run of words.
type Op uint8

const (
	Same      Op = iota // unchanged
	Respelled           // the same words spelled otherwise: their key form is equal
	Edited              // a paragraph with words added, dropped or changed
	Added               // only in the copy
	Dropped             // only in the first article
)

var opNames = [...]string{Same: "same", Respelled: "respelled", Edited: "edited", Added: "added", Dropped: "dropped"}

// String names o as the pages' classes do.
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "unknown"
}

// Run is a run of words of a word-level diff that share an Op: Same,
// Respelled, Added or Dropped.
type Run struct {
	Op   Op
	Text string // the copy's words; Dropped: the first article's
	Was  string // Respelled: the first article's spelling of Text
}

// Para is one paragraph of a copy set against the first article.
type Para struct {
	Op   Op
	Runs []Run // the words: one run for a paragraph Same, Added or Dropped
}

// Diff is what a copy changed against the first article, paragraph by
// paragraph, in the order of the copy (a dropped paragraph where it stood
// in the first article), with the number of paragraphs of each kind.
type Diff struct {
	Paras                             []Para
	Added, Dropped, Edited, Respelled int
}

// Changed reports whether the copy changed any word.
func (d Diff) Changed() bool { return d.Added+d.Dropped+d.Edited > 0 }

// Bounds of the work one comparison does, so that a hostile page of
// thousands of paragraphs or words costs milliseconds, not minutes: past
// them, what is not equal at the ends is shown as dropped and added.
const (
	maxCells     = 1 << 20 // cells of one longest-common-subsequence table
	maxPairCells = 1 << 12 // paragraph pairs weighed between two equal ones
	// minSimilar is the least share of words two paragraphs must have in
	// common to be one paragraph edited rather than one dropped and
	// another added (Dice's coefficient over their words).
	minSimilar = 0.5
)

// Compare sets the paragraphs of a copy against those of the first
// article (display form).
func Compare(first, copy []string) Diff {
	kf, kc := keys(first), keys(copy)
	var d Diff
	add := func(p Para) {
		d.Paras = append(d.Paras, p)
		switch p.Op {
		case Added:
			d.Added++
		case Dropped:
			d.Dropped++
		case Edited:
			d.Edited++
		case Respelled:
			d.Respelled++
		}
	}
	i, j := 0, 0
	for _, m := range append(common(kf, kc), [2]int{len(first), len(copy)}) {
		for _, p := range pairUp(first[i:m[0]], copy[j:m[1]]) {
			add(p)
		}
		if m[0] < len(first) {
			add(paragraph(first[m[0]], copy[m[1]]))
		}
		i, j = m[0]+1, m[1]+1
	}
	return d
}

// paragraph is the diff of a paragraph of the first article and its
// counterpart in the copy.
func paragraph(a, b string) Para {
	if a == b {
		return Para{Op: Same, Runs: []Run{{Op: Same, Text: b}}}
	}
	p := Para{Op: Same, Runs: Words(a, b)}
	for _, r := range p.Runs {
		switch {
		case r.Op == Added || r.Op == Dropped:
			p.Op = Edited
		case r.Op == Respelled && p.Op == Same:
			p.Op = Respelled
		}
	}
	return p
}

// pairUp sets the paragraphs between two equal ones against each other:
// the pairs of most words in common, in order, are one paragraph edited;
// the others were dropped or added.
func pairUp(first, copy []string) []Para {
	n, m := len(first), len(copy)
	var out []Para
	if n*m > maxPairCells || n == 0 || m == 0 {
		for _, p := range first {
			out = append(out, Para{Op: Dropped, Runs: []Run{{Op: Dropped, Text: p}}})
		}
		for _, p := range copy {
			out = append(out, Para{Op: Added, Runs: []Run{{Op: Added, Text: p}}})
		}
		return out
	}
	bags := make([]map[string]int, m)
	for j, p := range copy {
		bags[j] = bag(p)
	}
	// best[i][j] is the most similarity the pairs of first[i:] and
	// copy[j:] add up to.
	best := make([][]float64, n+1)
	for i := range best {
		best[i] = make([]float64, m+1)
	}
	sim := make([][]float64, n)
	for i := n - 1; i >= 0; i-- {
		a := bag(first[i])
		sim[i] = make([]float64, m)
		for j := m - 1; j >= 0; j-- {
			sim[i][j] = similarity(a, bags[j])
			best[i][j] = max(best[i+1][j], best[i][j+1])
			if sim[i][j] >= minSimilar {
				best[i][j] = max(best[i][j], sim[i][j]+best[i+1][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && sim[i][j] >= minSimilar && best[i][j] == sim[i][j]+best[i+1][j+1]:
			out = append(out, paragraph(first[i], copy[j]))
			i, j = i+1, j+1
		case j == m || i < n && best[i][j] == best[i+1][j]:
			out = append(out, Para{Op: Dropped, Runs: []Run{{Op: Dropped, Text: first[i]}}})
			i++
		default:
			out = append(out, Para{Op: Added, Runs: []Run{{Op: Added, Text: copy[j]}}})
			j++
		}
	}
	return out
}

// bag counts the words of a paragraph, in their matching form.
func bag(p string) map[string]int {
	b := map[string]int{}
	for _, w := range strings.Fields(persian.Match(p)) {
		b[w]++
	}
	return b
}

// similarity is Dice's coefficient of two bags of words: the share of
// their words they have in common.
func similarity(a, b map[string]int) float64 {
	na, nb, both := 0, 0, 0
	for w, n := range a {
		na += n
		both += min(n, b[w])
	}
	for _, n := range b {
		nb += n
	}
	if na+nb == 0 {
		return 1
	}
	return 2 * float64(both) / float64(na+nb)
}

// Words is the word-level diff of two texts in the display form: the
// words of b, with those of a it dropped, in runs.
func Words(a, b string) []Run {
	wa, wb := strings.Fields(a), strings.Fields(b)
	ka, kb := keys(wa), keys(wb)
	var out []Run
	emit := func(op Op, text, was string) {
		if text == "" {
			return
		}
		if k := len(out) - 1; k >= 0 && out[k].Op == op && op != Respelled {
			out[k].Text += " " + text
			return
		}
		out = append(out, Run{Op: op, Text: text, Was: was})
	}
	i, j := 0, 0
	for _, m := range append(common(ka, kb), [2]int{len(wa), len(wb)}) {
		respell(wa[i:m[0]], ka[i:m[0]], wb[j:m[1]], kb[j:m[1]], emit)
		if m[0] < len(wa) {
			if wa[m[0]] == wb[m[1]] {
				emit(Same, wb[m[1]], "")
			} else {
				emit(Respelled, wb[m[1]], wa[m[0]])
			}
		}
		i, j = m[0]+1, m[1]+1
	}
	return out
}

// respell shows the words between two common ones: from the start, the
// groups that are the same words spaced otherwise ("رئیس جمهور",
// "رئیس‌جمهور") as respelled, then the rest as dropped and added.
func respell(wa, ka, wb, kb []string, emit func(op Op, text, was string)) {
	i, j := 0, 0
	for i < len(wa) && j < len(wb) {
		i2, j2 := i+1, j+1
		da, db := ka[i], kb[j]
		for da != db {
			switch {
			case len(da) < len(db) && strings.HasPrefix(db, da) && i2 < len(wa):
				da += ka[i2]
				i2++
			case len(db) < len(da) && strings.HasPrefix(da, db) && j2 < len(wb):
				db += kb[j2]
				j2++
			default:
				emit(Dropped, strings.Join(wa[i:], " "), "")
				emit(Added, strings.Join(wb[j:], " "), "")
				return
			}
		}
		emit(Respelled, strings.Join(wb[j:j2], " "), strings.Join(wa[i:i2], " "))
		i, j = i2, j2
	}
	emit(Dropped, strings.Join(wa[i:], " "), "")
	emit(Added, strings.Join(wb[j:], " "), "")
}

// keys returns the key form of each text.
func keys(texts []string) []string {
	out := make([]string, len(texts))
	for i, t := range texts {
		out[i] = persian.Key(t)
	}
	return out
}

// common returns the pairs (i, j) of a longest common subsequence of a
// and b, in order. Equal heads and tails are matched first; the rest
// through a table of at most maxCells cells, beyond which it is left
// unmatched.
func common(a, b []string) [][2]int {
	var head [][2]int
	for len(head) < len(a) && len(head) < len(b) && a[len(head)] == b[len(head)] {
		head = append(head, [2]int{len(head), len(head)})
	}
	lo := len(head)
	ea, eb := len(a), len(b)
	for ea > lo && eb > lo && a[ea-1] == b[eb-1] {
		ea, eb = ea-1, eb-1
	}
	n, m := ea-lo, eb-lo
	out := head
	if n > 0 && m > 0 && n*m <= maxCells {
		// length[i*(m+1)+j] is the length of an LCS of a[lo+i:ea] and
		// b[lo+j:eb].
		length := make([]int32, (n+1)*(m+1))
		at := func(i, j int) int32 { return length[i*(m+1)+j] }
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if a[lo+i] == b[lo+j] {
					length[i*(m+1)+j] = at(i+1, j+1) + 1
				} else {
					length[i*(m+1)+j] = max(at(i+1, j), at(i, j+1))
				}
			}
		}
		for i, j := 0, 0; i < n && j < m; {
			switch {
			case a[lo+i] == b[lo+j]:
				out = append(out, [2]int{lo + i, lo + j})
				i, j = i+1, j+1
			case at(i+1, j) >= at(i, j+1):
				i++
			default:
				j++
			}
		}
	}
	for k := 0; ea+k < len(a); k++ {
		out = append(out, [2]int{ea + k, eb + k})
	}
	slide(out, a, b)
	return out
}

// slide moves what only one side has as late as it can go, where the
// common element after it equals its first: of "x y x" against "x", the
// "[-x y-] x" becomes "x [-y x-]". Where both sides differ before a
// common element that the first side also has within the difference, that
// one is matched instead: "x p e q e" against "x s e" becomes
// "x [-p-] {+s+} e [-q e-]" rather than "x [-p e q-] {+s+} e". So a
// sentence dropped at the end of a paragraph shows whole, its full stop
// included, after the words changed before it.
func slide(pairs [][2]int, a, b []string) {
	for p := range pairs {
		prev := [2]int{-1, -1}
		if p > 0 {
			prev = pairs[p-1]
		}
		i, j := prev[0]+1, prev[1]+1
		ea, eb := pairs[p][0], pairs[p][1]
		switch {
		case i < ea && j == eb:
			if a[i] == a[ea] {
				pairs[p][0] = i
			}
		case j < eb && i == ea:
			if b[j] == b[eb] {
				pairs[p][1] = j
			}
		case i < ea && j < eb:
			if x := slices.Index(a[i:ea], a[ea]); x >= 0 {
				pairs[p][0] = i + x
			} else if y := slices.Index(b[j:eb], b[eb]); y >= 0 {
				pairs[p][1] = j + y
			}
		}
	}
}
