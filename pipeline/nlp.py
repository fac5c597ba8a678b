"""NLP stage: sentences, entities and speakers of every document not yet analysed.

Every document is split by the fast pipeline (tokenizer + sentencizer + gazetteer); the full spaCy
model (parser + NER) reads only the sentences that carry a reporting cue — a reporting verb,
"according to" or a quotation mark — since those are the sentences whose speaker matters
(``analysis.full_model = "all"`` makes it read everything). A document is analysed once per content
and pipeline version; empty, punctuation-only and other-language documents are recorded with their
status so they are counted and not looked at again.
"""

from __future__ import annotations

import multiprocessing
import re
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from models.onnx_export import usable_cores
from models.spacy_pipeline import BUILTIN_ALIASES, Pipelines, load_pipelines
from pipeline.config import Settings
from pipeline.documents import text_hash
from pipeline.speakers import (
    Attribution,
    Context,
    attribute,
    entity_name,
    has_cue,
    normalise_name,
    unnamed_speakers,
)
from pipeline.store import let_readers_in

BATCH_DOCUMENTS = 200
MIN_BATCHES_PER_WORKER = 2  # starting a worker costs a model load: not worth it for less
LANGUAGE_SAMPLE = 800  # characters that language detection reads
SHORT_TEXT_LETTERS = 40  # below this, language detection guesses; assume the study's language
_LETTER_OR_DIGIT = re.compile(r"\w")


@dataclass
class DocumentInput:
    """The columns of a document the stage reads."""

    doc_id: str
    kind: str
    title: str | None
    text: str | None
    language: str | None
    content_hash: str
    parent_author: str | None
    thread_author: str | None = None  # Reddit: author of the thread's post, whom "OP" names


@dataclass
class BatchRows:
    """Rows to write for one batch of documents."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    sentences: list[dict[str, Any]] = field(default_factory=list)
    entities: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


def analyse_documents(
    con: duckdb.DuckDBPyConnection, settings: Settings, pipelines: Pipelines | None = None
) -> dict[str, int]:
    """Analyse the documents that are new, changed, or analysed by an older pipeline.

    Args:
        con: Writable study database.
        settings: The study settings (languages, [models] spacy, [analysis]).
        pipelines: Preloaded pipelines (tests pass them to load spaCy once).

    Returns:
        Counts: documents, sentences, entities, words, full_model_sentences, speakers and one count
        per skipped status (empty, punctuation, skipped_language, truncated).
    """
    aliases = sync_aliases(con, settings)
    preloaded = pipelines is not None
    if pipelines is None:
        analysis = settings.analysis
        pipelines = load_pipelines(
            settings.models.spacy, aliases, analysis.max_doc_chars, analysis.ner
        )
    counts: Counter[str] = Counter()
    pending = pending_documents(con, pipelines.version)
    batches = [pending[i : i + BATCH_DOCUMENTS] for i in range(0, len(pending), BATCH_DOCUMENTS)]
    workers = min(nlp_workers(settings), len(batches) // MIN_BATCHES_PER_WORKER)
    if workers > 1 and not preloaded:
        for rows in _on_processes(con, batches, settings, aliases, workers):
            write_rows(con, rows)
            counts.update(rows.counts)
            let_readers_in(con)
        return {"documents": 0, **counts}
    for ids in batches:
        rows = analyse_batch(fetch_documents(con, ids), pipelines, settings)
        write_rows(con, rows)
        counts.update(rows.counts)
        let_readers_in(con)
    return {"documents": 0, **counts}


def nlp_workers(settings: Settings) -> int:
    """Processes for the NLP stage: ``[analysis] nlp_workers``, or one per core when 0."""
    if settings.analysis.nlp_workers:
        return settings.analysis.nlp_workers
    return usable_cores()


def _on_processes(
    con: duckdb.DuckDBPyConnection,
    batches: list[list[str]],
    settings: Settings,
    aliases: dict[str, tuple[str, str | None]],
    workers: int,
) -> Iterator[BatchRows]:
    """Analyse batches on worker processes, yielding their rows in order (a bounded window).

    spaCy runs on one core, so a second process nearly doubles the stage on two cores. Each
    worker loads the pipelines once; only this process touches the database.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_load_worker, initargs=(settings, aliases)
    ) as pool:
        window: deque[Future[BatchRows]] = deque()
        for ids in batches:
            window.append(pool.submit(_analyse_on_worker, fetch_documents(con, ids)))
            if len(window) > 2 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


_WORKER: dict[str, Any] = {}


def _load_worker(settings: Settings, aliases: dict[str, tuple[str, str | None]]) -> None:
    analysis = settings.analysis
    _WORKER["settings"] = settings
    _WORKER["pipelines"] = load_pipelines(
        settings.models.spacy, aliases, analysis.max_doc_chars, analysis.ner
    )


def _analyse_on_worker(docs: list[DocumentInput]) -> BatchRows:
    return analyse_batch(docs, _WORKER["pipelines"], _WORKER["settings"])


def sync_aliases(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> dict[str, tuple[str, str | None]]:
    """Store the built-in and study aliases in ``entity_aliases``; return every alias there."""
    rows: dict[str, tuple[str, str | None]] = dict(BUILTIN_ALIASES)
    for alias, name in settings.analysis.aliases.items():
        rows[normalise_name(alias, {}).lower()] = (name, None)
    con.executemany(
        "INSERT OR REPLACE INTO entity_aliases VALUES (?, ?, ?)",
        [[alias, name, label] for alias, (name, label) in rows.items()],
    )
    stored = con.execute("SELECT alias, name, label FROM entity_aliases").fetchall()
    return {str(alias).lower(): (name, label) for alias, name, label in stored}


def pending_documents(con: duckdb.DuckDBPyConnection, version: str) -> list[str]:
    """Ids of documents never analysed, changed since, or analysed by another pipeline version."""
    rows = con.execute(
        "SELECT d.doc_id FROM documents d LEFT JOIN nlp_documents n USING (doc_id) "
        "WHERE n.doc_id IS NULL OR n.content_hash <> d.content_hash OR n.nlp_version <> ? "
        "ORDER BY d.doc_id",
        [version],
    ).fetchall()
    return [row[0] for row in rows]


def fetch_documents(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> list[DocumentInput]:
    """The documents to analyse, with the authors of a Reddit comment's parent and thread post."""
    rows = con.execute(
        "SELECT d.doc_id, d.kind, d.title, d.text, d.language, d.content_hash, p.author, t.author "
        "FROM documents d LEFT JOIN documents p ON p.doc_id = d.parent_id "
        "LEFT JOIN documents t ON t.doc_id = d.thread_id "
        "WHERE d.doc_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY d.doc_id",
        [doc_ids],
    ).fetchall()
    return [DocumentInput(*row) for row in rows]


def detect_language(doc: DocumentInput, default: str) -> str:
    """The document's language: as given by the source, else detected from title and text."""
    if doc.language:
        return doc.language.lower()[:2]
    sample = f"{doc.title or ''}\n{doc.text or ''}"[:LANGUAGE_SAMPLE]
    if sum(ch.isalpha() for ch in sample) < SHORT_TEXT_LETTERS:
        return default
    import py3langid

    return str(py3langid.classify(sample)[0])


def document_status(doc: DocumentInput, settings: Settings) -> tuple[str, str | None]:
    """(status, language) of a document before splitting it."""
    text = doc.text or ""
    if not text.strip():
        return "empty", None
    if not _LETTER_OR_DIGIT.search(text):
        return "punctuation", None
    language = detect_language(doc, settings.study.languages[0])
    if language not in settings.study.languages:
        return "skipped_language", language
    if len(text) > settings.analysis.max_doc_chars:
        return "truncated", language
    return "ok", language


def analyse_batch(docs: list[DocumentInput], pipelines: Pipelines, settings: Settings) -> BatchRows:
    """Split, tag and attribute a batch of documents (pure: no database)."""
    rows = BatchRows()
    readable: list[tuple[DocumentInput, str]] = []
    for doc in docs:
        status, language = document_status(doc, settings)
        rows.counts[status] += 1
        if status in {"ok", "truncated"}:
            readable.append((doc, language or ""))
        else:
            rows.documents.append(_doc_row(doc, status, language, 0, 0, pipelines.version))
    texts = [(d.text or "")[: settings.analysis.max_doc_chars] for d, _ in readable]
    split = [sentence_spans(fast_doc) for fast_doc in pipelines.fast.pipe(texts, batch_size=64)]
    everything = settings.analysis.full_model == "all"
    cued = [[everything or has_cue(s.text) for s in spans] for spans in split]
    cue_texts = [
        s.text
        for spans, flags in zip(split, cued, strict=True)
        for s, cue in zip(spans, flags, strict=True)
        if cue
    ]
    parsed = iter(parse(cue_texts, pipelines))
    for (doc, language), spans, cues in zip(readable, split, cued, strict=True):
        status = "truncated" if len(doc.text or "") > settings.analysis.max_doc_chars else "ok"
        words = _add_sentences(rows, doc, spans, cues, parsed, pipelines)
        rows.documents.append(_doc_row(doc, status, language, len(spans), words, pipelines.version))
        rows.counts["words"] += words
    rows.counts["documents"] += len(docs)
    rows.counts["sentences"] += len(rows.sentences)
    rows.counts["entities"] += len(rows.entities)
    rows.counts["speakers"] += sum(1 for r in rows.sentences if r["speaker"])
    return rows


def parse(texts: list[str], pipelines: Pipelines) -> list[Any]:
    """Parse sentences with the full model; NER reads what it must name.

    With ``ner = "speakers"`` the parser and the gazetteer read every sentence, and NER reads only
    the speakers the gazetteer did not name (the subject of a reporting verb with a capitalised
    word, such as "Sen. Warner"), each on its own; their entities are added to the sentence. NER
    has its own token-to-vector layer and costs more than the parser, so this cuts the full
    model's time by about a third. ``ner = "all"`` runs NER on every parsed sentence, for
    entities outside speech.
    """
    if pipelines.ner == "all":
        return list(pipelines.full.pipe(texts, batch_size=128))
    docs = list(pipelines.full.pipe(texts, batch_size=128, disable=["ner"]))
    found = [(doc, start, end) for doc in docs for start, end in unnamed_speakers(doc)]
    ner = pipelines.full.get_pipe("ner")
    named = ner.pipe((doc[start:end].as_doc() for doc, start, end in found), batch_size=256)
    for (doc, offset, _), piece in zip(found, named, strict=True):
        add_entities(doc, [(offset + e.start, offset + e.end, e.label_) for e in piece.ents])
    return docs


def add_entities(doc: Any, found: list[tuple[int, int, str]]) -> None:
    """Add entities (token start, end, label) that do not overlap the document's own."""
    from spacy.tokens import Span

    taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
    new = [
        Span(doc, start, end, label=label)
        for start, end, label in found
        if not taken.intersection(range(start, end))
    ]
    if new:
        doc.set_ents(new, default="unmodified")


def sentence_spans(doc: Any) -> list[Any]:
    """Non-blank sentences with surrounding whitespace trimmed; a line break also ends one."""
    spans = []
    for sent in doc.sents:
        for part in _split_on_newlines(sent):
            tokens = [t for t in part if not t.is_space]
            if tokens and any(not t.is_punct for t in tokens):
                spans.append(doc[tokens[0].i : tokens[-1].i + 1])
    return spans


def _split_on_newlines(sent: Any) -> Iterator[Any]:
    start = sent.start
    for token in sent:
        if token.is_space and "\n" in token.text:
            yield sent.doc[start : token.i]
            start = token.i + 1
    yield sent.doc[start : sent.end]


def _add_sentences(
    rows: BatchRows,
    doc: DocumentInput,
    spans: list[Any],
    cues: list[bool],
    parsed: Iterator[Any],
    pipelines: Pipelines,
) -> int:
    """Append the sentence and entity rows of one document; return its word count.

    ``cues`` says which spans the full model read (in order, from ``parsed``).
    """
    op = doc.thread_author if doc.kind.startswith("reddit") else None
    context = Context(
        aliases=pipelines.aliases, op=op, reader=lambda t: list(pipelines.full.pipe(t))
    )
    words = 0
    for idx, (span, cue) in enumerate(zip(spans, cues, strict=True)):
        words += sum(1 for t in span if not t.is_punct)
        if cue:
            full = next(parsed)
            rows.counts["full_model_sentences"] += 1
            attribution = attribute(full, context)
            entities = [_entity(e, span.start_char, pipelines) for e in full.ents]
        else:
            attribution = Attribution()
            entities = _gazetteer(span, pipelines, context)
        if doc.kind.startswith("reddit") and span.text.startswith(">"):
            quoted = f"u/{doc.parent_author}" if doc.parent_author else None
            attribution = Attribution(quoted, "quoted", None, ">")
        context.note(span.text)
        rows.sentences.append(_sentence_row(doc.doc_id, idx, span, attribution))
        rows.entities.extend({"doc_id": doc.doc_id, "sentence_idx": idx, **e} for e in entities)
    return words


def _entity(ent: Any, offset: int, pipelines: Pipelines) -> dict[str, Any]:
    source = "gazetteer" if ent.ent_id_ else "model"
    name = entity_name(ent, pipelines.aliases)
    return {
        "start_char": offset + ent.start_char,
        "end_char": offset + ent.end_char,
        "text": ent.text,
        "label": ent.label_,
        "name": name,
        "source": source,
    }


def _gazetteer(span: Any, pipelines: Pipelines, context: Context) -> list[dict[str, Any]]:
    """Alias-table names in a sentence the full model does not read."""
    found = []
    for alias, start, end in _alias_matches(span, pipelines):
        name = pipelines.aliases[alias]
        label = pipelines.labels[alias]
        context.remember(name, label)
        found.append(
            {
                "start_char": span.doc[start].idx,
                "end_char": span.doc[end - 1].idx + len(span.doc[end - 1].text),
                "text": span.doc[start:end].text,
                "label": label,
                "name": name,
                "source": "gazetteer",
            }
        )
    return found


def _alias_matches(span: Any, pipelines: Pipelines) -> Iterator[tuple[str, int, int]]:
    """Longest alias matches in a span, left to right, without overlaps."""
    words = [t.lower_ for t in span]
    i = 0
    while i < len(words):
        for size in range(min(pipelines.longest_alias, len(words) - i), 0, -1):
            alias = " ".join(words[i : i + size])
            if alias in pipelines.aliases and not span[i].is_lower:
                yield alias, span.start + i, span.start + i + size
                i += size - 1
                break
        i += 1


def _sentence_row(doc_id: str, idx: int, span: Any, who: Attribution) -> dict[str, Any]:
    return {
        "doc_id": doc_id,
        "sentence_idx": idx,
        "text": span.text,
        "start_char": span.start_char,
        "end_char": span.end_char,
        "text_hash": text_hash(span.text),
        "speaker": who.speaker,
        "speaker_kind": who.kind,
        "speaker_via": who.via,
        "cue": who.cue,
    }


def _doc_row(
    doc: DocumentInput, status: str, language: str | None, sentences: int, words: int, version: str
) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id,
        "content_hash": doc.content_hash,
        "status": status,
        "language": language,
        "sentences": sentences,
        "words": words,
        "nlp_version": version,
    }


_COLUMNS = {
    "nlp_documents": "doc_id, content_hash, status, language, sentences, words, nlp_version",
    "sentences": "doc_id, sentence_idx, text, start_char, end_char, text_hash, speaker, speaker_kind, speaker_via, cue",
    "entities": "doc_id, sentence_idx, start_char, end_char, text, label, name, source",
}


def write_rows(con: duckdb.DuckDBPyConnection, rows: BatchRows) -> None:
    """Replace the rows of the batch's documents in one transaction."""
    ids = pa.table({"doc_id": pa.array([r["doc_id"] for r in rows.documents], pa.string())})
    tables = {
        "nlp_documents": rows.documents,
        "sentences": rows.sentences,
        "entities": rows.entities,
    }
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("batch_ids", ids)
        for table, records in tables.items():
            con.execute(f"DELETE FROM {table} WHERE doc_id IN (SELECT doc_id FROM batch_ids)")
            if records:
                con.register("batch_rows", pa.Table.from_pylist(records))
                con.execute(
                    f"INSERT INTO {table} ({_COLUMNS[table]}) SELECT {_COLUMNS[table]} FROM batch_rows"
                )
                con.unregister("batch_rows")
        con.execute(
            "UPDATE documents SET language = n.language FROM nlp_documents n "
            "WHERE documents.doc_id = n.doc_id AND documents.language IS NULL AND n.language IS NOT NULL "
            "AND n.doc_id IN (SELECT doc_id FROM batch_ids)"
        )
        con.unregister("batch_ids")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
