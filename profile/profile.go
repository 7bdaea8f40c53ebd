// Package profile describes how to read one outlet: where its feeds and
// archive pages are, what its article URLs look like, which selectors hold
// the title, body and date, and which lines it injects as promotion.
//
// Profiles are data. The built-in ones are YAML files embedded from
// builtin/; a config may name a profile file instead, so adding an outlet
// needs no Go code. A profile may extend a built-in one (extends:), as
// Eghtesad24 extends its CMS family, iransamaneh. docs/profiles.md
// describes every key.
package profile

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	// Profiles name zones by IANA name, on hosts without a zone
	// database (containers, Windows) too.
	_ "time/tzdata"

	"go.yaml.in/yaml/v3"

	"mediadigest/internal/yamlerr"
)

//go:embed builtin/*.yaml
var builtin embed.FS

// DefaultTimezone is the zone of page dates when a profile names none:
// the Iranian outlets print Tehran time.
const DefaultTimezone = "Asia/Tehran"

// tehran is DefaultTimezone loaded; the embedded zone database has it.
var tehran = func() *time.Location {
	loc, err := time.LoadLocation(DefaultTimezone)
	if err != nil {
		panic(err)
	}
	return loc
}()

// Profile is the knowledge of one outlet family. Relative URLs resolve
// against the outlet's base URL.
type Profile struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`

	// Extends names the built-in profile this one builds on. Its keys are
	// the base's, each overridden by the key when this file sets it (an
	// empty string too); the marker lists (promo, sponsored, end, metadata,
	// datelines) are the base's followed by this file's. ID and Name are
	// never inherited.
	Extends string `yaml:"extends"`

	// Feeds are RSS/Atom paths polled by crawl.
	Feeds []string `yaml:"feeds"`

	// ArticleURL is a regular expression matched against the URL path
	// (and query) of a candidate link. Its first group, when present, is
	// the article id used for the canonical URL.
	ArticleURL string `yaml:"article_url"`
	// Canonical builds the canonical path from the article id: "{id}" is
	// replaced. Empty keeps the path as found (without tracking query).
	Canonical string `yaml:"canonical"`
	// ArticleAliases are further regular expressions for paths serving
	// the same articles elsewhere (AMP copies: /amp/news/{id}). Their first
	// group is the article id; they need Canonical to map back.
	ArticleAliases []string `yaml:"article_aliases"`
	// Hosts are other host names serving the same articles (amp.isna.ir);
	// their URLs are canonicalised onto the base URL's host.
	Hosts []string `yaml:"hosts"`

	Selectors Selectors `yaml:"selectors"`

	// PromoMarkers start read-more lines particular to this outlet, in
	// addition to the markers every outlet shares (docs/cleaning.md).
	PromoMarkers []string `yaml:"promo_markers"`
	// SponsoredMarkers start the kicker or title of a paid article
	// (advertorial) of this outlet, in addition to the shared ones
	// ("رپرتاژ"); such an article is stored but kept out of digests.
	SponsoredMarkers []string `yaml:"sponsored_markers"`
	// EndMarkers are whole paragraphs that end an article ("انتهای پیام"),
	// in addition to the shared Persian agency conventions
	// (docs/profiles.md); a desk code after a slash is allowed.
	EndMarkers []string `yaml:"end_markers"`
	// MetadataLines are labels of the page metadata lines this outlet
	// prints inside its body ("کد خبر:"), in addition to the shared ones.
	MetadataLines []string `yaml:"metadata_lines"`
	// Datelines are regular expressions, matched on the display form at the
	// start of the first paragraph or lead, whose match is cut as a marker
	// ("اقتصاد۲۴-", "ایسنا/کرمان").
	Datelines []string `yaml:"datelines"`

	Archive Archive `yaml:"archive"`

	// Timezone is the IANA zone the outlet's pages show their times in
	// (visible dates, archive times, ISO times without an offset); empty
	// means DefaultTimezone. It is the outlet's, not the config's timezone,
	// which only places schedules and digest days.
	Timezone string `yaml:"timezone"`
	loc      *time.Location
}

// Location is the zone of the outlet's page times: Timezone as loaded by
// Parse, else DefaultTimezone.
func (p *Profile) Location() *time.Location {
	if p.loc == nil {
		return tehran
	}
	return p.loc
}

// Selectors are CSS selectors (goquery/cascadia syntax). Empty selectors
// are skipped; a profile without Body is read by the generic reader
// (docs/profiles.md).
type Selectors struct {
	Container string `yaml:"container"` // optional scope of every other selector
	Title     string `yaml:"title"`
	Kicker    string `yaml:"kicker"`
	Lead      string `yaml:"lead"`
	Body      string `yaml:"body"` // selects the paragraphs of the body
	Date      string `yaml:"date"` // visible date text (Jalali)
	// DateMeta selects an element whose "content" attribute holds an ISO
	// 8601 time (meta[property='article:published_time']).
	DateMeta string `yaml:"date_meta"`
	Section  string `yaml:"section"`
	Tags     string `yaml:"tags"`
}

// Archive describes the outlet's day-by-day archive pages for backfill.
type Archive struct {
	// URL with placeholders {year} {month} {day} {page} (Jalali or
	// Gregorian per Calendar; month and day as numbers without padding,
	// {mm} {dd} zero-padded), relative to the base URL.
	URL      string `yaml:"url"`
	Calendar string `yaml:"calendar"` // "jalali" (default) or "gregorian"
	// FirstPage is the number of the first page (0 or 1).
	FirstPage int `yaml:"first_page"`
	// Item selects article links on an archive page; when empty, every link
	// matching ArticleURL is taken.
	Item string `yaml:"item"`
	// ItemTime selects, inside the item, an element whose title attribute or
	// text holds the visible time.
	ItemTime string `yaml:"item_time"`
}

// Builtin returns the embedded profile with the given id.
func Builtin(id string) (*Profile, error) {
	return builtinProfile(id, nil)
}

func builtinProfile(id string, chain []string) (*Profile, error) {
	data, err := builtin.ReadFile("builtin/" + id + ".yaml")
	if err != nil || !validID.MatchString(id) {
		return nil, fmt.Errorf("profile %q: no built-in profile of that name (built-in: %s)", id, strings.Join(BuiltinIDs(), ", "))
	}
	return parse("builtin/"+id+".yaml", data, chain)
}

// validID keeps a built-in name from reaching outside builtin/.
var validID = regexp.MustCompile(`^[a-z0-9_-]+$`)

// BuiltinIDs lists the ids of the embedded profiles.
func BuiltinIDs() []string {
	entries, _ := builtin.ReadDir("builtin")
	var ids []string
	for _, e := range entries {
		ids = append(ids, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(ids)
	return ids
}

// Load returns a built-in profile when ref names one, else reads ref as a
// profile file.
func Load(ref string) (*Profile, error) {
	if !strings.ContainsAny(ref, "/.\\") {
		return Builtin(ref)
	}
	data, err := os.ReadFile(ref)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	return Parse(ref, data)
}

// maxExtends bounds a chain of profiles extending one another.
const maxExtends = 4

// Parse decodes a profile strictly (unknown keys are errors), resolves the
// built-in profile it extends, and validates its regular expressions and
// time zone. Errors read "FILE:LINE: message" or "FILE: message".
func Parse(file string, data []byte) (*Profile, error) {
	return parse(file, data, nil)
}

// parse is Parse within a chain of extended profiles (the ids met so far).
func parse(file string, data []byte, chain []string) (*Profile, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, errors.New(strings.Join(yamlerr.Lines(file, err), "\n"))
	}
	var p Profile
	var base ruleLists
	var head struct {
		Extends string `yaml:"extends"`
	}
	// Loosely: the strict decode below reports what else is wrong.
	_ = root.Decode(&head)
	if id := head.Extends; id != "" {
		if slices.Contains(chain, id) || len(chain) >= maxExtends {
			return nil, fmt.Errorf("%s: extends %q: a cycle or a chain longer than %d (%s)", file, id, maxExtends, strings.Join(append(chain, id), " → "))
		}
		parent, err := builtinProfile(id, append(chain, id))
		if err != nil {
			return nil, fmt.Errorf("%s: extends: %w", file, err)
		}
		p = *parent
		p.ID, p.Name = "", ""
		base = p.takeRuleLists()
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	// Decoding onto the base overrides only the keys this file sets.
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		// Each problem names its key and what it wants, as in the config.
		var lines []string
		for _, pr := range yamlerr.Explain(file, &root, &p, err) {
			lines = append(lines, pr.Text)
		}
		return nil, errors.New(strings.Join(lines, "\n"))
	}
	p.prependRuleLists(base)
	if problems := p.validate(file); len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return &p, nil
}

// ruleLists are the lists a profile extends rather than replaces.
type ruleLists struct {
	promo, sponsored, end, metadata, datelines []string
}

// takeRuleLists returns p's marker lists and empties them.
func (p *Profile) takeRuleLists() ruleLists {
	l := ruleLists{p.PromoMarkers, p.SponsoredMarkers, p.EndMarkers, p.MetadataLines, p.Datelines}
	p.PromoMarkers, p.SponsoredMarkers, p.EndMarkers, p.MetadataLines, p.Datelines = nil, nil, nil, nil, nil
	return l
}

// prependRuleLists puts a base profile's marker lists before p's own.
func (p *Profile) prependRuleLists(base ruleLists) {
	p.PromoMarkers = slices.Concat(base.promo, p.PromoMarkers)
	p.SponsoredMarkers = slices.Concat(base.sponsored, p.SponsoredMarkers)
	p.EndMarkers = slices.Concat(base.end, p.EndMarkers)
	p.MetadataLines = slices.Concat(base.metadata, p.MetadataLines)
	p.Datelines = slices.Concat(base.datelines, p.Datelines)
}

// validate checks a decoded profile and loads its time zone; it returns
// the problems found, each "FILE:LINE: message" or "FILE: message".
func (p *Profile) validate(file string) []string {
	var problems []string
	if p.ID == "" {
		problems = append(problems, file+":1: id is required")
	}
	check := func(what, expr string) {
		if _, err := regexp.Compile(expr); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s %q: %v", file, what, expr, err))
		}
	}
	if p.ArticleURL == "" && p.ID != "generic" {
		problems = append(problems, file+": article_url is required")
	}
	check("article_url", p.ArticleURL)
	for _, a := range p.ArticleAliases {
		check("article_aliases", a)
	}
	if len(p.ArticleAliases) > 0 && p.Canonical == "" {
		problems = append(problems, file+": article_aliases need canonical to map an alias back to the article")
	}
	for _, d := range p.Datelines {
		check("dateline", d)
	}
	if c := p.Archive.Calendar; c != "" && c != "jalali" && c != "gregorian" {
		problems = append(problems, fmt.Sprintf("%s: archive.calendar %q: want jalali or gregorian", file, c))
	}
	p.loc = nil
	if p.Timezone != "" {
		loc, err := time.LoadLocation(p.Timezone)
		// "Local" would be the zone of whatever host runs the crawler.
		if err != nil || p.Timezone == "Local" {
			problems = append(problems, fmt.Sprintf("%s: timezone %q: unknown time zone (use an IANA name such as %s)", file, p.Timezone, DefaultTimezone))
		}
		p.loc = loc
	}
	return problems
}
