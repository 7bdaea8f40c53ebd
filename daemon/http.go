package daemon

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"mediadigest/digest"
	"mediadigest/health"
	"mediadigest/jalali"
)

// Handler serves /healthz, /metrics and /preview, and the pages of
// Options.Pages on every other path.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", d.healthz)
	mux.Handle("GET /metrics", d.metrics())
	mux.HandleFunc("GET /preview", d.preview)
	if d.pages != nil {
		mux.Handle("/", d.pages)
	}
	return mux
}

// healthz serves health.Check as JSON: 200 when its status is "ok",
// 503 otherwise, and 503 when the store cannot be read, so a probe sees
// one bad status for every reason the daemon cannot do its work.
func (d *Daemon) healthz(w http.ResponseWriter, r *http.Request) {
	h, err := health.Check(r.Context(), d.cfg, d.store, d.clk.Now())
	if err != nil {
		d.log.Error("healthz: cannot read the store", "error", err)
		h = health.Report{Status: "unhealthy", Problems: []string{fmt.Sprintf("cannot read the store: %v", err)}}
	}
	code := http.StatusOK
	if h.Status != "ok" {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(h) // the client went away: nothing to tell it
}

// metrics refreshes the store-backed gauges, then serves the registry.
// When the store cannot be read the gauges keep their previous values and
// the rest is served all the same: the Go and process series matter most
// when something is wrong.
func (d *Daemon) metrics() http.Handler {
	prom := promhttp.HandlerFor(d.m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := d.m.refresh(r.Context(), d.store, d.cfg, d.clk.Now()); err != nil {
			d.m.storeReadErrors.Inc()
			d.log.Error("metrics: cannot read the store", "error", err)
		}
		prom.ServeHTTP(w, r)
	})
}

// preview serves the HTML digest of one calendar day (?date=, default
// today in the configured zone) for one subscriber (?subscriber=, default
// the first), rendered by the same code as the mail.
func (d *Daemon) preview(w http.ResponseWriter, r *http.Request) {
	loc := d.cfg.Location
	q := r.URL.Query()
	day := jalali.Of(d.clk.Now().In(loc))
	if s := q.Get("date"); s != "" {
		var err error
		if day, err = jalali.ParseDay(s); err != nil {
			http.Error(w, fmt.Sprintf("bad date %q: %v", s, err), http.StatusBadRequest)
			return
		}
	}
	var sub digest.Subscriber
	switch email := q.Get("subscriber"); {
	case email != "":
		var err error
		if sub, err = d.mail.Subscriber(r.Context(), email); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	case len(d.cfg.Subscribers) == 0:
		http.Error(w, "no subscribers configured: add one under subscribers: in the config", http.StatusBadRequest)
		return
	default:
		// The first subscriber, with the topics they chose.
		var err error
		if sub, err = d.mail.Subscriber(r.Context(), d.cfg.Subscribers[0].Email); err != nil {
			d.log.Error("preview failed", "subscriber", d.cfg.Subscribers[0].Email, "error", err)
			http.Error(w, fmt.Sprintf("cannot read the first subscriber's choices: %v", err), http.StatusInternalServerError)
			return
		}
	}
	dg, err := d.mail.Digest(r.Context(), sub, digest.DayWindow(day.Time(loc), loc))
	var html []byte
	if err == nil {
		html, err = d.mail.Format(dg, "html")
	}
	if err != nil {
		d.log.Error("preview failed", "date", day.String(), "subscriber", sub.Email, "error", err)
		http.Error(w, fmt.Sprintf("cannot build the digest of %s for %s: %v", day, sub.Email, err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// The page shows scraped text: it may load images and styles, never
	// run scripts.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(html)
}
