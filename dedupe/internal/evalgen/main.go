// Command evalgen writes the evaluation set of story detection: labelled
// pairs of articles that are, or are not, one story (docs/cleaning.md).
//
// It reads base texts from a directory (one article a file, one paragraph a
// line; NAME-1.txt and NAME-2.txt are two different reports on one subject
// of one day) and derives from them, with a fixed seed, the rewrites
// republishing outlets make — truncation, inserted, merged and reordered
// paragraphs, a sentence added or dropped, other intros, promo lines,
// datelines and attributions, Arabic letters and ZWNJ variants — and hard
// negatives: the two reports on one subject, a report and another that
// quotes one of its paragraphs, and a copy published outside the window.
//
// Usage (from the dedupe package directory, as go generate runs it):
//
//	go run ./internal/evalgen -base testdata/eval -sample testdata/eghtesad24-article.txt -out testdata/pairs.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// doc is one side of a pair, in the shape of dedupe.Doc.
type doc struct {
	URL        string    `json:"url"`
	Outlet     string    `json:"outlet"`
	Published  time.Time `json:"published"`
	Paragraphs []string  `json:"paragraphs"`
}

// pair is one line of the evaluation set.
type pair struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Same bool   `json:"same"`
	A    doc    `json:"a"`
	B    doc    `json:"b"`
}

// base is one base text.
type base struct {
	name       string // file name without .txt
	topic      string // name without its -N suffix
	paragraphs []string
}

const (
	isnaIntro = "به گزارش ایسنا، "
	zwnj      = "\u200c"
)

// promoTitles are headlines of the read-more links Eghtesad24 puts between
// paragraphs.
var promoTitles = []string{
	"آزادی بخشی از منابع مالی مسدود شده ایران در چند کشور",
	"پیش‌بینی قیمت دلار برای هفته آینده",
	"جدول قیمت انواع سکه و طلا امروز",
	"زمان واریز یارانه آذر ماه اعلام شد",
	"جزئیات تازه از افزایش حقوق بازنشستگان",
}

// addedSentences are what an editor adds to a paragraph of a copy.
var addedSentences = []string{
	"این موضوع در روزهای گذشته بارها در رسانه‌ها مطرح شده بود.",
	"گزارش کامل این نشست به‌زودی منتشر خواهد شد.",
	"پیش از این نیز مسئولان بر ضرورت پیگیری این موضوع تأکید کرده بودند.",
	"کارشناسان این تصمیم را گامی مهم در مسیر شفافیت ارزیابی کرده‌اند.",
}

// edits are the word changes of a light edit.
var edits = [][2]string{
	{"گفت:", "اظهار داشت:"},
	{"افزود:", "ادامه داد:"},
	{"همچنین", "هم‌چنین"},
	{"امروز", "روز جاری"},
	{"اعلام کرد", "خبر داد"},
	{"تأکید کرد", "یادآور شد"},
	{"رسید", "رسیده است"},
	{"می‌شود", "می‌گردد"},
}

// intros replace the agency's own intro in a copy.
var intros = []string{
	"به گزارش اقتصاد۲۴ به نقل از ایسنا، ",
	"به گزارش خبرنگار اقتصادی، ",
	"به نقل از خبرگزاری دانشجویان ایران، ",
}

func main() {
	baseDir := flag.String("base", "testdata/eval", "directory of base texts")
	sample := flag.String("sample", "testdata/eghtesad24-article.txt", "the real Eghtesad24 copy of BASE/azerbaijan-1.txt")
	out := flag.String("out", "testdata/pairs.jsonl", "file to write")
	flag.Parse()
	if err := run(*baseDir, *sample, *out); err != nil {
		slog.Error("evalgen failed", "err", err)
		os.Exit(1)
	}
}

func run(baseDir, sample, out string) error {
	bases, err := readBases(baseDir)
	if err != nil {
		return err
	}
	sampleText, err := readParagraphs(sample)
	if err != nil {
		return err
	}
	g := &generator{rng: rand.New(rand.NewPCG(1405, 905)), start: time.Date(2026, 11, 25, 4, 30, 0, 0, time.UTC)}
	pairs := g.pairs(bases, sampleText)
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("evalgen: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, p := range pairs {
		if err := enc.Encode(p); err != nil {
			f.Close()
			return fmt.Errorf("evalgen: write %s: %w", out, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("evalgen: write %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("evalgen: write %s: %w", out, err)
	}
	slog.Info("evalgen wrote pairs", "file", out, "pairs", len(pairs))
	return nil
}

func readBases(dir string) ([]base, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*-[0-9].txt"))
	if err != nil {
		return nil, fmt.Errorf("evalgen: list %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("evalgen: no base texts NAME-N.txt in %s", dir)
	}
	slices.Sort(files)
	var bases []base
	for _, f := range files {
		ps, err := readParagraphs(f)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		topic := name[:strings.LastIndexByte(name, '-')]
		bases = append(bases, base{name: name, topic: topic, paragraphs: ps})
	}
	return bases, nil
}

func readParagraphs(file string) ([]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("evalgen: %w", err)
	}
	var ps []string
	for line := range strings.Lines(string(data)) {
		if line = strings.TrimSpace(line); line != "" {
			ps = append(ps, line)
		}
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("evalgen: %s has no paragraphs", file)
	}
	return ps, nil
}

type generator struct {
	rng   *rand.Rand
	start time.Time
	n     int // documents made, for URLs and times
}

// isna and copyOf make the two sides of a pair: an agency article and an
// article of another outlet published some hours later.
func (g *generator) isna(ps []string) doc {
	g.n++
	return doc{
		URL:        fmt.Sprintf("https://www.isna.ir/news/14050904%05d", g.n),
		Outlet:     "isna",
		Published:  g.start.Add(time.Duration(g.n) * 7 * time.Minute),
		Paragraphs: ps,
	}
}

func (g *generator) copyOf(a doc, ps []string, after time.Duration) doc {
	g.n++
	return doc{
		URL:        fmt.Sprintf("https://eghtesaad24.ir/fa/news/%06d", 300000+g.n),
		Outlet:     "eghtesad24",
		Published:  a.Published.Add(after),
		Paragraphs: ps,
	}
}

func (g *generator) pairs(bases []base, sample []string) []pair {
	var out []pair
	add := func(id, kind string, same bool, a, b []string, after time.Duration) {
		da := g.isna(a)
		out = append(out, pair{ID: id + "/" + kind, Kind: kind, Same: same, A: da, B: g.copyOf(da, b, after)})
	}
	hours := func() time.Duration { return time.Duration(1+g.rng.IntN(30)) * time.Hour }
	byName := make(map[string]base)
	for _, b := range bases {
		byName[b.name] = b
	}
	// Positives: every rewrite of every base.
	for _, b := range bases {
		ps := b.paragraphs
		other := g.otherParagraph(bases, b)
		rewrites := []struct {
			kind string
			ps   []string
		}{
			{"republish", g.republish(ps)},
			{"truncate", g.truncate(ps)},
			{"insert", g.insert(ps, other)},
			{"merge", g.merge(ps)},
			{"reorder", g.reorder(ps)},
			{"letters", g.letters(ps)},
			{"sentence-drop", g.dropSentence(ps)},
			{"sentence-add", g.addSentence(ps)},
			{"edit", g.edit(ps)},
			{"edit-every-paragraph", g.dropWords(ps)},
			{"intro", g.intro(ps)},
			{"combined", g.letters(g.dropSentence(g.truncate(g.republish(ps))))},
		}
		for _, r := range rewrites {
			add(b.name, r.kind, true, ps, r.ps, hours())
		}
		if len(ps) >= 6 {
			// Long articles are also republished as their first third,
			// ending in a link to the rest.
			add(b.name, "truncate-third", true, ps, append(slices.Clone(ps[:len(ps)/3]), "ادامه مطلب را اینجا بخوانید"), hours())
		}
	}
	if az, ok := byName["azerbaijan-1"]; ok {
		add("azerbaijan-1", "real-republish", true, az.paragraphs, sample, 3*time.Hour)
	}
	// Hard negatives: two reports on one subject and day, as written and
	// rewritten, and with a paragraph of one quoted in the other.
	for _, b := range bases {
		sib, ok := byName[b.topic+"-2"]
		if b.name != b.topic+"-1" || !ok {
			continue
		}
		p1, p2 := b.paragraphs, sib.paragraphs
		add(b.topic, "same-topic", false, p1, p2, hours())
		add(b.topic, "same-topic-republish", false, p1, g.republish(p2), hours())
		add(b.topic, "same-topic-letters", false, p2, g.letters(p1), hours())
		add(b.topic, "same-topic-truncate", false, p2, g.truncate(p1), hours())
		add(b.topic, "shared-paragraph", false, p2, g.insert(p1, p2[g.rng.IntN(len(p2))]), hours())
	}
	// Unrelated articles, and the same text too far apart in time.
	for i := range 25 {
		a := bases[g.rng.IntN(len(bases))]
		b := bases[g.rng.IntN(len(bases))]
		for b.topic == a.topic {
			b = bases[g.rng.IntN(len(bases))]
		}
		add(fmt.Sprintf("%s+%s-%d", a.name, b.name, i), "unrelated", false, a.paragraphs, b.paragraphs, hours())
	}
	for i, b := range bases {
		if i%3 == 0 {
			add(b.name, "outside-window", false, b.paragraphs, g.republish(b.paragraphs), 80*time.Hour)
		}
	}
	return out
}

// otherParagraph is a paragraph a copy of b may add: from the other report
// on its subject when there is one, else from any other base.
func (g *generator) otherParagraph(bases []base, b base) string {
	var from []base
	for _, o := range bases {
		if o.topic == b.topic && o.name != b.name {
			from = append(from, o)
		}
	}
	if len(from) == 0 {
		for _, o := range bases {
			if o.name != b.name {
				from = append(from, o)
			}
		}
	}
	o := from[g.rng.IntN(len(from))]
	return o.paragraphs[g.rng.IntN(len(o.paragraphs))]
}

// republish is what Eghtesad24 does to an ISNA article: its dateline or
// intro, read-more lines (sometimes twice), and the source line.
func (g *generator) republish(ps []string) []string {
	out := slices.Clone(ps)
	if rest, ok := strings.CutPrefix(out[0], isnaIntro); ok {
		out[0] = "به گزارش اقتصاد۲۴ به نقل از ایسنا، " + rest
	} else {
		out[0] = "اقتصاد۲۴-" + out[0]
	}
	promo := "بیشتر بخوانید:" + promoTitles[g.rng.IntN(len(promoTitles))]
	lines := []string{promo}
	if g.rng.IntN(2) == 0 {
		lines = append(lines, promo)
	}
	out = slices.Insert(out, min(1, len(out)), lines...)
	return append(out, "منبع: ایسنا")
}

// truncate keeps the first half to four fifths of the paragraphs.
func (g *generator) truncate(ps []string) []string {
	if len(ps) < 3 {
		return g.dropSentence(ps)
	}
	keep := int(float64(len(ps))*(0.5+0.3*g.rng.Float64()) + 0.5)
	return slices.Clone(ps[:max(2, min(keep, len(ps)-1))])
}

func (g *generator) insert(ps []string, p string) []string {
	return slices.Insert(slices.Clone(ps), 1+g.rng.IntN(len(ps)), p)
}

// merge joins two neighbouring paragraphs into one.
func (g *generator) merge(ps []string) []string {
	if len(ps) < 2 {
		return g.addSentence(ps)
	}
	i := g.rng.IntN(len(ps) - 1)
	out := slices.Clone(ps)
	out[i] += " " + out[i+1]
	return slices.Delete(out, i+1, i+2)
}

// reorder moves one paragraph elsewhere.
func (g *generator) reorder(ps []string) []string {
	if len(ps) < 2 {
		return g.edit(ps)
	}
	out := slices.Clone(ps)
	i := 1 + g.rng.IntN(len(out)-1)
	p := out[i]
	out = slices.Delete(out, i, i+1)
	j := g.rng.IntN(len(out))
	if j == i {
		j = 0
	}
	return slices.Insert(out, j, p)
}

// letters writes the text as an old CMS or another keyboard would: Arabic
// yeh and kaf, ZWNJ dropped or made a space, sometimes ASCII digits.
func (g *generator) letters(ps []string) []string {
	join := []string{"", " "}[g.rng.IntN(2)]
	digits := g.rng.IntN(2) == 0
	out := make([]string, len(ps))
	for i, p := range ps {
		p = strings.NewReplacer("ی", "ي", "ک", "ك", zwnj, join).Replace(p)
		if digits {
			p = strings.Map(func(r rune) rune {
				if r >= '۰' && r <= '۹' {
					return '0' + r - '۰'
				}
				return r
			}, p)
		}
		out[i] = p
	}
	return out
}

// dropSentence removes one sentence from the paragraph with the most, or
// the last clause of the last paragraph.
func (g *generator) dropSentence(ps []string) []string {
	out := slices.Clone(ps)
	best, most := -1, 1
	for i, p := range out {
		if n := len(sentences(p)); n > most {
			best, most = i, n
		}
	}
	if best < 0 {
		last := len(out) - 1
		if i := strings.LastIndex(out[last], "، "); i > 0 {
			out[last] = out[last][:i] + "."
		}
		return out
	}
	s := sentences(out[best])
	k := g.rng.IntN(len(s))
	out[best] = strings.Join(slices.Delete(s, k, k+1), " ")
	return out
}

// sentences splits a paragraph after each full stop.
func sentences(p string) []string {
	var s []string
	for {
		i := strings.Index(p, ". ")
		if i < 0 {
			return append(s, p)
		}
		s = append(s, p[:i+1])
		p = p[i+2:]
	}
}

func (g *generator) addSentence(ps []string) []string {
	out := slices.Clone(ps)
	i := g.rng.IntN(len(out))
	out[i] += " " + addedSentences[g.rng.IntN(len(addedSentences))]
	return out
}

// edit makes a few word changes and drops the agency's intro.
func (g *generator) edit(ps []string) []string {
	out := slices.Clone(ps)
	out[0] = strings.TrimPrefix(out[0], isnaIntro)
	changes := 0
	for _, e := range edits {
		for i := range out {
			if changes < 4 && strings.Contains(out[i], e[0]) && g.rng.IntN(2) == 0 {
				out[i] = strings.Replace(out[i], e[0], e[1], 1)
				changes++
			}
		}
	}
	return out
}

// dropWords drops a word from every paragraph, so no paragraph of the copy
// is the original's.
func (g *generator) dropWords(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		ws := strings.Fields(p)
		if len(ws) > 1 {
			k := 1 + g.rng.IntN(len(ws)-1)
			ws = slices.Delete(ws, k, k+1)
		}
		out[i] = strings.Join(ws, " ")
	}
	return out
}

// intro gives the copy another intro: the agency's is replaced, or a
// sentence introducing the report comes first.
func (g *generator) intro(ps []string) []string {
	out := slices.Clone(ps)
	intro := intros[g.rng.IntN(len(intros))]
	if rest, ok := strings.CutPrefix(out[0], isnaIntro); ok {
		out[0] = intro + rest
		return out
	}
	return slices.Insert(out, 0, "در ادامه گزارشی را که امروز منتشر شد، می‌خوانید:")
}
