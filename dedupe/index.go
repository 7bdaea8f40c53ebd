package dedupe

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
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

	// slotsPerDoc is the number of table keys a document may have: its
	// bands and its first long paragraphs.
	slotsPerDoc = bands + maxParas

	// maxChain bounds the documents visited per key, newest first: a text
	// copied a thousand times needs only its latest copies to find its
	// story, and Add stays fast.
	maxChain = 8

	// segmentsPerWindow cuts the window into time segments; expiring drops
	// whole segments, so memory holds at most a window and one segment.
	segmentsPerWindow = 4

	// A reference to a slot (document × slotsPerDoc + the key's place) is
	// 32 bits: the id of its segment, then the slot in it. A segment's id
	// is reused once it is dropped, so a reference is trusted only when
	// the slot it names holds the key looked up.
	segmentBits    = 6
	maxSegments    = 1 << segmentBits
	slotBits       = 32 - segmentBits
	slotMask       = 1<<slotBits - 1
	maxSegmentDocs = slotMask / slotsPerDoc
	noRef          = math.MaxUint32

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
// (about 700 bytes), never its text. An Index is safe for concurrent use.
type Index struct {
	window, span int64 // milliseconds

	mu      sync.Mutex
	heads   map[uint32]uint32     // table key → the newest slot with it
	segs    map[int64]*segment    // by time index, published / span
	byID    [maxSegments]*segment // by id, the top bits of a reference
	expired int64                 // documents published before are forgotten
	n       int
}

// segment holds the documents published in one span of time. Each slot
// holds a table key of a document and the reference of the previous slot
// with the same key, so the documents of a key are a chain from heads.
type segment struct {
	id    uint32
	index int64
	docs  []docMeta
	sigs  []byte   // sigBins bytes per document
	keys  []uint32 // slotsPerDoc per document
	next  []uint32 // slotsPerDoc per document
	live  int      // documents not expired
}

type docMeta struct {
	published  int64  // Unix milliseconds
	storyStart int64  // published time of the story's first document
	story      uint64 // story id, a hash of its first document's ID
	size       uint32 // shingles in the text
	keys       uint8  // slots used
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
		heads:   make(map[uint32]uint32),
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
func (ix *Index) Add(d Doc) string {
	own := storyHash(d.ID)
	s, ok := sign(d.Paragraphs)
	if !ok {
		return storyName(own)
	}
	var keyBuf [slotsPerDoc]uint32
	keys := s.keys(keyBuf[:0])
	var sig [sigBins]byte
	s.compact(&sig)
	t := d.Published.UnixMilli()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if t < ix.expired {
		return storyName(own)
	}
	meta := docMeta{published: t, storyStart: t, story: own, size: s.size}
	if m, ok := ix.best(t, keys, &sig, meta.size); ok {
		meta.story, meta.storyStart = m.story, m.storyStart
	}
	ix.insert(meta, keys, &sig)
	return storyName(meta.story)
}

// best returns the document most similar to the one with these keys and
// signature that it may join.
func (ix *Index) best(t int64, keys []uint32, sig *[sigBins]byte, size uint32) (m docMeta, found bool) {
	bestJ := -1.0
	for _, k := range keys {
		ref, ok := ix.heads[k]
		for n := 0; ok && n < maxChain; n++ {
			seg, slot := ix.resolve(ref, k)
			if seg == nil {
				break
			}
			ref = seg.next[slot]
			ok = ref != noRef
			di := slot / slotsPerDoc
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
	return m, found
}

// resolve returns the segment and slot a reference names, or nil when the
// slot does not hold key k: its segment was dropped.
func (ix *Index) resolve(ref, k uint32) (*segment, int) {
	if ref == noRef {
		return nil, 0
	}
	seg, slot := ix.byID[ref>>slotBits], int(ref&slotMask)
	if seg == nil || slot >= len(seg.keys) || seg.keys[slot] != k || slot%slotsPerDoc >= int(seg.docs[slot/slotsPerDoc].keys) {
		return nil, 0
	}
	return seg, slot
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

// insert keeps a document, unless its segment cannot be had.
func (ix *Index) insert(meta docMeta, keys []uint32, sig *[sigBins]byte) {
	seg := ix.segmentAt(floorDiv(meta.published, ix.span))
	if seg == nil || len(seg.docs) == maxSegmentDocs {
		return
	}
	base := len(seg.keys)
	meta.keys = uint8(len(keys))
	seg.docs = append(seg.docs, meta)
	seg.sigs = append(seg.sigs, sig[:]...)
	seg.keys = append(seg.keys, keys...)
	for range slotsPerDoc - len(keys) {
		seg.keys = append(seg.keys, 0)
	}
	for b, k := range keys {
		prev, ok := ix.heads[k]
		if !ok {
			prev = noRef
		}
		seg.next = append(seg.next, prev)
		ix.heads[k] = seg.id<<slotBits | uint32(base+b)
	}
	for range slotsPerDoc - len(keys) {
		seg.next = append(seg.next, noRef)
	}
	seg.live++
	ix.n++
}

// segmentAt returns the segment of a time index, making it when needed. When
// every id is taken (documents spread over more than maxSegments spans,
// never expired), the oldest segment is dropped for a newer one; nil means
// the time index is older than all of them.
func (ix *Index) segmentAt(index int64) *segment {
	if seg := ix.segs[index]; seg != nil {
		return seg
	}
	id := slices.Index(ix.byID[:], nil)
	if id < 0 {
		oldest := ix.byID[0]
		for _, seg := range ix.byID {
			if seg.index < oldest.index {
				oldest = seg
			}
		}
		if oldest.index > index {
			return nil
		}
		id = int(oldest.id)
		ix.drop(oldest)
	}
	seg := &segment{id: uint32(id), index: index}
	ix.segs[index] = seg
	ix.byID[id] = seg
	return seg
}

// drop forgets a segment. Table keys whose newest slot it holds go on
// from the slot before, newest first so that a chain inside the segment
// is followed to its end.
func (ix *Index) drop(seg *segment) {
	for slot := len(seg.keys) - 1; slot >= 0; slot-- {
		if slot%slotsPerDoc >= int(seg.docs[slot/slotsPerDoc].keys) {
			continue
		}
		k := seg.keys[slot]
		if ix.heads[k] != seg.id<<slotBits|uint32(slot) {
			continue
		}
		if older, _ := ix.resolve(seg.next[slot], k); older != nil {
			ix.heads[k] = seg.next[slot]
		} else {
			delete(ix.heads, k)
		}
	}
	ix.n -= seg.live
	delete(ix.segs, seg.index)
	ix.byID[seg.id] = nil
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
	for index, seg := range ix.segs {
		if (index+1)*ix.span <= b {
			ix.drop(seg)
			continue
		}
		if index*ix.span < b {
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
