// Package mediadigest is the root of the module. It holds only the bundled
// sample outlets, which must be embedded from here because go:embed cannot
// reach testdata/ from a package below it.
package mediadigest

import "embed"

// SampleOutlets holds the pages, feeds and archives of the bundled sample
// outlets (testdata/outlets, described in its README.md): ISNA and
// Eghtesad24 on the Jalali days 1405/09/04 and 1405/09/05. Package
// sampleoutlets serves them on loopback for the demo, the tests and the
// benchmarks.
//
//go:embed testdata/outlets
var SampleOutlets embed.FS
