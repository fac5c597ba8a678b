"""Topic stage: stable topic ids for every embedded document, and the topic registry.

The first run fits :class:`~models.topic_model.TopicModel` on the study's documents (a seeded sample
of ``analysis.topic_sample`` when there are more) and assigns the rest by similarity. Later runs
only assign the new documents; those whose best similarity is below
``analysis.new_topic_threshold`` are clustered on their own, and clusters unlike every known topic
become new topics with new ids (first-seen week recorded). Assignments once written are kept, so a
document's topic never changes under a researcher's feet.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from models.topic_model import TopicInfo, TopicModel
from pipeline.config import Settings
from pipeline.embed import document_vectors, embedding_text


def topic_folder(settings: Settings, model_id: str) -> Path:
    """Where the fitted topic model of one embedding model lives."""
    return settings.data_path / "models" / "topics" / re.sub(r"[^\w.-]+", "_", model_id)


def assign_topics(
    con: duckdb.DuckDBPyConnection, settings: Settings, model_id: str, run_id: str | None = None
) -> dict[str, int]:
    """Give every embedded document without a topic (for ``model_id``) its topic.

    Args:
        con: Writable study database.
        settings: Study settings ([analysis] topic_sample, min_topic_size, seed, …).
        model_id: The embedding model whose document vectors are clustered.
        run_id: ``runs.run_id`` recorded on topics this run adds.

    Returns:
        Counts: documents (assigned now), outliers, topics_added, topics (in the registry), and
        waiting (documents left for later when there are fewer than 2 × min_topic_size to fit on).
    """
    doc_ids, vectors, _ = document_vectors(
        con,
        model_id,
        "NOT EXISTS (SELECT 1 FROM doc_topics x WHERE x.doc_id = d.doc_id AND x.model = $model)",
    )
    if not doc_ids:
        return {
            "documents": 0,
            "outliers": 0,
            "topics_added": 0,
            "topics": _topic_count(con, model_id),
        }
    folder = topic_folder(settings, model_id)
    if (
        not (folder / "topics.json").exists()
        and len(doc_ids) < 2 * settings.analysis.min_topic_size
    ):
        # Too few documents to find topics yet: they wait for a later run.
        return {
            "documents": 0,
            "outliers": 0,
            "topics_added": 0,
            "topics": 0,
            "waiting": len(doc_ids),
        }
    texts = _embedding_texts(con, doc_ids, settings.analysis.lead_chars)
    if (folder / "topics.json").exists():
        model, topics, sims = _assign_later(folder, texts, vectors, settings)
    else:
        model, topics, sims = _fit_first(folder, texts, vectors, settings)
    added = _write(con, model_id, model, doc_ids, topics, sims, run_id)
    return {
        "documents": len(doc_ids),
        "outliers": int((topics == -1).sum()),
        "topics_added": added,
        "topics": _topic_count(con, model_id),
    }


def _fit_first(
    folder: Path, texts: list[str], vectors: np.ndarray, settings: Settings
) -> tuple[TopicModel, np.ndarray, np.ndarray]:
    """Fit on all documents, or a seeded sample of them, and assign the rest by similarity."""
    options = settings.analysis
    sample = np.arange(len(texts))
    if len(texts) > options.topic_sample:
        rng = np.random.default_rng(options.seed)
        sample = np.sort(rng.choice(len(texts), options.topic_sample, replace=False))
    model, fitted, bertopic = TopicModel.fit(
        [texts[i] for i in sample],
        vectors[sample],
        seed=options.seed,
        min_topic_size=options.min_topic_size,
    )
    model.save(bertopic, folder)
    topics, sims = model.transform(vectors)
    topics[sample] = fitted
    return model, topics, sims


def _assign_later(
    folder: Path, texts: list[str], vectors: np.ndarray, settings: Settings
) -> tuple[TopicModel, np.ndarray, np.ndarray]:
    """Assign new documents to known topics; cluster the ill-fitting ones into new topics."""
    options = settings.analysis
    model = TopicModel.load(folder)
    topics, sims = model.transform(vectors)
    far = np.flatnonzero(sims < options.new_topic_threshold)
    if len(far) >= 2 * options.min_topic_size:
        model, added = model.extend(
            folder,
            [texts[i] for i in far],
            vectors[far],
            seed=options.seed,
            min_topic_size=options.min_topic_size,
        )
        if added:
            new_topics, new_sims = model.transform(vectors[far])
            topics[far], sims[far] = new_topics, new_sims
    return model, topics, sims


def _embedding_texts(con: duckdb.DuckDBPyConnection, doc_ids: list[str], lead: int) -> list[str]:
    rows = con.execute(
        "SELECT doc_id, title, text FROM documents WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))",
        [doc_ids],
    ).fetchall()
    texts = {doc_id: embedding_text(title, text, lead) for doc_id, title, text in rows}
    return [texts[doc_id] for doc_id in doc_ids]


def _write(
    con: duckdb.DuckDBPyConnection,
    model_id: str,
    model: TopicModel,
    doc_ids: list[str],
    topics: np.ndarray,
    sims: np.ndarray,
    run_id: str | None,
) -> int:
    """Store assignments and register new topics in one transaction; return topics added."""
    known = {
        row[0]
        for row in con.execute("SELECT topic_id FROM topics WHERE model = ?", [model_id]).fetchall()
    }
    fresh = [model.info[i] for i in model.ids if i not in known]
    if (topics == -1).any() and -1 not in known:
        fresh.append(_outlier_topic())
    assigned = pa.table(
        {
            "doc_id": pa.array(doc_ids, pa.string()),
            "topic_id": pa.array(topics.astype(np.int32)),
            "probability": pa.array(
                np.where(topics == -1, np.nan, sims).round(4), from_pandas=True
            ),
        }
    )
    registry = pa.table(
        {
            "topic_id": pa.array([t.topic_id for t in fresh], pa.int32()),
            "label": pa.array([t.label for t in fresh], pa.string()),
            "keywords": pa.array([list(t.keywords[:10]) for t in fresh], pa.list_(pa.string())),
        }
    )
    con.execute("BEGIN TRANSACTION")
    try:
        _insert(con, model_id, assigned, registry, run_id)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len([t for t in fresh if t.topic_id != -1])


def _insert(
    con: duckdb.DuckDBPyConnection, model_id: str, assigned: Any, registry: Any, run_id: str | None
) -> None:
    con.register("assigned", assigned)
    con.register("registry", registry)
    con.execute(
        "INSERT INTO doc_topics SELECT doc_id, ?, topic_id, probability FROM assigned", [model_id]
    )
    con.execute(
        "INSERT INTO topics (topic_id, model, label, keywords, size, added_run) "
        "SELECT topic_id, ?, label, keywords, 0, ? FROM registry",
        [model_id, run_id],
    )
    con.execute(
        "UPDATE topics SET size = c.size, first_seen_week = c.first_week FROM ("
        " SELECT t.topic_id, count(*) AS size, strftime(min(d.published_at), '%G-W%V') AS first_week"
        " FROM doc_topics t JOIN documents d USING (doc_id) WHERE t.model = ? GROUP BY t.topic_id) c "
        "WHERE topics.model = ? AND topics.topic_id = c.topic_id",
        [model_id, model_id],
    )
    con.unregister("assigned")
    con.unregister("registry")


def _outlier_topic() -> TopicInfo:
    return TopicInfo(-1, "-1_outliers", ())


def _topic_count(con: duckdb.DuckDBPyConnection, model_id: str) -> int:
    rows = con.execute(
        "SELECT count(*) FROM topics WHERE model = ? AND topic_id <> -1", [model_id]
    ).fetchall()
    return int(rows[0][0])
