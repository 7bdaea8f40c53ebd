// Package bench compares mediadigest's article extraction with two
// general-purpose Go extractors, go-trafilatura and go-readability, on the
// same generated pages (mediadigest/internal/corpus): speed, and how close
// each one's body text is to the text a perfect cleaner keeps.
//
// It is a module of its own so that the peers never become dependencies of
// the product. See BENCHMARKS.md at the repository root for the figures
// and the commands that make them.
package bench

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"syscall"
	"time"

	readability "codeberg.org/readeck/go-readability/v2"
	trafilatura "github.com/markusmobius/go-trafilatura"

	"mediadigest/dedupe"
	"mediadigest/internal/corpus"
	"mediadigest/model"
	"mediadigest/persian"
	"mediadigest/profile"
	"mediadigest/scrape"
)

// Extractor reads the body text of article pages. It gets a whole batch
// because an extractor may learn across pages: ours learns each outlet's
// recurring promo lines.
type Extractor struct {
	Name  string
	Batch func(pages []corpus.Page) ([]string, error)
}

// Extractors returns ours and the peers, in the order of the report.
func Extractors() ([]Extractor, error) {
	o, err := Ours()
	if err != nil {
		return nil, err
	}
	return []Extractor{o, Trafilatura(false), Trafilatura(true), Readability()}, nil
}

// Ours is mediadigest's extraction: the outlet profile's selectors
// (scrape.Extract), then the profile's cleaning rules (dedupe.CleanArticle)
// with the promo lines learned over the batch, as the pipeline does over
// its store. The body text is the clean view's paragraphs.
func Ours() (Extractor, error) {
	profiles := map[string]*profile.Profile{}
	rules := map[string]dedupe.Rules{}
	for _, id := range []string{corpus.ISNA, corpus.Eghtesad24} {
		p, err := profile.Builtin(id)
		if err != nil {
			return Extractor{}, fmt.Errorf("bench: %w", err)
		}
		profiles[id] = p
		// As the pipeline builds them from the config.
		r, err := dedupe.NewRules(p, map[string]string{"ایسنا": corpus.ISNA, "اقتصاد۲۴": corpus.Eghtesad24})
		if err != nil {
			return Extractor{}, fmt.Errorf("bench: %w", err)
		}
		rules[id] = r
	}
	batch := func(pages []corpus.Page) ([]string, error) {
		arts := make([]model.Article, len(pages))
		occ := map[string]map[uint64]model.KeyUse{}
		for i, p := range pages {
			a, err := scrape.Extract(profiles[p.Outlet], p.URL, p.HTML)
			if err != nil {
				return nil, err
			}
			arts[i] = a
			if occ[p.Outlet] == nil {
				occ[p.Outlet] = map[uint64]model.KeyUse{}
			}
			dedupe.Uses(occ[p.Outlet], a.Raw, a.Published)
		}
		learned := map[string]map[uint64]bool{}
		for outlet, o := range occ {
			learned[outlet] = dedupe.LearnedKeys(o, dedupe.DefaultLearnPolicy())
		}
		out := make([]string, len(pages))
		for i, p := range pages {
			l := learned[p.Outlet]
			c := dedupe.CleanArticle(arts[i].Lead, arts[i].Raw, rules[p.Outlet], func(k string) bool { return l[persian.KeyHash(k)] })
			out[i] = strings.Join(c.Paragraphs, "\n")
		}
		return out, nil
	}
	return Extractor{Name: "mediadigest (profile)", Batch: batch}, nil
}

// Trafilatura is go-trafilatura with comments excluded. Without precise,
// its defaults (no fallback extractors); with it, the settings that favour
// clean text: fallback extractors, precision focus and deduplication of
// segments repeated across pages.
func Trafilatura(precise bool) Extractor {
	name := "go-trafilatura"
	if precise {
		name += " (precision)"
	}
	return perPage(name, func(p corpus.Page) (string, error) {
		u, err := url.Parse(p.URL)
		if err != nil {
			return "", err
		}
		opts := trafilatura.Options{OriginalURL: u, ExcludeComments: true}
		if precise {
			opts.EnableFallback, opts.Focus, opts.Deduplicate = true, trafilatura.FavorPrecision, true
		}
		res, err := trafilatura.Extract(bytes.NewReader(p.HTML), opts)
		if err != nil {
			return "", err
		}
		return res.ContentText, nil
	})
}

// Readability is go-readability with its defaults; the body text is the
// inner text of the article node.
func Readability() Extractor {
	return perPage("go-readability", func(p corpus.Page) (string, error) {
		u, err := url.Parse(p.URL)
		if err != nil {
			return "", err
		}
		art, err := readability.FromReader(bytes.NewReader(p.HTML), u)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		if err := art.RenderText(&b); err != nil {
			return "", err
		}
		return b.String(), nil
	})
}

// perPage makes an Extractor of one that reads pages one at a time. A
// page it fails on counts as an empty text, as a user would get.
func perPage(name string, fn func(corpus.Page) (string, error)) Extractor {
	return Extractor{Name: name, Batch: func(pages []corpus.Page) ([]string, error) {
		out := make([]string, len(pages))
		for i, p := range pages {
			if t, err := fn(p); err == nil {
				out[i] = t
			}
		}
		return out, nil
	}}
}

// Result is one extractor's run over a batch.
type Result struct {
	Name  string
	Pages int
	Wall  time.Duration
	CPU   time.Duration // user and system time of the process during the run
	Score
}

// PagesPerSecond is the wall-clock rate.
func (r Result) PagesPerSecond() float64 { return float64(r.Pages) / r.Wall.Seconds() }

// PagesPerCPUSecond is the rate per core: pages over the CPU time spent,
// which other load on the machine does not change.
func (r Result) PagesPerCPUSecond() float64 { return float64(r.Pages) / r.CPU.Seconds() }

// Run times ex over pages and scores its texts against the expected ones.
func Run(ex Extractor, pages []corpus.Page) (Result, error) {
	cpu0, err := cpuTime()
	if err != nil {
		return Result{}, err
	}
	start := time.Now()
	texts, err := ex.Batch(pages)
	wall := time.Since(start)
	if err != nil {
		return Result{}, fmt.Errorf("bench: %s: %w", ex.Name, err)
	}
	cpu1, err := cpuTime()
	if err != nil {
		return Result{}, err
	}
	var sum Score
	for i, p := range pages {
		s := Compare(texts[i], strings.Join(p.Expected, "\n"))
		sum.Precision += s.Precision
		sum.Recall += s.Recall
		sum.F1 += s.F1
	}
	n := float64(len(pages))
	return Result{Name: ex.Name, Pages: len(pages), Wall: wall, CPU: cpu1 - cpu0,
		Score: Score{Precision: sum.Precision / n, Recall: sum.Recall / n, F1: sum.F1 / n}}, nil
}

// cpuTime is the user and system time the process has used.
func cpuTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("bench: getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// Score is how close a text is to the expected one.
type Score struct {
	Precision, Recall, F1 float64
}

// Compare scores got against want on the multisets of their words in
// matching form (docs/cleaning.md), so spelling variants a display normalisation
// folds (Arabic yeh, digits, ZWNJ) count as equal.
func Compare(got, want string) Score {
	g, w := tokens(got), tokens(want)
	if len(g) == 0 || len(w) == 0 {
		if len(g) == len(w) {
			return Score{1, 1, 1}
		}
		return Score{}
	}
	left := map[string]int{}
	for _, t := range w {
		left[t]++
	}
	common := 0
	for _, t := range g {
		if left[t] > 0 {
			left[t]--
			common++
		}
	}
	if common == 0 {
		return Score{}
	}
	p, r := float64(common)/float64(len(g)), float64(common)/float64(len(w))
	return Score{Precision: p, Recall: r, F1: 2 * p * r / (p + r)}
}

func tokens(s string) []string { return strings.Fields(persian.Match(s)) }
