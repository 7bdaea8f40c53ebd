// Package templates holds the built-in templates of the digest mail:
// digest.html.tmpl (html/template) and digest.txt.tmpl (text/template).
//
// Both execute with a digest.Page: the model.Digest fields (.Date,
// .JalaliDate, .Subscriber, .Topics with .ID, .Name, .More and .Stories with
// .Title, .URL, .OutletName, .Published, .Summary, .Also), plus .Day,
// .Stories (the number shown) and .Unsubscribe. Functions: jdate and jtime
// (a time as a Jalali date or a clock time in Persian digits, in the
// digest's zone), digits (anything printed with Persian digits), total (the
// stories of a topic, the cut ones included), and msoStart / msoEnd (the
// fixed-width table that Outlook for Windows needs, as it ignores max-width).
package templates

import (
	"embed"
	"io/fs"
)

//go:embed *.tmpl
var files embed.FS

// FS returns the built-in templates.
func FS() fs.FS { return files }
