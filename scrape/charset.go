package scrape

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
)

// metaScanLimit is how far into a page decode looks for a <meta> charset.
// charset.DetermineEncoding stops at 1024 bytes, but Persian CMSs put long
// inline scripts and styles before the declaration.
const metaScanLimit = 8 << 10

// utf8Majority is how many valid multi-byte UTF-8 characters a body must
// hold per invalid byte to be read as UTF-8 when it declares nothing. A
// UTF-8 page with a stray byte holds thousands per byte; a Persian text in
// windows-1256 holds about one per forty invalid bytes, formed by accident
// (measured on the sample outlets' pages and the story evaluation texts):
// far below, either way.
const utf8Majority = 50

// DecodedContentType is the Content-Type of a Page.Body, which is stored
// decoded: Decode a stored page with it.
const DecodedContentType = "text/html; charset=utf-8"

// Decode converts an HTML body to valid UTF-8. It is the one way from bytes
// to text: the crawl, extract (of a URL or a saved file) and reprocess all
// read pages through it (docs/crawling.md).
//
// It finds the encoding the way browsers do: byte-order mark, then the
// Content-Type header (contentType, "" when there is none), then a <meta>
// declaration in the first 8 KiB, then a guess. The guess is UTF-8 for
// bodies that are UTF-8 but for a few stray bytes (see mostlyUTF8), else
// windows-1256: Persian sites that declare nothing use it, never
// windows-1252 (DetermineEncoding's default). Invalid bytes of a body read
// as UTF-8 become U+FFFD.
//
// A body declared windows-1256 or ISO-8859-6 whose bytes are UTF-8 holding
// Arabic-script text is read as UTF-8, a common misconfiguration of
// Iranian sites: warning then says so, for the caller to log with the
// page's address. An error means the body declares a charset Decode does
// not know and is not UTF-8.
func Decode(body []byte, contentType string) (text []byte, warning string, err error) {
	e, name, certain := charset.DetermineEncoding(body, contentType)
	if !certain {
		e, name = nil, ""
		label := metaCharset(body[:min(len(body), metaScanLimit)])
		if label != "" {
			e, name = charset.Lookup(label)
		}
		switch {
		case strings.HasPrefix(name, "utf-16"):
			// A meta tag cannot be read in UTF-16, so it lies (HTML spec).
			e, name = nil, "utf-8"
		case e == nil && mostlyUTF8(body):
			name = "utf-8"
		case e == nil && label != "":
			return nil, "", fmt.Errorf("page declares unknown charset %q and is not UTF-8", label)
		case e == nil:
			e, name = charmap.Windows1256, "windows-1256"
		}
	}
	if (name == "windows-1256" || name == "iso-8859-6") && arabicUTF8(body) {
		warning = fmt.Sprintf("page declares charset %s but is UTF-8 holding Arabic-script text: read as UTF-8", name)
		name = "utf-8"
	}
	var out []byte
	if name == "utf-8" {
		out = body
	} else {
		var err error
		if out, err = e.NewDecoder().Bytes(body); err != nil {
			return nil, "", fmt.Errorf("decode %s: %w", name, err)
		}
	}
	out = bytes.TrimPrefix(out, []byte("\uFEFF"))
	return bytes.ToValidUTF8(out, []byte("\uFFFD")), warning, nil
}

// arabicUTF8 reports whether body is valid UTF-8 whose letters beyond
// ASCII are mostly of the Arabic script. Text really in windows-1256 is
// almost never valid UTF-8 at all: its letters (0xC1–0xFE) follow each
// other, where UTF-8 wants a continuation byte (0x80–0xBF) after each
// lead. The few runs that are valid read as Latin, Greek or Cyrillic
// letters, which the majority rule outweighs.
func arabicUTF8(body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	arabic, other := 0, 0
	for _, r := range string(body) {
		switch {
		case r < utf8.RuneSelf || !unicode.IsLetter(r):
		case unicode.Is(unicode.Arabic, r):
			arabic++
		default:
			other++
		}
	}
	return arabic > other
}

// mostlyUTF8 reports whether body is UTF-8 with at most one invalid byte
// per utf8Majority valid multi-byte characters. A truncated or corrupted
// UTF-8 page keeps its text that way; decoding it as windows-1256 would
// garble all of it to save a byte.
func mostlyUTF8(body []byte) bool {
	if utf8.Valid(body) {
		return true
	}
	valid, invalid := 0, 0
	for len(body) > 0 {
		if body[0] < utf8.RuneSelf {
			body = body[1:]
			continue
		}
		r, n := utf8.DecodeRune(body)
		if r == utf8.RuneError && n == 1 {
			invalid++
		} else {
			valid++
		}
		body = body[n:]
	}
	return valid >= utf8Majority*invalid
}

// metaCharset returns the charset label a <meta charset> or
// <meta http-equiv="content-type"> in b declares, or "".
func metaCharset(b []byte) string {
	z := html.NewTokenizer(bytes.NewReader(b))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			if string(name) != "meta" {
				continue
			}
			var content string
			var pragma bool
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				switch string(k) {
				case "charset":
					return strings.TrimSpace(string(v))
				case "http-equiv":
					pragma = strings.EqualFold(string(v), "content-type")
				case "content":
					content = string(v)
				}
			}
			if pragma {
				if _, params, err := mime.ParseMediaType(content); err == nil && params["charset"] != "" {
					return params["charset"]
				}
			}
		}
	}
}
