-- 0007_subscriptions: what subscribers chose for themselves (their topics,
-- a pause, an unsubscription), with an audit line for every change, and
-- the outbox state of a digest dropped because its subscriber left before
-- it went out (docs/subscriptions.md).

-- One row per subscriber the store has seen, keyed by the lower-cased
-- address. topics is a JSON list of topic ids, NULL for the config's.
-- Times are '' when unset.
CREATE TABLE subscriptions (
    email           TEXT NOT NULL PRIMARY KEY,
    topics          TEXT,
    paused_until    TEXT NOT NULL DEFAULT '',
    unsubscribed_at TEXT NOT NULL DEFAULT '',
    resumed_at      TEXT NOT NULL DEFAULT '',
    removed_at      TEXT NOT NULL DEFAULT '',
    updated_at      TEXT NOT NULL
) WITHOUT ROWID;

-- Every change of a subscription: what, when, and through which path
-- (link, page, command, config).
CREATE TABLE subscription_changes (
    id     INTEGER PRIMARY KEY,
    email  TEXT NOT NULL,
    at     TEXT NOT NULL,
    what   TEXT NOT NULL,
    via    TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX subscription_changes_email ON subscription_changes (email, id);

-- The outbox gains the state 'cancelled' and the column sending: when the
-- message of a claimed row went to the mail server ('' before). SQLite
-- cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE outbox_new (
    id            INTEGER PRIMARY KEY,
    key           TEXT    NOT NULL UNIQUE,
    subscriber    TEXT    NOT NULL,
    window_from   TEXT    NOT NULL,
    window_to     TEXT    NOT NULL,
    basis         TEXT    NOT NULL DEFAULT '',
    message_id    TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_reply    TEXT    NOT NULL DEFAULT '',
    next_try      TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    sent_at       TEXT    NOT NULL DEFAULT '',
    claimed_by    TEXT    NOT NULL DEFAULT '',
    claim_expires TEXT    NOT NULL DEFAULT '',
    sending       TEXT    NOT NULL DEFAULT ''
);
INSERT INTO outbox_new (id, key, subscriber, window_from, window_to, basis, message_id, state, attempts,
        last_reply, next_try, created_at, sent_at, claimed_by, claim_expires)
    SELECT id, key, subscriber, window_from, window_to, basis, message_id, state, attempts,
        last_reply, next_try, created_at, sent_at, claimed_by, claim_expires FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_try);
CREATE INDEX outbox_subscriber_window ON outbox (subscriber, window_to);
