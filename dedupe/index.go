package dedupe

import (
	"fmt"
	"hash/fnv"
	"sync"
	"time"
)

// Locality-sensitive hashing and the test that confirms its candidates.
// Bands of bandRows bins find a pair with Jaccard similarity s with
// probability 1-(1-s³)¹⁶: 0.88 at s=0.5, 0.98 at 0.6, 0.002 at 0.05 (two
// texts on one subject). A truncated copy, far less similar to its
// original, is found by the paragraphs it carries verbatim. Candidates are
// then judged on the whole signature.
const (
	bands    = 16
	bandRows = 3

	// slotsPerDoc is the number of table entries a document may have: its
	// bands and its first long paragraphs.
	slotsPerDoc = bands + maxParas

	// maxChain bounds the documents visited per band key and segment,
	// newest first: a text copied a thousand times needs only its latest
	// copies to find its story, and Add stays fast.
	maxChain = 8

	// segmentsPerWindow cuts the window into time segments; expiring drops
	// whole segments, so memory holds at most a window and one segment.
	segmentsPerWindow = 4

	// A candidate is the same text when its estimated Jaccard similarity
	// reaches minJaccard, or when the smaller text is almost contained in
	// the larger (a truncated copy) and they still share minJaccardPart.
	minJaccard     = 0.5
	minContainment = 0.7
	minJaccardPart = 0.2
)

// DefaultWindow is the longest time between two articles of one story.
const DefaultWindow = 72 * time.Hour

// IndexOptions configure an Index.
type IndexOptions struct {
	// Window is the longest time between two articles of one story, and
	// between an article and the first article of its story; zero means
	// DefaultWindow.
	Window time.Duration
}

// Doc is what the index reads of an article.
type Doc struct {
	ID         string    // canonical URL; names the story it starts
	Published  time.Time // UTC
	Paragraphs []string  // clean view, display form; the lead may come first
}

// Index assigns documents to stories as they arrive: a document joins the
// story of the most similar document within the window, or starts a story
// of its own. It keeps per document only its signature and table entries
// (about 600 bytes), never its text. An Index is safe for concurrent use.
type Index struct {
	window, span int64 // milliseconds

	mu      sync.Mutex
	segs    map[int64]*segment // by published time / span
	expired int64              // documents published before are forgotten
	n       int
}

// segment holds the documents published in one span of time, with the LSH
// tables that find them: for each key the newest slot (document ×
// slotsPerDoc + the key's place) that has it, and for each slot the
// previous one.
type segment struct {
	heads map[uint32]int32
	next  []int32
	docs  []docMeta
	sigs  []byte // sigBins bytes per document
	live  int    // documents not expired
}

type docMeta struct {
	published  int64  // Unix milliseconds
	storyStart int64  // published time of the story's first document
	story      uint64 // story id, a hash of its first document's ID
	size       uint32 // shingles in the text
}

// NewIndex returns an empty index.
func NewIndex(o IndexOptions) *Index {
	w := o.Window
	if w <= 0 {
		w = DefaultWindow
	}
	window := w.Milliseconds()
	return &Index{
		window:  window,
		span:    max(1, (window+segmentsPerWindow-1)/segmentsPerWindow),
		segs:    make(map[int64]*segment),
		expired: minTime,
	}
}

// minTime is earlier than any published time.
const minTime = -1 << 63

// Add assigns d to the story of its most similar document within the
// window, or to a new story named after d.ID, and returns the story id.
// Story ids are "s" and 16 hex digits of the FNV-1a hash of the ID of the
// story's first document, so they are the same in every run that adds the
// same documents in the same order.
//
// A text too short to compare (a line or two), or published before the
// last Expire, starts its own story and is not kept.
func (ix *Index) Add(d Doc) string { return ix.AddSigned(Sign(d)) }

// Signed is a document as the index compares it: its MinHash signature
// and table keys, without its text.
type Signed struct {
	story     uint64 // the story it starts: a hash of its ID
	published int64  // Unix milliseconds
	ok        bool   // long enough to compare
	size      uint32
	nkeys     int
	keys      [slotsPerDoc]uint32
	sig       [sigBins]byte
}

// Sign computes what Add needs of d: most of the cost of Add, and needing
// no index, so a caller may sign documents concurrently and then add them
// (AddSigned) in their order.
func Sign(d Doc) Signed {
	out := Signed{story: storyHash(d.ID), published: d.Published.UnixMilli()}
	s, ok := sign(d.Paragraphs)
	if !ok {
		return out
	}
	out.ok, out.size = true, s.size
	out.nkeys = len(s.keys(out.keys[:0]))
	s.compact(&out.sig)
	return out
}

// AddSigned is Add of a document signed by Sign.
func (ix *Index) AddSigned(d Signed) string {
	if !d.ok {
		return storyName(d.story)
	}
	t := d.published
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if t < ix.expired {
		return storyName(d.story)
	}
	keys := d.keys[:d.nkeys]
	meta := docMeta{published: t, storyStart: t, story: d.story, size: d.size}
	if m, ok := ix.best(t, keys, &d.sig, meta.size); ok {
		meta.story, meta.storyStart = m.story, m.storyStart
	}
	ix.insert(meta, keys, &d.sig)
	return storyName(meta.story)
}

// Warm adds a document whose story is already known — the stored story of
// an article, and the published time of that story's first article — as
// AddSigned would have added it. An index warmed with the documents of
// one window before a time then assigns the documents from that time on
// exactly as an index fed everything before them would.
func (ix *Index) Warm(d Signed, story string, storyStart time.Time) error {
	var h uint64
	if _, err := fmt.Sscanf(story, "s%016x", &h); err != nil || storyName(h) != story {
		return fmt.Errorf("dedupe: warm: %q is not a story id", story)
	}
	if !d.ok {
		return nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if d.published < ix.expired {
		return nil
	}
	meta := docMeta{published: d.published, storyStart: storyStart.UnixMilli(), story: h, size: d.size}
	ix.insert(meta, d.keys[:d.nkeys], &d.sig)
	return nil
}

// best returns the document most similar to the one with these keys and
// signature that it may join.
func (ix *Index) best(t int64, keys []uint32, sig *[sigBins]byte, size uint32) (m docMeta, found bool) {
	bestJ := -1.0
	cur := floorDiv(t, ix.span)
	for si := cur - segmentsPerWindow; si <= cur+segmentsPerWindow; si++ {
		seg := ix.segs[si]
		if seg == nil {
			continue
		}
		for _, k := range keys {
			slot, ok := seg.heads[k]
			if !ok {
				continue
			}
			for range maxChain {
				if slot < 0 {
					break
				}
				di := int(slot) / slotsPerDoc
				slot = seg.next[slot]
				c := &seg.docs[di]
				if !ix.joinable(t, c) {
					continue
				}
				j := jaccard(sig[:], seg.sigs[di*sigBins:(di+1)*sigBins])
				if j > bestJ && similar(j, size, c.size) {
					bestJ, m, found = j, *c, true
				}
			}
		}
	}
	return m, found
}

// joinable reports whether a document published at t may join c's story:
// c is not expired, and both c and its story's start are within the window.
func (ix *Index) joinable(t int64, c *docMeta) bool {
	return c.published >= ix.expired && abs(t-c.published) <= ix.window && abs(t-c.storyStart) <= ix.window
}

// similar judges two texts from their estimated Jaccard similarity j and
// shingle counts.
func similar(j float64, a, b uint32) bool {
	if j >= minJaccard {
		return true
	}
	if j < minJaccardPart {
		return false
	}
	// |A∩B| = j(|A|+|B|)/(1+j); containment divides it by the smaller set.
	common := j * float64(a+b) / (1 + j)
	return common >= minContainment*float64(min(a, b))
}

func (ix *Index) insert(meta docMeta, keys []uint32, sig *[sigBins]byte) {
	si := floorDiv(meta.published, ix.span)
	seg := ix.segs[si]
	if seg == nil {
		seg = &segment{heads: make(map[uint32]int32)}
		ix.segs[si] = seg
	}
	di := int32(len(seg.docs))
	seg.docs = append(seg.docs, meta)
	seg.sigs = append(seg.sigs, sig[:]...)
	for b := range slotsPerDoc {
		seg.next = append(seg.next, -1)
		if b >= len(keys) {
			continue
		}
		k := keys[b]
		if prev, ok := seg.heads[k]; ok {
			seg.next[len(seg.next)-1] = prev
		}
		seg.heads[k] = di*slotsPerDoc + int32(b)
	}
	seg.live++
	ix.n++
}

// Expire forgets the documents published before the given time. Whole
// segments are freed; a segment the time cuts through is scanned once and
// freed when a later Expire passes its end.
func (ix *Index) Expire(before time.Time) {
	b := before.UnixMilli()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if b <= ix.expired {
		return
	}
	for si, seg := range ix.segs {
		if (si+1)*ix.span <= b {
			ix.n -= seg.live
			delete(ix.segs, si)
			continue
		}
		if si*ix.span < b {
			for _, d := range seg.docs {
				if d.published >= ix.expired && d.published < b {
					seg.live--
					ix.n--
				}
			}
		}
	}
	ix.expired = b
}

// Len returns the number of documents the index holds.
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.n
}

func storyHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

func storyName(h uint64) string { return fmt.Sprintf("s%016x", h) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}
