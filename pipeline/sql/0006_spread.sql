-- 0006: spread analytics. Views over documents, frame_mentions, links and doc_topics that answer
-- "which outlet used which framing first, and how did it spread, week by week?", and table macros
-- for the questions researchers ask most. Weeks are ISO weeks (YYYY-Www) of published_at in UTC;
-- documents without a date are left out. "kind" is news (articles) or reddit (posts and comments).
-- A document is an "original" when it heads its exact-copy cluster (dup_cluster) and its
-- near-duplicate cluster (near_dup_cluster, 0003): the de-duplicated figures count syndicated and
-- lightly edited copies once, at their origin.

CREATE VIEW dated_documents AS
SELECT
    doc_id,
    outlet,
    CASE WHEN kind = 'article' THEN 'news' ELSE 'reddit' END AS kind,
    published_at,
    strftime(published_at, '%G-W%V')                     AS week,
    CAST(date_trunc('week', published_at) AS DATE)       AS week_start,
    coalesce(dup_cluster, doc_id) = doc_id
      AND coalesce(near_dup_cluster, doc_id) = doc_id    AS is_original
FROM documents
WHERE published_at IS NOT NULL;
COMMENT ON VIEW dated_documents IS 'Documents with a date, with ISO week, week start (Monday), kind news/reddit and whether they are the original of their exact and near-duplicate clusters.';

CREATE VIEW frame_document_weeks AS
WITH per_document AS (
    -- Aggregate the (large) mentions table on its own first: grouping by few narrow keys is what
    -- keeps frame_weekly under a second over a million mentions.
    SELECT
        codebook,
        codebook_version,
        frame_id,
        doc_id,
        count(*)                                                                  AS mentions,
        count(*) FILTER (WHERE coalesce(speaker_kind, 'outlet') IN ('outlet', 'author')) AS own_voice_mentions,
        count(*) FILTER (WHERE speaker_kind IN ('quoted', 'reported'))            AS quoted_mentions,
        min(sentence_idx)                                                         AS first_sentence_idx
    FROM frame_mentions
    GROUP BY codebook, codebook_version, frame_id, doc_id
)
SELECT
    p.codebook,
    p.codebook_version,
    p.frame_id,
    d.doc_id,
    d.outlet,
    d.kind,
    d.published_at,
    d.week,
    d.week_start,
    d.is_original,
    p.mentions,
    p.own_voice_mentions,
    p.quoted_mentions,
    p.first_sentence_idx
FROM per_document p
JOIN dated_documents d USING (doc_id);
COMMENT ON VIEW frame_document_weeks IS 'One row per document and frame it carries: mentions, in the outlet''s own voice (outlet or Reddit author) or quoted, and its first framed sentence.';

CREATE VIEW frame_weekly AS
WITH outlet_weeks AS (
    SELECT week, outlet, kind,
           count(*)                             AS outlet_documents,
           count(*) FILTER (WHERE is_original)  AS outlet_documents_dedup
    FROM dated_documents
    GROUP BY ALL
)
SELECT
    f.week,
    f.outlet,
    f.kind,
    f.frame_id,
    f.codebook,
    f.codebook_version,
    sum(f.mentions)::BIGINT                                    AS mentions,
    count(*)                                                   AS documents,
    w.outlet_documents,
    count(*) / w.outlet_documents                              AS share,
    count(*) FILTER (WHERE f.is_original)                      AS documents_dedup,
    w.outlet_documents_dedup,
    count(*) FILTER (WHERE f.is_original) / nullif(w.outlet_documents_dedup, 0) AS share_dedup,
    sum(f.own_voice_mentions)::BIGINT                          AS own_voice_mentions,
    sum(f.quoted_mentions)::BIGINT                             AS quoted_mentions,
    count(*) FILTER (WHERE f.own_voice_mentions > 0)           AS own_voice_documents,
    count(*) FILTER (WHERE f.quoted_mentions > 0)              AS quoted_documents
FROM frame_document_weeks f
JOIN outlet_weeks w USING (week, outlet, kind)
GROUP BY f.week, f.outlet, f.kind, f.frame_id, f.codebook, f.codebook_version,
         w.outlet_documents, w.outlet_documents_dedup;
COMMENT ON VIEW frame_weekly IS 'ISO week x outlet x kind x frame: mentions, documents carrying the frame, the outlet''s documents that week and the share; _dedup columns count syndicated copies once (at their origin); own-voice versus quoted mentions and documents.';

CREATE VIEW frame_first_use AS
WITH firsts AS (
    SELECT codebook, codebook_version, frame_id, outlet, kind,
           min(published_at)                            AS first_at,
           arg_min(doc_id, (published_at, doc_id))      AS doc_id,
           count(*)                                     AS documents
    FROM frame_document_weeks
    GROUP BY ALL
)
SELECT
    f.codebook,
    f.codebook_version,
    f.frame_id,
    f.outlet,
    f.kind,
    f.first_at,
    strftime(f.first_at, '%G-W%V')                                                        AS week,
    f.doc_id,
    d.url,
    d.title,
    s.text                                                                                AS sentence,
    rank() OVER (PARTITION BY f.codebook, f.codebook_version, f.frame_id ORDER BY f.first_at) AS adoption_rank,
    round(date_diff('second', min(f.first_at) OVER (PARTITION BY f.codebook, f.codebook_version, f.frame_id), f.first_at) / 86400.0, 2) AS days_after_first,
    f.documents
FROM firsts f
JOIN documents d USING (doc_id)
JOIN frame_document_weeks fd
  ON fd.doc_id = f.doc_id AND fd.frame_id = f.frame_id
 AND fd.codebook = f.codebook AND fd.codebook_version = f.codebook_version
LEFT JOIN sentences s ON s.doc_id = f.doc_id AND s.sentence_idx = fd.first_sentence_idx;
COMMENT ON VIEW frame_first_use IS 'Per frame and outlet: the first document that carried the frame (time, URL, title, sentence), the order in which outlets adopted it (adoption_rank 1 = first) and days after the first adopter.';

CREATE VIEW frame_adoption AS
WITH span AS (
    SELECT min(week_start) AS lo, max(week_start) AS hi FROM dated_documents
),
weeks AS (
    SELECT CAST(unnest(generate_series(lo, hi, INTERVAL 7 DAY)) AS DATE) AS week_start FROM span
),
adopted AS (
    SELECT codebook, codebook_version, frame_id, outlet,
           CAST(date_trunc('week', first_at) AS DATE) AS week_start
    FROM frame_first_use
),
frame_list AS (
    SELECT DISTINCT codebook, codebook_version, frame_id FROM adopted
)
SELECT
    strftime(w.week_start, '%G-W%V')                          AS week,
    fl.frame_id,
    fl.codebook,
    fl.codebook_version,
    count(a.outlet)                                           AS new_outlets,
    coalesce(list(a.outlet ORDER BY a.outlet) FILTER (WHERE a.outlet IS NOT NULL), [])  AS new_outlet_names,
    sum(count(a.outlet)) OVER (
        PARTITION BY fl.codebook, fl.codebook_version, fl.frame_id ORDER BY w.week_start
    )::BIGINT                                                 AS cumulative_outlets
FROM frame_list fl
CROSS JOIN weeks w
LEFT JOIN adopted a
  ON a.codebook = fl.codebook AND a.codebook_version = fl.codebook_version
 AND a.frame_id = fl.frame_id AND a.week_start = w.week_start
GROUP BY w.week_start, fl.frame_id, fl.codebook, fl.codebook_version;
COMMENT ON VIEW frame_adoption IS 'Per frame and ISO week of the study: outlets that used the frame for the first time that week, and the cumulative number of outlets (the adoption curve).';

CREATE VIEW frame_lead_lag AS
SELECT
    a.outlet                                                            AS leader,
    a.kind                                                              AS leader_kind,
    b.outlet                                                            AS follower,
    b.kind                                                              AS follower_kind,
    a.codebook,
    a.codebook_version,
    count(*)                                                            AS frames,
    round(median(date_diff('second', a.first_at, b.first_at) / 86400.0), 2) AS median_lag_days,
    round(avg(date_diff('second', a.first_at, b.first_at) / 86400.0), 2)    AS mean_lag_days,
    count(*) FILTER (WHERE a.first_at < b.first_at)                     AS frames_leader_first,
    list(a.frame_id ORDER BY a.frame_id)                                AS frame_ids
FROM frame_first_use a
JOIN frame_first_use b
  ON a.codebook = b.codebook AND a.codebook_version = b.codebook_version
 AND a.frame_id = b.frame_id AND a.outlet <> b.outlet
GROUP BY ALL;
COMMENT ON VIEW frame_lead_lag IS 'Ordered outlet pairs (including outlet versus subreddit): over the frames both used, how many days after the leader the follower adopted them (median and mean; negative = the follower was in fact earlier), and how many frames that rests on.';

CREATE VIEW citation_links AS
WITH doc_frame_sets AS (
    SELECT doc_id, codebook, codebook_version, list(frame_id ORDER BY frame_id) AS frame_ids
    FROM frame_document_weeks
    GROUP BY ALL
),
resolved AS (
    SELECT
        l.link_id,
        l.kind                                                      AS link_kind,
        l.doc_id                                                    AS citing_doc_id,
        coalesce(l.target_doc_id, by_url.doc_id)                    AS cited_doc_id,
        coalesce(l.target_outlet, target.outlet, by_url.outlet, by_domain.outlet) AS cited_outlet,
        l.target_url,
        l.anchor_text
    FROM links l
    LEFT JOIN documents target ON target.doc_id = l.target_doc_id
    LEFT JOIN documents by_url ON l.target_doc_id IS NULL AND by_url.canonical_url = l.target_url
    LEFT JOIN outlets by_domain
      ON by_domain.domain IS NOT NULL
     AND regexp_extract(l.target_url, '^https?://(?:www\.)?([^/:]+)', 1) = by_domain.domain
)
SELECT
    r.link_id,
    r.link_kind,
    r.citing_doc_id,
    c.outlet                                                    AS citing_outlet,
    CASE WHEN c.kind = 'article' THEN 'news' ELSE 'reddit' END  AS citing_kind,
    c.published_at                                              AS cited_at,
    r.cited_doc_id,
    r.cited_outlet,
    CASE WHEN o.kind = 'reddit' OR r.cited_outlet LIKE 'r/%' THEN 'reddit' ELSE 'news' END AS cited_kind,
    r.target_url,
    r.anchor_text,
    cf.codebook,
    cf.codebook_version,
    coalesce(list_intersect(cf.frame_ids, tf.frame_ids), [])    AS shared_frames,
    coalesce(len(list_intersect(cf.frame_ids, tf.frame_ids)) > 0, false) AS same_frame
FROM resolved r
JOIN documents c ON c.doc_id = r.citing_doc_id
LEFT JOIN outlets o ON o.outlet = r.cited_outlet
LEFT JOIN doc_frame_sets cf ON cf.doc_id = r.citing_doc_id
LEFT JOIN doc_frame_sets tf
  ON tf.doc_id = r.cited_doc_id AND tf.codebook = cf.codebook AND tf.codebook_version = cf.codebook_version;
COMMENT ON VIEW citation_links IS 'Every link, attribution and Reddit link post with the citing and cited outlet (resolved by document, URL or domain) and the frames both documents carry (shared_frames, same_frame).';

CREATE VIEW citation_edges AS
SELECT
    citing_outlet,
    citing_kind,
    cited_outlet,
    cited_kind,
    count(DISTINCT link_id)                                     AS links,
    count(DISTINCT citing_doc_id)                               AS citing_documents,
    count(DISTINCT link_id) FILTER (WHERE same_frame)           AS same_frame_links,
    min(cited_at)                                               AS first_cited_at,
    list(DISTINCT link_kind ORDER BY link_kind)                 AS link_kinds
FROM citation_links
WHERE cited_outlet IS NOT NULL AND cited_outlet <> citing_outlet
GROUP BY ALL;
COMMENT ON VIEW citation_edges IS 'Outlet -> outlet citation graph (news and Reddit): links, citing documents, links whose two ends share a frame, first citation, kinds of link.';

CREATE MACRO citation_paths(start_outlet, max_hops := 4) AS TABLE
WITH RECURSIVE walk(path, last_outlet, hops) AS (
    SELECT [start_outlet], start_outlet, 0
    UNION ALL
    SELECT list_append(w.path, e.citing_outlet), e.citing_outlet, w.hops + 1
    FROM walk w
    JOIN citation_edges e ON e.cited_outlet = w.last_outlet
    WHERE w.hops < max_hops AND NOT list_contains(w.path, e.citing_outlet)
)
SELECT array_to_string(path, ' -> ') AS path, hops FROM walk WHERE hops > 0 ORDER BY hops, path;

CREATE MACRO frame_share(frame, grain) AS TABLE
WITH docs AS (
    SELECT outlet, kind, is_original, doc_id, CAST(date_trunc(grain, published_at) AS DATE) AS period
    FROM dated_documents
),
framed AS (
    SELECT DISTINCT doc_id FROM frame_mentions WHERE frame_id = frame
)
SELECT
    d.period,
    d.outlet,
    d.kind,
    count(*) FILTER (WHERE f.doc_id IS NOT NULL)                         AS documents,
    count(*)                                                             AS outlet_documents,
    count(*) FILTER (WHERE f.doc_id IS NOT NULL) / count(*)              AS share,
    count(*) FILTER (WHERE f.doc_id IS NOT NULL AND d.is_original)       AS documents_dedup
FROM docs d LEFT JOIN framed f USING (doc_id)
GROUP BY ALL
ORDER BY d.period, d.outlet;

CREATE MACRO framing_contest(frame_a := 'theft', frame_b := 'innovation') AS TABLE
SELECT
    d.week,
    d.outlet,
    d.kind,
    frame_a                                                              AS frame_a,
    frame_b                                                              AS frame_b,
    count(DISTINCT d.doc_id) FILTER (WHERE m.frame_id = frame_a)         AS documents_a,
    count(DISTINCT d.doc_id) FILTER (WHERE m.frame_id = frame_b)         AS documents_b,
    (count(DISTINCT d.doc_id) FILTER (WHERE m.frame_id = frame_a) - count(DISTINCT d.doc_id) FILTER (WHERE m.frame_id = frame_b))
      / nullif(count(DISTINCT d.doc_id) FILTER (WHERE m.frame_id = frame_a) + count(DISTINCT d.doc_id) FILTER (WHERE m.frame_id = frame_b), 0) AS balance
FROM dated_documents d
JOIN frame_mentions m ON m.doc_id = d.doc_id AND m.frame_id IN (frame_a, frame_b)
GROUP BY d.week, d.outlet, d.kind
ORDER BY d.week, d.outlet;

CREATE VIEW topic_model_current AS
SELECT model FROM topics GROUP BY model ORDER BY max(added_run) DESC NULLS LAST, model LIMIT 1;
COMMENT ON VIEW topic_model_current IS 'The topic model of the latest topic run: the one exports, the report and topic_emerging use.';

CREATE VIEW topic_emerging AS
WITH span AS (
    SELECT min(week_start) AS lo, max(week_start) AS hi FROM dated_documents
),
weeks AS (
    SELECT CAST(unnest(generate_series(lo, hi, INTERVAL 7 DAY)) AS DATE) AS week_start FROM span
),
counts AS (
    SELECT t.topic_id, d.week_start, count(*) AS documents
    FROM doc_topics t JOIN dated_documents d USING (doc_id)
    WHERE t.topic_id >= 0 AND t.model IN (SELECT model FROM topic_model_current)
    GROUP BY ALL
),
grid AS (
    SELECT tp.topic_id, w.week_start, coalesce(c.documents, 0) AS documents
    FROM (SELECT DISTINCT topic_id FROM counts) tp
    CROSS JOIN weeks w
    LEFT JOIN counts c ON c.topic_id = tp.topic_id AND c.week_start = w.week_start
),
with_trailing AS (
    SELECT topic_id, week_start, documents,
           avg(documents) OVER (PARTITION BY topic_id ORDER BY week_start ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING) AS trailing_mean
    FROM grid
)
SELECT
    strftime(w.week_start, '%G-W%V')                                    AS week,
    w.topic_id,
    tp.label,
    w.documents,
    round(coalesce(w.trailing_mean, 0), 2)                              AS trailing_mean,
    round(w.documents / nullif(w.trailing_mean, 0), 2)                  AS growth,
    w.documents >= 3 AND w.documents >= 2 * coalesce(w.trailing_mean, 0) AS emerging
FROM with_trailing w
LEFT JOIN topics tp ON tp.topic_id = w.topic_id AND tp.model IN (SELECT model FROM topic_model_current);
COMMENT ON VIEW topic_emerging IS 'Per topic of the current topic model and ISO week: documents, the mean of the four weeks before, growth against it, and emerging = at least 3 documents and at least twice the trailing mean.';
