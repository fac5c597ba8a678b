"""Importing JSONL, CSV and Parquet corpora: mappings, presets, bad rows, re-imports."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.errors import InputFileError, UsageError
from pipeline.importer import (
    detect_format,
    import_file,
    parse_mapping,
    record_to_document,
    resolve_mapping,
)
from pipeline.store import scalar
from tests.conftest import FIXTURES, shared_data

DEFAULT = resolve_mapping(None, {})


def write_jsonl(path: Path, records: Sequence[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def article(n: int, **extra: object) -> dict[str, object]:
    return {
        "url": f"https://ledger.example/story/{n}",
        "outlet": "ledger",
        "title": f"Story {n}",
        "text": f"Body of story number {n}.",
        "published_at": f"2026-10-0{1 + n % 9}",
        **extra,
    }


def test_parse_mapping() -> None:
    assert parse_mapping("text=content_original, outlet=source") == {
        "text": "content_original",
        "outlet": "source",
    }
    assert parse_mapping(None) == {}
    with pytest.raises(UsageError, match='unknown field "body"'):
        parse_mapping("body=text")
    with pytest.raises(UsageError, match="FIELD=COLUMN"):
        parse_mapping("text")


def test_resolve_mapping_layers_preset_and_overrides() -> None:
    mapping = resolve_mapping("allsides", {"outlet": "source_url"})
    assert mapping["text"] == ("content_original", "content")
    assert mapping["outlet"] == ("source_url",)
    with pytest.raises(UsageError, match="allsides, mediacloud"):
        resolve_mapping("gdelt", {})


def test_detect_format() -> None:
    assert detect_format(Path("a.jsonl"), None) == "jsonl"
    assert detect_format(Path("a.ndjson.gz"), None) == "jsonl"
    assert detect_format(Path("a.CSV"), None) == "csv"
    assert detect_format(Path("a.parquet"), None) == "parquet"
    assert detect_format(Path("a.txt"), "csv") == "csv"
    with pytest.raises(UsageError, match="--format"):
        detect_format(Path("a.txt"), None)
    with pytest.raises(UsageError, match="unknown format"):
        detect_format(Path("a.jsonl"), "xml")


def test_record_to_document_maps_fields_and_keeps_the_rest() -> None:
    row, warnings = record_to_document(
        {
            "link": "https://Ledger.example/a?utm_medium=x",
            "headline": " A  title ",
            "content": "Text.",
            "authors": ["Ann", "Bo"],
            "date": "2026-10-01",
            "topic": "ai",
            "empty": "",
        },
        DEFAULT,
        outlet=None,
        run_id="r1",
    )
    assert warnings == []
    assert row.canonical_url == "https://ledger.example/a"
    assert row.outlet == "ledger.example", "the URL's domain stands in for a missing outlet"
    assert row.title == "A title"
    assert row.author == "Ann; Bo"
    assert row.published_at == datetime(2026, 10, 1)
    assert json.loads(row.extra or "{}") == {"topic": "ai"}
    assert row.run_id == "r1"


def test_record_with_bad_date_is_kept_without_date() -> None:
    row, warnings = record_to_document(
        article(1, published_at="0001-11-30"), DEFAULT, outlet=None, run_id=None
    )
    assert row.published_at is None
    assert len(warnings) == 1 and "stored without a date" in warnings[0]


def test_jsonl_with_bad_lines_reports_line_numbers(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lines = [json.dumps(article(n)) for n in range(1, 8)]
    lines[1] = lines[1][:40]  # truncated JSON on line 2
    lines[3] = "[1, 2, 3]"  # not an object, line 4
    lines[4] = json.dumps(
        {"url": "https://ledger.example/x", "outlet": "ledger"}
    )  # no title or text, line 5
    lines.insert(5, "")  # a blank line is not an error; shifts the rest
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_file(con, path, DEFAULT, fmt="jsonl")
    assert [(p.line, p.skipped) for p in report.problems] == [(2, True), (4, True), (5, True)]
    assert "invalid JSON" in report.problems[0].reason
    assert "not an object" in report.problems[1].reason
    assert "no title and no text" in report.problems[2].reason
    assert (report.read, report.stored, report.skipped) == (7, 4, 3)
    assert scalar(con, "SELECT count(*) FROM documents") == 4


def test_reimport_adds_nothing_and_batches_commit(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [article(n) for n in range(25)] + [article(3)])
    first = import_file(con, path, DEFAULT, fmt="jsonl", batch_size=7)
    assert (first.stored, first.already_stored) == (25, 1)
    second = import_file(con, path, DEFAULT, fmt="jsonl", batch_size=7)
    assert (second.stored, second.already_stored) == (0, 26)
    assert scalar(con, "SELECT count(*) FROM documents") == 25


def test_gzipped_jsonl(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "c.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(article(n)) + "\n" for n in range(3))
    assert import_file(con, path, DEFAULT, fmt=detect_format(path, None)).stored == 3


def test_mediacloud_csv_preset(con: duckdb.DuckDBPyConnection) -> None:
    path = FIXTURES / "mediacloud_stories.csv"
    report = import_file(con, path, resolve_mapping("mediacloud", {}), fmt="csv")
    assert (report.stored, report.skipped) == (3, 1)
    assert report.problems[0].line == 5 and "no title and no text" in report.problems[0].reason
    rows = con.execute(
        "SELECT source_id, outlet, canonical_url, published_at, language, extra->>'themes' FROM documents ORDER BY source_id"
    ).fetchall()
    assert rows[0] == (
        "1001",
        "Ledger",
        "https://ledger.example/tech/lab-accuses-rivals",
        datetime(2026, 10, 1, 9, 30),
        "en",
        None,
    )
    assert rows[1][5] == "technology"
    assert rows[2][3] is None, "an empty date is unknown, not an error"


def test_csv_with_wrong_field_count(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        'url,outlet,title,text\nhttps://a.example/1,a,One,"Multi\nline body"\nhttps://a.example/2,a,Two\nhttps://a.example/3,a,Three,Body\n',
        encoding="utf-8",
    )
    report = import_file(con, path, DEFAULT, fmt="csv")
    assert [(p.line, p.reason) for p in report.problems] == [(4, "3 fields where the header has 4")]
    assert report.stored == 2


def test_parquet_with_map(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    table = pa.table(
        {
            "link": ["https://a.example/1", "https://a.example/2"],
            "site": ["alpha", "alpha"],
            "body": ["First body.", None],
            "headline": ["First", None],
            "when": [datetime(2026, 10, 1), datetime(2026, 10, 2)],
        }
    )
    path = tmp_path / "c.parquet"
    pq.write_table(table, path)
    mapping = resolve_mapping(
        None, parse_mapping("url=link,outlet=site,text=body,title=headline,published_at=when")
    )
    report = import_file(con, path, mapping, fmt="parquet")
    assert (report.stored, [p.line for p in report.problems]) == (1, [2])
    assert con.execute("SELECT outlet, published_at FROM documents").fetchall() == [
        ("alpha", datetime(2026, 10, 1))
    ]


def test_missing_and_unreadable_files(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        import_file(con, tmp_path / "nope.jsonl", DEFAULT, fmt="jsonl")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"definitely not parquet")
    with pytest.raises(InputFileError, match="not a readable Parquet file"):
        import_file(con, bad, DEFAULT, fmt="parquet")


ALLSIDES = ("allsides_article_bias", "subset_12topics_3000.jsonl")


def test_allsides_import_is_complete_and_idempotent(con: duckdb.DuckDBPyConnection) -> None:
    path = shared_data(*ALLSIDES)
    mapping = resolve_mapping("allsides", {})
    first = import_file(con, path, mapping, fmt="jsonl")
    assert (first.read, first.stored, first.skipped) == (2949, 2949, 0)
    complete = con.execute(
        "SELECT count(*) FROM documents WHERE outlet IS NOT NULL AND title IS NOT NULL"
        " AND length(text) > 200 AND published_at IS NOT NULL AND source_id IS NOT NULL"
    ).fetchall()
    assert complete == [(2949,)]
    assert scalar(con, "SELECT count(DISTINCT outlet) FROM documents") == 135
    assert scalar(con, "SELECT count(*) FROM documents WHERE extra->>'topic' = 'coronavirus'") > 0
    again = import_file(con, path, mapping, fmt="jsonl")
    assert (again.stored, again.already_stored) == (0, 2949)
    assert scalar(con, "SELECT count(*) FROM documents") == 2949


def test_allsides_copy_with_ten_corrupted_lines(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lines = shared_data(*ALLSIDES).read_bytes().splitlines(keepends=True)
    rng = random.Random(7)
    broken = sorted(rng.sample(range(len(lines)), 10))
    for i, index in enumerate(broken):
        line = lines[index]
        lines[index] = [line[: len(line) // 2] + b"\n", b"\xff\xfe garbage\n", b'{"ID": 1,,}\n'][
            i % 3
        ]
    path = tmp_path / "corrupted.jsonl"
    path.write_bytes(b"".join(lines))
    report = import_file(con, path, resolve_mapping("allsides", {}), fmt="jsonl")
    assert [p.line for p in report.problems] == [index + 1 for index in broken]
    assert (report.stored, report.skipped) == (2939, 10)
    assert scalar(con, "SELECT count(*) FROM documents") == 2939
