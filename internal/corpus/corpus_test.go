package corpus

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mediadigest/dedupe"
	"mediadigest/jalali"
	"mediadigest/model"
	"mediadigest/persian"
	"mediadigest/profile"
	"mediadigest/scrape"
)

func TestGenerateIsDeterministic(t *testing.T) {
	a, b, other := Generate(500, 7), Generate(500, 7), Generate(500, 8)
	differ := 0
	for _, i := range []int{0, 1, 17, 250, 499} {
		pa, pb := a.Page(i), b.Page(i)
		if !bytes.Equal(pa.HTML, pb.HTML) || !slices.Equal(pa.Expected, pb.Expected) || pa.CopyOf != pb.CopyOf {
			t.Errorf("page %d differs between two corpora of seed 7", i)
		}
		if !bytes.Equal(pa.HTML, other.Page(i).HTML) {
			differ++
		}
	}
	if differ == 0 {
		t.Error("seeds 7 and 8 give the same pages")
	}
}

func TestDays(t *testing.T) {
	tests := []struct {
		n    int
		last jalali.Date
	}{
		{1, jalali.Date{Year: 1405, Month: 1, Day: 1}},
		{PerDay, jalali.Date{Year: 1405, Month: 1, Day: 1}},
		{PerDay + 1, jalali.Date{Year: 1405, Month: 1, Day: 2}},
		{100_000, jalali.Date{Year: 1405, Month: 1, Day: 1}.AddDays(249)},
	}
	for _, tt := range tests {
		c := Generate(tt.n, 1)
		first, last := c.Days()
		if first != (jalali.Date{Year: 1405, Month: 1, Day: 1}) || last != tt.last {
			t.Errorf("Generate(%d).Days() = %v, %v; want 1405/01/01, %v", tt.n, first, last, tt.last)
		}
		if got := jalali.Of(c.Page(tt.n - 1).Published.In(c.Location())); got != tt.last {
			t.Errorf("Generate(%d): last page published on %v, want %v", tt.n, got, tt.last)
		}
	}
}

// TestPagesCleanToExpected runs the real extraction and cleaning over a
// sample of pages: every page must extract with its outlet's profile, and
// the clean view must be exactly the expected text. It also holds the
// corpus to its stated rates.
func TestPagesCleanToExpected(t *testing.T) {
	const n = 1500
	c := Generate(n, 1)
	type extracted struct {
		page Page
		raw  []string
	}
	pages := make([]extracted, n)
	occ := map[string]map[uint64]model.KeyUse{ISNA: {}, Eghtesad24: {}}
	for i := range n {
		p := c.Page(i)
		a, err := scrape.Extract(builtin(t, p.Outlet), p.URL, p.HTML)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if !a.Published.Equal(p.Published.Truncate(time.Minute)) && !a.Published.Equal(p.Published) {
			t.Errorf("page %d: published %v, want %v", i, a.Published, p.Published)
		}
		if a.Title != persian.Display(p.Title) {
			t.Errorf("page %d: title %q, want %q", i, a.Title, p.Title)
		}
		pages[i] = extracted{p, a.Raw}
		dedupe.Uses(occ[p.Outlet], a.Raw, p.Published)
	}
	learned := map[string]map[uint64]bool{}
	for outlet, o := range occ {
		learned[outlet] = dedupe.LearnedKeys(o, dedupe.DefaultLearnPolicy())
	}
	count := map[string]int{}
	for _, e := range pages {
		l := learned[e.page.Outlet]
		cl := dedupe.Clean(e.raw, rules(t, e.page.Outlet), func(k string) bool { return l[persian.KeyHash(k)] })
		want := make([]string, len(e.page.Expected))
		for k, p := range e.page.Expected {
			want[k] = persian.Display(p)
		}
		if !slices.Equal(cl.Paragraphs, want) {
			t.Errorf("page %d (%s): clean view\n%q\nwant\n%q\nremoved %v", e.page.Index, e.page.Outlet, cl.Paragraphs, want, cl.Removed)
		}
		if cl.Source != e.page.Source {
			t.Errorf("page %d: source %q, want %q", e.page.Index, cl.Source, e.page.Source)
		}
		count[e.page.Outlet]++
		if e.page.CopyOf >= 0 {
			count["copy"]++
		}
		reasons := map[string]bool{}
		for _, r := range cl.Removed {
			reasons[r.Reason] = true
		}
		for r := range reasons {
			count[r]++
		}
	}
	rates := []struct {
		what     string
		want, by float64
	}{
		{ISNA, isnaShare, 0.04},
		{"copy", (1 - isnaShare) * copyShare, 0.02},
		{model.ReasonPromo, promoRate, 0.04},
		{model.ReasonDuplicate, duplicateRate, 0.02},
		{model.ReasonAttribution, (1 - isnaShare) * (copyShare + (1-copyShare)*otherSourceRate), 0.02},
		{model.ReasonLearned, (1 - isnaShare) * channelRate, 0.04},
	}
	for _, r := range rates {
		if got := float64(count[r.what]) / n; got < r.want-r.by || got > r.want+r.by {
			t.Errorf("%s on %.3f of the pages, want %.3f ± %.2f", r.what, got, r.want, r.by)
		}
	}
}

func TestCopiesRepublishEarlierISNAArticles(t *testing.T) {
	c := Generate(600, 3)
	copies := 0
	for i := range 600 {
		p := c.Page(i)
		if p.CopyOf < 0 {
			continue
		}
		copies++
		orig := c.Page(p.CopyOf)
		if p.Outlet != Eghtesad24 || orig.Outlet != ISNA || !orig.Published.Before(p.Published) || p.Source != ISNA {
			t.Errorf("page %d (%s, source %q) copies page %d (%s): want an Eghtesad24 copy of an earlier ISNA article naming ISNA",
				i, p.Outlet, p.Source, p.CopyOf, orig.Outlet)
		}
		// Light edits: nearly every word of the copy is the original's.
		if s := overlap(p.Expected, orig.Expected); s < 0.7 {
			t.Errorf("page %d keeps %.2f of the words of page %d, want a light edit", i, s, p.CopyOf)
		}
	}
	if copies == 0 {
		t.Fatal("no copies in 600 pages")
	}
}

func TestHandler(t *testing.T) {
	c := Generate(PerDay+10, 1)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	var isnaPage, eghPage Page
	for i := range 20 {
		if p := c.Page(i); p.Outlet == ISNA && isnaPage.URL == "" {
			isnaPage = p
		} else if p.Outlet == Eghtesad24 && eghPage.URL == "" {
			eghPage = p
		}
	}
	path := func(u string) string {
		return strings.TrimPrefix(strings.TrimPrefix(u, "https://www.isna.ir"), "https://eghtesaad24.ir")
	}
	tests := []struct {
		path   string
		status int
		body   []byte // nil: any
		has    string
	}{
		{"/robots.txt", 200, nil, "User-agent: *"},
		{path(isnaPage.URL), 200, isnaPage.HTML, ""},
		{isnaPage.Path, 200, isnaPage.HTML, ""},
		{path(eghPage.URL), 200, eghPage.HTML, ""},
		{eghPage.Path, 200, eghPage.HTML, ""},
		{"/news/1405010100399", 404, nil, ""},         // past the corpus
		{"/news/1404122900001", 404, nil, ""},         // before it
		{"/fa/news/" + isnaPage.ID[8:], 404, nil, ""}, // not an Eghtesad24 id
		{"/page/archive.xhtml?ms=0&dy=1&mn=1&yr=1405&pi=1", 200, nil, `class="items"`},
		{"/page/archive.xhtml?ms=0&dy=2&mn=1&yr=1405&pi=9", 200, nil, "خبری یافت نشد"},
		{"/fa/archive?service_id=-1&from_date=1405/01/01&to_date=1405/01/01&p=1", 200, nil, "linear_news"},
		{"/fa/archive?from_date=x", 400, nil, ""},
		{"/fa/rss/allnews", 404, nil, ""},
	}
	for _, tt := range tests {
		resp, err := http.Get(srv.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s: %d, want %d", tt.path, resp.StatusCode, tt.status)
			continue
		}
		if tt.body != nil && !bytes.Equal(body, tt.body) {
			t.Errorf("GET %s: not the page's HTML", tt.path)
		}
		if !strings.Contains(string(body), tt.has) {
			t.Errorf("GET %s: no %q in the body", tt.path, tt.has)
		}
	}
}

// TestBackfillFromHandler has the real crawler walk the archive of the
// corpus's first day for each outlet: it must page through the archive
// and fetch every article of the day once.
func TestBackfillFromHandler(t *testing.T) {
	c := Generate(PerDay+37, 5)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	crawler := scrape.New(scrape.Options{Parallelism: 4, Retries: -1})
	first, _ := c.Days()
	for _, outlet := range []string{ISNA, Eghtesad24} {
		var want []string
		for i := range PerDay {
			if p := c.Page(i); p.Outlet == outlet {
				want = append(want, p.Title)
			}
		}
		var mu sync.Mutex
		var got []string
		o := scrape.Outlet{ID: outlet, BaseURL: srv.URL, Profile: builtin(t, outlet)}
		st, err := crawler.Backfill(context.Background(), o, first, nil, func(_ context.Context, p scrape.Page) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, p.Article.Title)
			return scrape.OutcomeNew, nil
		})
		if err != nil || st.Failed > 0 {
			t.Fatalf("%s: backfill: %v (%+v)", outlet, err, st.Errors)
		}
		slices.Sort(got)
		slices.Sort(want)
		if len(want) <= ArchivePageSize || !slices.Equal(got, displayAll(want)) {
			t.Errorf("%s: backfill stored %d articles, want the %d of the day", outlet, len(got), len(want))
		}
	}
}

func builtin(t *testing.T, outlet string) *profile.Profile {
	t.Helper()
	p, err := profile.Builtin(outlet)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// rules builds an outlet's cleaning rules from its profile, as the
// pipeline does.
func rules(t *testing.T, outlet string) dedupe.Rules {
	p := builtin(t, outlet)
	r := dedupe.Rules{PromoMarkers: p.PromoMarkers, EndMarkers: p.EndMarkers,
		Outlets: map[string]string{"ایسنا": ISNA, "اقتصاد۲۴": Eghtesad24}}
	for _, d := range p.Datelines {
		r.Datelines = append(r.Datelines, regexp.MustCompile(d))
	}
	return r
}

func displayAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = persian.Display(x)
	}
	slices.Sort(out)
	return out
}

// overlap is the share of the words of a found in b, on matching forms.
func overlap(a, b []string) float64 {
	words := map[string]int{}
	for _, w := range strings.Fields(persian.Match(strings.Join(b, " "))) {
		words[w]++
	}
	aw := strings.Fields(persian.Match(strings.Join(a, " ")))
	found := 0
	for _, w := range aw {
		if words[w] > 0 {
			words[w]--
			found++
		}
	}
	return float64(found) / float64(len(aw))
}

// BenchmarkPage measures the generator alone, the share of the pipeline
// benchmarks spent serving pages.
func BenchmarkPage(b *testing.B) {
	c := Generate(100_000, 1)
	i := 0
	for b.Loop() {
		c.Page(i % c.Len())
		i += 7919
	}
}
