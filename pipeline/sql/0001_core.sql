-- 0001: the first schema. Outlets, documents (articles, Reddit posts and comments in one table),
-- links between documents, and the runs log. Every researcher-facing table and column carries a
-- COMMENT, so `SELECT * FROM duckdb_columns()` documents the schema from inside the database.

CREATE TABLE outlets (
    outlet     VARCHAR PRIMARY KEY,
    kind       VARCHAR NOT NULL DEFAULT 'news' CHECK (kind IN ('news', 'blog', 'reddit')),
    homepage   VARCHAR,
    domain     VARCHAR,
    added_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
);
COMMENT ON TABLE outlets IS 'One row per news site, blog or subreddit in the study (subreddits as r/NAME).';
COMMENT ON COLUMN outlets.outlet IS 'Outlet name as used everywhere else (documents.outlet); subreddits are r/NAME.';
COMMENT ON COLUMN outlets.kind IS 'news, blog or reddit.';
COMMENT ON COLUMN outlets.homepage IS 'Homepage URL from study.toml, when known.';
COMMENT ON COLUMN outlets.domain IS 'Registered domain used to attribute links to this outlet (e.g. theverge.com).';
COMMENT ON COLUMN outlets.added_at IS 'When the outlet was first seen (UTC).';

CREATE TABLE documents (
    doc_id         VARCHAR PRIMARY KEY,
    kind           VARCHAR NOT NULL CHECK (kind IN ('article', 'reddit_post', 'reddit_comment')),
    outlet         VARCHAR NOT NULL,
    url            VARCHAR,
    canonical_url  VARCHAR,
    title          VARCHAR,
    text           VARCHAR,
    author         VARCHAR,
    published_at   TIMESTAMP,
    fetched_at     TIMESTAMP,
    language       VARCHAR,
    content_hash   VARCHAR NOT NULL,
    thread_id      VARCHAR,
    parent_id      VARCHAR,
    depth          INTEGER,
    score          INTEGER,
    dup_cluster    VARCHAR,
    source         VARCHAR NOT NULL,
    source_id      VARCHAR,
    run_id         VARCHAR,
    extra          JSON
);
COMMENT ON TABLE documents IS 'Every text of the study: news articles, Reddit posts and Reddit comments.';
COMMENT ON COLUMN documents.doc_id IS 'Stable id: the Reddit fullname (t3_…, t1_…) or a hash of the canonical URL (u_…), else of outlet+title+text (h_…).';
COMMENT ON COLUMN documents.kind IS 'article, reddit_post or reddit_comment.';
COMMENT ON COLUMN documents.outlet IS 'Outlet name (outlets.outlet); r/NAME for Reddit.';
COMMENT ON COLUMN documents.url IS 'URL as found (crawled or imported).';
COMMENT ON COLUMN documents.canonical_url IS 'Normalised URL (scheme, host case, tracking parameters, fragments removed); joins link posts to articles.';
COMMENT ON COLUMN documents.title IS 'Headline, or the Reddit post title; NULL for comments.';
COMMENT ON COLUMN documents.text IS 'Body text (article body, self-text or comment body).';
COMMENT ON COLUMN documents.author IS 'Byline or Reddit author; several authors are joined with "; ".';
COMMENT ON COLUMN documents.published_at IS 'Publication time in UTC (NULL when unknown).';
COMMENT ON COLUMN documents.fetched_at IS 'When framewatch crawled or imported it (UTC).';
COMMENT ON COLUMN documents.language IS 'ISO 639-1 language code, as given by the source or detected by the NLP stage.';
COMMENT ON COLUMN documents.content_hash IS 'SHA-1 of the whitespace-normalised title and text; equal hashes are exact copies.';
COMMENT ON COLUMN documents.thread_id IS 'Reddit: fullname of the thread''s post (t3_…); NULL for articles.';
COMMENT ON COLUMN documents.parent_id IS 'Reddit: fullname of the parent post or comment; NULL for posts and articles.';
COMMENT ON COLUMN documents.depth IS 'Reddit: depth of a comment in its thread (0 = top-level comment).';
COMMENT ON COLUMN documents.score IS 'Reddit: score (upvotes minus downvotes) when collected.';
COMMENT ON COLUMN documents.dup_cluster IS 'doc_id of the first article with the same text (syndicated or copied); equals doc_id for originals and for every Reddit post and comment.';
COMMENT ON COLUMN documents.source IS 'How it arrived: crawl, import, reddit, reddit-dump.';
COMMENT ON COLUMN documents.source_id IS 'The id the source gave it (e.g. the AllSides ID or Media Cloud stories_id).';
COMMENT ON COLUMN documents.run_id IS 'runs.run_id of the command that stored it.';
COMMENT ON COLUMN documents.extra IS 'Source columns that have no column of their own, as JSON (e.g. topic, bias).';

CREATE TABLE links (
    link_id        VARCHAR PRIMARY KEY,
    doc_id         VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL CHECK (kind IN ('href', 'attribution', 'link_post')),
    target_url     VARCHAR,
    target_outlet  VARCHAR,
    target_doc_id  VARCHAR,
    anchor_text    VARCHAR
);
COMMENT ON TABLE links IS 'Who cites whom: outbound links, in-text attributions and Reddit link posts.';
COMMENT ON COLUMN links.link_id IS 'Hash of (doc_id, kind, target_url, target_outlet); one row per distinct citation.';
COMMENT ON COLUMN links.doc_id IS 'The citing document.';
COMMENT ON COLUMN links.kind IS 'href (a link in the body), attribution ("according to The Verge") or link_post (a Reddit post linking an article).';
COMMENT ON COLUMN links.target_url IS 'Canonical URL of the cited page; NULL for attributions without a link.';
COMMENT ON COLUMN links.target_outlet IS 'Outlet the citation points at, when known.';
COMMENT ON COLUMN links.target_doc_id IS 'documents.doc_id of the cited page when it is in the study.';
COMMENT ON COLUMN links.anchor_text IS 'Link text or the attribution phrase.';

CREATE TABLE runs (
    run_id       VARCHAR PRIMARY KEY,
    command      VARCHAR NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    status       VARCHAR NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    counts       JSON,
    versions     JSON,
    params       JSON,
    message      VARCHAR
);
COMMENT ON TABLE runs IS 'What each command did: one row per run of import, crawl, analyze, export.';
COMMENT ON COLUMN runs.run_id IS 'Unique run id (time-ordered).';
COMMENT ON COLUMN runs.command IS 'The command or flow, e.g. import, crawl, analyze.';
COMMENT ON COLUMN runs.started_at IS 'Start time (UTC).';
COMMENT ON COLUMN runs.finished_at IS 'End time (UTC); NULL while running or after a crash.';
COMMENT ON COLUMN runs.status IS 'running, ok, partial (finished with skipped input) or failed.';
COMMENT ON COLUMN runs.counts IS 'JSON counts, e.g. {"read": 2949, "stored": 2949, "skipped": 0}.';
COMMENT ON COLUMN runs.versions IS 'JSON versions of framewatch, models and codebooks used.';
COMMENT ON COLUMN runs.params IS 'JSON parameters of the run (input file, mapping, options).';
COMMENT ON COLUMN runs.message IS 'Error or summary message.';
