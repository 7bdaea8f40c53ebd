package dedupe

import (
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// text returns the paragraphs of a base text of the evaluation set.
func text(t testing.TB, name string) []string {
	t.Helper()
	data, err := os.ReadFile("testdata/eval/" + name + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

var day0 = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)

func at(h float64) time.Time { return day0.Add(time.Duration(h * float64(time.Hour))) }

func TestIndexAdd(t *testing.T) {
	dollar1, dollar2, bourse := text(t, "dollar-1"), text(t, "dollar-2"), text(t, "bourse-1")
	ix := NewIndex(IndexOptions{})
	first := ix.Add(Doc{ID: "https://www.isna.ir/news/1405090401234", Published: at(0), Paragraphs: dollar1})
	h := fnv.New64a()
	h.Write([]byte("https://www.isna.ir/news/1405090401234"))
	if want := fmt.Sprintf("s%016x", h.Sum64()); first != want {
		t.Errorf("story id %q, want %q (s and the FNV-1a hash of the first URL)", first, want)
	}
	steps := []struct {
		name  string
		doc   Doc
		joins bool
	}{
		{"a copy with a dateline and a promo line", Doc{ID: "e1", Published: at(2), Paragraphs: append([]string{"اقتصاد۲۴-" + dollar1[0], "بیشتر بخوانید: پیش‌بینی قیمت دلار"}, dollar1[1:]...)}, true},
		{"another report on the dollar the same day", Doc{ID: "e2", Published: at(3), Paragraphs: dollar2}, false},
		{"another subject", Doc{ID: "e3", Published: at(4), Paragraphs: bourse}, false},
		{"the first two paragraphs, a day later", Doc{ID: "e4", Published: at(26), Paragraphs: dollar1[:2]}, true},
		{"a copy 71 hours after the first", Doc{ID: "e5", Published: at(71), Paragraphs: dollar1}, true},
		{"a copy 73 hours after the first", Doc{ID: "e6", Published: at(73), Paragraphs: dollar1}, false},
	}
	for _, s := range steps {
		got := ix.Add(s.doc)
		if (got == first) != s.joins {
			t.Errorf("%s: story %s, first story %s; joins = %v, want %v", s.name, got, first, got == first, s.joins)
		}
	}
	if n := ix.Len(); n != 7 {
		t.Errorf("Len = %d, want 7", n)
	}
}

// TestIndexStoryWindow checks that a story does not grow beyond its window
// by a chain of copies, each near the previous one.
func TestIndexStoryWindow(t *testing.T) {
	ps := text(t, "majlis-1")
	ix := NewIndex(IndexOptions{Window: 48 * time.Hour})
	a := ix.Add(Doc{ID: "a", Published: at(0), Paragraphs: ps})
	b := ix.Add(Doc{ID: "b", Published: at(40), Paragraphs: ps})
	c := ix.Add(Doc{ID: "c", Published: at(80), Paragraphs: ps})
	if a != b {
		t.Errorf("b, 40h after a, started story %s; want a's story %s", b, a)
	}
	if c == a {
		t.Errorf("c, 80h after a and 40h after b, joined a's story; the window is 48h")
	}
}

// TestIndexOutOfOrder adds an earlier copy after a later one: they still
// meet, in the segment before.
func TestIndexOutOfOrder(t *testing.T) {
	ps := text(t, "konkur-1")
	ix := NewIndex(IndexOptions{})
	a := ix.Add(Doc{ID: "a", Published: at(50), Paragraphs: ps})
	if b := ix.Add(Doc{ID: "b", Published: at(0), Paragraphs: ps}); b != a {
		t.Errorf("earlier copy got story %s, want %s", b, a)
	}
}

func TestIndexShortText(t *testing.T) {
	ix := NewIndex(IndexOptions{})
	short := []string{"ویدیو", "گزارش تصویری"}
	a := ix.Add(Doc{ID: "a", Published: at(0), Paragraphs: short})
	b := ix.Add(Doc{ID: "b", Published: at(1), Paragraphs: short})
	if a == b || ix.Len() != 0 {
		t.Errorf("two short texts: stories %s and %s, Len %d; want two stories and nothing kept", a, b, ix.Len())
	}
	if c := ix.Add(Doc{ID: "c", Published: at(1)}); c == "" {
		t.Error("an empty document got no story")
	}
}

func TestIndexExpire(t *testing.T) {
	ps, other := text(t, "sekke-1"), text(t, "maskan-1")
	ix := NewIndex(IndexOptions{})
	a := ix.Add(Doc{ID: "a", Published: at(0), Paragraphs: ps})
	ix.Add(Doc{ID: "b", Published: at(10), Paragraphs: other})
	ix.Add(Doc{ID: "c", Published: at(30), Paragraphs: other})
	if n := ix.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	ix.Expire(at(5))
	if n := ix.Len(); n != 2 {
		t.Errorf("after Expire(5h): Len = %d, want 2", n)
	}
	if d := ix.Add(Doc{ID: "d", Published: at(6), Paragraphs: ps}); d == a {
		t.Error("a copy of an expired document joined its story")
	}
	ix.Expire(at(4))
	if n := ix.Len(); n != 3 {
		t.Errorf("after an earlier Expire: Len = %d, want 3", n)
	}
	ix.Expire(at(200))
	if n := ix.Len(); n != 0 {
		t.Errorf("after Expire(200h): Len = %d, want 0", n)
	}
	if e := ix.Add(Doc{ID: "e", Published: at(100), Paragraphs: ps}); e != storyName(storyHash("e")) || ix.Len() != 0 {
		t.Errorf("a document older than the last Expire: story %s, Len %d; want its own story, not kept", e, ix.Len())
	}
}

// TestIndexExpireKeepsOlderChains drops the segment of the document added
// last: the documents added before it with the same keys stay reachable.
func TestIndexExpireKeepsOlderChains(t *testing.T) {
	ps := text(t, "havashenasi-1")
	ix := NewIndex(IndexOptions{})
	a := ix.Add(Doc{ID: "a", Published: at(60), Paragraphs: ps})
	if b := ix.Add(Doc{ID: "b", Published: at(0), Paragraphs: ps}); b != a {
		t.Fatalf("b got story %s, want a's %s", b, a)
	}
	ix.Expire(at(30))
	if c := ix.Add(Doc{ID: "c", Published: at(70), Paragraphs: ps}); c != a {
		t.Errorf("after b expired, c got story %s, want a's %s", c, a)
	}
}

// TestIndexConcurrent adds from several goroutines; run with -race.
func TestIndexConcurrent(t *testing.T) {
	names := []string{"dollar-1", "dollar-2", "bourse-1", "bourse-2", "sekke-1", "sekke-2"}
	ix := NewIndex(IndexOptions{})
	stories := make([][2]string, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		ps := text(t, name)
		wg.Go(func() {
			stories[i][0] = ix.Add(Doc{ID: name + "/a", Published: at(float64(i)), Paragraphs: ps})
			stories[i][1] = ix.Add(Doc{ID: name + "/b", Published: at(float64(i) + 1), Paragraphs: ps})
		})
	}
	wg.Wait()
	seen := make(map[string]bool)
	for i, s := range stories {
		if s[0] != s[1] || seen[s[0]] {
			t.Errorf("%s: stories %v; want the two copies together and apart from the others", names[i], s)
		}
		seen[s[0]] = true
	}
}
