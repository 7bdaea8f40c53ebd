-- 0006_story_index: the articles of one story, read by the desk's story
-- pages and by every digest (stories are the stored ones, docs/data-model.md).
CREATE INDEX articles_story ON articles (story);
