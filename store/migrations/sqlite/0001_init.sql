-- 0001_init: the first schema of mediadigest.
--
-- Times are TEXT in one fixed-width UTC layout (2026-11-26T07:30:00.000000000Z)
-- so they read well in the sqlite3 shell and compare correctly as strings;
-- the empty string stands for "never". Lists and the clean view are JSON.

-- One row per canonical URL: re-crawling updates, never duplicates.
-- raw keeps the paragraphs exactly as extracted so the clean view (clean,
-- NULL until the dedupe stage has run) can be recomputed at any time.
CREATE TABLE articles (
    id           INTEGER PRIMARY KEY,
    url          TEXT    NOT NULL UNIQUE,
    outlet       TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    kicker       TEXT    NOT NULL DEFAULT '',
    lead         TEXT    NOT NULL DEFAULT '',
    section      TEXT    NOT NULL DEFAULT '',
    tags         TEXT    NOT NULL DEFAULT '[]',
    published    TEXT    NOT NULL,
    date_guessed INTEGER NOT NULL DEFAULT 0,
    first_seen   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    raw          TEXT    NOT NULL DEFAULT '[]',
    clean        TEXT,
    topics       TEXT    NOT NULL DEFAULT '[]',
    story        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX articles_published ON articles (published, url);
CREATE INDEX articles_outlet_published ON articles (outlet, published, url);

-- Every title an article has carried, in rowid order; outlets edit headlines.
CREATE TABLE article_titles (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    title      TEXT    NOT NULL,
    seen_at    TEXT    NOT NULL
);
CREATE INDEX article_titles_article ON article_titles (article_id);

-- Which article contains which paragraph key (docs/cleaning.md), for learned promo
-- lines. outlet and published are copied from the article so the lookup
-- "articles of this outlet containing this key" needs no join.
CREATE TABLE paragraph_keys (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    outlet     TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    published  TEXT    NOT NULL,
    PRIMARY KEY (article_id, key)
) WITHOUT ROWID;
CREATE INDEX paragraph_keys_outlet_key ON paragraph_keys (outlet, key);

-- Fetched pages, gzip-compressed, so a profile fix can be re-applied
-- without crawling again. size is the uncompressed length.
CREATE TABLE raw_pages (
    url     TEXT    PRIMARY KEY,
    outlet  TEXT    NOT NULL,
    fetched TEXT    NOT NULL,
    size    INTEGER NOT NULL,
    body    BLOB    NOT NULL
);
CREATE INDEX raw_pages_outlet ON raw_pages (outlet, url);

-- Validators of the last feed response, for conditional GET.
CREATE TABLE feed_state (
    feed_url      TEXT PRIMARY KEY,
    etag          TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    updated_at    TEXT NOT NULL
);

-- One row per crawl of one outlet. A run failed when error is set or the
-- outlet answered with a challenge page (blocked); failures counts the
-- pages that failed by reason inside a run that itself succeeded.
CREATE TABLE crawl_runs (
    id        INTEGER PRIMARY KEY,
    outlet    TEXT    NOT NULL,
    started   TEXT    NOT NULL,
    finished  TEXT    NOT NULL,
    fetched   INTEGER NOT NULL DEFAULT 0,
    new       INTEGER NOT NULL DEFAULT 0,
    updated   INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    failed    INTEGER NOT NULL DEFAULT 0,
    failures  TEXT    NOT NULL DEFAULT '{}',
    error     TEXT    NOT NULL DEFAULT '',
    blocked   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX crawl_runs_outlet_started ON crawl_runs (outlet, started);

-- Archive days a backfill has finished, so a re-run skips them.
CREATE TABLE backfill_days (
    outlet  TEXT NOT NULL,
    day     TEXT NOT NULL,
    done_at TEXT NOT NULL,
    PRIMARY KEY (outlet, day)
) WITHOUT ROWID;

-- One row per subscriber and window (docs/windows.md), created before sending.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    key         TEXT    NOT NULL UNIQUE,
    subscriber  TEXT    NOT NULL,
    window_from TEXT    NOT NULL,
    window_to   TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_reply  TEXT    NOT NULL DEFAULT '',
    next_try    TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    sent_at     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (state, next_try);
CREATE INDEX outbox_subscriber_window ON outbox (subscriber, window_to);
