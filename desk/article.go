package desk

import (
	"net/http"
	"strconv"

	"mediadigest/model"
)

// articlePage is the data of article.html.tmpl.
type articlePage struct {
	articleView
	Kicker, Section string
	Tags            []string
	Topics          []string // names, best first
	Lead            string
	Paragraphs      []string // the clean view's, or the raw ones before cleaning ran
	Story           string   // the link to its story, "" before cleaning ran
}

// article is GET /article/ID: one stored article, by its store id
// (model.Article.ID): the clean view, and every paragraph removed from it
// with its reason.
func (d *Desk) article(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		d.site.Error(w, r, http.StatusBadRequest, "نشانی این نوشته درست نیست: شناسه نوشته یک عدد است، مانند ‎/article/42.")
		return
	}
	ctx := r.Context()
	a, err := d.st.ArticleByID(ctx, id)
	if err != nil {
		d.fail(w, r, err, "نوشته‌ای با این شناسه نیست.")
		return
	}
	titles, err := d.st.TitleHistory(ctx, a.URL)
	if err != nil {
		d.fail(w, r, err, "")
		return
	}
	page := articlePage{
		articleView: d.view(a, titles), Kicker: a.Kicker, Section: a.Section, Tags: a.Tags,
		Lead: lead(a), Paragraphs: a.Paragraphs,
	}
	if a.Story != "" {
		page.Story = storyLink(a.Story)
	} else {
		page.Paragraphs = a.Raw
	}
	for _, t := range a.Topics {
		page.Topics = append(page.Topics, d.topicName(t))
	}
	d.page(w, r, d.articlePage, a.Title, "", page)
}

// topicName is the name of a configured topic, its id otherwise.
func (d *Desk) topicName(id string) string {
	for _, t := range d.cfg.Topics {
		if t.ID == id {
			return t.Name
		}
	}
	if id == model.OtherTopicID {
		return model.OtherTopicName
	}
	return id
}
