"""Migration 0005: the framing tables exist with the agreed keys and every column is documented."""

from __future__ import annotations

import duckdb
import pytest

FRAMING_TABLES = ["frames", "frame_mentions", "frame_rebuttals", "doc_frames", "framed_documents"]


@pytest.mark.parametrize("table", FRAMING_TABLES)
def test_every_framing_table_and_column_has_a_comment(
    con: duckdb.DuckDBPyConnection, table: str
) -> None:
    comment = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE table_name = ?", [table]
    ).fetchall()
    assert comment and comment[0][0]
    missing = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND comment IS NULL", [table]
    ).fetchall()
    assert missing == []


def test_frame_mentions_has_the_agreed_columns_and_key(con: duckdb.DuckDBPyConnection) -> None:
    columns = [
        row[0]
        for row in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'frame_mentions' ORDER BY column_index"
        ).fetchall()
    ]
    assert columns == [
        "doc_id",
        "sentence_idx",
        "frame_id",
        "score",
        "evidence",
        "speaker",
        "speaker_kind",
        "target",
        "codebook",
        "codebook_version",
        "model",
    ]
    row = ["d", 0, "theft", 0.9, "cue", "ledger", "outlet", None, "ai_distillation", "1", "m"]
    con.execute("INSERT INTO frame_mentions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO frame_mentions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
    with pytest.raises(duckdb.ConstraintException):
        con.execute(
            "INSERT INTO frame_mentions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ["d", 1, "theft", 0.9, "cue", "x", "narrator", None, "ai_distillation", "1", "m"],
        )
