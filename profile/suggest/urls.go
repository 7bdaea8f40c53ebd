package suggest

import (
	"fmt"
	"regexp"
	"strings"
)

// urlPattern generalises the pages' paths into an article_url pattern:
// the words every page shares stay as they are, numbers become digit
// classes, and the article's number (the segment with the most digits)
// is the id. The canonical path keeps the shared segments and the id, the
// slug after it dropped; it is empty when a segment before the id varies
// in other ways than digits.
func urlPattern(ps []*parsed) (Field, string) {
	var paths [][]string
	for _, p := range ps {
		if p.u != nil {
			paths = append(paths, strings.Split(strings.Trim(p.u.Path, "/"), "/"))
		}
	}
	if len(paths) == 0 {
		return Field{Note: "no page tells its address (give URLs, or saved pages with a canonical link)"}, ""
	}
	idAt := idSegment(paths[0])
	for _, segs := range paths[1:] {
		if idSegment(segs) != idAt {
			idAt = -1
		}
	}
	if idAt < 0 {
		return Field{Note: "the pages' addresses have no number in the same place: write article_url by hand"}, ""
	}
	var pre []string
	literal := true // every segment before the id is the same on all pages
	firstVarying := -1
	for k := range idAt {
		seg, same, digits := paths[0][k], true, true
		minLen, maxLen := len(seg), len(seg)
		for _, segs := range paths {
			same = same && segs[k] == seg
			digits = digits && isDigits(segs[k])
			minLen, maxLen = min(minLen, len(segs[k])), max(maxLen, len(segs[k]))
		}
		switch {
		case digits:
			// Numbers before the id are dates (/1398/02/30/): they vary
			// from day to day even when these pages share them.
			pre = append(pre, digitClass(minLen, maxLen))
		case same:
			pre = append(pre, regexp.QuoteMeta(seg))
			continue
		default:
			pre = append(pre, "[^/]+")
			literal = false
		}
		if firstVarying < 0 {
			firstVarying = k
		}
	}
	slugged := false
	for _, segs := range paths {
		slugged = slugged || leadingDigits(segs[idAt]) != segs[idAt]
	}
	// Ids grow over the years: any number of digits.
	const id = `\d+`
	canonical := ""
	var expr string
	switch {
	case slugged:
		// "3523456-title": the number and its slug share a segment.
		expr = "^/" + join(pre, "("+id+")-[^/]*") + "(?:/[^?#]*)?$"
	case literal && firstVarying >= 0:
		// Dated paths (/fa/news/1398/02/30/2015910): the id spans the date.
		expr = "^/" + join(pre[:firstVarying], "("+strings.Join(append(pre[firstVarying:], id), "/")+")") + "(?:/[^?#]*)?$"
		canonical = "/" + join(paths[0][:firstVarying], "{id}")
	case literal:
		expr = "^/" + join(pre, "("+id+")") + "(?:/[^?#]*)?$"
		canonical = "/" + join(paths[0][:idAt], "{id}")
	default:
		expr = "^/" + join(pre, "("+id+")") + "(?:/[^?#]*)?$"
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return Field{Note: fmt.Sprintf("no pattern: %v", err)}, ""
	}
	hits := 0
	ids := map[string]bool{}
	for _, p := range ps {
		if p.u == nil {
			continue
		}
		if m := re.FindStringSubmatch(p.u.Path); m != nil && !ids[m[1]] {
			ids[m[1]] = true
			hits++
		}
	}
	f := Field{Value: expr, Confidence: share(hits, len(ps))}
	if f.Confidence < 1 {
		f.Note = fmt.Sprintf("matches %d of %d pages' addresses with distinct ids", hits, len(ps))
	}
	return f, canonical
}

// idSegment is the index of the segment with the most leading digits (at
// least four), the later on a tie; -1 when none has.
func idSegment(segs []string) int {
	best, bestLen := -1, 0
	for i, s := range segs {
		if n := len(leadingDigits(s)); n >= 4 && n >= bestLen {
			best, bestLen = i, n
		}
	}
	return best
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

func isDigits(s string) bool { return s != "" && leadingDigits(s) == s }

func digitClass(minLen, maxLen int) string {
	if minLen == maxLen {
		return fmt.Sprintf(`\d{%d}`, minLen)
	}
	return `\d+`
}

// join joins path segments and a last element with slashes.
func join(segs []string, last string) string {
	return strings.Join(append(append([]string{}, segs...), last), "/")
}
