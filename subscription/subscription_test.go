package subscription

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"mediadigest/config"
	"mediadigest/delivery"
	"mediadigest/model"
	"mediadigest/schedule"
)

// recipients lists who the manager's audience sends to now, with their
// topics.
func recipients(t *testing.T, m *Manager) []string {
	t.Helper()
	subs, err := m.Recipients(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range subs {
		out = append(out, fmt.Sprintf("%s %v", s.Email, s.Topics))
	}
	return out
}

// TestAudience: the configured subscribers who receive now, with their
// stored topics over the config's; a paused or unsubscribed one is left
// out, and Recipient says why.
func TestAudience(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		if got, want := recipients(t, f.subs), []string{"Analyst@Example.com []", "energy-desk@example.com [energy]"}; !slices.Equal(got, want) {
			t.Errorf("recipients %q, want %q", got, want)
		}
		if _, err := f.subs.SetTopics(ctx, "ANALYST@example.com", []string{model.OtherTopicID, "currency"}, model.ViaCommand); err != nil {
			t.Fatal(err)
		}
		if _, err := f.subs.Pause(ctx, "energy-desk@example.com", 7*24*time.Hour, model.ViaCommand); err != nil {
			t.Fatal(err)
		}
		if got, want := recipients(t, f.subs), []string{"Analyst@Example.com [currency other]"}; !slices.Equal(got, want) {
			t.Errorf("recipients %q, want %q", got, want)
		}
		sub, err := f.subs.Recipient(ctx, "energy-desk@example.com")
		if !errors.Is(err, delivery.ErrNotReceiving) || sub.Email != "energy-desk@example.com" {
			t.Errorf("Recipient of a paused subscriber: %+v, %v; want them with ErrNotReceiving", sub, err)
		}
		if _, err := f.subs.Recipient(ctx, "stranger@example.com"); !errors.Is(err, delivery.ErrNoRecipient) {
			t.Errorf("Recipient of an address not configured: %v, want ErrNoRecipient", err)
		}
		// Looking is not sending: a digest by hand still has their topics.
		if sub, err := f.mail.Subscriber(ctx, "energy-desk@example.com"); err != nil || !slices.Equal(sub.Topics, []string{"energy"}) {
			t.Errorf("Subscriber of a paused subscriber: %+v, %v", sub, err)
		}

		// The pause ends on its own; digests start from its end.
		f.clk.Advance(7*24*time.Hour + time.Minute)
		sub, err = f.subs.Recipient(ctx, "energy-desk@example.com")
		if err != nil || !sub.Since.Equal(start.Add(7*24*time.Hour)) {
			t.Errorf("after the pause: %+v, %v; want them back since the pause's end", sub, err)
		}

		// A topic leaving the config leaves the stored choice; a choice
		// of which nothing is left falls back on the config's.
		cfg := *f.cfg
		cfg.Topics = cfg.Topics[:1]
		m := NewManager(&cfg, f.st, Options{Clock: f.clk, Logger: slog.New(slog.DiscardHandler)})
		if got, want := recipients(t, m), []string{"Analyst@Example.com [other]", "energy-desk@example.com [energy]"}; !slices.Equal(got, want) {
			t.Errorf("with currency out of the config: %q, want %q", got, want)
		}
	})
}

// TestChanges: each change checks its input, writes one audit line, and
// doing it again writes none.
func TestChanges(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		week := 7 * 24 * time.Hour
		for _, tt := range []struct {
			name string
			do   func() error
			want error
		}{
			{"unknown subscriber", func() error { _, err := f.subs.Unsubscribe(ctx, "stranger@example.com", model.ViaCommand); return err }, ErrUnknown},
			{"unknown topic", func() error {
				_, err := f.subs.SetTopics(ctx, "analyst@example.com", []string{"energy", "sport"}, model.ViaCommand)
				return err
			}, ErrInvalid},
			{"no topic", func() error {
				_, err := f.subs.SetTopics(ctx, "analyst@example.com", nil, model.ViaCommand)
				return err
			}, ErrInvalid},
			{"negative pause", func() error { _, err := f.subs.Pause(ctx, "analyst@example.com", -week, model.ViaCommand); return err }, ErrInvalid},
			{"pause of a year", func() error {
				_, err := f.subs.Pause(ctx, "analyst@example.com", 52*week, model.ViaCommand)
				return err
			}, ErrInvalid},
			{"resume, not paused", func() error { _, err := f.subs.Resume(ctx, "analyst@example.com", model.ViaCommand); return err }, nil},
			{"resubscribe, subscribed", func() error { _, err := f.subs.Resubscribe(ctx, "analyst@example.com", model.ViaCommand); return err }, nil},
		} {
			if err := tt.do(); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
			}
		}
		if _, log := f.state(t, "analyst@example.com"); !slices.Equal(log, []string{"added config"}) {
			t.Errorf("refused and empty changes wrote %q", log)
		}

		if _, err := f.subs.Unsubscribe(ctx, "analyst@example.com", model.ViaCommand); err != nil {
			t.Fatal(err)
		}
		if _, err := f.subs.Pause(ctx, "analyst@example.com", week, model.ViaCommand); !errors.Is(err, ErrInvalid) {
			t.Errorf("pausing an unsubscribed subscriber: %v, want ErrInvalid", err)
		}
		f.clk.Advance(time.Hour)
		sub, err := f.subs.Resubscribe(ctx, "analyst@example.com", model.ViaCommand)
		if err != nil || !sub.ResumedAt.Equal(f.clk.Now()) || sub.State(f.clk.Now()) != model.SubscriberActive {
			t.Errorf("re-subscribed: %+v, %v", sub, err)
		}
		if _, log := f.state(t, "analyst@example.com"); !slices.Equal(log, []string{"added config", "unsubscribe command", "resubscribe command"}) {
			t.Errorf("audit log %q", log)
		}
	})
}

// TestSync: the config's list is recorded through the config path. An
// unsubscription outlives a restart, the address leaving the config and
// coming back; while out of the config the address receives nothing,
// whatever the store says.
func TestSync(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		restart := func(subscribers ...string) *Manager {
			t.Helper()
			cfg := *f.cfg
			cfg.Subscribers = nil
			for _, s := range subscribers {
				cfg.Subscribers = append(cfg.Subscribers, config.Subscriber{Email: s})
			}
			m := NewManager(&cfg, f.st, Options{Clock: f.clk, Logger: slog.New(slog.DiscardHandler)})
			if err := m.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			return m
		}
		if _, err := f.subs.Unsubscribe(ctx, "analyst@example.com", model.ViaLink); err != nil {
			t.Fatal(err)
		}
		f.enqueue(t, "energy-desk@example.com")

		m := restart("Analyst@Example.com", "energy-desk@example.com")
		if got := recipients(t, m); !slices.Equal(got, []string{"energy-desk@example.com []"}) {
			t.Errorf("after a restart: %q; want the analyst still unsubscribed", got)
		}
		f.clk.Advance(time.Hour)
		m = restart("Analyst@Example.com")
		if rows, err := f.st.Outbox(ctx, model.OutboxCancelled, 0); err != nil || len(rows) != 1 || rows[0].LastReply != "cancelled: removed by config" {
			t.Errorf("cancelled rows %+v, %v; want energy-desk's queued digest, removed by config", rows, err)
		}
		list, err := m.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, s := range list {
			states = append(states, s.Email+" "+s.State)
		}
		if want := []string{"Analyst@Example.com unsubscribed", "energy-desk@example.com removed"}; !slices.Equal(states, want) {
			t.Errorf("List %q, want %q", states, want)
		}
		if _, err := m.Resubscribe(ctx, "energy-desk@example.com", model.ViaCommand); !errors.Is(err, ErrUnknown) {
			t.Errorf("re-subscribing an address out of the config: %v, want ErrUnknown", err)
		}

		f.clk.Advance(time.Hour)
		m = restart("analyst@example.com", "energy-desk@example.com")
		if got := recipients(t, m); !slices.Equal(got, []string{"energy-desk@example.com []"}) {
			t.Errorf("back in the config: %q; want energy-desk alone, the analyst still unsubscribed", got)
		}
		if sub, err := m.Recipient(ctx, "energy-desk@example.com"); err != nil || !sub.Since.Equal(f.clk.Now()) {
			t.Errorf("energy-desk back: %+v, %v; want digests since their return", sub, err)
		}
		restart("analyst@example.com", "energy-desk@example.com") // nothing to record
		for email, want := range map[string][]string{
			"analyst@example.com":     {"added config", "unsubscribe link"},
			"energy-desk@example.com": {"added config", "removed config", "added config"},
		} {
			if _, log := f.state(t, email); !slices.Equal(log, want) {
				t.Errorf("%s: audit log %q, want %q", email, log, want)
			}
		}
	})
}

// TestQueueHonoursState: the scheduled digests and `digest -send` skip the
// paused and unsubscribed, and a subscriber back from a pause gets what
// arrived since its end, not since their latest digest before it.
func TestQueueHonoursState(t *testing.T) {
	forEachBackend(t, func(t *testing.T, f *fixture) {
		ctx := t.Context()
		queued := func(p delivery.Plan) []string {
			t.Helper()
			rep, err := f.mail.Queue(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, it := range rep.Queued {
				out = append(out, it.Subscriber+" from "+it.Window.From.In(tehran).Format("01-02 15:04"))
			}
			return out
		}
		if got := queued(delivery.SinceLast(f.clk.Now())); len(got) != 0 {
			t.Fatalf("nothing stored, yet queued %q", got)
		}
		f.queueDay(t)
		if _, err := f.subs.Pause(ctx, "analyst@example.com", 7*24*time.Hour, model.ViaPage); err != nil {
			t.Fatal(err)
		}
		if _, err := f.subs.Unsubscribe(ctx, "energy-desk@example.com", model.ViaPage); err != nil {
			t.Fatal(err)
		}
		if counts, err := f.st.OutboxCounts(ctx); err != nil || counts[model.OutboxCancelled] != 2 {
			t.Errorf("outbox %v, %v; want both queued digests cancelled", counts, err)
		}
		win := func(day int) delivery.Plan {
			from := time.Date(2026, 11, day, 0, 0, 0, 0, tehran)
			return delivery.Day(model.Window{From: from, To: from.AddDate(0, 0, 1)})
		}
		if got := queued(win(27)); len(got) != 0 {
			t.Errorf("queued %q while one is paused and the other unsubscribed", got)
		}
		f.clk.Advance(3 * 24 * time.Hour)
		if _, err := f.subs.Resume(ctx, "analyst@example.com", model.ViaPage); err != nil {
			t.Fatal(err)
		}
		resumed := f.clk.Now()
		rep, err := f.mail.Queue(ctx, delivery.Scheduled(mustSchedule(t, "0 7 * * *"), resumed.Add(24*time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Queued) != 1 || rep.Queued[0].Subscriber != "Analyst@Example.com" || !rep.Queued[0].Window.From.Equal(resumed) {
			t.Errorf("the next scheduled digest: %+v; want the analyst's alone, from their return at %s", rep.Queued, resumed)
		}
	})
}

func mustSchedule(t *testing.T, spec string) schedule.Schedule {
	t.Helper()
	s, err := schedule.Parse(spec, tehran)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
