-- 0003: crawling. Per-source coverage of each crawl, the feed files already loaded, Reddit edit and
-- deletion markers, and near-duplicate clusters beside the exact-copy clusters of 0001.

ALTER TABLE documents ADD COLUMN edited_at TIMESTAMP;
ALTER TABLE documents ADD COLUMN deleted VARCHAR;
ALTER TABLE documents ADD COLUMN near_dup_cluster VARCHAR;
COMMENT ON COLUMN documents.edited_at IS 'Reddit: when the author last edited the post or comment (UTC); NULL when never edited or unknown.';
COMMENT ON COLUMN documents.deleted IS 'Reddit: "deleted" (by its author) or "removed" (by moderators) when the text is gone; NULL otherwise.';
COMMENT ON COLUMN documents.near_dup_cluster IS 'doc_id of the first document of its near-duplicate cluster (MinHash/LSH, lightly edited reprints); equals doc_id for originals; NULL until clustered.';

CREATE TABLE crawl_runs (
    run_id           VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    spider           VARCHAR NOT NULL,
    feeds_polled     INTEGER NOT NULL DEFAULT 0,
    pages_fetched    INTEGER NOT NULL DEFAULT 0,
    items_scraped    INTEGER NOT NULL DEFAULT 0,
    stored           INTEGER NOT NULL DEFAULT 0,
    already_stored   INTEGER NOT NULL DEFAULT 0,
    skipped_known    INTEGER NOT NULL DEFAULT 0,
    dropped          INTEGER NOT NULL DEFAULT 0,
    dropped_reasons  JSON,
    errors           INTEGER NOT NULL DEFAULT 0,
    error_reasons    JSON,
    extraction_fallbacks INTEGER NOT NULL DEFAULT 0,
    date_missing     INTEGER NOT NULL DEFAULT 0,
    backoffs         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, source)
);
COMMENT ON TABLE crawl_runs IS 'Coverage report of each crawl: one row per run and source (outlet or r/NAME).';
COMMENT ON COLUMN crawl_runs.run_id IS 'runs.run_id of the crawl.';
COMMENT ON COLUMN crawl_runs.source IS 'Outlet name from study.toml, or r/NAME / reddit-thread for Reddit.';
COMMENT ON COLUMN crawl_runs.spider IS 'news or reddit.';
COMMENT ON COLUMN crawl_runs.feeds_polled IS 'RSS/Atom feeds and sitemaps (or Reddit listing pages) fetched.';
COMMENT ON COLUMN crawl_runs.pages_fetched IS 'Article pages (or Reddit thread and morechildren responses) fetched.';
COMMENT ON COLUMN crawl_runs.items_scraped IS 'Documents the spider produced after its filters.';
COMMENT ON COLUMN crawl_runs.stored IS 'Documents new to the database.';
COMMENT ON COLUMN crawl_runs.already_stored IS 'Documents produced again but already in the database (nothing written).';
COMMENT ON COLUMN crawl_runs.skipped_known IS 'URLs not fetched because the database already holds them (use --refresh to fetch them).';
COMMENT ON COLUMN crawl_runs.dropped IS 'Pages fetched but not stored (no article, wrong language, keyword or date filter, not HTML).';
COMMENT ON COLUMN crawl_runs.dropped_reasons IS 'JSON count per drop reason, e.g. {"no_article": 2, "keyword": 5}.';
COMMENT ON COLUMN crawl_runs.errors IS 'Requests that failed (HTTP 4xx/5xx, timeouts, redirect loops, unparseable feeds or JSON).';
COMMENT ON COLUMN crawl_runs.error_reasons IS 'JSON count per error, e.g. {"http_404": 1, "timeout": 2, "bad_feed": 1}.';
COMMENT ON COLUMN crawl_runs.extraction_fallbacks IS 'Articles whose body or date came from a fallback (JSON-LD, htmldate) instead of trafilatura.';
COMMENT ON COLUMN crawl_runs.date_missing IS 'Articles stored without a publication date.';
COMMENT ON COLUMN crawl_runs.backoffs IS 'Answers (429 Too Many Requests, 5xx, spent X-Ratelimit) after which the crawler waited and retried.';

CREATE TABLE feed_files (
    path        VARCHAR PRIMARY KEY,
    run_id      VARCHAR,
    items       INTEGER NOT NULL,
    stored      INTEGER NOT NULL,
    loaded_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
);
COMMENT ON TABLE feed_files IS 'Crawler feed files (JSON Lines batches) already loaded by ingest; a loaded file is not read again.';
COMMENT ON COLUMN feed_files.path IS 'Path of the batch file relative to the study data folder.';
COMMENT ON COLUMN feed_files.run_id IS 'runs.run_id of the crawl that loaded it.';
COMMENT ON COLUMN feed_files.items IS 'Items in the file.';
COMMENT ON COLUMN feed_files.stored IS 'Documents of the file that were new to the database.';
COMMENT ON COLUMN feed_files.loaded_at IS 'When it was loaded (UTC).';
