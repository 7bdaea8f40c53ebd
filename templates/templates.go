// Package templates holds the built-in templates: those of the digest mail,
// digest.html.tmpl (html/template) and digest.txt.tmpl (text/template), and
// under web/ those of the pages (package web and the packages built on it:
// a layout, one file per page, and the stylesheet).
//
// Both execute with a digest.Page: the model.Digest fields (.Date,
// .JalaliDate, .Subscriber, .Topics with .ID, .Name, .More and .Stories with
// .Title, .URL, .OutletName, .Published, .Summary, .Also, .Link),
// .Unsubscribe and .Preferences, plus .Day and .Stories (the number
// shown). Functions: jdate and jtime
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

//go:embed web
var web embed.FS

// FS returns the built-in templates of the digest mail.
func FS() fs.FS { return files }

// Web returns the templates and stylesheet of the pages, under web/.
func Web() fs.FS { return web }
