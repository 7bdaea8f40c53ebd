-- 0002_cluster: several daemons sharing one store (PostgreSQL; on SQLite
-- one daemon per file, which the same tables serve trivially).

-- Work that one process at a time may do, e.g. "crawl:isna". The holder
-- renews expires while it works; once expires has passed, another process
-- takes the lease over. expires "" is free.
CREATE TABLE leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL DEFAULT '',
    expires TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- The running daemons, for /healthz: each registers at start, beats while
-- it runs and deletes its row when it stops.
CREATE TABLE processes (
    id        TEXT    PRIMARY KEY,
    host      TEXT    NOT NULL,
    pid       INTEGER NOT NULL,
    started   TEXT    NOT NULL,
    heartbeat TEXT    NOT NULL
) WITHOUT ROWID;

-- The process delivering a queued row, until claim_expires: another one
-- skips the row until then, so each digest is sent by one process.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN claim_expires TEXT NOT NULL DEFAULT '';
