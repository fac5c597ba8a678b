-- 0007: Reddit threads fetched whole. The Reddit spider writes a thread's posts and comments once
-- every part of it is in, then a marker that ingest records here; a later crawl skips these
-- threads (unless --refresh), and a crawl that was interrupted fetches only the others.

CREATE TABLE reddit_threads (
    thread_id   VARCHAR PRIMARY KEY,
    source      VARCHAR NOT NULL,
    comments    INTEGER NOT NULL,
    fetched_at  TIMESTAMP,
    run_id      VARCHAR
);
COMMENT ON TABLE reddit_threads IS 'Reddit threads the crawler fetched whole (every "more" and "continue this thread" part answered); later crawls do not fetch them again unless --refresh.';
COMMENT ON COLUMN reddit_threads.thread_id IS 'Fullname of the thread''s post (t3_…), as documents.thread_id.';
COMMENT ON COLUMN reddit_threads.source IS 'Coverage label it was crawled for: r/NAME or search:QUERY.';
COMMENT ON COLUMN reddit_threads.comments IS 'Comments collected when it was fetched (removed and deleted ones that Reddit still lists included).';
COMMENT ON COLUMN reddit_threads.fetched_at IS 'When the crawler finished the thread (UTC).';
COMMENT ON COLUMN reddit_threads.run_id IS 'runs.run_id of the crawl that loaded it.';
