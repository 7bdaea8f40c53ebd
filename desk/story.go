package desk

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"mediadigest/model"
)

// storyPage is the data of story.html.tmpl.
type storyPage struct {
	ID       string
	Title    string // the headline's
	Outlets  int
	Articles []articleView // in order of publication
}

// articleView is a stored article as the story and article pages show
// it.
type articleView struct {
	Link        string // its page on the desk
	Outlet      string
	Published   time.Time
	DateGuessed bool
	Title       string
	URL         string // the original, "" when not an http(s) link
	Address     string // the original's address, shown as text
	First       bool   // the story's first article
	Headline    bool   // the copy the digest shows: the outlet the others name, else the first
	Source      string // the source its "منبع:" line names
	Sponsored   bool
	Derived     bool     // the derived-views pass has cleaned it
	Titles      []string // every title it carried, oldest first, when edited
	Removed     []removal
	Changes     *changes // what it changed against the first article; nil for the first
}

// removal is a paragraph taken out of the clean view, with its reason.
type removal struct {
	Text, Reason, Code string
}

// changes is what a copy changed against the story's first article.
type changes struct {
	Title, Lead                       []Run // nil when unchanged
	Blocks                            []block
	Added, Dropped, Edited, Respelled int
	Changed                           bool // any word at all, title and lead included
}

// block is a paragraph of a copy's diff, or a run of paragraphs it left
// as they were (Unchanged of them).
type block struct {
	Para      *Para
	Unchanged int
}

// story is GET /story/ID: every article of a story in order of
// publication, each copy with what it changed against the first.
func (d *Desk) story(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !storyID.MatchString(id) {
		d.site.Error(w, r, http.StatusBadRequest, "نشانی این خبر درست نیست: شناسه خبر «s» و شانزده رقم شانزده‌شانزدهی است، مانند s0123456789abcdef.")
		return
	}
	ctx := r.Context()
	s, err := d.stories.Story(ctx, id)
	if err != nil {
		d.fail(w, r, err, "خبری با این شناسه نیست. شاید هنوز پردازش نشده، یا پس از بازپردازی شناسه تازه‌ای گرفته است؛ آن را از میز خبر پیدا کنید.")
		return
	}
	titles, err := d.st.StoryTitles(ctx, id)
	if err != nil {
		d.fail(w, r, err, "")
		return
	}
	articles := append([]model.Article{s.Headline}, s.Also...)
	slices.SortFunc(articles, func(a, b model.Article) int {
		return cmp.Or(a.Published.Compare(b.Published), strings.Compare(a.URL, b.URL))
	})
	page := storyPage{ID: id, Title: s.Headline.Title, Outlets: s.Outlets()}
	for i := range articles {
		a := &articles[i]
		v := d.view(a, titles[a.ID])
		v.First, v.Headline = i == 0, a.URL == s.Headline.URL
		if i > 0 {
			v.Changes = compare(&articles[0], a)
		}
		page.Articles = append(page.Articles, v)
	}
	d.page(w, r, d.storyPage, s.Headline.Title, "", page)
}

// view is an article as the pages show it, with its title history.
func (d *Desk) view(a *model.Article, titles []string) articleView {
	v := articleView{
		Link: articleLink(a.ID), Outlet: d.outletName(a.Outlet), Published: a.Published, DateGuessed: a.DateGuessed,
		Title: a.Title, URL: original(a.URL), Address: a.URL, Sponsored: a.Sponsored,
		Derived: a.Story != "",
	}
	if a.Source != "" {
		v.Source = d.outletName(a.Source) // an outlet's id, or a name as written
	}
	if len(titles) > 1 {
		v.Titles = titles
	}
	for _, rm := range a.Removed {
		v.Removed = append(v.Removed, removal{Text: rm.Text, Reason: reasonName(rm.Reason), Code: rm.Reason})
	}
	return v
}

// compare is what copy changed against first: its title, its lead, its
// paragraphs, in their clean view.
func compare(first, copy *model.Article) *changes {
	c := &changes{}
	if first.Title != copy.Title {
		c.Title = Words(first.Title, copy.Title)
	}
	if lead(first) != lead(copy) {
		c.Lead = Words(lead(first), lead(copy))
	}
	diff := Compare(first.Paragraphs, copy.Paragraphs)
	c.Added, c.Dropped, c.Edited, c.Respelled = diff.Added, diff.Dropped, diff.Edited, diff.Respelled
	for i := range diff.Paras {
		p := &diff.Paras[i]
		if p.Op == Same {
			if n := len(c.Blocks); n > 0 && c.Blocks[n-1].Para == nil {
				c.Blocks[n-1].Unchanged++
			} else {
				c.Blocks = append(c.Blocks, block{Unchanged: 1})
			}
			continue
		}
		c.Blocks = append(c.Blocks, block{Para: p})
	}
	c.Changed = diff.Changed() || changedWords(c.Title) || changedWords(c.Lead)
	return c
}

// lead is the lead an article shows: the clean one, the raw one before
// cleaning ran.
func lead(a *model.Article) string { return cmp.Or(a.Clean.Lead, a.RawLead) }

// changedWords reports whether runs add or drop a word.
func changedWords(runs []Run) bool {
	return slices.ContainsFunc(runs, func(r Run) bool { return r.Op == Added || r.Op == Dropped })
}

// reasons name in Persian why a paragraph left the clean view
// (docs/cleaning.md).
var reasons = map[string]string{
	model.ReasonDuplicate:   "تکرار بندی از همین خبر",
	model.ReasonPromo:       "پیوند «بیشتر بخوانید»",
	model.ReasonLearned:     "سطر تکراری این رسانه در خبرهای بسیار",
	model.ReasonMarker:      "نشانه پایان خبر یا سرخط",
	model.ReasonAttribution: "ذکر منبع",
	model.ReasonMetadata:    "اطلاعات صفحه (کد خبر، بازدید…)",
	model.ReasonTrailer:     "پس از پایان خبر: برچسب‌ها و پیوندها",
}

func reasonName(code string) string { return cmp.Or(reasons[code], code) }
