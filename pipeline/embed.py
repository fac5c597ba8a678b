"""Embedding stage: document and sentence vectors, cached by text hash and model.

A document is embedded through its *embedding text*: the title and the lead of the body, cut at a
word boundary after ``analysis.lead_chars`` characters (default 600, about 130 word pieces: the lead
of a news article names its topic, and the transformer's cost grows with the length; all-MiniLM-L6-v2
would cut at 256 word pieces, about 1,000 characters, anyway). Sentences are embedded as they are.
Vectors go to ``embeddings`` keyed by ``(text_hash, model)``: a text seen before, under any document,
is never embedded again, and a new model or backend computes only its own vectors. Missing texts are
embedded in bounded batches, each written in its own transaction.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import platformdirs
import pyarrow as pa

from models.embedder import Embedder, TextEmbedder
from pipeline.config import Settings
from pipeline.documents import text_hash
from pipeline.store import let_readers_in

WRITE_BATCH = 2048
CHUNK = 10_000


def model_cache(settings: Settings | None = None) -> Path:
    """Where exported models are kept: ``FRAMEWATCH_MODEL_CACHE`` if set, else this user's cache
    folder (``~/.cache/framewatch/models`` on Linux), never the study's folder. Every study of
    the machine shares one export, so they embed with the same files and the same variant
    (``settings`` is taken for the callers' sake and not read)."""
    shared = os.environ.get("FRAMEWATCH_MODEL_CACHE")
    if shared:
        return Path(shared).expanduser()
    return Path(platformdirs.user_cache_dir("framewatch", appauthor=False)) / "models"


def detector_cache(settings: Settings | None) -> Path:
    """Where codebook detectors, once fitted, are kept: ``detectors/`` in the model cache."""
    return model_cache(settings) / "detectors"


def make_embedder(settings: Settings) -> Embedder:
    """The study's embedder with the backend of ``[analysis] backend``."""
    return Embedder(
        settings.models.embedding,
        backend=settings.analysis.backend,
        batch_size=settings.analysis.batch_size,
        cache_dir=model_cache(settings),
    )


def new_study_embedder() -> Embedder:
    """What a new study embeds with (the default model and backend): used outside a study, so
    that a sentence gets there the scores ``analyze`` would give it."""
    from pipeline.config import AnalysisSection, ModelsSection

    models, analysis = ModelsSection(), AnalysisSection()
    return Embedder(
        models.embedding,
        backend=analysis.backend,
        batch_size=analysis.batch_size,
        cache_dir=model_cache(None),
    )


def embedding_text(title: str | None, text: str | None, lead_chars: int) -> str:
    """Title and lead of a document, cut at a word boundary after ``lead_chars`` characters."""
    lead = " ".join((text or "").split())
    if len(lead) > lead_chars:
        cut = lead.rfind(" ", 0, lead_chars)
        lead = lead[: cut if cut > lead_chars // 2 else lead_chars]
    title = " ".join((title or "").split())
    return f"{title}. {lead}" if title and lead else title or lead


def model_id_for(settings: Settings) -> str | None:
    """``embeddings.model`` of the study's embedder without loading it (None: not exported yet)."""
    from models.onnx_export import export_folder, load_variants, needs_export, pick_variant

    name, backend = settings.models.embedding, settings.analysis.backend
    if backend == "torch":
        return f"{name}@torch"
    variants = load_variants(export_folder(model_cache(settings), name))
    if not variants or needs_export(variants, backend):
        return None
    chosen = pick_variant(variants, backend)
    return f"{name}@{chosen.model_tag if chosen else 'torch'}"


def embed_documents(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    embedder: Callable[[], TextEmbedder],
    model_id: str,
) -> dict[str, int]:
    """Embed the documents the NLP stage kept (ok or truncated) that have no vector yet.

    Works in chunks of :data:`CHUNK` documents, so memory stays bounded; a crash loses at most the
    chunk being embedded, and the next run picks up every document whose text has no vector.

    Args:
        con: Writable study database.
        settings: Study settings (``analysis.lead_chars``).
        embedder: Returns the embedder; called only when something must be embedded.
        model_id: ``embeddings.model`` of that embedder.

    Returns:
        Counts: documents (given an embedding text now), embedded (distinct texts embedded now),
        cached (documents given an embedding text now whose vector was stored or shared).
    """
    lead = settings.analysis.lead_chars
    documents = 0
    while changed := con.execute(
        "SELECT d.doc_id, d.content_hash, d.title, left(d.text, ?) FROM documents d "
        "JOIN nlp_documents n USING (doc_id) LEFT JOIN doc_embedding_texts t USING (doc_id) "
        "WHERE n.status IN ('ok', 'truncated') AND (t.doc_id IS NULL OR t.content_hash <> d.content_hash) "
        "LIMIT ?",
        [3 * lead, CHUNK],
    ).fetchall():
        documents += len(changed)
        hashes = [text_hash(embedding_text(title, text, lead)) for _, _, title, text in changed]
        write_table(
            con,
            "INSERT OR REPLACE INTO doc_embedding_texts SELECT * FROM new_rows",
            {
                "doc_id": [r[0] for r in changed],
                "content_hash": [r[1] for r in changed],
                "text_hash": hashes,
            },
        )
    embedded = 0
    while missing := con.execute(
        "SELECT t.text_hash, any_value(d.title), any_value(left(d.text, ?)) FROM doc_embedding_texts t "
        "JOIN documents d USING (doc_id) WHERE NOT EXISTS (SELECT 1 FROM embeddings e "
        "WHERE e.text_hash = t.text_hash AND e.model = ?) GROUP BY t.text_hash LIMIT ?",
        [3 * lead, model_id, CHUNK],
    ).fetchall():
        by_hash = {h: embedding_text(title, text, lead) for h, title, text in missing}
        embedded += embed_missing(con, by_hash, embedder, known_missing=True)["embedded"]
    return {"documents": documents, "embedded": embedded, "cached": max(documents - embedded, 0)}


def write_table(
    con: duckdb.DuckDBPyConnection, statement: str, columns: dict[str, list[Any]]
) -> None:
    """Run ``statement`` over ``columns`` registered as ``new_rows``, in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.register(
            "new_rows", pa.table({k: pa.array(v, pa.string()) for k, v in columns.items()})
        )
        con.execute(statement)
        con.unregister("new_rows")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def embed_sentences(
    con: duckdb.DuckDBPyConnection, embedder: Callable[[], TextEmbedder], model_id: str
) -> dict[str, int]:
    """Embed the distinct sentence texts that have no vector for ``model_id``.

    Returns:
        Counts: embedded (vectors computed now), cached (distinct sentence texts already stored).
    """
    total = scalar_int(con, "SELECT count(DISTINCT text_hash) FROM sentences")
    embedded = 0
    while missing := con.execute(
        "SELECT s.text_hash, any_value(s.text) FROM sentences s "
        "WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.text_hash = s.text_hash AND e.model = ?) "
        "GROUP BY s.text_hash LIMIT ?",
        [model_id, CHUNK],
    ).fetchall():
        embedded += embed_missing(con, dict(missing), embedder, known_missing=True)["embedded"]
    return {"embedded": embedded, "cached": total - embedded}


def embed_missing(
    con: duckdb.DuckDBPyConnection,
    by_hash: dict[str, str],
    embedder: Callable[[], TextEmbedder],
    *,
    known_missing: bool = False,
) -> dict[str, int]:
    """Embed the texts whose hash has no stored vector for the embedder's model."""
    if not by_hash:
        return {"embedded": 0, "cached": 0}
    model = embedder()
    hashes = list(by_hash)
    if not known_missing:
        stored = set(stored_hashes(con, model.model_id, hashes))
        hashes = [h for h in hashes if h not in stored]
    for start in range(0, len(hashes), WRITE_BATCH):
        chunk = hashes[start : start + WRITE_BATCH]
        write_vectors(con, model.model_id, chunk, model.embed([by_hash[h] for h in chunk]))
        let_readers_in(con)
    return {"embedded": len(hashes), "cached": len(by_hash) - len(hashes)}


def stored_hashes(con: duckdb.DuckDBPyConnection, model_id: str, hashes: list[str]) -> list[str]:
    """Which of ``hashes`` already have a vector for ``model_id``."""
    con.register("wanted", pa.table({"text_hash": pa.array(hashes, pa.string())}))
    rows = con.execute(
        "SELECT text_hash FROM embeddings JOIN wanted USING (text_hash) WHERE model = ?", [model_id]
    ).fetchall()
    con.unregister("wanted")
    return [row[0] for row in rows]


def write_vectors(
    con: duckdb.DuckDBPyConnection, model_id: str, hashes: list[str], vectors: np.ndarray
) -> None:
    """Insert one batch of vectors in a transaction."""
    flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel())
    table = pa.table(
        {
            "text_hash": pa.array(hashes, pa.string()),
            "vector": pa.ListArray.from_arrays(
                pa.array(np.arange(0, len(flat) + 1, vectors.shape[1], dtype=np.int32)), flat
            ),
        }
    )
    con.execute("BEGIN TRANSACTION")
    con.register("new_vectors", table)
    con.execute(
        "INSERT OR IGNORE INTO embeddings (text_hash, model, vector) "
        "SELECT text_hash, ?, vector FROM new_vectors",
        [model_id],
    )
    con.unregister("new_vectors")
    con.execute("COMMIT")


def document_vectors(
    con: duckdb.DuckDBPyConnection, model_id: str, where: str = "TRUE"
) -> tuple[list[str], np.ndarray, list[str]]:
    """Document vectors of one model: (doc_ids, matrix, embedding texts' hashes).

    Args:
        con: Study database.
        model_id: ``embeddings.model``.
        where: Extra SQL condition on ``documents d`` (e.g. the documents lacking a topic); it may
            use ``$model``.
    """
    table: Any = con.sql(
        "SELECT t.doc_id, t.text_hash, e.vector FROM doc_embedding_texts t "
        "JOIN embeddings e ON e.text_hash = t.text_hash AND e.model = $model "
        f"JOIN documents d ON d.doc_id = t.doc_id WHERE {where} ORDER BY t.doc_id",
        params={"model": model_id},
    ).to_arrow_table()
    return (
        table.column("doc_id").to_pylist(),
        vectors_from_arrow(table.column("vector")),
        table.column("text_hash").to_pylist(),
    )


def vectors_from_arrow(column: Any) -> np.ndarray:
    """A list<float> Arrow column as an ``(n, dim)`` float32 matrix."""
    chunks = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    if len(chunks) == 0:
        return np.zeros((0, 0), dtype=np.float32)
    values = np.asarray(chunks.flatten().to_numpy(zero_copy_only=False), dtype=np.float32)
    return values.reshape(len(chunks), -1)


def scalar_int(con: duckdb.DuckDBPyConnection, query: str) -> int:
    """An integer query result (0 for NULL)."""
    rows = con.execute(query).fetchall()
    return int(rows[0][0] or 0) if rows else 0
