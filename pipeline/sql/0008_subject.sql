-- 0008: the subject gate. A codebook with a subject frames only text about its story: the framing
-- stage records its decision on every document here, and the spread views count shares over the
-- documents that are on the subject (off-subject documents are counted apart, never framed).

CREATE TABLE subject_documents (
    doc_id               VARCHAR NOT NULL,
    codebook             VARCHAR NOT NULL,
    codebook_version     VARCHAR NOT NULL,
    on_subject           BOOLEAN NOT NULL,
    scope                VARCHAR NOT NULL,
    anchors              INTEGER NOT NULL,
    context              BOOLEAN NOT NULL,
    sentences            INTEGER NOT NULL,
    on_subject_sentences INTEGER NOT NULL,
    score                DOUBLE NOT NULL,
    sentence_idxs        INTEGER[],
    decided_at           TIMESTAMP NOT NULL,
    PRIMARY KEY (doc_id, codebook, codebook_version)
);
COMMENT ON TABLE subject_documents IS 'The subject gate''s decision on each framed document, per codebook version: whether it is about the codebook''s story, and which of its sentences were framed.';
COMMENT ON COLUMN subject_documents.doc_id IS 'documents.doc_id.';
COMMENT ON COLUMN subject_documents.codebook IS 'Codebook id.';
COMMENT ON COLUMN subject_documents.codebook_version IS 'Codebook version.';
COMMENT ON COLUMN subject_documents.on_subject IS 'Whether any of the document is about the subject (always true for a codebook without subject).';
COMMENT ON COLUMN subject_documents.scope IS 'whole (the story is what it is about), passage (only sentences near a mention), thread (a Reddit reply in an on-subject thread), no_term, no_context (off the subject), or ungated (a codebook without subject).';
COMMENT ON COLUMN subject_documents.anchors IS 'Sentences naming one of the subject''s terms.';
COMMENT ON COLUMN subject_documents.context IS 'Whether a context word of the subject appears in the title or text.';
COMMENT ON COLUMN subject_documents.sentences IS 'Sentences in the document.';
COMMENT ON COLUMN subject_documents.on_subject_sentences IS 'Sentences framed (on-subject text).';
COMMENT ON COLUMN subject_documents.score IS 'on_subject_sentences / sentences: the share of the document that is on-subject text.';
COMMENT ON COLUMN subject_documents.sentence_idxs IS 'sentences.sentence_idx of the framed sentences.';
COMMENT ON COLUMN subject_documents.decided_at IS 'When (UTC).';

DROP VIEW frame_weekly;
CREATE VIEW frame_weekly AS
WITH outlet_weeks AS (
    SELECT s.codebook, s.codebook_version, d.week, d.outlet, d.kind,
           count(*) FILTER (WHERE s.on_subject)                      AS outlet_documents,
           count(*) FILTER (WHERE s.on_subject AND d.is_original)    AS outlet_documents_dedup,
           count(*) FILTER (WHERE NOT s.on_subject)                  AS off_subject_documents
    FROM subject_documents s
    JOIN dated_documents d USING (doc_id)
    GROUP BY ALL
),
counted AS (
    SELECT
        f.week,
        f.outlet,
        f.kind,
        f.frame_id,
        f.codebook,
        f.codebook_version,
        sum(f.mentions)::BIGINT                                    AS mentions,
        count(*)                                                   AS documents,
        count(*) FILTER (WHERE f.is_original)                      AS documents_dedup,
        sum(f.own_voice_mentions)::BIGINT                          AS own_voice_mentions,
        sum(f.quoted_mentions)::BIGINT                             AS quoted_mentions,
        count(*) FILTER (WHERE f.own_voice_mentions > 0)           AS own_voice_documents,
        count(*) FILTER (WHERE f.quoted_mentions > 0)              AS quoted_documents
    FROM frame_document_weeks f
    GROUP BY ALL
),
shared AS (
    SELECT c.*, w.outlet_documents, w.outlet_documents_dedup, w.off_subject_documents,
           c.documents / nullif(w.outlet_documents, 0)             AS share,
           1.959964                                                AS z
    FROM counted c
    JOIN outlet_weeks w USING (codebook, codebook_version, week, outlet, kind)
)
SELECT
    week, outlet, kind, frame_id, codebook, codebook_version, mentions, documents,
    outlet_documents,
    share,
    -- Wilson 95% interval of the share over the outlet's on-subject documents that week.
    (share + z * z / (2 * outlet_documents)
       - z * sqrt(share * (1 - share) / outlet_documents + z * z / (4 * outlet_documents * outlet_documents)))
      / (1 + z * z / outlet_documents)                             AS share_low,
    (share + z * z / (2 * outlet_documents)
       + z * sqrt(share * (1 - share) / outlet_documents + z * z / (4 * outlet_documents * outlet_documents)))
      / (1 + z * z / outlet_documents)                             AS share_high,
    documents_dedup,
    outlet_documents_dedup,
    documents_dedup / nullif(outlet_documents_dedup, 0)           AS share_dedup,
    own_voice_mentions,
    quoted_mentions,
    own_voice_documents,
    quoted_documents,
    off_subject_documents
FROM shared;
COMMENT ON VIEW frame_weekly IS 'ISO week x outlet x kind x frame: mentions, documents carrying the frame, the outlet''s on-subject documents that week (the gate''s, see subject_documents) and the share with its Wilson 95% interval (share_low, share_high); off_subject_documents were not framed and are not in any share; _dedup columns count syndicated copies once (at their origin); own-voice versus quoted mentions and documents.';

CREATE OR REPLACE MACRO frame_share(frame, grain) AS TABLE
WITH books AS (
    SELECT DISTINCT codebook, codebook_version FROM frame_mentions WHERE frame_id = frame
),
docs AS (
    SELECT d.outlet, d.kind, d.is_original, d.doc_id,
           CAST(date_trunc(grain, d.published_at) AS DATE) AS period
    FROM dated_documents d
    WHERE d.doc_id IN (
        SELECT s.doc_id FROM subject_documents s JOIN books b USING (codebook, codebook_version)
        WHERE s.on_subject
    )
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
