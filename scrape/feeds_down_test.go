package scrape

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCrawlFailsWhenNoFeedIsRead: an outlet whose feeds all fail is a
// failed run (health counts it), not an empty successful one; a feed that
// answers 304 is read.
func TestCrawlFailsWhenNoFeedIsRead(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantErr string
	}{
		{"server error", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/robots.txt" {
				http.NotFound(w, r)
				return
			}
			http.Error(w, "down", http.StatusInternalServerError)
		}, "none of its 1 feed(s) could be read"},
		{"not modified", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/robots.txt" {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(http.StatusNotModified)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			o := Outlet{ID: "isna", BaseURL: srv.URL, Feeds: []string{"/rss"}, Profile: testProfile(t)}
			opt := testOptions()
			opt.Retries = -1
			_, err := New(opt).Crawl(context.Background(), o, nil, nil, func(context.Context, Page) (string, error) {
				return OutcomeNew, nil
			})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), srv.URL)):
				t.Fatalf("err = %v, want one containing %q and the feed URL", err, tt.wantErr)
			}
		})
	}
}
