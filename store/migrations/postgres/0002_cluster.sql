-- 0002_cluster: several daemons sharing one store; PostgreSQL dialect of
-- ../sqlite/0002_cluster.sql, which says what each table is for.

CREATE TABLE leases (
    name    TEXT COLLATE "C" PRIMARY KEY,
    holder  TEXT COLLATE "C" NOT NULL DEFAULT '',
    expires TEXT COLLATE "C" NOT NULL DEFAULT ''
);

CREATE TABLE processes (
    id        TEXT    COLLATE "C" PRIMARY KEY,
    host      TEXT    COLLATE "C" NOT NULL,
    pid       INTEGER NOT NULL,
    started   TEXT    COLLATE "C" NOT NULL,
    heartbeat TEXT    COLLATE "C" NOT NULL
);

ALTER TABLE outbox ADD COLUMN claimed_by TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN claim_expires TEXT COLLATE "C" NOT NULL DEFAULT '';
