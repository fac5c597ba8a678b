-- 0004: the analysis core. Sentences with their speakers, entities with normalised names, cached
-- embeddings, topics with a registry of first-seen weeks, and the weekly topic views.

CREATE TABLE nlp_documents (
    doc_id         VARCHAR PRIMARY KEY,
    content_hash   VARCHAR NOT NULL,
    status         VARCHAR NOT NULL CHECK (status IN ('ok', 'empty', 'punctuation', 'skipped_language', 'truncated')),
    language       VARCHAR,
    sentences      INTEGER NOT NULL,
    words          INTEGER NOT NULL,
    nlp_version    VARCHAR NOT NULL,
    analysed_at    TIMESTAMP NOT NULL DEFAULT current_timestamp
);
COMMENT ON TABLE nlp_documents IS 'One row per document the NLP stage has seen, including those it skipped (empty, punctuation only, other language); a changed text is analysed again.';
COMMENT ON COLUMN nlp_documents.doc_id IS 'documents.doc_id.';
COMMENT ON COLUMN nlp_documents.content_hash IS 'documents.content_hash when analysed; when the document changes the NLP stage redoes it.';
COMMENT ON COLUMN nlp_documents.status IS 'ok, empty (no text), punctuation (no letters or digits), skipped_language (not a study language) or truncated (longer than analysis.max_doc_chars, cut there).';
COMMENT ON COLUMN nlp_documents.language IS 'ISO 639-1 language detected from title and text (py3langid), or as given by the source.';
COMMENT ON COLUMN nlp_documents.sentences IS 'Number of rows in sentences for this document.';
COMMENT ON COLUMN nlp_documents.words IS 'Number of word tokens analysed.';
COMMENT ON COLUMN nlp_documents.nlp_version IS 'spaCy pipeline and rules version that produced the rows.';
COMMENT ON COLUMN nlp_documents.analysed_at IS 'When the document was analysed (UTC).';

CREATE TABLE sentences (
    doc_id         VARCHAR NOT NULL,
    sentence_idx   INTEGER NOT NULL,
    text           VARCHAR NOT NULL,
    start_char     INTEGER NOT NULL,
    end_char       INTEGER NOT NULL,
    text_hash      VARCHAR NOT NULL,
    speaker        VARCHAR,
    speaker_kind   VARCHAR CHECK (speaker_kind IN ('quoted', 'reported')),
    speaker_via    VARCHAR,
    cue            VARCHAR,
    PRIMARY KEY (doc_id, sentence_idx)
);
COMMENT ON TABLE sentences IS 'Sentences of each analysed document, in order, with who voices them when the sentence reports speech or a claim.';
COMMENT ON COLUMN sentences.doc_id IS 'documents.doc_id.';
COMMENT ON COLUMN sentences.sentence_idx IS '0-based position of the sentence in its document.';
COMMENT ON COLUMN sentences.text IS 'The sentence text.';
COMMENT ON COLUMN sentences.start_char IS 'Character offset of the sentence in documents.text (0-based, inclusive).';
COMMENT ON COLUMN sentences.end_char IS 'Character offset where the sentence ends in documents.text (exclusive).';
COMMENT ON COLUMN sentences.text_hash IS 'text_hash(text): the key of the sentence embedding in embeddings.';
COMMENT ON COLUMN sentences.speaker IS 'Normalised name of who voices the sentence (entities.name style) when it quotes or reports someone; NULL for the document''s own voice or an unresolved speaker.';
COMMENT ON COLUMN sentences.speaker_kind IS 'quoted (direct quotation), reported (reporting verb or "according to") or NULL (the author''s own voice).';
COMMENT ON COLUMN sentences.speaker_via IS 'Nested reported speech: who reports the speaker ("The Verge reports that Anthropic says …" gives speaker Anthropic via The Verge).';
COMMENT ON COLUMN sentences.cue IS 'The reporting verb or cue found ("says", "according to", a quotation mark).';

CREATE TABLE entity_aliases (
    alias          VARCHAR PRIMARY KEY,
    name           VARCHAR NOT NULL,
    label          VARCHAR
);
COMMENT ON TABLE entity_aliases IS 'Alias table for entity names: lower-cased alias -> canonical name. Built-in AI-lab and outlet names plus study.toml [analysis.aliases]; researchers may insert rows too.';
COMMENT ON COLUMN entity_aliases.alias IS 'The alias, lower case, without a leading "the" (e.g. "anthropic pbc").';
COMMENT ON COLUMN entity_aliases.name IS 'Canonical name (e.g. "Anthropic").';
COMMENT ON COLUMN entity_aliases.label IS 'spaCy label to use for gazetteer matches (ORG, PERSON, PRODUCT …); NULL keeps the model''s label.';

CREATE TABLE entities (
    doc_id         VARCHAR NOT NULL,
    sentence_idx   INTEGER NOT NULL,
    start_char     INTEGER NOT NULL,
    end_char       INTEGER NOT NULL,
    text           VARCHAR NOT NULL,
    label          VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    source         VARCHAR NOT NULL CHECK (source IN ('gazetteer', 'model')),
    PRIMARY KEY (doc_id, sentence_idx, start_char)
);
COMMENT ON TABLE entities IS 'Named entities per sentence: gazetteer names in every sentence, spaCy model entities in the sentences the full model reads (see analysis.full_model).';
COMMENT ON COLUMN entities.doc_id IS 'documents.doc_id.';
COMMENT ON COLUMN entities.sentence_idx IS 'sentences.sentence_idx of the sentence holding the entity.';
COMMENT ON COLUMN entities.start_char IS 'Character offset in documents.text.';
COMMENT ON COLUMN entities.end_char IS 'End character offset in documents.text (exclusive).';
COMMENT ON COLUMN entities.text IS 'The entity as written.';
COMMENT ON COLUMN entities.label IS 'spaCy label: PERSON, ORG, GPE, NORP, PRODUCT, …';
COMMENT ON COLUMN entities.name IS 'Normalised name: entity_aliases.name when the alias is known, else the text without a leading "the" and a trailing "''s".';
COMMENT ON COLUMN entities.source IS 'gazetteer (entity_aliases match) or model (spaCy NER).';

CREATE TABLE embeddings (
    text_hash      VARCHAR NOT NULL,
    model          VARCHAR NOT NULL,
    vector         FLOAT[] NOT NULL,
    created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (text_hash, model)
);
COMMENT ON TABLE embeddings IS 'Embedding cache: one L2-normalised vector per text and model, so nothing is embedded twice. Join sentences.text_hash or doc_embedding_texts.text_hash.';
COMMENT ON COLUMN embeddings.text_hash IS 'text_hash of the embedded text (a sentence, or a document''s title + lead).';
COMMENT ON COLUMN embeddings.model IS 'Embedder.model_id: model name and backend, e.g. all-MiniLM-L6-v2@onnx-int8.';
COMMENT ON COLUMN embeddings.vector IS 'The vector (all vectors of one model have the same length); cast to a fixed array for array functions: vector::FLOAT[384].';
COMMENT ON COLUMN embeddings.created_at IS 'When it was computed (UTC).';

CREATE TABLE doc_embedding_texts (
    doc_id         VARCHAR PRIMARY KEY,
    content_hash   VARCHAR NOT NULL,
    text_hash      VARCHAR NOT NULL
);
COMMENT ON TABLE doc_embedding_texts IS 'Which embeddings row holds a document''s vector: the text_hash of its title + lead.';
COMMENT ON COLUMN doc_embedding_texts.doc_id IS 'documents.doc_id.';
COMMENT ON COLUMN doc_embedding_texts.content_hash IS 'documents.content_hash the embedding text was made from.';
COMMENT ON COLUMN doc_embedding_texts.text_hash IS 'embeddings.text_hash of the document''s embedding text (title + lead within the model window).';

CREATE TABLE topics (
    topic_id        INTEGER NOT NULL,
    model           VARCHAR NOT NULL,
    label           VARCHAR NOT NULL,
    keywords        VARCHAR[] NOT NULL,
    size            INTEGER NOT NULL,
    first_seen_week VARCHAR,
    added_run       VARCHAR,
    PRIMARY KEY (model, topic_id)
);
COMMENT ON TABLE topics IS 'Topic registry: every topic ever found, with a stable id. New themes found in later runs get new ids; old ids never change meaning.';
COMMENT ON COLUMN topics.topic_id IS 'Stable topic id; -1 collects the outliers.';
COMMENT ON COLUMN topics.model IS 'Embedding model (embeddings.model) the topic model was fitted on.';
COMMENT ON COLUMN topics.label IS 'Short label from the top keywords, e.g. 3_vaccine_covid_virus.';
COMMENT ON COLUMN topics.keywords IS 'Top c-TF-IDF keywords, best first.';
COMMENT ON COLUMN topics.size IS 'Documents assigned to the topic (doc_topics rows).';
COMMENT ON COLUMN topics.first_seen_week IS 'ISO week (YYYY-Www) of the earliest dated document of the topic.';
COMMENT ON COLUMN topics.added_run IS 'runs.run_id of the analysis that created the topic.';

CREATE TABLE doc_topics (
    doc_id         VARCHAR NOT NULL,
    model          VARCHAR NOT NULL,
    topic_id       INTEGER NOT NULL,
    probability    DOUBLE,
    PRIMARY KEY (doc_id, model)
);
COMMENT ON TABLE doc_topics IS 'The topic of each document (one per embedding model); kept when later runs add topics.';
COMMENT ON COLUMN doc_topics.doc_id IS 'documents.doc_id.';
COMMENT ON COLUMN doc_topics.model IS 'topics.model.';
COMMENT ON COLUMN doc_topics.topic_id IS 'topics.topic_id (-1: outlier).';
COMMENT ON COLUMN doc_topics.probability IS 'Cosine similarity of the document to its topic (0–1); NULL for outliers.';

CREATE VIEW topic_weekly AS
WITH assigned AS (
    SELECT strftime(d.published_at, '%G-W%V') AS week, d.outlet, t.model, t.topic_id
    FROM doc_topics t JOIN documents d USING (doc_id)
    WHERE d.published_at IS NOT NULL
),
counted AS (
    SELECT week, outlet, model, topic_id, count(*) AS documents
    FROM assigned
    GROUP BY GROUPING SETS ((week, model, topic_id), (week, outlet, model, topic_id))
)
SELECT
    c.week,
    coalesce(c.outlet, '*')                                                        AS outlet,
    c.model,
    c.topic_id,
    tp.label,
    c.documents,
    c.documents / sum(c.documents) OVER (PARTITION BY c.week, c.outlet, c.model)  AS share
FROM counted c LEFT JOIN topics tp USING (model, topic_id);
COMMENT ON VIEW topic_weekly IS 'ISO week x outlet x topic: documents and their share of that week''s (outlet''s) documents; outlet = ''*'' is all outlets together.';

CREATE VIEW topic_outlets AS
SELECT
    d.outlet,
    t.model,
    t.topic_id,
    any_value(tp.label)                                                        AS label,
    count(*)                                                                   AS documents,
    count(*) / sum(count(*)) OVER (PARTITION BY d.outlet, t.model)            AS share,
    min(d.published_at)                                                        AS first_published
FROM doc_topics t JOIN documents d USING (doc_id) LEFT JOIN topics tp USING (model, topic_id)
GROUP BY d.outlet, t.model, t.topic_id;
COMMENT ON VIEW topic_outlets IS 'Per outlet and topic: documents, share of the outlet''s documents, and when the outlet first covered the topic.';
