package scrape

import (
	"strings"
	"testing"
	"time"
)

// TestPublishedTime: the date printed nearest the headline, never the
// header's "today"; the metadata's time when it agrees (its seconds), the
// printed one when they disagree; zero (for the caller to mark guessed)
// when the page has no date; and bad dates read as none.
func TestPublishedTime(t *testing.T) {
	const (
		header = `<header class="site-header"><div class="today_date">جمعه ۲۱ تير ۱۳۹۸ - ۱۸:۲۱</div><ul class="menu"><li><a href="/">صفحه نخست</a></li></ul></header>`
		body   = `<div class="body"><p>متن نخست خبر که به اندازه کافی بلند است تا بدنه خبر شناخته شود و خواننده آن را بخواند.</p><p>پاراگراف دوم خبر.</p></div>`
		title  = `<h1>عنوان خبر</h1>`
	)
	at := func(y int, m time.Month, d, h, min, s int) time.Time {
		return time.Date(y, m, d, h, min, s, 0, time.UTC)
	}
	tests := []struct {
		name string
		page string
		want time.Time // zero: no date found
	}{
		{"only the header's today", header + title + body, time.Time{}},
		{"the header's today and the article's", header + title + `<div class="news_pdate_c">تاریخ انتشار: ۱۹ تير ۱۳۹۸ - ۱۰:۰۵</div>` + body,
			at(2019, 7, 10, 5, 35, 0)},
		{"two dates by the headline: the nearest", `<span class="date">۱ تیر ۱۴۰۲ - ۰۸:۰۰</span><div class="toolbar">` + strings.Repeat("ابزار ", 30) + `</div>` + title +
			`<span class="date">۲ تیر ۱۴۰۲ - ۰۹:۳۰</span>` + body, at(2023, 6, 23, 6, 0, 0)},
		{"an impossible day is no date", title + `<span class="date">۳۱ اسفند ۱۴۰۳ - ۱۰:۰۰</span>` + body, time.Time{}},
		{"an impossible day beside a real one", title + `<span>۳۱ اسفند ۱۴۰۳ - ۱۰:۰۰</span><span class="date">۲۸ اسفند ۱۴۰۳ - ۱۱:۰۰</span>` + body,
			at(2025, 3, 18, 7, 30, 0)},
		{"a <time> with garbage, its text read", title + `<time datetime="yesterday-ish">۵ آذر ۱۴۰۵ ۱۰:۱۵</time>` + body, at(2026, 11, 26, 6, 45, 0)},
		{"a <time> with garbage only", title + `<time datetime="2026-13-45T99:99">دیروز</time>` + body, time.Time{}},
		{"a <time> holding a Jalali date in Persian digits", title + `<time datetime="۱۳۹۸/۰۲/۱۲ ۱۶:۱۲">پنج‌شنبه ۱۲ اردیبهشت ۱۳۹۸</time>` + body,
			at(2019, 5, 2, 11, 42, 0)},
		{"a date in a related box after the body", title + body + `<div class="related"><span>۱ تیر ۱۴۰۲</span></div>`, time.Time{}},
		{"metadata agreeing: its seconds", `<meta property="article:published_time" content="2023-06-22T08:00:42+03:30">` + title + `<span>۱ تیر ۱۴۰۲ - ۰۸:۰۰</span>` + body,
			at(2023, 6, 22, 4, 30, 42)},
		{"metadata of the same day, the page printing no clock", `<meta property="article:published_time" content="2023-06-22T08:00:42+03:30">` + title + `<span>۱ تیر ۱۴۰۲</span>` + body,
			at(2023, 6, 22, 4, 30, 42)},
		{"a live report: the printed date over updated metadata", `<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2023-06-22T13:45:00+03:30"}</script>` + title + `<span>۱ تیر ۱۴۰۲ - ۰۸:۰۰</span>` + body,
			at(2023, 6, 22, 4, 30, 0)},
		{"JSON-LD only, in a graph", `<script type="application/ld+json">{"@graph":[{"@type":"WebSite"},{"@type":"NewsArticle","datePublished":"2023-06-22T08:00:00+03:30"}]}</script>` + title + body,
			at(2023, 6, 22, 4, 30, 0)},
		{"broken JSON-LD", `<script type="application/ld+json">{"datePublished": </script>` + title + body, time.Time{}},
		{"JSON-LD nested past the walk's depth", `<script type="application/ld+json">` + strings.Repeat(`{"a":`, 200) + `{"datePublished":"2023-06-22T08:00:00Z"}` + strings.Repeat(`}`, 200) + `</script>` + title + body,
			time.Time{}},
		{"a Jalali article:published_time", `<meta property="article:published_time" content="۱۳۹۸/۰۴/۲۱ - ۱۷:۲۱">` + title + body, at(2019, 7, 12, 12, 51, 0)},
		{"no headline: metadata only", `<meta property="article:published_time" content="2023-06-22T08:00:00+03:30"><title>عنوان - سایت</title><span>۱ تیر ۱۴۰۰</span>` + body,
			at(2023, 6, 22, 4, 30, 0)},
	}
	generic := builtin(t, "generic")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Extract(generic, "https://example.com/news/1", []byte("<html><body>"+tt.page+"</body></html>"))
			if err != nil {
				t.Fatal(err)
			}
			if !a.Published.Equal(tt.want) {
				t.Errorf("published %v, want %v", a.Published, tt.want)
			}
		})
	}
}

// TestDeepPage: a body of 10,000 nested elements extracts without a
// panic, its text read and its date found.
func TestDeepPage(t *testing.T) {
	const depth = 10000
	var b strings.Builder
	b.WriteString(`<html><body><h1>عنوان خبر</h1><span class="date">۱ تیر ۱۴۰۲ - ۰۸:۰۰</span>`)
	for range depth {
		b.WriteString(`<div>`)
	}
	b.WriteString(`<p>متن خبر در عمق صفحه‌ای که ده هزار عنصر تو در تو دارد.</p>`)
	for range depth {
		b.WriteString(`</div>`)
	}
	b.WriteString(`</body></html>`)
	for _, id := range []string{"generic", "eghtesad24", "isna"} {
		a, err := Extract(builtin(t, id), "https://example.com/news/1", []byte(b.String()))
		if id != "generic" {
			// The profiles' markup is absent: a clear error, no panic.
			if err == nil {
				t.Errorf("%s: extracted a page without its markup", id)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Raw) != 1 || !strings.Contains(a.Raw[0], "ده هزار") || a.Published.IsZero() {
			t.Errorf("%s: %+v", id, a)
		}
	}
}
