"""Documents and sentences written straight into the tables, for tests of stages that read them.

Migration 0004 creates ``sentences`` and ``embeddings``; ``create_contract_tables`` only creates
them (with the agreed columns) where a test database lacks them.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from pipeline.documents import text_hash

CONTRACT_DDL = """
CREATE TABLE IF NOT EXISTS sentences (
    doc_id VARCHAR, sentence_idx INTEGER, text VARCHAR, start_char INTEGER, end_char INTEGER,
    text_hash VARCHAR, speaker VARCHAR, speaker_kind VARCHAR,
    PRIMARY KEY (doc_id, sentence_idx));
CREATE TABLE IF NOT EXISTS embeddings (
    text_hash VARCHAR, model VARCHAR, vector FLOAT[], PRIMARY KEY (text_hash, model));
"""


def create_contract_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``sentences`` and ``embeddings`` as the NLP stage defines them."""
    con.execute(CONTRACT_DDL)


def add_document(
    con: duckdb.DuckDBPyConnection,
    doc_id: str,
    sentences: Sequence[str | tuple[str, str | None, str | None]],
    *,
    kind: str = "article",
    outlet: str = "ledger",
    author: str | None = None,
    title: str | None = None,
    thread_id: str | None = None,
) -> None:
    """Store a document and its sentences; a sentence may be ``(text, speaker, speaker_kind)``."""
    body = " ".join(s if isinstance(s, str) else s[0] for s in sentences)
    con.execute(
        "INSERT INTO documents (doc_id, kind, outlet, title, text, author, content_hash, source,"
        " thread_id) VALUES (?, ?, ?, ?, ?, ?, ?, 'test', ?)",
        [doc_id, kind, outlet, title, body, author, text_hash(body), thread_id],
    )
    offset = 0
    for index, sentence in enumerate(sentences):
        text, speaker, speaker_kind = (
            (sentence, None, None) if isinstance(sentence, str) else sentence
        )
        con.execute(
            "INSERT INTO sentences (doc_id, sentence_idx, text, start_char, end_char, text_hash,"
            " speaker, speaker_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                doc_id,
                index,
                text,
                offset,
                offset + len(text),
                text_hash(text),
                speaker,
                speaker_kind,
            ],
        )
        offset += len(text) + 1
