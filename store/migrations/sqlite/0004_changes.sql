-- 0004_changes: what changed since a pass over the derived views, so that
-- the next pass can start at the earliest change instead of the first
-- article (Store.Changes). stored_at is when the row was inserted; ''
-- for the rows of earlier versions.
ALTER TABLE articles ADD COLUMN stored_at TEXT NOT NULL DEFAULT '';
CREATE INDEX articles_updated ON articles (updated_at);
CREATE INDEX articles_underived ON articles (published) WHERE clean IS NULL;
