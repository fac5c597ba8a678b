"""Small documents the analysis tests write into a study database."""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipeline.documents import DocumentRow, content_hash, store_documents


def make_doc(
    doc_id: str,
    text: str | None,
    *,
    title: str | None = "Title",
    kind: str = "article",
    outlet: str = "ledger",
    published: datetime | None = datetime(2026, 10, 5),
    author: str | None = None,
    parent_id: str | None = None,
    language: str | None = None,
) -> DocumentRow:
    """A document row with the given id and text (no URL)."""
    return DocumentRow(
        doc_id=doc_id,
        kind=kind,
        outlet=outlet,
        url=None,
        canonical_url=None,
        title=title,
        text=text,
        author=author,
        published_at=published,
        fetched_at=datetime(2026, 11, 29),
        language=language,
        content_hash=content_hash(title, text),
        thread_id="t3_thread" if kind != "article" else None,
        parent_id=parent_id,
        depth=None,
        score=None,
        dup_cluster=None,
        source="import",
        source_id=None,
        run_id=None,
        extra=None,
    )


def store(con: duckdb.DuckDBPyConnection, *rows: DocumentRow) -> None:
    """Store documents as the importer would."""
    store_documents(con, list(rows))
