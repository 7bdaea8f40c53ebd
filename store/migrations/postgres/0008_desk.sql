-- 0008_desk: the PostgreSQL dialect of ../sqlite/0008_desk.sql. PostgreSQL
-- scans an index alone when the query's WHERE clause holds the index's
-- predicate, so the paid articles are left out of the index rather than
-- indexed as a column.
CREATE INDEX articles_days ON articles (published, story, topics)
    WHERE story <> '' AND (clean::jsonb ->> 'sponsored') IS DISTINCT FROM 'true';
