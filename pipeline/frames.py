"""The framing stage: which frames each sentence carries, who voices them, per-document shares.

Reads ``sentences`` (from the NLP stage) and their vectors in ``embeddings``, embeds the sentences
that have none yet, scores them with the study's codebook and writes ``frame_mentions``,
``frame_rebuttals`` and ``doc_frames``. A document is framed once per codebook version; it is framed
again only when its sentences or the detector model change (a new codebook version, or a classifier
trained with ``framewatch frames train``), so a re-run does no repeated work. Each batch of
documents is written in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb
import numpy as np
import pandas as pd

from models.classifier import classifier_paths, load_classifier
from models.codebook import Codebook, load_codebook
from models.cues import CueEvidence
from models.detector import FrameDetector, FrameScores, build_detector, evidence_matrices
from models.screen import SAMPLE as SCREEN_SAMPLE
from models.screen import Screen, ScreenFit, fit_screen, load_fit
from pipeline import embed
from pipeline.config import Settings
from pipeline.errors import ModelError
from pipeline.store import let_readers_in, record_run, utcnow

BATCH_DOCUMENTS = 500


@dataclass
class FramingCounts:
    """What one framing run did."""

    documents: int = 0
    sentences: int = 0
    embedded: int = 0
    off_subject_documents: int = 0
    off_subject_sentences: int = 0
    screened_out: int = 0
    mentions: int = 0
    rebuttals: int = 0


def classifier_folder(settings: Settings) -> Path:
    """Where trained classifiers live: ``DATA/codebooks``."""
    return settings.data_path / "codebooks"


def study_codebook(settings: Settings) -> Codebook:
    """The codebook named in ``[models] codebook``."""
    return load_codebook(settings.models.codebook, settings.root)


def load_detector(
    settings: Settings, *, codebook: Codebook | None = None, embedder: Any = None, nlp: Any = None
) -> FrameDetector:
    """The study's detector: its codebook, its trained classifier if any, cues and embeddings.

    Raises:
        ModelError: When a stored classifier was trained on another embedding model.
    """
    from models.cues import load_spacy

    codebook = codebook or study_codebook(settings)
    embedder = embedder or embed.make_embedder(settings)
    classifier = load_classifier(
        *classifier_paths(classifier_folder(settings), codebook.id, codebook.version)
    )
    if classifier is not None and classifier.embedding_model != embedder.model_id:
        raise ModelError(
            f"the classifier for {codebook.ref} was trained on {classifier.embedding_model}, but the "
            f"study embeds with {embedder.model_id}; run `framewatch frames train` again"
        )
    return build_detector(
        codebook,
        embedder,
        nlp or load_spacy(settings.models.spacy),
        classifier,
        cache=embed.detector_cache(settings),
    )


def prepare_screen(
    con: duckdb.DuckDBPyConnection, settings: Settings, detector: FrameDetector
) -> Screen | None:
    """The study's screen for this detector, fitted on a sample of its sentences when first needed.

    None (every sentence goes to the full model) when ``[analysis] screen`` is off, when fewer
    than ``screen_min_sentences`` sentences lack a vector, or when the sample gives too little to
    learn from. A fitted screen is kept beside the study's classifiers and reused by later runs.
    """
    analysis = settings.analysis
    if not analysis.screen:
        return None
    missing = con.execute(
        "SELECT count(DISTINCT text_hash) FROM sentences s WHERE NOT EXISTS "
        "(SELECT 1 FROM embeddings e WHERE e.text_hash = s.text_hash AND e.model = ?)",
        [detector.embedding_model],
    ).fetchall()[0][0]
    if missing < analysis.screen_min_sentences:
        return None
    from models.static_embedder import StaticEmbedder

    static = StaticEmbedder(settings.models.embedding, embed.model_cache(settings))
    path = screen_path(settings, detector)
    fit = load_fit(path)
    if fit is None:
        fit = _fit_on_sample(con, detector, static, analysis.seed)
        if fit is None:
            return None
        Screen(fit, static).save(path)
    return Screen(fit, static)


def screen_path(settings: Settings, detector: FrameDetector) -> Path:
    """Where a detector's screen is kept: beside the classifiers, named by codebook and model."""
    slug = re.sub(r"[^\w.-]+", "_", detector.model_id)
    return classifier_folder(settings) / f"screen-{slug}.json"


def _fit_on_sample(
    con: duckdb.DuckDBPyConnection, detector: FrameDetector, static: Any, seed: int
) -> ScreenFit | None:
    """Label a seeded sample with the full model and detector; fit the screen on it."""
    sample = con.execute(
        "SELECT text_hash, any_value(text) FROM sentences GROUP BY text_hash "
        "ORDER BY hash(text_hash || ?::VARCHAR) LIMIT ?",
        [seed, SCREEN_SAMPLE],
    ).fetchall()
    texts = [text for _, text in sample]
    if not texts:
        return None
    vectors = detector.embedder.embed(texts)
    evidence = detector.match_cues(texts)
    scores = detector.score(texts, vectors, evidence)
    flagged = np.asarray(scores.detected.any(axis=1) | scores.rebutted.any(axis=1), dtype=bool)
    embed.write_vectors(con, detector.embedding_model, [h for h, _ in sample], vectors)
    support, forced = cue_features(evidence, detector.frame_ids)
    return fit_screen(static.embed(texts), support, flagged, forced)


def cue_features(
    evidence: list[CueEvidence], frame_ids: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Sentences × frames: which frames a cue names; and per sentence: a rebuttal or rejection."""
    support, _ = evidence_matrices(evidence, frame_ids)
    forced = np.array([bool(e.rebutted or e.rejects) for e in evidence], dtype=bool)
    return support, forced


def frame_study(settings: Settings, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Run the framing stage for a study and log it in ``runs`` (what a Prefect task calls).

    Returns:
        The counts of :class:`FramingCounts` as a dict.
    """
    detector = load_detector(settings)
    params = {"codebook": detector.codebook.ref, "model": detector.model_id}
    with record_run(con, "frames", params) as run:
        screen = prepare_screen(con, settings, detector)
        counts = frame_sentences(con, detector, run_id=run.run_id, screen=screen)
        run.counts.update(asdict(counts))
        run.versions["codebook"] = detector.codebook.ref
        run.versions["frames_model"] = detector.model_id
    return asdict(counts)


def frame_sentences(
    con: duckdb.DuckDBPyConnection,
    detector: FrameDetector,
    *,
    batch_documents: int = BATCH_DOCUMENTS,
    run_id: str | None = None,
    screen: Screen | None = None,
    embed_async: Callable[[list[str]], Pending] | None = None,
) -> FramingCounts:
    """Frame every document whose framing is missing or out of date.

    Args:
        con: A writable connection with the ``sentences``, ``embeddings`` and ``documents`` tables.
        detector: The detector (its embedder must be the one stored vectors came from).
        batch_documents: Documents per transaction.
        run_id: ``runs.run_id`` to record in ``framed_documents``.
        screen: Lets only the sentences that may carry a frame reach the full model.
        embed_async: Starts embedding a batch's new texts elsewhere (the Dask fan-out) and returns
            what gives their vectors; by default they are embedded on a thread of this process.

    Returns:
        Counts of documents, sentences, newly embedded sentences (distinct texts), mentions and
        rebuttals written.
    """
    register_frames(con, detector)
    counts = FramingCounts()
    pending = pending_documents(con, detector)
    # The transformer runs on its own thread (onnxruntime and torch release the GIL) while this
    # one reads, cue-matches and screens the next batch and writes the one before: on two cores
    # the Python work no longer waits for the embeddings, nor they for it. Batches are still
    # written in order, each in its own transaction.
    pool = ThreadPoolExecutor(1, thread_name_prefix="framewatch-embed")
    try:
        previous: _Batch | None = None
        carried: dict[str, np.ndarray] = {}
        for start in range(0, len(pending), batch_documents):
            batch = _read_batch(
                con, detector, pending[start : start + batch_documents], screen, previous
            )
            if batch.texts and embed_async is not None:
                batch.vectors = embed_async(batch.texts)
            elif batch.texts:
                batch.vectors = pool.submit(detector.embedder.embed, batch.texts)
            if previous is not None:
                carried = _write_batch(con, detector, previous, carried, counts, run_id)
                let_readers_in(con)
            previous = batch
        if previous is not None:
            _write_batch(con, detector, previous, carried, counts, run_id)
    finally:
        # On an error or an interrupt, a batch not yet started is dropped at once (nothing of it
        # was written); the one running finishes its embedding call.
        pool.shutdown(wait=True, cancel_futures=True)
    return counts


def register_frames(con: duckdb.DuckDBPyConnection, detector: FrameDetector) -> None:
    """Write the codebook's frames (with the current thresholds) into ``frames``."""
    book = detector.codebook
    thresholds = _thresholds(detector)
    rows = [
        (
            book.id,
            book.version,
            f.id,
            f.label,
            f.definition,
            list(f.cues),
            list(f.actors),
            float(thresholds[i]),
            detector.model_id,
            utcnow(),
        )
        for i, f in enumerate(book.frames)
    ]
    con.execute("BEGIN TRANSACTION")
    con.execute(
        "DELETE FROM frames WHERE codebook = ? AND codebook_version = ?", [book.id, book.version]
    )
    con.executemany("INSERT INTO frames VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("COMMIT")


def _thresholds(detector: FrameDetector) -> np.ndarray:
    if detector.classifier is not None:
        return detector.classifier.thresholds
    return detector.calibration.thresholds


def pending_documents(con: duckdb.DuckDBPyConnection, detector: FrameDetector) -> list[str]:
    """Documents with sentences whose framing for this codebook version and model is missing."""
    book = detector.codebook
    rows = con.execute(
        """
        WITH counted AS (SELECT doc_id, count(*) AS n FROM sentences GROUP BY doc_id)
        SELECT c.doc_id FROM counted c
        LEFT JOIN framed_documents f
          ON f.doc_id = c.doc_id AND f.codebook = ? AND f.codebook_version = ?
        WHERE f.doc_id IS NULL OR f.model <> ? OR f.sentences <> c.n
           OR NOT EXISTS (SELECT 1 FROM subject_documents s WHERE s.doc_id = c.doc_id
                          AND s.codebook = ? AND s.codebook_version = ?)
        ORDER BY c.doc_id
        """,
        [book.id, book.version, detector.model_id, book.id, book.version],
    ).fetchall()
    return [row[0] for row in rows]


class Pending(Protocol):
    """Vectors being computed: a thread's or a Dask task's future."""

    def result(self) -> np.ndarray:
        """The vectors, once computed."""
        ...


@dataclass
class _Batch:
    """One batch of documents, read, cue-matched and screened; its new sentences being embedded.

    Row masks are over ``kept`` (the sentences the screen let through, or all of them).
    """

    doc_ids: list[str]
    table: pd.DataFrame
    kept: pd.DataFrame
    evidence: list[CueEvidence]
    embed_now: np.ndarray
    borrowed: np.ndarray
    texts: list[str]
    rows: list[int]
    screened_out: int
    subject: pd.DataFrame
    on_subject: pd.DataFrame
    vectors: Pending | None = None

    @property
    def new_hashes(self) -> set[str]:
        """Text hashes whose vectors this batch computes and stores."""
        return set(self.kept["text_hash"][self.embed_now])


def _read_batch(
    con: duckdb.DuckDBPyConnection,
    detector: FrameDetector,
    doc_ids: list[str],
    screen: Screen | None,
    previous: _Batch | None,
) -> _Batch:
    """Read a batch's sentences, match their cues, screen those without a vector.

    With a screen, a sentence with no stored vector that the screen lets go is taken to carry no
    frame: it is counted in ``screened_out`` and never embedded by the full model. A vector that
    the batch before is computing counts as stored (that batch is written first), so a sentence
    shared by neighbouring batches is embedded once, as when batches ran one after the other.
    """
    if detector.embedder is None:
        raise ModelError("the detector has no embedder to embed sentences that have no vector")
    everything = load_sentences(con, doc_ids, detector.embedding_model)
    subject = subject_decisions(con, detector, everything)
    chosen = {
        (doc_id, idx)
        for doc_id, idxs in zip(subject["doc_id"], subject["sentence_idxs"], strict=True)
        for idx in idxs
    }
    keys = zip(everything["doc_id"], everything["sentence_idx"], strict=True)
    on = [key in chosen for key in keys]
    table = everything[np.asarray(on, dtype=bool)].reset_index(drop=True)
    texts = table["text"].tolist()
    missing = table["vector"].isna().to_numpy() if len(table) else np.zeros(0, dtype=bool)
    borrowed = np.zeros(len(table), dtype=bool)
    if previous is not None and missing.any():
        borrowed = missing & table["text_hash"].isin(previous.new_hashes).to_numpy()
        missing = missing & ~borrowed
    evidence = detector.match_cues(texts)
    keep = np.ones(len(table), dtype=bool)
    if screen is not None and missing.any():
        rows = np.flatnonzero(missing)
        support, forced = cue_features(evidence, detector.frame_ids)
        keep[rows] = screen.passes([texts[i] for i in rows], support[rows], forced[rows])
    kept = table[keep].reset_index(drop=True)
    embed_now = (missing & keep)[keep]
    # A sentence repeated in the batch (boilerplate, a quote carried by several outlets) is
    # embedded once; its vector does not depend on its batch-mates, so this changes no vector.
    first: dict[str, int] = {}
    rows_of = [first.setdefault(text, len(first)) for text in kept["text"][embed_now]]
    return _Batch(
        doc_ids=doc_ids,
        table=everything,
        subject=subject,
        on_subject=table,
        kept=kept,
        evidence=[e for e, k in zip(evidence, keep, strict=True) if k],
        embed_now=embed_now,
        borrowed=borrowed[keep],
        texts=list(first),
        rows=rows_of,
        screened_out=int((~keep).sum()),
    )


def _write_batch(
    con: duckdb.DuckDBPyConnection,
    detector: FrameDetector,
    batch: _Batch,
    carried: dict[str, np.ndarray],
    counts: FramingCounts,
    run_id: str | None,
) -> dict[str, np.ndarray]:
    """Score a batch and replace its framing rows (and store its new vectors) in one transaction.

    Args:
        carried: Vectors the batch before computed, by text hash (for ``batch.borrowed``).

    Returns:
        The vectors this batch computed, by text hash, for the batch after it.
    """
    kept = batch.kept
    vectors = _vectors(kept, detector, batch, carried)
    scores = detector.score(kept["text"].tolist(), vectors, batch.evidence)
    actors = actor_patterns(detector.codebook)
    targets = [
        name_target(text, actors, speaker)
        for text, speaker in zip(kept["text"], kept["speaker"], strict=True)
    ]
    mentions, rebuttals = framing_rows(kept.assign(target=targets), scores, detector)
    shares = document_shares(mentions, batch.on_subject, detector.codebook)
    new = batch.embed_now
    con.execute("BEGIN TRANSACTION")
    try:
        _store_embeddings(con, kept[new], vectors[new], detector.embedding_model)
        _replace_rows(
            con, detector, batch.doc_ids, mentions, rebuttals, shares, batch.table, run_id
        )
        _insert(con, "subject_documents", batch.subject.assign(decided_at=utcnow()))
        con.execute("COMMIT")
    except duckdb.Error:
        con.execute("ROLLBACK")
        raise
    counts.documents += len(batch.doc_ids)
    counts.sentences += len(batch.table)
    counts.off_subject_documents += int((~batch.subject["on_subject"]).sum())
    counts.off_subject_sentences += len(batch.table) - len(batch.on_subject)
    counts.embedded += len(batch.texts)
    counts.screened_out += batch.screened_out
    counts.mentions += len(mentions)
    counts.rebuttals += len(rebuttals)
    return dict(zip(kept["text_hash"][new], vectors[new], strict=True))


def load_sentences(
    con: duckdb.DuckDBPyConnection, doc_ids: Sequence[str], model: str
) -> pd.DataFrame:
    """Sentences of some documents with their speaker (or fallback) and stored vector (or NaN)."""
    frame = con.execute(
        """
        SELECT s.doc_id, s.sentence_idx, s.text, s.text_hash,
               coalesce(s.speaker, CASE WHEN d.kind = 'article' THEN d.outlet
                                        ELSE coalesce(d.author, d.outlet) END) AS speaker,
               CASE WHEN s.speaker IS NOT NULL THEN coalesce(s.speaker_kind, 'reported')
                    WHEN d.kind = 'article' THEN 'outlet' ELSE 'author' END AS speaker_kind,
               e.vector
        FROM sentences s
        JOIN documents d ON d.doc_id = s.doc_id
        LEFT JOIN embeddings e ON e.text_hash = s.text_hash AND e.model = ?
        WHERE s.doc_id IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY s.doc_id, s.sentence_idx
        """,
        [model, list(doc_ids)],
    ).df()
    return frame


def _vectors(
    table: pd.DataFrame, detector: FrameDetector, batch: _Batch, carried: dict[str, np.ndarray]
) -> np.ndarray:
    """Stored vectors, those the batch before computed, and those computed for this batch."""
    stored = ~(batch.embed_now | batch.borrowed)
    vectors = np.zeros((len(table), int(detector.embedder.dimension)), dtype=np.float32)
    if stored.any():
        vectors[stored] = np.stack(
            [np.asarray(v, dtype=np.float32) for v in table["vector"][stored]]
        )
    if batch.borrowed.any():
        vectors[batch.borrowed] = np.stack([carried[h] for h in table["text_hash"][batch.borrowed]])
    if batch.vectors is not None:
        vectors[batch.embed_now] = batch.vectors.result()[batch.rows]
    return vectors


def framing_rows(
    table: pd.DataFrame, scores: FrameScores, detector: FrameDetector
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of ``frame_mentions`` (detected frames) and ``frame_rebuttals`` for scored sentences."""
    book = detector.codebook
    base = table[["doc_id", "sentence_idx", "speaker", "speaker_kind", "target"]]
    mention_parts, rebuttal_parts = [], []
    for f, frame_id in enumerate(scores.frame_ids):
        hit = scores.detected[:, f]
        if hit.any():
            part = base[hit].assign(
                frame_id=frame_id,
                score=scores.probs[hit, f],
                evidence=[scores.evidence[i][f] for i in np.flatnonzero(hit)],
            )
            mention_parts.append(part)
        rebutted = scores.rebutted[:, f]
        if rebutted.any():
            rebuttal_parts.append(base[rebutted].assign(frame_id=frame_id))
    common = {"codebook": book.id, "codebook_version": book.version, "model": detector.model_id}
    mention_cols = ["doc_id", "sentence_idx", "frame_id", "score", "evidence", "speaker"]
    mention_cols += ["speaker_kind", "target", "codebook", "codebook_version", "model"]
    rebuttal_cols = [c for c in mention_cols if c not in {"score", "evidence"}]
    mentions = _concat(mention_parts, mention_cols[:8]).assign(**common)[mention_cols]
    rebuttals = _concat(rebuttal_parts, rebuttal_cols[:6]).assign(**common)[rebuttal_cols]
    return mentions, rebuttals


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(parts, ignore_index=True)


def document_shares(mentions: pd.DataFrame, table: pd.DataFrame, book: Codebook) -> pd.DataFrame:
    """Rows of ``doc_frames``: mentions per document and frame over the document's sentences."""
    sentences = table.groupby("doc_id").size().rename("sentences")
    counted = mentions.groupby(["doc_id", "frame_id"]).size().rename("mentions").reset_index()
    counted = counted.join(sentences, on="doc_id")
    counted["share"] = counted["mentions"] / counted["sentences"]
    counted["codebook"], counted["codebook_version"] = book.id, book.version
    columns = ["doc_id", "frame_id", "codebook", "codebook_version", "mentions", "sentences"]
    return counted[[*columns, "share"]]


def _store_embeddings(
    con: duckdb.DuckDBPyConnection, table: pd.DataFrame, vectors: np.ndarray, model: str
) -> None:
    if not len(table):
        return
    rows = pd.DataFrame(
        {"text_hash": table["text_hash"].to_numpy(), "model": model, "vector": list(vectors)}
    ).drop_duplicates("text_hash")
    con.register("new_embeddings", rows)
    con.execute(
        "INSERT INTO embeddings (text_hash, model, vector) "
        "SELECT text_hash, model, vector FROM new_embeddings ON CONFLICT DO NOTHING"
    )
    con.unregister("new_embeddings")


def _replace_rows(
    con: duckdb.DuckDBPyConnection,
    detector: FrameDetector,
    doc_ids: list[str],
    mentions: pd.DataFrame,
    rebuttals: pd.DataFrame,
    shares: pd.DataFrame,
    table: pd.DataFrame,
    run_id: str | None,
) -> None:
    """Delete a batch's old framing rows for this codebook version and insert the new ones."""
    book = detector.codebook
    key = [list(doc_ids), book.id, book.version]
    where = "doc_id IN (SELECT unnest(?::VARCHAR[])) AND codebook = ? AND codebook_version = ?"
    for name in (
        "frame_mentions",
        "frame_rebuttals",
        "doc_frames",
        "framed_documents",
        "subject_documents",
    ):
        con.execute(f"DELETE FROM {name} WHERE {where}", key)
    for name, rows in (
        ("frame_mentions", mentions),
        ("frame_rebuttals", rebuttals),
        ("doc_frames", shares),
    ):
        _insert(con, name, rows)
    sentences = table.groupby("doc_id").size()
    done = [
        (
            doc_id,
            book.id,
            book.version,
            detector.model_id,
            int(sentences.get(doc_id, 0)),
            utcnow(),
            run_id,
        )
        for doc_id in doc_ids
    ]
    con.executemany("INSERT INTO framed_documents VALUES (?, ?, ?, ?, ?, ?, ?)", done)


def _insert(con: duckdb.DuckDBPyConnection, name: str, rows: pd.DataFrame) -> None:
    """Insert a DataFrame's rows into a table by column name (nothing when it is empty)."""
    if not len(rows):
        return
    con.register("new_rows", rows)
    try:
        con.execute(f"INSERT INTO {name} ({', '.join(rows.columns)}) SELECT * FROM new_rows")
    finally:
        con.unregister("new_rows")


def subject_decisions(
    con: duckdb.DuckDBPyConnection, detector: FrameDetector, sentences: pd.DataFrame
) -> pd.DataFrame:
    """The subject gate's decision on each document of a batch (rows of ``subject_documents``).

    A Reddit comment whose thread's post, read with it, is on the subject is on it too, whole.
    """
    gate, book = detector.gate, detector.codebook
    doc_ids = list(dict.fromkeys(sentences["doc_id"]))
    info = (
        con.execute(
            """
        SELECT d.doc_id, d.title, d.kind, p.doc_id AS post_id, p.title AS post_title,
               p.text AS post_text
        FROM documents d
        LEFT JOIN documents p ON p.doc_id = d.thread_id AND p.doc_id <> d.doc_id
        WHERE d.doc_id IN (SELECT unnest(?::VARCHAR[]))
        """,
            [doc_ids],
        )
        .df()
        .set_index("doc_id")
        if gate.gated
        else None
    )
    rows = []
    for doc_id, group in sentences.groupby("doc_id", sort=False):
        title, thread = None, False
        if info is not None and doc_id in info.index:
            record = info.loc[doc_id]
            title = _text(record["title"])
            if _text(record["post_id"]):
                # A reply is read in its thread: the post and the reply together decide.
                post = [_text(record["post_text"]) or "", *group["text"]]
                thread = gate.decide(post, _text(record["post_title"])).on_subject
        decision = gate.decide(group["text"].tolist(), title, thread_on_subject=thread)
        idxs = group["sentence_idx"].to_numpy()
        rows.append(
            {
                "doc_id": doc_id,
                "codebook": book.id,
                "codebook_version": book.version,
                "on_subject": decision.on_subject,
                "scope": decision.scope,
                "anchors": decision.anchors,
                "context": decision.context,
                "sentences": len(group),
                "on_subject_sentences": len(decision.sentences),
                "score": decision.score,
                "sentence_idxs": [int(idxs[i]) for i in decision.sentences],
            }
        )
    return pd.DataFrame(rows, columns=SUBJECT_COLUMNS)


SUBJECT_COLUMNS = [
    "doc_id",
    "codebook",
    "codebook_version",
    "on_subject",
    "scope",
    "anchors",
    "context",
    "sentences",
    "on_subject_sentences",
    "score",
    "sentence_idxs",
]


def _text(value: Any) -> str | None:
    """A column value as text, or None for NULL/NaN."""
    return value if isinstance(value, str) else None


ActorPatterns = tuple[tuple[str, re.Pattern[str]], ...]


def name_target(text: str, actors: ActorPatterns, speaker: str | None) -> str | None:
    """The first codebook actor named in a sentence that is not its speaker, or None.

    Args:
        text: The sentence.
        actors: From :func:`actor_patterns`.
        speaker: The sentence's speaker (an actor name or alias, an outlet, a Reddit author).
    """
    speaker_actor = _actor_of(speaker or "", actors)
    best: tuple[int, str] | None = None
    for actor, pattern in actors:
        if actor == speaker_actor:
            continue
        match = pattern.search(text)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), actor)
    return best[1] if best else None


def _actor_of(name: str, actors: ActorPatterns) -> str | None:
    for actor, pattern in actors:
        if pattern.search(name):
            return actor
    return None


def actor_patterns(book: Codebook) -> ActorPatterns:
    """One word-bounded pattern per codebook actor, matching its name and aliases."""
    return tuple(
        (actor, re.compile(r"\b(?:" + "|".join(re.escape(a) for a in (actor, *aliases)) + r")\b"))
        for actor, aliases in book.actors.items()
    )
