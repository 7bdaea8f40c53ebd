// Package model holds the plain data types that flow through mediadigest:
// articles as scraped and stored, the clean view computed from them, stories
// (one text published by several outlets) and digests.
//
// The types carry no behaviour beyond small helpers; every stage of the
// pipeline (scrape, dedupe, classify, digest, mail) takes and returns them.
package model

import "time"

// Removal reasons, as named in docs/formats.md.
const (
	ReasonDuplicate   = "duplicate"   // same paragraph earlier in the article
	ReasonPromo       = "promo"       // read-more marker line or its link
	ReasonLearned     = "learned"     // line seen in many articles of one outlet
	ReasonMarker      = "marker"      // end marker or dateline
	ReasonAttribution = "attribution" // "منبع: ..." line; becomes Article.Source
	ReasonMetadata    = "metadata"    // page metadata line: "کد خبر: …", "بازدید: …"
	ReasonTrailer     = "trailer"     // after the end marker: tag lists, read-more boxes, SEO headings
)

// Article is one page of an outlet. Raw holds the paragraphs exactly as
// extracted (display form), so the clean view can be recomputed whenever the
// knowledge of promo lines improves.
type Article struct {
	ID          int64     `json:"-"`
	URL         string    `json:"url"` // canonical URL; unique in the store
	Outlet      string    `json:"outlet"`
	Title       string    `json:"title"`
	Kicker      string    `json:"kicker,omitempty"`
	RawLead     string    `json:"-"` // as extracted; Clean.Lead is the lead shown
	Section     string    `json:"section"`
	Tags        []string  `json:"tags"`
	Published   time.Time `json:"published"`              // UTC
	DateGuessed bool      `json:"date_guessed,omitempty"` // page had no date: feed date or first-seen time
	FirstSeen   time.Time `json:"-"`
	Raw         []string  `json:"-"`

	// The clean view, computed from Raw by the dedupe stage.
	Clean

	// Topics are the topics the article scores for, best first
	// (topics.Classifier.Classify).
	Topics []string `json:"topics"`
	Story  string   `json:"story"`
	// Titles is every title the article carried, oldest first, when an
	// edit changed it (export); empty otherwise.
	Titles []string `json:"titles,omitempty"`
}

// Clean is the view of an article that users see: paragraphs left after
// cleaning, and every paragraph removed with its reason.
type Clean struct {
	Lead   string `json:"lead"`   // the lead without its dateline
	Source string `json:"source"` // outlet named by a "منبع:" line, or ""
	// Sponsored marks paid content (an advertorial), left out of digests.
	Sponsored  bool      `json:"sponsored,omitempty"`
	Paragraphs []string  `json:"paragraphs"`
	Removed    []Removed `json:"removed"`
}

// Removed is a paragraph taken out of the clean view, kept with its reason.
type Removed struct {
	Text   string `json:"text"`
	Reason string `json:"reason"`
}

// Story is a group of articles carrying the same text, as the derived-views
// pass stored it: the articles sharing one Article.Story. Headline is the
// article shown; Also are the other outlets' copies, earliest first.
type Story struct {
	ID       string
	Headline Article
	Also     []Article
	// Topics are the topics the headline's text scores for, best first
	// (Article.Topics of the headline): a digest shows the story under the
	// first its subscriber follows.
	Topics []string
	// Arrived is the earliest Arrival of its articles: a story that was
	// news once does not come back when another outlet republishes it.
	Arrived time.Time
}

// Outlets is the number of distinct outlets that carry the story.
func (s Story) Outlets() int {
	seen := map[string]bool{s.Headline.Outlet: true}
	for _, a := range s.Also {
		seen[a.Outlet] = true
	}
	return len(seen)
}

// Window is a half-open interval [From, To) of time. Basis says which time
// of a story must fall inside it: its headline's published time (a day's
// digest, docs/formats.md), or when the story arrived (a scheduled digest, which
// must also carry what was published before its start but crawled after
// the previous digest went out).
type Window struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Basis Basis     `json:"basis,omitempty"`
}

// Basis is the time a Window is laid over.
type Basis string

const (
	ByPublished Basis = ""        // the headline's published time
	ByArrival   Basis = "arrival" // Story.Arrived
)

// Contains reports whether t falls inside the window.
func (w Window) Contains(t time.Time) bool {
	return !t.Before(w.From) && t.Before(w.To)
}

// Holds reports whether the story belongs to the window, on its basis.
func (w Window) Holds(s Story) bool {
	if w.Basis == ByArrival {
		return w.Contains(s.Arrived)
	}
	return w.Contains(s.Headline.Published)
}

// LateArrival bounds how late after its publication an article still
// counts as news: a scheduled digest takes an article when it arrives, up
// to this long after its published time; an article found later (a
// backfill of past days) stays with its published day and reaches only
// that day's digest.
const LateArrival = 7 * 24 * time.Hour

// Arrival is when an article became news for scheduled digests: the later
// of its published and first-seen times, or its published time when it was
// first seen more than LateArrival after it.
func (a *Article) Arrival() time.Time {
	if a.FirstSeen.After(a.Published) && a.FirstSeen.Sub(a.Published) <= LateArrival {
		return a.FirstSeen
	}
	return a.Published
}

// Digest is the content of one mail for one subscriber and one window, in
// the shape of docs/formats.md when encoded as JSON.
type Digest struct {
	Date       string        `json:"date"`        // Gregorian date of the window's day, YYYY-MM-DD
	JalaliDate string        `json:"jalali_date"` // e.g. "1405/09/06"
	Timezone   string        `json:"timezone"`
	Window     Window        `json:"window"`
	Subscriber string        `json:"subscriber"`
	Topics     []DigestTopic `json:"topics"`
	// Unsubscribe and Preferences are the subscriber's own links: the
	// unsubscribe page (one-click by POST) and the preferences page, when
	// the pages are served (http.public_url); Unsubscribe is else the
	// configured digest.unsubscribe link.
	Unsubscribe string `json:"unsubscribe,omitempty"`
	Preferences string `json:"preferences,omitempty"`
}

// DigestTopic is one topic section of a digest. More counts the stories cut
// by the per-topic cap.
type DigestTopic struct {
	ID      string        `json:"id"`
	Name    string        `json:"name"`
	Stories []DigestStory `json:"stories"`
	More    int           `json:"more,omitempty"`
}

// DigestStory is one story as a digest shows it.
type DigestStory struct {
	ID         string     `json:"id"`
	Title      string     `json:"title"`
	URL        string     `json:"url"`
	Outlet     string     `json:"outlet"`
	OutletName string     `json:"outlet_name,omitempty"`
	Published  time.Time  `json:"published"`
	Summary    string     `json:"summary"`
	Also       []AlsoLink `json:"also"`
	// Link is the story's page on the desk, when the pages are served.
	Link string `json:"link,omitempty"`
}

// AlsoLink points to another outlet's copy of a story.
type AlsoLink struct {
	Outlet     string `json:"outlet"`
	OutletName string `json:"outlet_name,omitempty"`
	URL        string `json:"url"`
	Title      string `json:"title"`
}

// Topic is an analyst-defined group of stories, matched by keywords
// (docs/formats.md).
type Topic struct {
	ID       string   `yaml:"id" json:"id"`
	Name     string   `yaml:"name" json:"name"`
	Keywords []string `yaml:"keywords" json:"keywords"`
	Exclude  []string `yaml:"exclude" json:"exclude"`
}

// OtherTopic is the id and name of the section for stories that match no
// topic, shown to subscribers without a topic list.
const (
	OtherTopicID   = "other"
	OtherTopicName = "سایر"
)

// KeyUse is where one paragraph key (persian.Key form, identified by its
// persian.KeyHash) occurs among the articles of one outlet: the length of
// the key in runes and the published times of the distinct articles that
// contain it.
type KeyUse struct {
	Runes     int
	Published []time.Time
}

// Outbox states.
const (
	OutboxQueued = "queued"
	OutboxSent   = "sent"
	OutboxFailed = "failed" // permanent failure; not retried
	// OutboxCancelled is a digest dropped before it went out: its
	// subscriber unsubscribed or paused meanwhile (docs/subscriptions.md).
	OutboxCancelled = "cancelled"
)

// OutboxItem is the durable record of one digest for one subscriber and
// one window. It is created before anything is sent, so a digest is
// delivered at most once whatever happens to the process.
type OutboxItem struct {
	ID         int64
	Key        string // unique: subscriber + window
	Subscriber string
	Window     Window
	MessageID  string // stable, "digest-…@sender-domain", without angle brackets
	State      string // OutboxQueued, OutboxSent, OutboxFailed, OutboxCancelled
	Attempts   int
	LastReply  string // the SMTP reply or error of the last attempt
	NextTry    time.Time
	CreatedAt  time.Time
	SentAt     time.Time
}

// Subscriber states: what a configured subscriber receives now.
const (
	SubscriberActive       = "active"       // every scheduled digest
	SubscriberPaused       = "paused"       // none until the pause ends
	SubscriberUnsubscribed = "unsubscribed" // none until they re-subscribe
)

// Subscription is what a subscriber chose for themselves, kept in the
// store over the config's list of who may receive digests
// (docs/subscriptions.md). The zero value, with an Email, is a subscriber
// who never changed anything.
type Subscription struct {
	Email string // lower-cased
	// Topics are the topic ids they chose (OtherTopicID among them for
	// the unclassified stories); nil: the config's.
	Topics         []string
	PausedUntil    time.Time // no digest before it
	UnsubscribedAt time.Time // zero while subscribed
	// ResumedAt is when their digests last started again (a
	// re-subscription, a pause ended early, a return to the config):
	// what they missed meanwhile is not sent afterwards.
	ResumedAt time.Time
	// RemovedAt is when the config stopped listing them, zero while it
	// lists them: a removed subscriber receives nothing.
	RemovedAt time.Time
	UpdatedAt time.Time
}

// State is what s receives at now: SubscriberUnsubscribed,
// SubscriberPaused or SubscriberActive.
func (s Subscription) State(now time.Time) string {
	switch {
	case !s.UnsubscribedAt.IsZero():
		return SubscriberUnsubscribed
	case now.Before(s.PausedUntil):
		return SubscriberPaused
	}
	return SubscriberActive
}

// Since is when s's current run of digests started, for a subscriber
// active at now: a digest window starts no earlier, so that a pause or an
// unsubscription is not followed by a digest of everything missed. Zero
// when nothing bounds it.
func (s Subscription) Since(now time.Time) time.Time {
	since := s.ResumedAt
	if !s.PausedUntil.After(now) && s.PausedUntil.After(since) {
		since = s.PausedUntil
	}
	return since
}

// What a subscription change did, and through which path.
const (
	ChangeUnsubscribe = "unsubscribe"
	ChangeResubscribe = "resubscribe"
	ChangePause       = "pause"
	ChangeResume      = "resume"
	ChangeTopics      = "topics"
	ChangeAdded       = "added"   // the config lists them (again)
	ChangeRemoved     = "removed" // the config no longer lists them

	ViaLink    = "link"    // the one-click unsubscribe link of a digest
	ViaPage    = "page"    // the preferences page
	ViaCommand = "command" // mediadigest subscribers
	ViaConfig  = "config"  // the config's list of subscribers
)

// SubscriptionChange is one line of a subscriber's audit log.
type SubscriptionChange struct {
	ID     int64     `json:"id"`
	Email  string    `json:"email"`
	At     time.Time `json:"at"`
	What   string    `json:"what"`             // ChangeUnsubscribe, …
	Via    string    `json:"via"`              // ViaLink, …
	Detail string    `json:"detail,omitempty"` // the topics chosen, the end of a pause
}
