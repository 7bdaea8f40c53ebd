-- 0008_desk: the stories begun each day, read from an index alone. The
-- desk's home page charts each topic's daily stories over 30 days
-- (docs/desk.md): tens of thousands of articles, whose rows carry their raw
-- paragraphs and clean view. This index holds what the count reads — when,
-- which story, which topics, whether paid — so the rows are never read.
-- The clean view is written by the store itself (SaveDerived, as JSON), so
-- json_extract never meets text that is not JSON.
CREATE INDEX articles_days ON articles (published, story, topics, json_extract(clean, '$.sponsored'));
