package digest

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"

	"mediadigest/jalali"
	"mediadigest/model"
	"mediadigest/persian"
	"mediadigest/templates"
)

// Template file names, built in and looked up in an override directory.
const (
	HTMLTemplate = "digest.html.tmpl"
	TextTemplate = "digest.txt.tmpl"
)

// RenderOptions configure a Renderer.
type RenderOptions struct {
	Location    *time.Location    // zone dates and times are shown in; nil is UTC
	OutletNames map[string]string // outlet id → display name, for stories built without names
	Unsubscribe string            // the footer's unsubscribe link (mailto: or https:) when the digest has none of its own; see UnsubscribeURL
}

// UnsubscribeURL is the unsubscribe link of one subscriber: the configured
// link with "{email}" replaced by the subscriber's address, query-escaped,
// so that an https link can say who unsubscribes (one-click, RFC 8058).
func UnsubscribeURL(link, email string) string {
	return strings.ReplaceAll(link, "{email}", url.QueryEscape(email))
}

// Page is what the templates execute with.
type Page struct {
	model.Digest
	Day     time.Time // the digest's day, 00:00 in the render zone
	Stories int       // stories shown, over all topics
}

// Renderer turns digests into the HTML and text parts of a mail. Its
// templates are parsed once, by NewRenderer; it is safe for concurrent use.
type Renderer struct {
	html *htmltemplate.Template
	text *texttemplate.Template
	o    RenderOptions
}

// NewRenderer parses the templates. A file of dir named HTMLTemplate or
// TextTemplate replaces the built-in one; dir "" means built-in only. The
// templates are tried on a sample digest so that a template naming a missing
// field fails here, at startup, and not at the first scheduled mail.
func NewRenderer(dir string, o RenderOptions) (*Renderer, error) {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if dir != "" {
		// A mistyped directory would otherwise silently mean "built-in".
		info, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("digest: template directory: %w", err)
		}
		if !info.IsDir() {
			return nil, fmt.Errorf("digest: template directory %s is not a directory", dir)
		}
	}
	r := &Renderer{o: o}
	funcs := r.funcs()

	name, src, err := source(dir, HTMLTemplate)
	if err != nil {
		return nil, err
	}
	r.html, err = htmltemplate.New(name).Funcs(htmltemplate.FuncMap(funcs)).Funcs(htmltemplate.FuncMap{
		"msoStart": func() htmltemplate.HTML { return msoStart },
		"msoEnd":   func() htmltemplate.HTML { return msoEnd },
	}).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("digest: parse template: %w", err)
	}

	name, src, err = source(dir, TextTemplate)
	if err != nil {
		return nil, err
	}
	r.text, err = texttemplate.New(name).Funcs(funcs).Parse(src)
	if err != nil {
		return nil, fmt.Errorf("digest: parse template: %w", err)
	}

	sample := sampleDigest()
	if err := r.execute(io.Discard, sample, r.html.Execute); err != nil {
		return nil, err
	}
	if err := r.execute(io.Discard, sample, r.text.Execute); err != nil {
		return nil, err
	}
	return r, nil
}

// HTML renders the HTML part of d's mail.
func (r *Renderer) HTML(d model.Digest) ([]byte, error) {
	var b bytes.Buffer
	if err := r.execute(&b, d, r.html.Execute); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Text renders the plain text part of d's mail.
func (r *Renderer) Text(d model.Digest) ([]byte, error) {
	var b bytes.Buffer
	if err := r.execute(&b, d, r.text.Execute); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Outlook for Windows renders with Word, which ignores max-width: this
// conditional table holds the layout at 600px there and is a comment for
// every other client. html/template strips comments written in a template,
// so the markup comes from a function; it is constant, never scraped text.
const (
	msoStart htmltemplate.HTML = `<!--[if mso]><table role="presentation" width="600" align="center" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->`
	msoEnd   htmltemplate.HTML = `<!--[if mso]></td></tr></table><![endif]-->`
)

// execute runs one template; its errors start "template: NAME:LINE:", NAME
// being the file's path when it overrides a built-in one.
func (r *Renderer) execute(w io.Writer, d model.Digest, exec func(io.Writer, any) error) error {
	p, err := r.page(d)
	if err != nil {
		return err
	}
	if err := exec(w, p); err != nil {
		return fmt.Errorf("digest: render digest for %s: %w", d.Subscriber, err)
	}
	return nil
}

func (r *Renderer) page(d model.Digest) (Page, error) {
	day, err := time.ParseInLocation(time.DateOnly, d.Date, r.o.Location)
	if err != nil {
		return Page{}, fmt.Errorf("digest: digest for %s has a bad date: %w", d.Subscriber, err)
	}
	p := Page{Digest: d, Day: day}
	p.Unsubscribe = cmp.Or(d.Unsubscribe, UnsubscribeURL(r.o.Unsubscribe, d.Subscriber))
	// The digest may come from JSON rather than Build: fill in the names and
	// flatten the text (the text part gives a title its own line) in a copy,
	// never in the caller's slices.
	p.Topics = slices.Clone(d.Topics)
	for i := range p.Topics {
		t := &p.Topics[i]
		t.Stories = slices.Clone(t.Stories)
		p.Stories += len(t.Stories)
		for j := range t.Stories {
			s := &t.Stories[j]
			s.Title, s.Summary = oneLine(s.Title), oneLine(s.Summary)
			s.OutletName = r.name(s.Outlet, s.OutletName)
			s.Also = slices.Clone(s.Also)
			for k := range s.Also {
				a := &s.Also[k]
				a.Title, a.OutletName = oneLine(a.Title), r.name(a.Outlet, a.OutletName)
			}
		}
	}
	return p, nil
}

func (r *Renderer) name(id, given string) string {
	if given != "" {
		return given
	}
	if n, ok := r.o.OutletNames[id]; ok {
		return n
	}
	return id
}

func (r *Renderer) funcs() texttemplate.FuncMap {
	return texttemplate.FuncMap{
		"jdate":  func(t time.Time) string { return jalali.FormatDate(t.In(r.o.Location)) },
		"jtime":  func(t time.Time) string { return jalali.FormatTime(t.In(r.o.Location)) },
		"digits": func(v any) string { return persian.Digits(fmt.Sprint(v)) },
		"total":  func(t model.DigestTopic) int { return len(t.Stories) + t.More },
	}
}

// source returns a template's name for error messages (its path when it
// comes from dir) and its text.
func source(dir, file string) (name, src string, err error) {
	if dir != "" {
		path := filepath.Join(dir, file)
		b, err := os.ReadFile(path)
		if err == nil {
			return path, string(b), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", "", fmt.Errorf("digest: read template: %w", err)
		}
	}
	b, err := fs.ReadFile(templates.FS(), file)
	if err != nil {
		return "", "", fmt.Errorf("digest: built-in template %s: %w", file, err)
	}
	return file, string(b), nil
}

// sampleDigest uses every field the built-in templates show.
func sampleDigest() model.Digest {
	at := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	return model.Digest{
		Date:       "2026-11-26",
		JalaliDate: "1405/09/05",
		Timezone:   "UTC",
		Window:     model.Window{From: at.Truncate(24 * time.Hour), To: at.Truncate(24 * time.Hour).Add(24 * time.Hour)},
		Subscriber: "sample@example.com",
		Topics: []model.DigestTopic{{
			ID:   "sample",
			Name: "نمونه",
			Stories: []model.DigestStory{{
				ID: "s1", Title: "عنوان", URL: "https://example.com/1", Outlet: "a",
				Published: at, Summary: "خلاصه",
				Also: []model.AlsoLink{{Outlet: "b", URL: "https://example.com/2", Title: "عنوان"}},
			}},
			More: 1,
		}},
	}
}
