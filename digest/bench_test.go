package digest

import (
	"fmt"
	"testing"
	"time"

	"mediadigest/model"
)

// synthetic returns n stories spread over the sample day, a quarter without
// a topic and a third republished by a second outlet.
func synthetic(n int, from time.Time) []model.Story {
	outlets := []string{"isna", "eghtesad24", "irna", "mehr"}
	topics := []string{"energy", "politics", "economy", ""}
	stories := make([]model.Story, n)
	for i := range stories {
		a := model.Article{
			URL:       fmt.Sprintf("https://www.isna.ir/news/14050905%05d/", i),
			Outlet:    outlets[i%len(outlets)],
			Title:     fmt.Sprintf("خبر شماره %d درباره صادرات نفت و گاز و بازار ارز", i),
			RawLead:   "معاون وزیر نفت از افزایش صادرات گاز به کشورهای همسایه در ماه‌های آینده خبر داد و گفت قراردادهای تازه‌ای در دست امضا است.",
			Published: from.Add(time.Duration(i%86400) * time.Second),
		}
		s := model.Story{ID: fmt.Sprintf("st-%d", i), Headline: a, Topics: []string{topics[i%len(topics)]}}
		if i%3 == 0 {
			b := a
			b.Outlet, b.URL = outlets[(i+1)%len(outlets)], a.URL+"copy"
			s.Also = []model.Article{b}
		}
		stories[i] = s
	}
	return stories
}

func BenchmarkBuildAndRender(b *testing.B) {
	d := loadDay(b)
	win := sampleDay(b)
	stories := synthetic(20000, win.From)
	r := newRenderer(b, "")
	o := Options{Location: tehran(b), OutletNames: d.Outlets}
	sub := Subscriber{Email: "analyst@example.com"}
	for b.Loop() {
		dg := Build(stories, d.Topics, sub, win, o)
		if _, err := r.HTML(dg); err != nil {
			b.Fatal(err)
		}
		if _, err := r.Text(dg); err != nil {
			b.Fatal(err)
		}
	}
}
