-- 0009_search: the full-text index of the desk's search (docs/search.md).
--
-- search_fts holds the search form (persian.Search) of each derived
-- article's title, clean lead and clean paragraphs, and in meta the
-- tokens of its outlet and topics, which the filters look up. It keeps
-- no copy of the text (content=''): snippets are made from the stored
-- clean view. Its rowid orders the articles by published time (the
-- second, then the article id), so the newest matches come first without
-- a sort (store/search.go, docKey).
CREATE VIRTUAL TABLE search_fts USING fts5(
    title, lead, body, meta,
    content = '', contentless_delete = 1, tokenize = 'ascii'
);
-- FTS5 writes the words of the rows inserted out as a new segment of the
-- index when they pass hashsize (1 MiB by default) and at the commit: a
-- pass's batch of 500 articles (2 MiB of text) then made several
-- segments, each to be merged later. 16 MiB keeps a batch one segment.
INSERT INTO search_fts (search_fts, rank) VALUES ('hashsize', 16777216);

-- One row per indexed article: its rowid in search_fts, its story, and a
-- hash of what was indexed, so that an article derived again unchanged
-- is not written again.
CREATE TABLE search_docs (
    doc        INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL UNIQUE REFERENCES articles (id) ON DELETE CASCADE,
    story      TEXT    NOT NULL,
    hash       INTEGER NOT NULL
);

-- The search form of each indexed article's title and lead, read in
-- relevance order to rank the matches found (the search package): apart
-- from search_docs, so that a search newest first does not read them.
CREATE TABLE search_heads (
    doc   INTEGER PRIMARY KEY,
    title TEXT    NOT NULL,
    lead  TEXT    NOT NULL
);

-- search_fts cannot reference articles: an article that goes takes its
-- index entry along through this row.
CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs BEGIN
    DELETE FROM search_fts WHERE rowid = old.doc;
    DELETE FROM search_heads WHERE doc = old.doc;
END;

