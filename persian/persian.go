// Package persian normalises Persian text into the two forms of docs/cleaning.md.
//
// The display form is what mediadigest stores and mails: the text as the
// outlet wrote it, minus the encoding noise that makes equal words differ
// byte for byte. The matching form is for comparison only (hashes, keywords,
// similarity) and is never shown. Key is the matching form without spaces,
// so that `مهم‌ترین`, `مهم ترین` and `مهمترین` are one key (docs/cleaning.md).
//
// Display applies these rules:
//
//	input                                        display form
//	invalid UTF-8 bytes                          dropped
//	any text                                     NFC (before and after the rules below)
//	ي U+064A, ى U+0649                           ی U+06CC
//	ك U+0643                                     ک U+06A9
//	U+FB50–U+FDFF, U+FE70–U+FEFE                 their compatibility (NFKC) decomposition,
//	  (presentation forms)                         then these rules again: ﻙ → ك → ک,
//	                                               ﷲ → الله, ﷺ → صلی الله علیه وسلم
//	﷽ U+FDFD (Unicode gives it no decomposition) بسم الله الرحمن الرحیم
//	ـ U+0640 tatweel                             removed
//	U+200B zero width space                      ZWNJ (it breaks joining like one)
//	U+00A0, U+2000–U+200A, U+202F, U+205F,       space
//	  U+3000, U+1680, U+2028, U+2029, U+0085,
//	  tab, CR, LF, VT, FF
//	U+200E, U+200F, U+061C, U+202A–U+202E,       removed (bidi marks and embeddings,
//	  U+2066–U+2069                                isolates)
//	U+FEFF (BOM), U+00AD (soft hyphen),          removed (invisible)
//	  U+2060–U+2065, U+206A–U+206F, C0 and C1
//	  controls other than the spaces above
//	U+200C ZWNJ                                  kept; a run becomes one; removed next to
//	                                               a space and at either end
//	U+200D ZWJ                                   kept (emoji sequences need it)
//	spaces                                       runs become one; trimmed at both ends
//
// Match applies Display, then:
//
//	input                                        matching form
//	U+064B–U+065F, U+0670 (diacritics, hamza     removed; so هٔ (ه U+0654) → ه
//	  above U+0654, madda U+0653)
//	ة U+0629, ۀ U+06C0                           ه U+0647
//	أ U+0623, إ U+0625, ٱ U+0671                 ا U+0627 (آ U+0622 is kept: docs/cleaning.md lists
//	                                               only these three, and آ is a letter of
//	                                               its own in Persian: آب is not اب)
//	ؤ U+0624                                     و U+0648 (ئ U+0626 is kept)
//	۰–۹ U+06F0–U+06F9, ٠–٩ U+0660–U+0669         0–9
//	U+200C ZWNJ                                  space
//	U+200D ZWJ                                   removed
//	punctuation and symbols (Unicode P* and S*,  space
//	  so « » ، ؛ ؟ ٫ ٪ … and $ + | and emoji)
//	letters with case                            lower case (unicode.ToLower)
//	spaces                                       runs become one; trimmed at both ends
//
// Both forms are idempotent: Display(Display(x)) == Display(x) and
// Match(Match(x)) == Match(x), and Match(Display(x)) == Match(x). Digits and
// ASCIIDigits convert digits only, for display and for parsing.
package persian

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const (
	zwnj    = '\u200c'
	zwj     = '\u200d'
	tatweel = '\u0640'

	// bismillah is U+FDFD spelled out; Unicode gives the ligature no
	// decomposition, yet it heads many Iranian official texts.
	bismillah = "بسم الله الرحمن الرحیم"
)

// Display returns the display form of s (docs/cleaning.md; the package comment lists
// every rule).
func Display(s string) string {
	if isDisplay(s) {
		// Text is normalised at every stage boundary (extracted, stored,
		// compared), so most input is in display form already; checking
		// costs one pass and no allocation.
		return s
	}
	return display(s)
}

// display builds the display form rune by rune.
func display(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	// NFC first, so that a decomposed ي + U+0654 becomes ئ before ي is
	// replaced; NFC again at the end, because removing a tatweel or
	// expanding a presentation form can leave a letter next to a mark it
	// composes with.
	s = nfc(s)
	var b strings.Builder
	b.Grow(len(s))
	w := spacer{b: &b, sep: ' '}
	for _, r := range s {
		displayRune(&w, r)
	}
	return nfc(b.String())
}

// isDisplay reports whether Display(s) == s, without building it: valid
// UTF-8 of NFC-stable runes that Display keeps as they are (and single
// vowel marks after them), and single inner spaces and ZWNJs never next
// to each other. It may say false for a
// string in display form (one with a rune it does not know to be stable);
// Display then takes the long way.
func isDisplay(s string) bool {
	prev := ' ' // so that a leading space or ZWNJ fails like a doubled one
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ':
				if prev == ' ' || prev == zwnj {
					return false
				}
			case c < 0x20 || c == 0x7f:
				return false
			}
			prev = rune(c)
			continue
		}
		r, size := decode(s, i)
		i += size
		switch {
		case r == zwnj:
			if prev == ' ' || prev == zwnj {
				return false
			}
		case r == 'ي' || r == 'ى' || r == 'ك' || r == tatweel:
			return false
		case isLetter(r):
		case isHaraka(r):
			if isHaraka(prev) {
				return false
			}
		case r == utf8.RuneError || !isStable(r) || isInvisible(r) || unicode.IsSpace(r) || r == '\u200b':
			// An invalid byte decodes as RuneError, which is not stable
			// either; a real U+FFFD goes the long way, harmlessly.
			return false
		}
		prev = r
	}
	return prev != ' ' && prev != zwnj
}

func displayRune(w *spacer, r rune) {
	switch {
	case r == 'ي' || r == 'ى':
		w.put('ی')
	case r == 'ك':
		w.put('ک')
	case isLetter(r):
		// Most runes of a paragraph: skip the table look-ups below.
		w.put(r)
	case r == tatweel || isInvisible(r):
	case r == zwnj || r == '\u200b':
		w.joiner()
	case unicode.IsSpace(r):
		w.space()
	case r == '\ufdfd':
		for _, d := range bismillah {
			displayRune(w, d)
		}
	case isPresentationForm(r):
		d := norm.NFKC.PropertiesString(string(r)).Decomposition()
		if d == nil {
			// Ornate parentheses and unassigned code points have no base
			// letters to go to.
			w.put(r)
			return
		}
		// A decomposition holds no presentation form, so this recursion
		// is one level deep.
		for _, dr := range string(d) {
			displayRune(w, dr)
		}
	default:
		w.put(r)
	}
}

func isPresentationForm(r rune) bool {
	return r >= 0xFB50 && r <= 0xFDFF || r >= 0xFE70 && r <= 0xFEFE
}

// isInvisible reports the format and control characters Display removes.
// ZWNJ and ZWJ are format characters too, but carry meaning.
func isInvisible(r rune) bool {
	switch {
	case r == '\u200e', r == '\u200f', r == '\u061c', r == '\ufeff', r == '\u00ad':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2060' && r <= '\u206f':
		return true
	}
	return unicode.IsControl(r) && !unicode.IsSpace(r)
}

// Match returns the matching form of s (docs/cleaning.md): words separated by single
// spaces.
func Match(s string) string { return fold(Display(s), ' ') }

// Key returns the matching form of s with every space removed: the identity
// of a paragraph for duplicate and learned-line detection (docs/cleaning.md).
func Key(s string) string { return fold(Display(s), 0) }

// Forms returns Match(s) and Key(s), folding s once where it can: the key
// is then the matching form without its spaces. Only where dropping a
// space brings a letter next to a mark it composes with (NFC) is the key
// folded on its own.
func Forms(s string) (match, key string) {
	d := Display(s)
	folded, stable := foldRaw(d, ' ')
	if stable {
		return folded, strings.ReplaceAll(folded, " ", "")
	}
	return nfc(folded), fold(d, 0)
}

// KeyHash returns the 64-bit FNV-1a hash of a Key form: how the store keeps
// a paragraph's identity, in 8 bytes instead of the paragraph. It is the
// same in every process and release (unlike hash/maphash); changing it
// would need a store migration. Two distinct keys share a hash with
// probability 2⁻⁶⁴ — among the tens of millions of paragraphs of years of
// crawling, never in practice.
func KeyHash(key string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= prime
	}
	return h
}

// fold turns a display form into the matching form, with words separated by
// sep, or joined when sep is 0.
func fold(s string, sep rune) string {
	folded, stable := foldRaw(s, sep)
	if stable {
		return folded
	}
	// Dropping a diacritic or a space can bring a letter next to a mark
	// it composes with.
	return nfc(folded)
}

// foldRaw is fold without its final NFC pass, which it reports is not
// needed when stable: every rune it wrote is NFC whatever surrounds it.
func foldRaw(s string, sep rune) (folded string, stable bool) {
	var b strings.Builder
	b.Grow(len(s))
	w := spacer{b: &b, sep: sep}
	stable = true // every rune written is NFC-stable
	for i := 0; i < len(s); {
		r, size := decode(s, i)
		if kept(r) {
			// Copy the whole run of letters that stay as they are: most of
			// every word.
			j := i + size
			for j < len(s) {
				next, n := decode(s, j)
				if !kept(next) {
					break
				}
				j += n
			}
			w.putString(s[i:j])
			i = j
			continue
		}
		i += size
		switch {
		case r >= '\u064b' && r <= '\u065f', r == '\u0670', r == zwj:
		case r == 'ة' || r == 'ۀ':
			w.put('ه')
		case r == 'أ' || r == 'إ' || r == 'ٱ':
			w.put('ا')
		case r == 'ؤ':
			w.put('و')
		case r >= '۰' && r <= '۹':
			w.put('0' + r - '۰')
		case r >= '٠' && r <= '٩':
			w.put('0' + r - '٠')
		case r == ' ' || r == zwnj || unicode.IsPunct(r) || unicode.IsSymbol(r):
			w.space()
		default:
			r = unicode.ToLower(r)
			stable = stable && isStable(r)
			w.put(r)
		}
	}
	return b.String(), stable
}

// kept reports the runes fold writes as they are: the Arabic-script
// letters it does not replace, ASCII lower-case letters and digits.
func kept(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
	}
	switch r {
	case 'ة', 'ۀ', 'أ', 'إ', 'ٱ', 'ؤ':
		return false
	}
	return isLetter(r)
}

// isLetter reports the Arabic-script letters that neither form changes
// (callers test the ones they replace first).
func isLetter(r rune) bool {
	return r >= 0x620 && r <= 0x64a && r != tatweel || r >= 0x671 && r <= 0x6d3
}

// decode returns the rune starting at byte i of s and its length, like
// utf8.DecodeRuneInString but with the two-byte sequences of the Arabic
// block (and Latin-1) decoded inline: they are most of a Persian text, and
// the general decoder is not inlined.
func decode(s string, i int) (rune, int) {
	if c := s[i]; c >= 0xc2 && c <= 0xdf && i+1 < len(s) && s[i+1]&0xc0 == 0x80 {
		return rune(c&0x1f)<<6 | rune(s[i+1]&0x3f), 2
	}
	return utf8.DecodeRuneInString(s[i:])
}

// nfc returns the NFC form of s. Most paragraphs hold only runes that are
// NFC whatever surrounds them, or a single vowel mark after such a rune,
// and checking that is several times faster than asking package norm.
func nfc(s string) string {
	afterMark := false
	for _, r := range s {
		switch {
		case isStable(r):
			afterMark = false
		case isHaraka(r) && !afterMark:
			afterMark = true
		default:
			return norm.NFC.String(s)
		}
	}
	return s
}

// isHaraka reports the Arabic vowel marks U+064B–U+0652 (tanwin, fatha,
// damma, kasra, shadda, sukun). No character composes with them, so one
// after a stable rune leaves the text NFC; two in a row may need
// reordering.
func isHaraka(r rune) bool { return r >= 0x64b && r <= 0x652 }

// isStable reports runes that NFC leaves alone in any context: starters
// that neither decompose nor compose with what follows. It covers Latin-1,
// the Arabic block without its combining marks, and general punctuation
// without the two singletons U+2000 and U+2001.
func isStable(r rune) bool {
	switch {
	case r < 0x300:
		return true
	case r >= 0x600 && r <= 0x6ff:
		return !(r >= 0x610 && r <= 0x61a || r >= 0x64b && r <= 0x65f || r == 0x670 || r >= 0x6d6 && r <= 0x6ed)
	}
	return r >= 0x2002 && r <= 0x206f
}

// spacer writes runes separated by at most one space or ZWNJ, never at
// either end, and never a ZWNJ next to a space: the separators are held back
// until the next visible rune shows they are inner.
type spacer struct {
	b      *strings.Builder
	sep    rune // written for a space; 0 drops spaces
	spaced bool // a space is pending
	joined bool // a ZWNJ is pending
}

func (w *spacer) put(r rune) {
	w.separate()
	w.b.WriteRune(r)
}

// putString writes the encoding of a rune, as found in the input.
func (w *spacer) putString(s string) {
	w.separate()
	w.b.WriteString(s)
}

// separate writes the separator held back, if any, before a visible rune.
func (w *spacer) separate() {
	if w.b.Len() > 0 {
		switch {
		case w.spaced && w.sep != 0:
			w.b.WriteRune(w.sep)
		case w.joined && !w.spaced:
			w.b.WriteRune(zwnj)
		}
	}
	w.spaced, w.joined = false, false
}

func (w *spacer) space() { w.spaced = true }

func (w *spacer) joiner() { w.joined = true }

// Digits replaces ASCII digits with Persian ones, for display.
func Digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '۰' + r - '0'
		}
		return r
	}, s)
}

// ASCIIDigits replaces Persian (U+06F0–U+06F9) and Arabic-Indic
// (U+0660–U+0669) digits with ASCII ones, for parsing.
func ASCIIDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '۰' && r <= '۹':
			return '0' + r - '۰'
		case r >= '٠' && r <= '٩':
			return '0' + r - '٠'
		}
		return r
	}, s)
}
