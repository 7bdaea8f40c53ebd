-- 0009_search: the full-text index of the desk's search, PostgreSQL
-- dialect of ../sqlite/0006_search.sql; docs/search.md describes both.
--
-- tsv is built by mediadigest from the search form (persian.Search), with
-- positions, weights (A title, B lead, D paragraphs) and the outlet and
-- topic tokens, and never by to_tsvector: the text search parser of the
-- server's locale would split Persian words its own way. doc orders the
-- articles by published time as search_fts's rowid does on SQLite. title
-- and lead are the search form of the title and lead, as search_heads
-- holds them on SQLite.
CREATE TABLE search_docs (
    article_id BIGINT   PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    doc        BIGINT   NOT NULL,
    story      TEXT     COLLATE "C" NOT NULL,
    hash       BIGINT   NOT NULL,
    tsv        tsvector NOT NULL,
    title      TEXT     COLLATE "C" NOT NULL,
    lead       TEXT     COLLATE "C" NOT NULL
);
CREATE INDEX search_docs_doc ON search_docs (doc, article_id);
CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv);
