package subscription

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	netmail "net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"mediadigest/digest"
	"mediadigest/model"
	"mediadigest/token"
)

// unsubscribeLink returns the https link of List-Unsubscribe in the digest
// a subscriber would get, checking the headers of RFC 8058 on the way.
func (f *fixture) unsubscribeLink(t *testing.T, email string) string {
	t.Helper()
	d, err := f.mail.Digest(t.Context(), digest.Subscriber{Email: email}, digest.DayWindow(start.In(tehran), tehran))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := f.mail.Message(d, "digest-1@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	m, err := netmail.ReadMessage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("List-Unsubscribe-Post"); got != oneClick {
		t.Errorf("List-Unsubscribe-Post: %q, want %q", got, oneClick)
	}
	lu := m.Header.Get("List-Unsubscribe")
	match := regexp.MustCompile(`^<(https://news\.example\.com/u/[^>]+)>, <mailto:digest-unsubscribe@example\.com>$`).FindStringSubmatch(lu)
	if match == nil {
		t.Fatalf("List-Unsubscribe: %q, want the https link then the mailto", lu)
	}
	return match[1]
}

// TestOneClickUnsubscribe: the link of a digest's List-Unsubscribe, posted
// as a mail client does (RFC 8058: no cookie, no CSRF token), unsubscribes
// at once and answers 200; a GET, as a link scanner's, only shows a
// confirmation. Posting again changes nothing.
func TestOneClickUnsubscribe(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		link := f.local(t, f.unsubscribeLink(t, "analyst@example.com"))

		page := get(t, link)
		if page.code != http.StatusOK || !strings.Contains(page.body, `<form method="post" action="/u/v1.`) ||
			!strings.Contains(page.body, `name="List-Unsubscribe" value="One-Click"`) {
			t.Errorf("GET of the link: %d, want 200 with a one-button form:\n%s", page.code, page.body)
		}
		for range 3 { // a scanner may fetch it several times
			get(t, link)
		}
		if state, log := f.state(t, "analyst@example.com"); state != model.SubscriberActive || !slices.Equal(log, []string{"added config"}) {
			t.Fatalf("after GETs: %s %q; want active, nothing changed", state, log)
		}

		for i := range 2 {
			done := post(t, link, form, oneClick)
			if done.code != http.StatusOK || !strings.Contains(done.body, "Analyst@Example.com</span> لغو شد") ||
				!strings.Contains(done.body, `href="/subscription?t=v1.`) {
				t.Errorf("POST %d: %d, want 200 saying so with a link to re-subscribe:\n%s", i+1, done.code, done.body)
			}
			if done.hdr.Get("Set-Cookie") != "" {
				t.Errorf("POST %d set a cookie", i+1)
			}
			if state, log := f.state(t, "analyst@example.com"); state != model.SubscriberUnsubscribed || !slices.Equal(log, []string{"added config", "unsubscribe link"}) {
				t.Errorf("after POST %d: %s %q; want unsubscribed once, by link", i+1, state, log)
			}
		}
		if page := get(t, link); page.code != http.StatusOK || strings.Contains(page.body, "<form") || !strings.Contains(page.body, "پیش‌تر") {
			t.Errorf("GET once unsubscribed: %d, want a page saying so without a form:\n%s", page.code, page.body)
		}

		// A client may post multipart/form-data too.
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		if err := mw.WriteField("List-Unsubscribe", "One-Click"); err != nil {
			t.Fatal(err)
		}
		mw.Close()
		if r := post(t, f.local(t, f.unsubscribeLink(t, "energy-desk@example.com")), mw.FormDataContentType(), body.String()); r.code != http.StatusOK {
			t.Errorf("multipart POST: %d, want 200:\n%s", r.code, r.body)
		}
		if state, _ := f.state(t, "energy-desk@example.com"); state != model.SubscriberUnsubscribed {
			t.Errorf("energy-desk after a multipart POST: %s", state)
		}
	})
}

// TestUnsubscribeRefused: a link that is not a valid unsubscribe link of a
// configured subscriber, or a POST that is not a one-click form, gets a
// 4xx page saying why, and changes nothing.
func TestUnsubscribeRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		good := f.site.UnsubscribeURL("analyst@example.com")
		tok := strings.TrimPrefix(good, "https://news.example.com/u/")
		payload, sig, _ := strings.Cut(strings.TrimPrefix(tok, "v1."), ".")
		removed, err := token.NewSigner(f.clk.Now, []byte("a secret since removed, 32 bytes"))
		if err != nil {
			t.Fatal(err)
		}
		previous, err := token.NewSigner(f.clk.Now, []byte("the previous secret, thirty-two!"))
		if err != nil {
			t.Fatal(err)
		}
		signer := f.site.Signer()
		flip := func(s string) string { // one character changed
			if s[0] == 'A' {
				return "B" + s[1:]
			}
			return "A" + s[1:]
		}
		tests := []struct {
			name        string
			token       string
			contentType string
			body        string
			code        int
			says        string
		}{
			{"tampered payload", "v1." + flip(payload) + "." + sig, form, oneClick, 403, "معتبر نیست"},
			{"tampered signature", "v1." + payload + "." + flip(sig), form, oneClick, 403, "معتبر نیست"},
			{"preferences token", signer.Make("analyst@example.com", token.Preferences, time.Hour), form, oneClick, 403, "معتبر نیست"},
			{"login token", signer.Make("analyst@example.com", token.Login, time.Hour), form, oneClick, 403, "معتبر نیست"},
			{"removed secret", removed.Make("analyst@example.com", token.Unsubscribe, 0), form, oneClick, 403, "معتبر نیست"},
			{"10 KB", strings.Repeat("A", 10<<10), form, oneClick, 403, "معتبر نیست"},
			{"unknown subscriber", signer.Make("stranger@example.com", token.Unsubscribe, 0), form, oneClick, 404, "در میان مشترکان نیست"},
			{"no content type", tok, "", oneClick, 415, "application/x-www-form-urlencoded"},
			{"plain text", tok, "text/plain", oneClick, 415, "application/x-www-form-urlencoded"},
			{"JSON", tok, "application/json", `{"List-Unsubscribe":"One-Click"}`, 415, "application/x-www-form-urlencoded"},
			{"no one-click", tok, form, "unsubscribe=yes", 400, "List-Unsubscribe=One-Click"},
			{"bad form", tok, form, "%zz", 400, "خوانده نشد"},
			{"too large", tok, form, oneClick + "&pad=" + strings.Repeat("x", 100<<10), 413, "خوانده نشد"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := post(t, f.srv.URL+"/u/"+tt.token, tt.contentType, tt.body)
				if r.code != tt.code || !strings.Contains(r.body, tt.says) ||
					!strings.HasPrefix(r.hdr.Get("Content-Type"), "text/html") || !strings.Contains(r.body, "خطای") {
					t.Errorf("POST: %d, want %d with a page saying %q:\n%s", r.code, tt.code, tt.says, r.body)
				}
				// A GET of the link shows the same refusal, or, for a
				// good link, the confirmation.
				want := tt.code
				if want != http.StatusForbidden && want != http.StatusNotFound {
					want = http.StatusOK
				}
				if g := get(t, f.srv.URL+"/u/"+tt.token); g.code != want {
					t.Errorf("GET: %d, want %d:\n%s", g.code, want, g.body)
				}
				for _, email := range []string{"analyst@example.com", "stranger@example.com"} {
					if state, log := f.state(t, email); state != model.SubscriberActive || len(log) > 1 {
						t.Errorf("%s is %s %q; want nothing changed", email, state, log)
					}
				}
			})
		}
		// The secret before a rotation still opens the links signed with it.
		if r := get(t, f.srv.URL+"/u/"+previous.Make("analyst@example.com", token.Unsubscribe, 0)); r.code != http.StatusOK {
			t.Errorf("a link signed with the previous secret: %d, want 200", r.code)
		}
	})
}

var (
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	checkboxes = regexp.MustCompile(`name="topic" value="([^"]+)"( checked)?`)
)

// prefs opens the preferences page of a link and returns its CSRF token
// and the topics checked.
func prefs(t *testing.T, c *http.Client, u string) (csrf string, checked []string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	body := b.String()
	m := csrfField.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("preferences page: %d, want 200 with forms:\n%s", resp.StatusCode, body)
	}
	for _, cb := range checkboxes.FindAllStringSubmatch(body, -1) {
		if cb[2] != "" {
			checked = append(checked, cb[1])
		}
	}
	return m[1], checked
}

// TestPreferencesPage: opened by the link of a digest, the page changes
// topics, pauses, resumes, unsubscribes and re-subscribes, each with its
// CSRF token and its audit line; refused input changes nothing.
func TestPreferencesPage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		link := f.local(t, f.site.PreferencesURL("analyst@example.com"))
		tok := strings.SplitN(link, "t=", 2)[1]
		tok, _ = url.QueryUnescape(tok)
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		csrf, checked := prefs(t, c, link)
		if want := []string{"energy", "currency", "other"}; !slices.Equal(checked, want) {
			t.Errorf("topics checked %v, want all of %v (the config gives none)", checked, want)
		}
		submit := func(fields url.Values) response {
			t.Helper()
			fields.Set("csrf", csrf)
			fields.Set("t", tok)
			return post(t, f.srv.URL+"/subscription", form, fields.Encode())
		}

		r := submit(url.Values{"action": {"topics"}, "topic": {"other", "energy"}})
		if r.code != http.StatusSeeOther || !strings.HasPrefix(r.hdr.Get("Location"), "/subscription?done=topics&t=v1.") {
			t.Fatalf("saving topics: %d %s, want 303 back to the page", r.code, r.hdr.Get("Location"))
		}
		if _, checked := prefs(t, c, f.srv.URL+r.hdr.Get("Location")); !slices.Equal(checked, []string{"energy", "other"}) {
			t.Errorf("topics checked after saving: %v", checked)
		}
		if sub, err := f.subs.Recipient(t.Context(), "analyst@example.com"); err != nil || !slices.Equal(sub.Topics, []string{"energy", "other"}) {
			t.Errorf("the analyst's digests show %v, %v; want energy and other", sub.Topics, err)
		}

		// Refused: each a 4xx page, and nothing changed.
		other, err := url.QueryUnescape(strings.SplitN(f.site.PreferencesURL("energy-desk@example.com"), "t=", 2)[1])
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name   string
			fields url.Values
			ctype  string
			code   int
		}{
			{"unknown topic", url.Values{"action": {"topics"}, "topic": {"energy", "sport"}}, form, 400},
			{"no topic", url.Values{"action": {"topics"}}, form, 400},
			{"negative pause", url.Values{"action": {"pause"}, "weeks": {"-1"}}, form, 400},
			{"pause not offered", url.Values{"action": {"pause"}, "weeks": {"3"}}, form, 400},
			{"pause not a number", url.Values{"action": {"pause"}, "weeks": {"1e9"}}, form, 400},
			{"unknown action", url.Values{"action": {"explode"}}, form, 400},
			{"no CSRF token", url.Values{"action": {"unsubscribe"}, "csrf": {""}}, form, 403},
			{"CSRF token of another subscriber's link", url.Values{"action": {"unsubscribe"}, "csrf": {f.site.LinkCSRF(other)}}, form, 403},
			{"link of another purpose", url.Values{"action": {"unsubscribe"}, "t": {f.site.Signer().Make("analyst@example.com", token.Unsubscribe, 0)}}, form, 403},
			{"wrong content type", url.Values{"action": {"unsubscribe"}}, "text/plain", 415},
		} {
			fields := url.Values{"csrf": {csrf}, "t": {tok}}
			for k, v := range tt.fields {
				fields[k] = v
			}
			r := post(t, f.srv.URL+"/subscription", tt.ctype, fields.Encode())
			if r.code != tt.code || !strings.Contains(r.body, "خطای") {
				t.Errorf("%s: %d, want %d with a page:\n%s", tt.name, r.code, tt.code, r.body)
			}
			if state, log := f.state(t, "analyst@example.com"); state != model.SubscriberActive || len(log) != 2 {
				t.Errorf("%s changed the subscription: %s %q", tt.name, state, log)
			}
		}

		for _, step := range []struct {
			fields url.Values
			state  string
		}{
			{url.Values{"action": {"pause"}, "weeks": {"2"}}, model.SubscriberPaused},
			{url.Values{"action": {"resume"}}, model.SubscriberActive},
			{url.Values{"action": {"unsubscribe"}}, model.SubscriberUnsubscribed},
			{url.Values{"action": {"resubscribe"}}, model.SubscriberActive},
		} {
			if r := submit(step.fields); r.code != http.StatusSeeOther {
				t.Fatalf("%s: %d:\n%s", step.fields.Get("action"), r.code, r.body)
			}
			if state, _ := f.state(t, "analyst@example.com"); state != step.state {
				t.Errorf("after %s: %s, want %s", step.fields.Get("action"), state, step.state)
			}
		}
		_, log := f.state(t, "analyst@example.com")
		if want := []string{"added config", "topics page", "pause page", "resume page", "unsubscribe page", "resubscribe page"}; !slices.Equal(log, want) {
			t.Errorf("audit log %q, want %q", log, want)
		}

		// The link works for link_ttl (720h), then says it expired.
		f.clk.Advance(721 * time.Hour)
		if r := get(t, link); r.code != http.StatusForbidden || !strings.Contains(r.body, "منقضی") {
			t.Errorf("an expired link: %d, want 403 saying it expired:\n%s", r.code, r.body)
		}
		if r := get(t, f.srv.URL+"/subscription"); r.code != http.StatusForbidden {
			t.Errorf("the page without link or session: %d, want 403", r.code)
		}
	})
}

// TestPreferencesBySession: signed in on the desk, a subscriber reaches
// the page without a link, with forms bound to the session.
func TestPreferencesBySession(t *testing.T) {
	f := newFixture(t, backends[0].dsn(t))
	login, err := f.site.LoginURL("energy-desk@example.com")
	if err != nil {
		t.Fatal(err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := c.Get(f.local(t, login)); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %v %v", resp, err)
	}
	csrf, checked := prefs(t, c, f.srv.URL+"/subscription")
	if !slices.Equal(checked, []string{"energy"}) {
		t.Errorf("topics checked %v, want the config's energy", checked)
	}
	send := func(csrf string) int {
		resp, err := c.PostForm(f.srv.URL+"/subscription", url.Values{"action": {"topics"}, "topic": {"energy", "currency"}, "csrf": {csrf}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := send(f.site.LinkCSRF("v1.someone-else")); code != http.StatusForbidden {
		t.Errorf("a session's form with another token: %d, want 403", code)
	}
	if code := send(csrf); code != http.StatusSeeOther {
		t.Errorf("a session's form: %d, want 303", code)
	}
	if _, log := f.state(t, "energy-desk@example.com"); !slices.Equal(log, []string{"added config", "topics page"}) {
		t.Errorf("audit log %q", log)
	}
	if r := get(t, f.srv.URL+"/subscription"); r.code != http.StatusForbidden || !strings.Contains(r.body, "تنظیمات اشتراک") {
		t.Errorf("without the session: %d, want 403 saying how to open the page:\n%s", r.code, r.body)
	}
}
