package profile

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestEghtesad24ExtendsItsFamily: Eghtesad24 builds on iransamaneh and
// reads its pages exactly as the standalone profile it replaced did.
func TestEghtesad24ExtendsItsFamily(t *testing.T) {
	standalone, err := Parse("eghtesad24-standalone.yaml", []byte(`
id: eghtesad24
name: اقتصاد۲۴
feeds: [/fa/rss/allnews]
article_url: '^/fa/news/(\d+)(?:/[^?#]*)?$'
canonical: /fa/news/{id}
hosts: [www.eghtesaad24.ir]
selectors:
  container: "#news"
  title: h1
  lead: .subtitle
  body: ".body p"
  date: .news_pdate_c
  date_meta: "meta[property='article:published_time']"
  section: ".news_path a"
  tags: ".tags_title a"
promo_markers: []
end_markers: []
datelines:
  - '^اقتصاد ?(۲۴|24) *[-–] *'
archive:
  url: "/fa/archive?service_id=-1&sec_id=-1&cat_id=-1&rpp=100&from_date={year}/{mm}/{dd}&to_date={year}/{mm}/{dd}&p={page}"
  calendar: jalali
  first_page: 1
`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Builtin("eghtesad24")
	if err != nil {
		t.Fatal(err)
	}
	if got.Extends != "iransamaneh" {
		t.Errorf("extends %q", got.Extends)
	}
	got.Extends = ""
	// nil and empty lists read the same.
	for _, l := range []*[]string{&got.PromoMarkers, &got.EndMarkers, &got.SponsoredMarkers, &got.MetadataLines, &standalone.PromoMarkers, &standalone.EndMarkers} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	if !reflect.DeepEqual(got, standalone) {
		t.Errorf("eghtesad24 =\n%+v\nwant\n%+v", got, standalone)
	}
}

func TestExtends(t *testing.T) {
	p, err := Parse("tabnak.yaml", []byte(`
id: tabnak
extends: iransamaneh
feeds: [/fa/rss/allnews, /fa/rss/1]
selectors:
  title: h1.Htag
  kicker: ""
end_markers: ["پایان خبر"]
metadata_lines: ["بازدید"]
timezone: Asia/Kabul
`))
	if err != nil {
		t.Fatal(err)
	}
	base, err := Builtin("iransamaneh")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ what, got, want string }{
		{"id", p.ID, "tabnak"},
		{"name (never inherited)", p.Name, ""},
		{"title (overridden)", p.Selectors.Title, "h1.Htag"},
		{"kicker (cleared)", p.Selectors.Kicker, ""},
		{"lead (inherited)", p.Selectors.Lead, base.Selectors.Lead},
		{"body (inherited)", p.Selectors.Body, base.Selectors.Body},
		{"article_url (inherited)", p.ArticleURL, base.ArticleURL},
		{"archive (inherited)", p.Archive.URL, base.Archive.URL},
		{"feeds (replaced)", strings.Join(p.Feeds, " "), "/fa/rss/allnews /fa/rss/1"},
		{"end_markers (extended)", strings.Join(p.EndMarkers, "|"), strings.Join(append(slices.Clone(base.EndMarkers), "پایان خبر"), "|")},
		{"metadata_lines", strings.Join(p.MetadataLines, "|"), "بازدید"},
		{"zone", p.Location().String(), "Asia/Kabul"},
		{"base untouched", base.Selectors.Kicker, ".rutitr, .rutitr_body"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.what, tt.got, tt.want)
		}
	}

	bad := []struct{ name, yaml, want string }{
		{"unknown base", "id: x\nextends: tabnak\n", `x.yaml: extends: profile "tabnak": no built-in profile of that name`},
		{"path as base", "id: x\nextends: ../examples/mehr\n", "no built-in profile of that name"},
		{"no id of its own", "extends: iransamaneh\n", "id is required"},
		{"a bad key still reported", "id: x\nextends: iransamaneh\nselectors: {titel: h1}\n", `unknown key "titel"`},
		{"a bad dateline of the extension", "id: x\nextends: eghtesad24\ndatelines: ['((']\n", "dateline"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
