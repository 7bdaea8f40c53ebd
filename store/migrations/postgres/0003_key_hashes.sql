-- 0003_key_hashes: paragraph keys kept as 64-bit hashes (persian.KeyHash)
-- with their length in runes, instead of the text of every paragraph: the
-- old table and its index were a third of the store and of its writes.
-- The Go step of this migration (hashKeys in store/migrate.go) fills the
-- new table from paragraph_keys and drops it.
--
-- hash is the uint64 read as a signed 64-bit integer. The index covers the
-- learned-line query (KeyOccurrences), which reads nothing else.
CREATE TABLE paragraph_hashes (
    article_id BIGINT  NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    outlet     TEXT    COLLATE "C" NOT NULL,
    hash       BIGINT  NOT NULL,
    runes      INTEGER NOT NULL,
    published  TEXT    COLLATE "C" NOT NULL,
    PRIMARY KEY (article_id, hash)
);
CREATE INDEX paragraph_hashes_outlet_hash ON paragraph_hashes (outlet, hash, published, runes);
