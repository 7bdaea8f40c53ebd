package delivery

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"mediadigest/config"
	"mediadigest/digest"
	"mediadigest/internal/corpus"
	"mediadigest/jalali"
	"mediadigest/model"
	"mediadigest/pipeline"
	"mediadigest/scrape"
	"mediadigest/store"
	"mediadigest/stories"
)

var digestN = flag.Int("digest.n", 20000, "articles stored before BenchmarkDigest200")

// BenchmarkDigest200 builds and renders (HTML and text parts) the digests
// of 200 subscribers for a day of -digest.n stored articles, reading the
// day's stored stories once, as a delivery run does for one window.
func BenchmarkDigest200(b *testing.B) {
	c := corpus.Generate(*digestN, 1)
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	cfg, err := config.Demo(srv.URL, srv.URL, secretDir(b))
	if err != nil {
		b.Fatal(err)
	}
	subs := make([]digest.Subscriber, 200)
	for i := range subs {
		subs[i].Email = fmt.Sprintf("reader%03d@example.com", i)
		// A third want everything, the others one or two topics.
		switch t := cfg.Topics; i % 3 {
		case 1:
			subs[i].Topics = []string{t[i%len(t)].ID}
		case 2:
			subs[i].Topics = []string{t[i%len(t)].ID, t[(i+1)%len(t)].ID}
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	p, err := pipeline.New(cfg, st, pipeline.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	first, last := c.Days()
	for _, id := range []string{corpus.ISNA, corpus.Eghtesad24} {
		if _, err := p.Backfill(ctx, id, first, last, quiet{}); err != nil {
			b.Fatal(err)
		}
	}
	m, err := New(cfg, st, stories.New(st, cfg.Cleaning.StoryWindow.D()), ConfigAudience(cfg), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	from := last.AddDays(-1).Time(c.Location())
	win := model.Window{From: from, To: from.Add(24 * time.Hour)}
	shown := 0
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		ds, err := m.Digests(ctx, subs, win)
		if err != nil {
			b.Fatal(err)
		}
		shown = 0
		for _, d := range ds {
			if _, err := m.Format(d, "html"); err != nil {
				b.Fatal(err)
			}
			if _, err := m.Format(d, "text"); err != nil {
				b.Fatal(err)
			}
			for _, t := range d.Topics {
				shown += len(t.Stories)
			}
		}
	}
	if shown == 0 {
		b.Fatal("the digests of the corpus's last day show no story")
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/200-digests")
	// The CPU time says what the wall time says on an idle machine, and
	// still does on a busy one.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/200-digests")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// secretDir is a directory holding the demo config's secret file.
func secretDir(b *testing.B) string {
	dir := b.TempDir()
	if err := writeSecretFile(dir); err != nil {
		b.Fatal(err)
	}
	return dir
}

type quiet struct{}

func (quiet) Start(int)                           {}
func (quiet) Day(jalali.Date, scrape.Stats, bool) {}
func (quiet) Done()                               {}

// BenchmarkSend sends 200 digests over one SMTP connection to a server on
// loopback, queue to server, with a row marked sent after each.
//
//	go test ./delivery -run '^$' -bench Send -benchtime 5x
func BenchmarkSend(b *testing.B) {
	subs := make([]string, 200)
	for i := range subs {
		subs[i] = fmt.Sprintf("reader%03d@example.com", i)
	}
	sent := 0
	for b.Loop() {
		b.StopTimer()
		f := newFixture(b, fixtureOptions{subscribers: subs})
		f.queueDay(b)
		b.StartTimer()
		rep, err := f.m.Send(context.Background())
		if err != nil || rep.Sent != len(subs) {
			b.Fatalf("Send = %+v, %v", rep, err)
		}
		sent += rep.Sent
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "msgs/s")
}
