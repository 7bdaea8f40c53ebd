package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"mediadigest/model"
)

// ErrLeaseLost is returned (wrapped) by RenewLease when the holder no
// longer holds the lease: it expired and another process took it over.
var ErrLeaseLost = errors.New("lease lost")

// Lease is one named piece of work and the process doing it.
type Lease struct {
	Name    string    `json:"name"`
	Holder  string    `json:"holder"` // "" when free
	Expires time.Time `json:"expires"`
}

// TryLease makes holder the holder of the named lease until now+ttl when
// the lease is free, expired, or already holder's, and reports whether it
// did. A process that gets false must leave the work alone: another one
// is doing it.
//
// On PostgreSQL the lease row is read with FOR UPDATE SKIP LOCKED, so of
// processes claiming at the same moment one wins and the others see no row
// rather than queueing behind it; on SQLite the store's single writer
// serialises claims.
func (s *Store) TryLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if holder == "" {
		return false, fmt.Errorf("store: lease %s: empty holder", name)
	}
	var won bool
	err := s.inTx(ctx, func(tx *tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO leases (name) VALUES (?) ON CONFLICT (name) DO NOTHING", name); err != nil {
			return err
		}
		var cur string
		var expires time.Time
		err := tx.QueryRowContext(ctx, "SELECT holder, expires FROM leases WHERE name = ?"+s.d.skipLocked, name).
			Scan(&cur, timeCol{&expires})
		if errors.Is(err, sql.ErrNoRows) {
			return nil // another process is claiming it right now
		}
		if err != nil {
			return err
		}
		if cur != "" && cur != holder && expires.After(now) {
			return nil
		}
		won = true
		_, err = tx.ExecContext(ctx, "UPDATE leases SET holder = ?, expires = ? WHERE name = ?", holder, fmtTime(now.Add(ttl)), name)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: claim lease %s for %s: %w", name, holder, err)
	}
	return won, nil
}

// RenewLease extends holder's lease to now+ttl. It fails with ErrLeaseLost
// when holder no longer holds it, or held it past its expiry: the work
// may then be running elsewhere too, and holder must stop.
func (s *Store) RenewLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) error {
	res, err := s.w.ExecContext(ctx, "UPDATE leases SET expires = ? WHERE name = ? AND holder = ? AND expires > ?",
		fmtTime(now.Add(ttl)), name, holder, fmtTime(now))
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = ErrLeaseLost
		}
	}
	if err != nil {
		return fmt.Errorf("store: renew lease %s of %s: %w", name, holder, err)
	}
	return nil
}

// ReleaseLease frees holder's lease; a lease holder no longer holds is
// left alone.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	_, err := s.w.ExecContext(ctx, "UPDATE leases SET holder = '', expires = '' WHERE name = ? AND holder = ?", name, holder)
	if err != nil {
		return fmt.Errorf("store: release lease %s of %s: %w", name, holder, err)
	}
	return nil
}

// Leases lists the leases held at now, by name.
func (s *Store) Leases(ctx context.Context, now time.Time) ([]Lease, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT name, holder, expires FROM leases WHERE holder <> '' AND expires > ? ORDER BY name", fmtTime(now))
	if err != nil {
		return nil, fmt.Errorf("store: list leases: %w", err)
	}
	defer rows.Close()
	out := []Lease{} // [] in JSON when none
	for rows.Next() {
		var l Lease
		if err := rows.Scan(&l.Name, &l.Holder, timeCol{&l.Expires}); err != nil {
			return nil, fmt.Errorf("store: list leases: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list leases: %w", err)
	}
	return out, nil
}

// Process is a registered daemon.
type Process struct {
	ID        string    `json:"id"`
	Host      string    `json:"host"`
	PID       int       `json:"pid"`
	Started   time.Time `json:"started"`
	Heartbeat time.Time `json:"heartbeat"`
}

// Register records a running daemon, replacing an older registration with
// the same id, and its first heartbeat at p.Heartbeat.
func (s *Store) Register(ctx context.Context, p Process) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO processes (id, host, pid, started, heartbeat) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, started = excluded.started,
			heartbeat = excluded.heartbeat`,
		p.ID, p.Host, p.PID, fmtTime(p.Started), fmtTime(p.Heartbeat))
	if err != nil {
		return fmt.Errorf("store: register process %s: %w", p.ID, err)
	}
	return nil
}

// Heartbeat records that process id is alive at now, and forgets the
// processes silent for forgetAfter: daemons killed without unregistering.
// It reports ErrNotFound when the row of id itself is gone (removed by an
// operator, or forgotten after a long pause), so the caller registers
// again.
func (s *Store) Heartbeat(ctx context.Context, id string, now time.Time) error {
	err := s.inTx(ctx, func(tx *tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM processes WHERE heartbeat < ?", fmtTime(now.Add(-forgetAfter))); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "UPDATE processes SET heartbeat = ? WHERE id = ?", fmtTime(now), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, fmt.Errorf("process %s: %w", id, ErrNotFound))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: heartbeat of %s: %w", id, err)
	}
	return nil
}

// forgetAfter is how long a killed daemon's registration stays in the
// processes table, and in /healthz marked dead: a day, long enough to see
// which process died, and when.
const forgetAfter = 24 * time.Hour

// Unregister removes the registration of a daemon that stops, and frees
// its leases and outbox claims so the others need not wait for them to
// expire.
func (s *Store) Unregister(ctx context.Context, id string) error {
	if err := s.inTx(ctx, func(tx *tx) error { return unregister(ctx, tx, id) }); err != nil {
		return fmt.Errorf("store: unregister process %s: %w", id, err)
	}
	return nil
}

// unregister removes process id and frees its leases and outbox claims.
func unregister(ctx context.Context, tx *tx, id string) error {
	for _, q := range []string{
		"DELETE FROM processes WHERE id = ?",
		"UPDATE leases SET holder = '', expires = '' WHERE holder = ?",
		"UPDATE outbox SET claimed_by = '', claim_expires = '' WHERE claimed_by = ?",
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}

// ReleaseDeadDaemons unregisters every registered daemon, freeing the
// leases and outbox claims it holds, and returns them. It is for a SQLite
// store whose "serve" lock (AcquireLock) the caller holds, before its own
// daemon starts: a daemon holds that lock while it runs, so those
// registered died without unregistering (kill -9, a power cut), and their
// leases would hold their work back until they expire. What the other
// commands hold (backfill days, the claims of digest -send) is left alone:
// they may be running next to the daemon. A PostgreSQL store is refused:
// the daemons registered there may be alive.
func (s *Store) ReleaseDeadDaemons(ctx context.Context) ([]Process, error) {
	if s.Shared() {
		return nil, fmt.Errorf("store: release dead daemons of %s: refused on a PostgreSQL store, where they may be alive (their leases expire after cluster.lease)", s.path)
	}
	dead, err := s.Processes(ctx, time.Time{})
	if err == nil {
		err = s.inTx(ctx, func(tx *tx) error {
			for _, p := range dead {
				if err := unregister(ctx, tx, p.ID); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("store: release dead daemons of %s: %w", s.path, err)
	}
	return dead, nil
}

// Processes lists the registered daemons whose last heartbeat is after
// since, by id. A process killed with SIGKILL leaves its row behind; its
// heartbeat stops, which is how /healthz tells it apart.
func (s *Store) Processes(ctx context.Context, since time.Time) ([]Process, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id, host, pid, started, heartbeat FROM processes WHERE heartbeat > ? ORDER BY id", fmtTime(since))
	if err != nil {
		return nil, fmt.Errorf("store: list processes: %w", err)
	}
	defer rows.Close()
	out := []Process{} // [] in JSON when none
	for rows.Next() {
		var p Process
		if err := rows.Scan(&p.ID, &p.Host, &p.PID, timeCol{&p.Started}, timeCol{&p.Heartbeat}); err != nil {
			return nil, fmt.Errorf("store: list processes: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list processes: %w", err)
	}
	return out, nil
}

// ClaimDue claims for holder, until now+ttl, up to limit queued items due
// at now that are not claimed (or whose claim expired), and returns them
// the longest waiting first. A row claimed by holder itself is not
// returned again until its claim expires either: a Deliver that failed to
// record an outcome does not resend at once. Of processes claiming at once,
// each row goes to one: on PostgreSQL the candidate rows are locked with
// FOR UPDATE SKIP LOCKED, on SQLite the single writer serialises the
// claims. Recording the outcome (MarkSent, MarkRetry, MarkFailed) ends
// the claim.
func (s *Store) ClaimDue(ctx context.Context, holder string, now time.Time, ttl time.Duration, limit int) ([]model.OutboxItem, error) {
	items, err := s.claim(ctx, holder, now, ttl, limit, "")
	if err != nil {
		return nil, fmt.Errorf("store: claim due outbox items for %s: %w", holder, err)
	}
	return items, nil
}

// ClaimItem claims item id for holder as ClaimDue would, and returns it:
// only when it is queued, due at now, and not claimed by another process
// (or that claim expired). Otherwise it returns nothing.
func (s *Store) ClaimItem(ctx context.Context, holder string, id int64, now time.Time, ttl time.Duration) ([]model.OutboxItem, error) {
	items, err := s.claim(ctx, holder, now, ttl, 1, " AND id = ?", id)
	if err != nil {
		return nil, fmt.Errorf("store: claim outbox item %d for %s: %w", id, holder, err)
	}
	return items, nil
}

// claim claims for holder up to limit due items that also meet cond (" AND
// …" with its args), the longest waiting first.
func (s *Store) claim(ctx context.Context, holder string, now time.Time, ttl time.Duration, limit int, cond string, condArgs ...any) ([]model.OutboxItem, error) {
	var items []model.OutboxItem
	args := append([]any{holder, fmtTime(now.Add(ttl)), model.OutboxQueued, fmtTime(now), fmtTime(now)}, condArgs...)
	err := s.inTx(ctx, func(tx *tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE outbox SET claimed_by = ?, claim_expires = ?, sending = ''
			WHERE id IN (SELECT id FROM outbox
				WHERE state = ? AND next_try <= ? AND (claimed_by = '' OR claim_expires <= ?)`+cond+`
				ORDER BY next_try, id LIMIT ?`+s.d.skipLocked+`)
			RETURNING `+outboxColumns,
			append(args, limit)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it, err := scanOutbox(rows)
			if err != nil {
				return err
			}
			items = append(items, it)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	// RETURNING gives no order.
	slices.SortFunc(items, func(a, b model.OutboxItem) int {
		if c := a.NextTry.Compare(b.NextTry); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return items, nil
}

// RenewClaims extends until expires every claim holder has on a queued
// item, and returns how many it extended. A process delivering a batch
// renews its claims while it sends, so they lapse only when it dies.
func (s *Store) RenewClaims(ctx context.Context, holder string, expires time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, "UPDATE outbox SET claim_expires = ? WHERE claimed_by = ? AND state = ?",
		fmtTime(expires), holder, model.OutboxQueued)
	if err != nil {
		return 0, fmt.Errorf("store: renew outbox claims of %s: %w", holder, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: renew outbox claims of %s: %w", holder, err)
	}
	return n, nil
}
