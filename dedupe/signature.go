package dedupe

import (
	"encoding/binary"
	"math"
	"math/bits"

	"mediadigest/persian"
)

// A text's signature is a MinHash of its character shingles, made with one
// permutation hashing: each shingle hash falls into one of sigBins bins by its
// top bits and each bin keeps its smallest value; empty bins borrow the value
// of a filled bin chosen by a fixed hash ("optimal densification", Shrivastava
// 2017). Two texts agree on a bin with probability their Jaccard similarity.
//
// Shingles are shingleRunes consecutive runes of a paragraph's key, so spaces
// and ZWNJ (رئیس‌جمهور, رئیس جمهور, رئیسجمهور) change nothing, and no shingle
// crosses paragraphs, so reordering paragraphs changes nothing either.
const (
	shingleRunes = 8
	sigBins      = 128
	binShift     = 64 - 7 // top 7 bits of a shingle hash pick its bin

	// maxSigRunes bounds the text a signature reads: far beyond an
	// article, it keeps the cost of a pathological page linear and small.
	maxSigRunes = 50_000

	// minShingles is the least text worth comparing: a line or two of
	// generic words would join unrelated articles.
	minShingles = 40

	// polyBase is the odd multiplier of the rolling shingle hash.
	polyBase = 0x100000001b3

	// A paragraph whose key has at least minParaRunes runes is distinctive
	// enough to find the copies that carry it verbatim, however much else
	// they cut or add. The first maxParas of them are fingerprinted: a copy
	// keeps the beginning of its original.
	minParaRunes = 60
	maxParas     = 8
)

// signature is a text's MinHash before it is compacted for the index, and
// the fingerprints of its long paragraphs.
type signature struct {
	mins  [sigBins]uint32
	size  uint32 // shingles read, the estimate of the set's size
	paras [maxParas]uint32
	npara int
}

// sign computes the signature of paragraphs (display form). ok is false
// when the text has fewer than minShingles shingles.
func sign(paragraphs []string) (s signature, ok bool) {
	for i := range s.mins {
		s.mins[i] = math.MaxUint32
	}
	var filled [sigBins / 64]uint64
	budget := maxSigRunes
	for _, p := range paragraphs {
		if budget == 0 {
			break
		}
		// A rune takes at most 4 bytes: the cut bounds the work of a
		// giant paragraph, and Key drops a rune it splits.
		budget -= s.paragraph(persian.Key(p[:min(len(p), 4*budget)]), budget, &filled)
	}
	if s.size < minShingles {
		return s, false
	}
	for i := range s.mins {
		if filled[i/64]&(1<<(i%64)) != 0 {
			continue
		}
		for attempt := uint64(1); ; attempt++ {
			j := mix(uint64(i)<<32|attempt) >> binShift
			if filled[j/64]&(1<<(j%64)) != 0 {
				s.mins[i] = s.mins[j]
				break
			}
		}
	}
	return s, true
}

// paragraph adds the shingles of a paragraph key, reading at most budget
// runes, and returns the runes read. filled marks the bins set.
func (s *signature) paragraph(key string, budget int, filled *[sigBins / 64]uint64) int {
	// h is the rolling hash of the last shingleRunes runes; pow, the
	// weight of the oldest, takes it out.
	pow := uint64(1)
	for range shingleRunes {
		pow *= polyBase
	}
	var (
		window [shingleRunes]rune
		h      uint64
		sum    uint64 // of the shingle hashes: the paragraph's fingerprint
		n      uint
	)
	add := func(h uint64) {
		h = mix(h)
		sum += h
		bin, v := h>>binShift, uint32(h)
		filled[bin/64] |= 1 << (bin % 64)
		s.mins[bin] = min(s.mins[bin], v)
		s.size++
	}
	for _, r := range key {
		if int(n) == budget {
			break
		}
		h = h*polyBase + uint64(r)
		if n >= shingleRunes {
			h -= pow * uint64(window[n%shingleRunes])
		}
		window[n%shingleRunes] = r
		if n++; n >= shingleRunes {
			add(h)
		}
	}
	if n > 0 && n < shingleRunes {
		// A paragraph shorter than a shingle is one shingle; its length
		// keeps it apart from a longer shingle's hash.
		add(h ^ uint64(n)<<56)
	}
	if n >= minParaRunes && s.npara < maxParas {
		s.paras[s.npara] = uint32(mix(sum))
		s.npara++
	}
	return int(n)
}

// compact keeps the low byte of every bin (b-bit MinHash, Li and König
// 2010): 128 bytes a document, and still an unbiased estimate of similarity
// once the chance agreement of random bytes is taken out.
func (s *signature) compact(dst *[sigBins]byte) {
	for i, v := range s.mins {
		dst[i] = byte(v)
	}
}

// jaccard estimates the Jaccard similarity of two texts from their compact
// signatures.
func jaccard(a, b []byte) float64 {
	equal := 0
	for i := 0; i+8 <= len(a); i += 8 {
		x := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:])
		// Count the zero bytes of x: set the high bit of every byte that
		// is non-zero, then count the bytes where it stayed clear.
		nz := ((x & 0x7f7f7f7f7f7f7f7f) + 0x7f7f7f7f7f7f7f7f | x) & 0x8080808080808080
		equal += 8 - bits.OnesCount64(nz)
	}
	const chance = 1.0 / 256
	j := (float64(equal)/float64(len(a)) - chance) / (1 - chance)
	return max(0, j)
}

// keys returns the keys of the LSH tables: one for each band of bandRows
// bins, then the fingerprints of the long paragraphs. A 32-bit key is
// enough: a collision only brings a candidate the signature comparison then
// turns down.
func (s *signature) keys(dst []uint32) []uint32 {
	for b := range bands {
		h := uint64(b)
		for _, v := range s.mins[b*bandRows : (b+1)*bandRows] {
			h = mix(h ^ uint64(v))
		}
		dst = append(dst, uint32(h))
	}
	return append(dst, s.paras[:s.npara]...)
}

// mix is the splitmix64 finaliser: a fixed bijection that spreads every
// input bit over the output, the same in every process.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
