-- 0005: framing. The frames of each codebook version, the sentences that carry a frame (with who
-- voices it), the sentences that rebut one, per-document frame shares, and which documents have been
-- framed with which codebook version and model (so a re-run does no repeated work). Sentences live
-- in the NLP stage's tables; nothing here has a foreign key to them, so this migration stands alone.

CREATE TABLE frames (
    codebook          VARCHAR NOT NULL,
    codebook_version  VARCHAR NOT NULL,
    frame_id          VARCHAR NOT NULL,
    label             VARCHAR NOT NULL,
    definition        VARCHAR NOT NULL,
    cues              VARCHAR[],
    actors            VARCHAR[],
    threshold         DOUBLE,
    model             VARCHAR,
    loaded_at         TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (codebook, codebook_version, frame_id)
);
COMMENT ON TABLE frames IS 'The frames of every codebook version used in the study (one row per codebook, version and frame).';
COMMENT ON COLUMN frames.codebook IS 'Codebook id, e.g. ai_distillation or policy_frames.';
COMMENT ON COLUMN frames.codebook_version IS 'Codebook version string from its YAML file.';
COMMENT ON COLUMN frames.frame_id IS 'Frame id within the codebook, e.g. theft.';
COMMENT ON COLUMN frames.label IS 'Human-readable frame name.';
COMMENT ON COLUMN frames.definition IS 'What the frame means, from the codebook.';
COMMENT ON COLUMN frames.cues IS 'Cue phrases of the frame (matched on lemmas).';
COMMENT ON COLUMN frames.actors IS 'Actors the frame usually concerns.';
COMMENT ON COLUMN frames.threshold IS 'Calibrated probability from which a sentence counts as a mention, for the model in the model column.';
COMMENT ON COLUMN frames.model IS 'The detector model the threshold belongs to (prototypes+cues or a trained classifier, with the embedding model).';
COMMENT ON COLUMN frames.loaded_at IS 'When this row was last written (UTC).';

CREATE TABLE frame_mentions (
    doc_id            VARCHAR NOT NULL,
    sentence_idx      INTEGER NOT NULL,
    frame_id          VARCHAR NOT NULL,
    score             DOUBLE NOT NULL,
    evidence          VARCHAR NOT NULL,
    speaker           VARCHAR,
    speaker_kind      VARCHAR CHECK (speaker_kind IN ('outlet', 'author', 'quoted', 'reported')),
    target            VARCHAR,
    codebook          VARCHAR NOT NULL,
    codebook_version  VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, sentence_idx, frame_id, codebook, codebook_version)
);
COMMENT ON TABLE frame_mentions IS 'One row per sentence that carries a frame (score at or above the frame''s calibrated threshold); rebuttals are in frame_rebuttals instead.';
COMMENT ON COLUMN frame_mentions.doc_id IS 'documents.doc_id of the sentence.';
COMMENT ON COLUMN frame_mentions.sentence_idx IS 'sentences.sentence_idx within the document (0-based).';
COMMENT ON COLUMN frame_mentions.frame_id IS 'frames.frame_id.';
COMMENT ON COLUMN frame_mentions.score IS 'Calibrated probability (0-1) that the sentence carries the frame.';
COMMENT ON COLUMN frame_mentions.evidence IS 'What found it: cue (a cue phrase), prototype (closeness to the codebook examples), classifier (a trained classifier), or cue+prototype / cue+classifier when both agree.';
COMMENT ON COLUMN frame_mentions.speaker IS 'Who voices the frame: the quoted or reported speaker, else the outlet (articles) or the Reddit author.';
COMMENT ON COLUMN frame_mentions.speaker_kind IS 'quoted, reported (speaker found by the NLP stage), outlet or author (no speaker in the sentence).';
COMMENT ON COLUMN frame_mentions.target IS 'The codebook actor the sentence names, other than the speaker (e.g. DeepSeek); NULL when none.';
COMMENT ON COLUMN frame_mentions.codebook IS 'Codebook id.';
COMMENT ON COLUMN frame_mentions.codebook_version IS 'Codebook version.';
COMMENT ON COLUMN frame_mentions.model IS 'Detector model that produced the score (prototypes+cues or classifier, with the embedding model).';

CREATE TABLE frame_rebuttals (
    doc_id            VARCHAR NOT NULL,
    sentence_idx      INTEGER NOT NULL,
    frame_id          VARCHAR NOT NULL,
    speaker           VARCHAR,
    speaker_kind      VARCHAR CHECK (speaker_kind IN ('outlet', 'author', 'quoted', 'reported')),
    target            VARCHAR,
    codebook          VARCHAR NOT NULL,
    codebook_version  VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    PRIMARY KEY (doc_id, sentence_idx, frame_id, codebook, codebook_version)
);
COMMENT ON TABLE frame_rebuttals IS 'Sentences that name a frame to reject it ("this is not theft", "calling it stealing misunderstands …"); they are not mentions of the frame.';
COMMENT ON COLUMN frame_rebuttals.doc_id IS 'documents.doc_id of the sentence.';
COMMENT ON COLUMN frame_rebuttals.sentence_idx IS 'sentences.sentence_idx within the document.';
COMMENT ON COLUMN frame_rebuttals.frame_id IS 'The frame the sentence rebuts.';
COMMENT ON COLUMN frame_rebuttals.speaker IS 'Who rebuts it (same rules as frame_mentions.speaker).';
COMMENT ON COLUMN frame_rebuttals.speaker_kind IS 'quoted, reported, outlet or author.';
COMMENT ON COLUMN frame_rebuttals.target IS 'The codebook actor the sentence names, other than the speaker.';
COMMENT ON COLUMN frame_rebuttals.codebook IS 'Codebook id.';
COMMENT ON COLUMN frame_rebuttals.codebook_version IS 'Codebook version.';
COMMENT ON COLUMN frame_rebuttals.model IS 'Detector model.';

CREATE TABLE doc_frames (
    doc_id            VARCHAR NOT NULL,
    frame_id          VARCHAR NOT NULL,
    codebook          VARCHAR NOT NULL,
    codebook_version  VARCHAR NOT NULL,
    mentions          INTEGER NOT NULL,
    sentences         INTEGER NOT NULL,
    share             DOUBLE NOT NULL,
    PRIMARY KEY (doc_id, frame_id, codebook, codebook_version)
);
COMMENT ON TABLE doc_frames IS 'Per document and frame: how many of its sentences carry the frame (frames with at least one mention).';
COMMENT ON COLUMN doc_frames.doc_id IS 'documents.doc_id.';
COMMENT ON COLUMN doc_frames.frame_id IS 'frames.frame_id.';
COMMENT ON COLUMN doc_frames.codebook IS 'Codebook id.';
COMMENT ON COLUMN doc_frames.codebook_version IS 'Codebook version.';
COMMENT ON COLUMN doc_frames.mentions IS 'Sentences of the document that carry the frame.';
COMMENT ON COLUMN doc_frames.sentences IS 'Sentences of the document in all.';
COMMENT ON COLUMN doc_frames.share IS 'mentions / sentences: the share of the document''s sentences that carry the frame (frames overlap, so shares need not sum to 1).';

CREATE TABLE framed_documents (
    doc_id            VARCHAR NOT NULL,
    codebook          VARCHAR NOT NULL,
    codebook_version  VARCHAR NOT NULL,
    model             VARCHAR NOT NULL,
    sentences         INTEGER NOT NULL,
    framed_at         TIMESTAMP NOT NULL,
    run_id            VARCHAR,
    PRIMARY KEY (doc_id, codebook, codebook_version)
);
COMMENT ON TABLE framed_documents IS 'Which documents the framing stage has done, per codebook version: a document is framed again only when its sentences or the detector model change.';
COMMENT ON COLUMN framed_documents.doc_id IS 'documents.doc_id.';
COMMENT ON COLUMN framed_documents.codebook IS 'Codebook id.';
COMMENT ON COLUMN framed_documents.codebook_version IS 'Codebook version.';
COMMENT ON COLUMN framed_documents.model IS 'Detector model used.';
COMMENT ON COLUMN framed_documents.sentences IS 'Number of sentences framed.';
COMMENT ON COLUMN framed_documents.framed_at IS 'When (UTC).';
COMMENT ON COLUMN framed_documents.run_id IS 'runs.run_id of the run that framed it.';
