// Package outletmarkup holds the page templates of the sample outlets: the
// ISNA and Eghtesad24 markup of docs/configuration.md#the-built-in-profiles with their head, menus, sidebars,
// related boxes, footer and scripts. The sample-outlet generator and the
// benchmark corpus render the same templates, so both crawl the same markup.
package outletmarkup

import "embed"

// FS holds templates/*.html (pages), *.xml (feeds) and *.txt (robots.txt).
//
//go:embed templates
var FS embed.FS
