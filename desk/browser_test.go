package desk

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"mediadigest/internal/browsertest"
)

// TestDeskInBrowser: in a real browser, the sign-in link opens the desk
// on today's stories; the petrol quota story's link opens its page, where
// Eghtesad24's copy shows what it dropped and added against ISNA's. Every
// page reads right to left and fits a 375 px phone without sideways
// scrolling. With $MEDIADIGEST_SCREENSHOTS set (scripts/screenshot-desk),
// each page is saved at 375 and 1280 px.
func TestDeskInBrowser(t *testing.T) {
	f := sqliteFixture(t)
	petrol := f.article(t, petrolCopy)
	tab := browsertest.Start(t) // its time (browsertest.Timeout) starts now
	signInBrowser(t, tab, f)
	fits(t, tab, "today")

	link := fmt.Sprintf(`section[aria-labelledby="topic-energy"] a[href="/story/%s"]`, petrol.Story)
	copyDiff := `.version:not(.first) .diff`
	if err := chromedp.Do(tab, chromedp.Click(link), chromedp.WaitVisible(copyDiff)); err != nil {
		t.Fatal(err)
	}
	dropped, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('`+copyDiff+` del')].map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	added, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('`+copyDiff+` ins')].map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"در گفت‌وگو با ایسنا", "پارسال", "بخشی از این افزایش ناشی از رشد ناوگان خودرویی و بخشی نیز به دلیل قاچاق سوخت است.", "جایگاه‌های سوخت"}; !slices.Equal(dropped, want) {
		t.Errorf("Eghtesad24's copy shows dropped %q,\nwant %q", dropped, want)
	}
	if want := []string{"سال گذشته", "جایگاه‌ها"}; !slices.Equal(added, want) {
		t.Errorf("Eghtesad24's copy shows added %q, want %q", added, want)
	}
	struck, err := chromedp.Run(tab, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('`+copyDiff+` del')).textDecorationLine`))
	if err != nil || struck != "line-through" {
		t.Errorf("dropped words are drawn %q, %v; want struck through", struck, err)
	}
	fits(t, tab, "story")

	if err := chromedp.Do(tab, chromedp.Navigate(fmt.Sprintf("%s/article/%d", f.srv.URL, petrol.ID)), chromedp.WaitVisible(`table.removed`)); err != nil {
		t.Fatal(err)
	}
	fits(t, tab, "article")
}

// signInBrowser opens the sign-in link of analyst@example.com in tab,
// which must lead to the desk's day.
func signInBrowser(t *testing.T, tab context.Context, f *fixture) {
	t.Helper()
	login, err := f.desk.site.LoginURL("analyst@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(f.srv.URL+login), chromedp.WaitVisible(`#topic-energy`)); err != nil {
		t.Fatal(err)
	}
	if loc, err := chromedp.Run(tab, chromedp.Location()); err != nil || loc != f.srv.URL+"/" {
		t.Errorf("the sign-in link led to %s, %v; want the desk", loc, err)
	}
}

// fits checks the page in tab reads right to left and needs no sideways
// scrolling at 375 px, and saves its screenshots (browsertest.Screenshot).
func fits(t *testing.T, tab context.Context, name string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.EmulateViewport(375, 800), chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	layout, err := chromedp.Run(tab, chromedp.Evaluate[struct {
		Dir            string
		Scroll, Client int
	}](`({dir: getComputedStyle(document.body).direction, scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})`))
	if err != nil {
		t.Fatal(err)
	}
	if layout.Dir != "rtl" || layout.Scroll > layout.Client {
		t.Errorf("%s at 375 px: direction %s, %d px wide in a window of %d", name, layout.Dir, layout.Scroll, layout.Client)
	}
	for _, w := range []int64{375, 1280} {
		browsertest.Screenshot(t, tab, "desk-"+name, w)
	}
}

// TestSearchInBrowser: in a real browser, a signed-in analyst types a
// query spelled with other spacing than the text (کارتهای for
// کارت‌های), gets the petrol quota story "in 2 outlets", opens its page
// and sees Eghtesad24's changes; a query matching more than a page is
// paged through with the page's links. The page fits a phone.
func TestSearchInBrowser(t *testing.T) {
	f := sqliteFixture(t)
	petrol := f.article(t, petrolCopy)
	tab := browsertest.Start(t) // its time (browsertest.Timeout) starts now
	signInBrowser(t, tab, f)
	if err := chromedp.Do(tab, chromedp.Click(`nav a[href="/search"]`), chromedp.WaitVisible(`form.search input[name="q"]`),
		chromedp.SendKeys(`form.search input[name="q"]`, "کارتهای سوخت"),
		chromedp.Submit(`form.search input[name="q"]`), chromedp.WaitVisible(`ol.hits`)); err != nil {
		t.Fatal(err)
	}
	hit := fmt.Sprintf(`ol.hits h2 a[href="/story/%s"]`, petrol.Story)
	outlets, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('li.hit:has(h2 a[href="/story/`+petrol.Story+`"]) .outlets')?.textContent ?? ""`))
	if err != nil || outlets != "در ۲ رسانه" {
		t.Errorf("the petrol story's hit says %q, %v; want در ۲ رسانه", outlets, err)
	}
	fits(t, tab, "search")
	if err := chromedp.Do(tab, chromedp.Click(hit), chromedp.WaitVisible(`.version:not(.first) .diff del`)); err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(tab, chromedp.Navigate(f.srv.URL+"/search?q="+urlQuery("در")), chromedp.WaitVisible(`a[rel="next"]`)); err != nil {
		t.Fatal(err)
	}
	first, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('ol.hits h2 a')].map(a => a.getAttribute('href'))`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Click(`a[rel="next"]`), chromedp.WaitVisible(`a[rel="prev"]`)); err != nil {
		t.Fatal(err)
	}
	second, err := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('ol.hits h2 a')].map(a => a.getAttribute('href'))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 20 || len(second) == 0 || slices.ContainsFunc(second, func(s string) bool { return slices.Contains(first, s) }) {
		t.Errorf("page 1 %q, page 2 %q: want 20, then others", first, second)
	}
}
