"""The topic stage on stored vectors: registry, stable ids, new themes, weekly views."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import numpy as np
import pytest

from pipeline.config import Settings
from pipeline.documents import text_hash
from pipeline.embed import write_vectors
from pipeline.store import scalar
from pipeline.topics import assign_topics
from tests.analysis_docs import make_doc, store

MODEL = "fake@test"
THEMES = {
    "climate": "climate emissions warming carbon",
    "vaccine": "vaccine virus covid hospital",
    "tariff": "tariff trade china steel",
    "distill": "distillation model theft anthropic",
}


def theme_vectors(theme: str, n: int, seed: int) -> np.ndarray:
    """Unit vectors scattered around one direction per theme."""
    centre = np.zeros(32, dtype=np.float32)
    centre[list(THEMES).index(theme) * 8 : list(THEMES).index(theme) * 8 + 8] = 1.0
    noise = np.random.default_rng(seed).normal(scale=0.15, size=(n, 32)).astype(np.float32)
    vectors = centre / np.linalg.norm(centre) + noise
    return np.asarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), dtype=np.float32)


def add_documents(
    con: duckdb.DuckDBPyConnection,
    theme: str,
    n: int,
    start: datetime,
    seed: int,
    outlet: str = "ledger",
) -> list[str]:
    """Documents of one theme with their embedding text and vector stored, one a day."""
    words = THEMES[theme].split()
    rows, ids = [], []
    for i in range(n):
        doc_id = f"{theme}-{seed}-{i}"
        text = " ".join(words[(i + k) % 4] for k in range(6)) + f" item{i}"
        rows.append(
            make_doc(doc_id, text, title=theme, outlet=outlet, published=start + timedelta(days=i))
        )
        ids.append(doc_id)
    store(con, *rows)
    con.execute(
        "INSERT INTO doc_embedding_texts SELECT doc_id, content_hash, doc_id FROM documents "
        "WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))",
        [ids],
    )
    write_vectors(con, MODEL, ids, theme_vectors(theme, n, seed))
    return ids


def topics_of(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[int]:
    rows = dict(con.execute("SELECT doc_id, topic_id FROM doc_topics").fetchall())
    return [rows[i] for i in ids]


@pytest.mark.slow
def test_topics_are_stable_and_new_themes_join_the_registry(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    first = [
        add_documents(con, t, 30, datetime(2026, 1, 5), 1) for t in ("climate", "vaccine", "tariff")
    ]
    counts = assign_topics(con, settings, MODEL, "run-1")
    assert counts["documents"] == 90 and counts["topics"] == 3 and counts["outliers"] == 0
    before = [topics_of(con, ids) for ids in first]
    assert all(len(set(t)) == 1 for t in before) and len({t[0] for t in before}) == 3
    assert assign_topics(con, settings, MODEL)["documents"] == 0

    # more of the same themes keep their ids; a new theme becomes topic 3, first seen in March
    more = add_documents(con, "vaccine", 10, datetime(2026, 3, 2), 2)
    new = add_documents(con, "distill", 30, datetime(2026, 3, 2), 3, outlet="verge")
    counts = assign_topics(con, settings, MODEL, "run-2")
    assert counts == {"documents": 40, "outliers": 0, "topics_added": 1, "topics": 4}
    assert [topics_of(con, ids) for ids in first] == before
    assert set(topics_of(con, more)) == {before[1][0]}
    assert set(topics_of(con, new)) == {3}
    row = con.execute(
        "SELECT first_seen_week, size, added_run, keywords[1] FROM topics WHERE topic_id = 3"
    ).fetchall()[0]
    assert row[:3] == ("2026-W10", 30, "run-2") and row[3] in THEMES["distill"].split()


@pytest.mark.slow
def test_same_input_same_topics_and_weekly_shares(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    for theme in ("climate", "vaccine", "tariff"):
        add_documents(con, theme, 20, datetime(2026, 1, 5), 7)
    assign_topics(con, settings, MODEL)
    first = con.execute("SELECT doc_id, topic_id FROM doc_topics ORDER BY 1").fetchall()
    labels = con.execute("SELECT topic_id, label FROM topics ORDER BY 1").fetchall()
    con.execute("DELETE FROM doc_topics; DELETE FROM topics")
    for path in (settings.data_path / "models" / "topics").glob("*/*"):
        path.unlink()
    assign_topics(con, settings, MODEL)
    assert con.execute("SELECT doc_id, topic_id FROM doc_topics ORDER BY 1").fetchall() == first
    assert con.execute("SELECT topic_id, label FROM topics ORDER BY 1").fetchall() == labels
    shares = con.execute(
        "SELECT week, sum(share), sum(documents) FROM topic_weekly WHERE outlet = '*' GROUP BY week"
    ).fetchall()
    assert all(abs(s - 1) < 1e-9 for _, s, _ in shares) and sum(n for *_, n in shares) == 60
    assert scalar(con, "SELECT sum(documents) FROM topic_outlets WHERE outlet = 'ledger'") == 60
    assert text_hash("x")  # the helper the keys come from


def test_too_few_documents_wait_for_a_later_run(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    add_documents(con, "climate", 5, datetime(2026, 1, 5), 1)
    counts = assign_topics(con, settings, MODEL)
    assert counts["waiting"] == 5 and counts["documents"] == 0
    assert scalar(con, "SELECT count(*) FROM doc_topics") == 0
