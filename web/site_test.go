package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"mediadigest/clock"
	"mediadigest/config"
	"mediadigest/token"
)

const secretEnv = "MEDIADIGEST_TEST_WEB_SECRET"

// newSite is a site for two subscribers with the public URL given.
func newSite(t *testing.T, publicURL string, clk clock.Clock) *Site {
	t.Helper()
	t.Setenv(secretEnv, "a secret of thirty-two bytes, ok")
	cfg, err := config.Parse("web.yaml", []byte(fmt.Sprintf(`
store: %s/md.db
outlets:
  - {id: isna, profile: isna, base_url: "https://www.isna.ir"}
subscribers:
  - email: analyst@example.com
  - email: energy-desk@example.com
http: {public_url: %q, secret_env: %s, login_ttl: 1h}
`, t.TempDir(), publicURL, secretEnv)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSite(cfg, Options{Clock: clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// server serves the site's routes and one page behind RequireSession.
func server(t *testing.T, s *Site) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	s.Routes(mux)
	mux.HandleFunc("GET /{$}", s.RequireSession(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s csrf=%s", Subscriber(r).Email, s.CSRF(r))
	}))
	srv := httptest.NewServer(Secure(mux))
	t.Cleanup(srv.Close)
	return srv
}

func client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

func get(t *testing.T, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func TestSignIn(t *testing.T) {
	clk := clock.NewFake(time.Date(2027, 3, 20, 20, 20, 0, 0, time.UTC))
	s := newSite(t, "https://news.example.com/desk", clk)
	srv := server(t, s)

	link, err := s.LoginURL("ANALYST@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "https://news.example.com/desk/login?t=v1.") {
		t.Errorf("login link %s, want one under the public URL", link)
	}
	if _, err := s.LoginURL("stranger@example.com"); err == nil {
		t.Error("a login link was made for an address not in the config")
	}
	local := srv.URL + "/login?" + strings.SplitN(link, "?", 2)[1]

	c := client(t)
	if code, body, _ := get(t, c, srv.URL+"/"); code != http.StatusForbidden || !strings.Contains(body, "mediadigest link EMAIL") {
		t.Errorf("the desk without a session: %d, want 403 saying how to sign in:\n%s", code, body)
	}
	code, body, h := get(t, c, local)
	if code != http.StatusOK || !strings.HasPrefix(body, "hello analyst@example.com csrf=") {
		t.Fatalf("after signing in: %d %s", code, body)
	}
	for k, want := range map[string]string{
		"Content-Security-Policy": contentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	cookies := c.Jar.Cookies(mustURL(t, srv.URL))
	if len(cookies) != 1 || cookies[0].Name != SessionCookie {
		t.Fatalf("cookies %v, want the session", cookies)
	}

	// The cookie's attributes, as the server set them.
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(local)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	set := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "Secure", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %s", set, want)
		}
	}

	// A link past its hour, forged, or of another purpose opens nothing.
	for name, u := range map[string]string{
		"forged":          srv.URL + "/login?t=" + url.QueryEscape(strings.Replace(strings.SplitN(link, "t=", 2)[1], "v1.", "v1.A", 1)),
		"other purpose":   srv.URL + "/login?t=" + url.QueryEscape(s.signer.Make("analyst@example.com", token.Unsubscribe, 0)),
		"no token":        srv.URL + "/login",
		"10 KB":           srv.URL + "/login?t=" + strings.Repeat("A", 10<<10),
		"expired (later)": local,
	} {
		if name == "expired (later)" {
			clk.Advance(time.Hour)
		}
		c := client(t)
		if code, _, _ := get(t, c, u); code != http.StatusForbidden {
			t.Errorf("%s login link: %d, want 403", name, code)
		}
		if len(c.Jar.Cookies(mustURL(t, srv.URL))) != 0 {
			t.Errorf("%s login link set a cookie", name)
		}
	}
}

// TestSessionOfARemovedSubscriber: a subscriber removed from the config
// loses the desk, whatever their cookie says.
func TestSessionOfARemovedSubscriber(t *testing.T) {
	clk := clock.NewFake(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s := newSite(t, "https://news.example.com", clk)
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: s.signer.Make("left@example.com", token.Session, time.Hour)})
	if _, ok := s.Session(r); ok {
		t.Error("a session of an address not in the config was accepted")
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: s.signer.Make("energy-desk@example.com", token.Session, time.Hour)})
	if sub, ok := s.Session(r); !ok || sub.Email != "energy-desk@example.com" {
		t.Errorf("Session = %v, %v; want energy-desk", sub, ok)
	}
}

func TestCSRF(t *testing.T) {
	clk := clock.NewFake(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s := newSite(t, "", clk)
	session := &http.Cookie{Name: SessionCookie, Value: s.signer.Make("analyst@example.com", token.Session, time.Hour)}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(session)
	csrf := s.CSRF(r)
	post := func(form url.Values, c *http.Cookie) bool {
		r := httptest.NewRequest("POST", "/logout", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if c != nil {
			r.AddCookie(c)
		}
		return s.CheckCSRF(r)
	}
	if !post(url.Values{"csrf": {csrf}}, session) {
		t.Error("a form with its session's token was refused")
	}
	if post(url.Values{}, session) || post(url.Values{"csrf": {"forged"}}, session) || post(url.Values{"csrf": {csrf}}, nil) {
		t.Error("a form without its token, with a forged one, or without the session was accepted")
	}
	other := &http.Cookie{Name: SessionCookie, Value: s.signer.Make("energy-desk@example.com", token.Session, time.Hour)}
	if post(url.Values{"csrf": {csrf}}, other) {
		t.Error("another session's form token was accepted")
	}
}

func TestLinks(t *testing.T) {
	clk := clock.NewFake(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	s := newSite(t, "https://news.example.com/", clk)
	if got := s.StoryURL("s00000000000000ab"); got != "https://news.example.com/story/s00000000000000ab" {
		t.Errorf("StoryURL = %s", got)
	}
	u := s.UnsubscribeURL("analyst@example.com")
	tok := strings.TrimPrefix(u, "https://news.example.com/u/")
	if email, err := s.signer.Check(tok, token.Unsubscribe); err != nil || email != "analyst@example.com" {
		t.Errorf("UnsubscribeURL %s: %q, %v", u, email, err)
	}
	p, err := url.Parse(s.PreferencesURL("analyst@example.com"))
	if err != nil || p.Path != "/subscription" {
		t.Fatalf("PreferencesURL = %v, %v", p, err)
	}
	if email, err := s.signer.Check(p.Query().Get("t"), token.Preferences); err != nil || email != "analyst@example.com" {
		t.Errorf("PreferencesURL token: %q, %v", email, err)
	}
	if !s.Public() || newSite(t, "", clk).Public() {
		t.Error("Public says whether http.public_url is set")
	}
}

func TestNoSecretNoPages(t *testing.T) {
	cfg, err := config.Parse("web.yaml", []byte("store: x.db\noutlets:\n  - {id: isna, profile: isna, base_url: \"https://www.isna.ir\"}\nhttp: {secret_env: MEDIADIGEST_TEST_UNSET_SECRET}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSite(cfg, Options{}); err != ErrNoSecret {
		t.Errorf("NewSite without a secret = %v, want ErrNoSecret", err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
