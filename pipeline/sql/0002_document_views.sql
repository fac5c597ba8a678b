-- 0002: views over documents that every later stage and the status command use.

CREATE VIEW documents_weekly AS
SELECT
    strftime(published_at, '%G-W%V')                          AS week,
    outlet,
    CASE WHEN kind = 'article' THEN 'news' ELSE 'reddit' END   AS medium,
    count(*)                                                   AS documents,
    count(DISTINCT coalesce(dup_cluster, doc_id))              AS distinct_documents
FROM documents
WHERE published_at IS NOT NULL
GROUP BY ALL;
COMMENT ON VIEW documents_weekly IS 'ISO week (YYYY-Www) x outlet x medium (news/reddit): documents, and documents with duplicate clusters counted once.';

CREATE VIEW outlet_summary AS
SELECT
    d.outlet,
    any_value(o.kind)                                          AS outlet_kind,
    count(*) FILTER (WHERE d.kind = 'article')                  AS articles,
    count(*) FILTER (WHERE d.kind = 'reddit_post')              AS reddit_posts,
    count(*) FILTER (WHERE d.kind = 'reddit_comment')           AS reddit_comments,
    count(*) FILTER (WHERE d.dup_cluster <> d.doc_id)           AS duplicates,
    min(d.published_at)                                        AS first_published,
    max(d.published_at)                                        AS last_published
FROM documents d LEFT JOIN outlets o USING (outlet)
GROUP BY d.outlet;
COMMENT ON VIEW outlet_summary IS 'Per outlet: articles, Reddit posts and comments, duplicates, first and last publication.';
