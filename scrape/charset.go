package scrape

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
)

// metaScanLimit is how far into a page decode looks for a <meta> charset.
// charset.DetermineEncoding stops at 1024 bytes, but Persian CMSs put long
// inline scripts and styles before the declaration.
const metaScanLimit = 8 << 10

// decode converts an HTML body to valid UTF-8, finding its encoding the way
// browsers do: byte-order mark, then the Content-Type header, then a <meta>
// declaration in the first 8 KiB, then a guess. The guess is windows-1256
// for bodies that are not valid UTF-8: Persian sites that declare nothing
// use it, never windows-1252 (DetermineEncoding's default).
func decode(body []byte, contentType string) ([]byte, error) {
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
		case e == nil && utf8.Valid(body):
			name = "utf-8"
		case e == nil && label != "":
			return nil, fmt.Errorf("page declares unknown charset %q and is not UTF-8", label)
		case e == nil:
			e, name = charmap.Windows1256, "windows-1256"
		}
	}
	var out []byte
	if name == "utf-8" {
		out = body
	} else {
		var err error
		if out, err = e.NewDecoder().Bytes(body); err != nil {
			return nil, fmt.Errorf("decode %s: %w", name, err)
		}
	}
	out = bytes.TrimPrefix(out, []byte("\uFEFF"))
	return bytes.ToValidUTF8(out, []byte("\uFFFD")), nil
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
