// Package browsertest runs the pages' tests in a real browser: a headless
// Chromium driven with chromedp, on loopback only.
//
// The browser is the one $MEDIADIGEST_TEST_CHROMIUM names, else the first
// of chromium, chromium-browser, google-chrome or headless-shell on the
// PATH. `.ci/run` installs Debian's chromium with .ci/chromium and exports
// the variable. `go test` itself installs nothing: without a browser, the
// browser tests are skipped with one line saying how to run them, and fail
// in CI ($CI=true), which must run them (docs/testing.md).
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvPath names the environment variable holding the browser's path.
const EnvPath = "MEDIADIGEST_TEST_CHROMIUM"

// Timeout bounds one browser test, so that a browser that hangs fails the
// test instead of the whole run.
const Timeout = 2 * time.Minute

// Start starts a fresh browser (its own profile in a temporary directory)
// for the test and returns the context of one tab: pass it to chromedp.Do
// and chromedp.Run. The browser is closed when the test ends.
func Start(t testing.TB) context.Context {
	t.Helper()
	path, err := browser()
	if err != nil {
		msg := "browser tests skipped: " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), Timeout)
	// This machine reaches nothing but loopback: every background fetch
	// the browser would make on its own is turned off.
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
	})
	if err := chromedp.Do(tab); err != nil { // starts the browser
		t.Fatalf("start %s: %v", path, err)
	}
	return tab
}

// browser finds the browser to run.
func browser() (string, error) {
	if p := os.Getenv(EnvPath); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", err
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found and $" + EnvPath + " unset; run them with `export " + EnvPath + "=$(.ci/chromium)` (or .ci/run)")
}

// Screenshot saves the whole page as a PNG into $MEDIADIGEST_SCREENSHOTS
// (when set; nothing otherwise), as name-WIDTH.png, laid out width CSS
// pixels wide, for a person to look at. It reloads the page at that
// width, as a page resized in place can keep its former scroll offset:
// take it of pages a GET shows.
func Screenshot(t testing.TB, tab context.Context, name string, width int64) {
	t.Helper()
	dir := os.Getenv("MEDIADIGEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	// The viewport is made as tall as the page, then captured: Chromium's
	// capture beyond the viewport shifts a right-to-left page sideways.
	if err := chromedp.Do(tab, chromedp.EmulateViewport(width, 800), chromedp.Reload()); err != nil {
		t.Fatalf("screenshot of %s: %v", name, err)
	}
	height, err := chromedp.Run(tab, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", name, err)
	}
	if err := chromedp.Do(tab, chromedp.EmulateViewport(width, max(height, 600))); err != nil {
		t.Fatalf("screenshot of %s: %v", name, err)
	}
	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot of %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
