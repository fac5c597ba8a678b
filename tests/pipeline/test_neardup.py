"""Near-duplicate clustering: reprints are marked, different stories are not."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipeline.documents import DocumentRow, content_hash, store_documents
from pipeline.neardup import cluster_texts, mark_near_duplicates
from pipeline.store import utcnow

WIRE = (
    "An artificial intelligence laboratory accused a rival on Monday of copying its largest model "
    "through distillation, training a smaller system on millions of answers collected through "
    "thousands of fraudulent accounts. The company said it had cut off the accounts and shared "
    "evidence with officials. Independent researchers said the practice is widespread and hard to "
    "police, and several pointed out that the accusing laboratory trained on data it did not own."
)
REPRINT = (
    "By Staff Reporter. "
    + WIRE.replace("on Monday", "on Monday morning").replace("several pointed out", "some noted")
    + " This story was first published by a news agency."
)
OTHER = (
    "The city council voted on Tuesday to extend the tram line to the northern suburbs, a project "
    "that has been debated for more than a decade. Construction is expected to start next spring "
    "and will close two main roads for several months, the transport department said."
)


def row(doc_id: str, text: str, day: int) -> DocumentRow:
    return DocumentRow(doc_id=doc_id, kind="article", outlet=doc_id[:1], url=None, canonical_url=None,
                       title=None, text=text, author=None, published_at=datetime(2026, 3, day),
                       fetched_at=utcnow(), language="en", content_hash=content_hash(None, text),
                       thread_id=None, parent_id=None, depth=None, score=None, dup_cluster=None,
                       source="crawl", source_id=None, run_id=None, extra=None)  # fmt: skip


def test_cluster_texts_groups_reprints_under_the_first() -> None:
    heads = cluster_texts([("a", WIRE), ("b", OTHER), ("c", REPRINT)], threshold=0.6)
    assert heads == {"a": "a", "b": "b", "c": "a"}


def test_mark_near_duplicates_is_stored_and_stable(con: duckdb.DuckDBPyConnection) -> None:
    store_documents(con, [row("x2", REPRINT, 3), row("y1", OTHER, 1), row("x1", WIRE, 2)])
    assert mark_near_duplicates(con, threshold=0.6) == 1
    clusters = dict(con.execute("SELECT doc_id, near_dup_cluster FROM documents").fetchall())
    assert clusters == {"x1": "x1", "x2": "x1", "y1": "y1"}
    assert mark_near_duplicates(con, threshold=0.6) == 1
    # Exact-copy clusters are untouched by near-duplicate marking.
    assert con.execute("SELECT count(*) FROM documents WHERE dup_cluster <> doc_id").fetchall() == [
        (0,)
    ]
