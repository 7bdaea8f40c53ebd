package digest

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"
	"unicode/utf8"

	"mediadigest/jalali"
	"mediadigest/model"
)

// day is the fixture testdata/day.json: the stories of Jalali 1405/09/05
// (2026-11-26) with the edge cases of the digest.
type day struct {
	Outlets map[string]string `json:"outlets"`
	Topics  []model.Topic     `json:"topics"`
	Stories []model.Story     `json:"stories"`
}

func loadDay(t testing.TB) day {
	t.Helper()
	b, err := os.ReadFile("testdata/day.json")
	if err != nil {
		t.Fatal(err)
	}
	var d day
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("testdata/day.json: %v", err)
	}
	return d
}

func tehran(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// sampleDay is the window of the fixture's day in Tehran.
func sampleDay(t testing.TB) model.Window {
	return DayWindow(time.Date(2026, 11, 26, 0, 0, 0, 0, tehran(t)), tehran(t))
}

func TestDayWindow(t *testing.T) {
	teh := tehran(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		day      time.Time
		loc      *time.Location
		from, to string // RFC 3339 in UTC
	}{
		{"Tehran day", time.Date(2026, 11, 26, 15, 0, 0, 0, teh), teh, "2026-11-25T20:30:00Z", "2026-11-26T20:30:00Z"},
		{"date fields as written, not converted", time.Date(2026, 11, 26, 22, 0, 0, 0, time.UTC), teh, "2026-11-25T20:30:00Z", "2026-11-26T20:30:00Z"},
		{"Jalali day", jalali.Date{Year: 1405, Month: 9, Day: 5}.Time(teh), teh, "2026-11-25T20:30:00Z", "2026-11-26T20:30:00Z"},
		{"23-hour DST day", time.Date(2026, 3, 8, 12, 0, 0, 0, ny), ny, "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := DayWindow(tt.day, tt.loc)
			if got := w.From.UTC().Format(time.RFC3339); got != tt.from {
				t.Errorf("From = %s, want %s", got, tt.from)
			}
			if got := w.To.UTC().Format(time.RFC3339); got != tt.to {
				t.Errorf("To = %s, want %s", got, tt.to)
			}
		})
	}
}

func TestDayWindowTehranMidnight(t *testing.T) {
	w := sampleDay(t)
	// 00:10 Tehran on 11-26 is 20:40 UTC on 11-25.
	if at := time.Date(2026, 11, 25, 20, 40, 0, 0, time.UTC); !w.Contains(at) {
		t.Errorf("%v (00:10 Tehran) is outside the Tehran day %v", at, w)
	}
	if at := time.Date(2026, 11, 25, 20, 25, 0, 0, time.UTC); w.Contains(at) {
		t.Errorf("%v (23:55 Tehran the day before) is inside the Tehran day %v", at, w)
	}
}

func TestBuild(t *testing.T) {
	d := loadDay(t)
	type topic struct {
		id      string
		stories []string
		more    int
	}
	tests := []struct {
		name     string
		sub      Subscriber
		perTopic int
		want     []topic
	}{
		{
			name:     "every topic and other, capped",
			sub:      Subscriber{Email: "analyst@example.com"},
			perTopic: 3,
			want: []topic{
				// three outlets, then two, then newest first
				{"energy", []string{"st-gas-iraq", "st-petrol-price", "st-power-use"}, 1},
				{"economy", []string{"st-bourse", "st-inflation", "st-contract"}, 0},
				// no topic, and a topic no longer configured
				{"other", []string{"st-football", "st-snow"}, 0},
			},
		},
		{
			name: "default cap keeps all four",
			sub:  Subscriber{Email: "analyst@example.com", Topics: []string{"energy"}},
			want: []topic{
				{"energy", []string{"st-gas-iraq", "st-petrol-price", "st-power-use", "st-oil-output"}, 0},
			},
		},
		{
			name: "topic list in config order, other only on request",
			sub:  Subscriber{Email: "e@example.com", Topics: []string{"other", "economy"}},
			want: []topic{
				{"economy", []string{"st-bourse", "st-inflation", "st-contract"}, 0},
				{"other", []string{"st-football", "st-snow"}, 0},
			},
		},
		{
			name: "empty topics are left out",
			sub:  Subscriber{Email: "p@example.com", Topics: []string{"politics"}},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Build(d.Stories, d.Topics, tt.sub, sampleDay(t), Options{Location: tehran(t), PerTopic: tt.perTopic})
			var topics []topic
			for _, dt := range got.Topics {
				tp := topic{id: dt.ID, more: dt.More}
				for _, s := range dt.Stories {
					tp.stories = append(tp.stories, s.ID)
				}
				topics = append(topics, tp)
			}
			if len(topics) != len(tt.want) {
				t.Fatalf("topics = %+v, want %+v", topics, tt.want)
			}
			for i := range topics {
				if topics[i].id != tt.want[i].id || topics[i].more != tt.want[i].more || !slices.Equal(topics[i].stories, tt.want[i].stories) {
					t.Errorf("topic %d = %+v, want %+v", i, topics[i], tt.want[i])
				}
			}
			if got.Subscriber != tt.sub.Email {
				t.Errorf("Subscriber = %q, want %q", got.Subscriber, tt.sub.Email)
			}
			if got.Topics == nil {
				t.Error("Topics is nil; it must encode as []")
			}
		})
	}
}

// TestBuildTopicPerSubscriber: each subscriber sees a story under the best
// of the topics they follow, by the story's ranking of its topics.
func TestBuildTopicPerSubscriber(t *testing.T) {
	topics := []model.Topic{
		{ID: "energy", Name: "انرژی"},
		{ID: "politics", Name: "سیاست"},
		{ID: "currency", Name: "ارز و طلا"},
	}
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	story := func(id, title string, ranked ...string) model.Story {
		at = at.Add(time.Minute)
		return model.Story{
			ID:       id,
			Headline: model.Article{URL: "https://www.isna.ir/news/" + id, Outlet: "isna", Title: title, Published: at},
			Topics:   ranked,
		}
	}
	// Rankings as topics.Classifier.Classify gives them: by score, ties in
	// config order (energy, politics, currency).
	stories := []model.Story{
		story("oil-in-parliament", "بررسی قرارداد نفتی در مجلس", "politics", "energy"), // 6, 3
		story("gas-dollar", "صادرات گاز و درآمد دلاری", "energy", "currency"),          // 3, 3
		story("dollar-oil", "نرخ دلار پس از افت قیمت نفت", "currency", "energy"),       // 4, 3
		story("minister", "سفر وزیر امور خارجه به باکو", "politics"),
		story("cinema", "مراسم بزرگداشت داریوش مهرجویی"),
		story("snow", "بارش برف در تهران", "weather"), // topic since removed
		story("power-cut", "خاموشی برق در تابستان", "energy"),
		story("ambassador", "سفیر جدید در مسکو", "politics"),
	}
	tests := []struct {
		name   string
		topics []string
		want   map[string][]string // section → story ids, newest first
	}{
		{
			name: "no topic list: the overall best, else other",
			want: map[string][]string{
				"energy":   {"power-cut", "gas-dollar"},
				"politics": {"ambassador", "minister", "oil-in-parliament"},
				"currency": {"dollar-oil"},
				"other":    {"snow", "cinema"},
			},
		},
		{
			name:   "the best among the followed topics",
			topics: []string{"energy", "currency"},
			want: map[string][]string{
				"energy":   {"power-cut", "gas-dollar", "oil-in-parliament"},
				"currency": {"dollar-oil"},
			},
		},
		{
			name:   "ties by config order, not the subscriber's",
			topics: []string{"currency", "energy"},
			want: map[string][]string{
				"energy":   {"power-cut", "gas-dollar", "oil-in-parliament"},
				"currency": {"dollar-oil"},
			},
		},
		{
			name:   "one followed topic takes every story it matched",
			topics: []string{"currency"},
			want:   map[string][]string{"currency": {"dollar-oil", "gas-dollar"}},
		},
		{
			name:   "other holds only stories of no configured topic",
			topics: []string{"energy", "other"},
			want: map[string][]string{
				"energy": {"power-cut", "dollar-oil", "gas-dollar", "oil-in-parliament"},
				"other":  {"snow", "cinema"},
			},
		},
		{
			name:   "a followed topic that ranks first",
			topics: []string{"politics"},
			want:   map[string][]string{"politics": {"ambassador", "minister", "oil-in-parliament"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Build(stories, topics, Subscriber{Email: "desk@example.com", Topics: tt.topics}, sampleDay(t), Options{Location: tehran(t)})
			got := map[string][]string{}
			for _, dt := range d.Topics {
				for _, s := range dt.Stories {
					got[dt.ID] = append(got[dt.ID], s.ID)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sections = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBuildStory(t *testing.T) {
	d := loadDay(t)
	got := Build(d.Stories, d.Topics, Subscriber{Email: "a@example.com"}, sampleDay(t),
		Options{Location: tehran(t), OutletNames: d.Outlets})

	if got.Date != "2026-11-26" || got.JalaliDate != "1405/09/05" || got.Timezone != "Asia/Tehran" {
		t.Errorf("Date, JalaliDate, Timezone = %q, %q, %q; want 2026-11-26, 1405/09/05, Asia/Tehran", got.Date, got.JalaliDate, got.Timezone)
	}
	gas := got.Topics[0].Stories[0]
	if gas.OutletName != "ایسنا" {
		t.Errorf("OutletName = %q, want ایسنا", gas.OutletName)
	}
	var also []string
	for _, a := range gas.Also {
		also = append(also, a.Outlet+" "+a.OutletName+" "+a.Title)
	}
	wantAlso := []string{"eghtesad24 اقتصاد۲۴ افزایش صادرات گاز به عراق", "irna ایرنا صادرات گاز به عراق افزایش یافت"}
	if !slices.Equal(also, wantAlso) {
		t.Errorf("Also = %q, want %q (oldest copy first)", also, wantAlso)
	}
	if n := utf8.RuneCountInString(gas.Summary); n > DefaultSummaryRunes || !strings.HasSuffix(gas.Summary, "…") {
		t.Errorf("summary of a long lead: %d runes, %q; want at most %d ending in …", n, gas.Summary, DefaultSummaryRunes)
	}

	oil := find(t, got, "st-oil-output")
	if want := d.Stories[2].Headline.Paragraphs[0]; oil.Summary != want {
		t.Errorf("summary without a lead = %q, want the first paragraph %q", oil.Summary, want)
	}
	contract := find(t, got, "st-contract")
	if strings.ContainsAny(contract.Title, "\r\n") {
		t.Errorf("title keeps a line break: %q", contract.Title)
	}
}

func find(t *testing.T, d model.Digest, id string) model.DigestStory {
	t.Helper()
	for _, dt := range d.Topics {
		for _, s := range dt.Stories {
			if s.ID == id {
				return s
			}
		}
	}
	t.Fatalf("story %s not in digest", id)
	return model.DigestStory{}
}

func TestCut(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short stays", "نفت و گاز", 20, "نفت و گاز"},
		{"exact length stays", "abcde", 5, "abcde"},
		{"cut at a space", "صادرات گاز به عراق افزایش یافت", 12, "صادرات گاز…"},
		{"punctuation before the cut goes", "نفت، گاز، برق و آب", 10, "نفت، گاز…"},
		{"one long word is cut inside", "abcdefghij", 5, "abcd…"},
		{"ZWNJ is not a space", "می‌شود می‌شود", 8, "می‌شود…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cut(tt.in, tt.n)
			if got != tt.want {
				t.Errorf("cut(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > tt.n {
				t.Errorf("cut(%q, %d) has %d runes", tt.in, tt.n, n)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	d := loadDay(t)
	b, err := JSON(Build(d.Stories, d.Topics, Subscriber{Email: "a@example.com"}, sampleDay(t), Options{Location: tehran(t)}))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"jalali_date": "1405/09/05"`, `<script>`, `نفت & گاز`, "\n  \"window\": {\n    \"from\": \"2026-11-25T20:30:00Z\""} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %q", want)
		}
	}
	var shape struct {
		Topics []struct {
			Stories []map[string]json.RawMessage `json:"stories"`
		} `json:"topics"`
	}
	if err := json.Unmarshal(b, &shape); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "title", "url", "outlet", "published", "summary", "also"} {
		if _, ok := shape.Topics[0].Stories[0][k]; !ok {
			t.Errorf("story lacks key %q", k)
		}
	}

	empty, err := JSON(Build(nil, d.Topics, Subscriber{Email: "a@example.com"}, sampleDay(t), Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(empty), `"topics": []`) {
		t.Errorf("empty digest: want \"topics\": [], got %s", empty)
	}
}

// TestOneLine: the fast path returns what the slow one would.
func TestOneLine(t *testing.T) {
	for _, s := range []string{
		"", "a", "قیمت نفت برنت", " lead", "trail ", "two  spaces", "a\nb", "a\tb", "a\u00a0b", "a\u200cb",
		"سهمیه بنزین\r\nواریز شد", "x\u2028y", " ", "\n",
	} {
		want := strings.Join(strings.Fields(s), " ")
		if got := oneLine(s); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", s, got, want)
		}
	}
}
