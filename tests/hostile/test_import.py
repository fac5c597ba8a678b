"""Hostile inputs to ``framewatch import``: wrong maps, files that are not corpora, bombs, cut files.

Every refusal happens before the database is opened: one line on stderr, nothing written (no
``runs`` row, no problems file). Where decompression or long lines are involved the child process
stays under :data:`PEAK_MIB`. Inputs that deserve a partial import (a truncated ``.gz``, a Latin-1
row in a UTF-8 file) keep exactly the rows they can, say so, and add nothing on a re-run.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.hostile.conftest import assert_refused, run_framewatch, snapshot

# The CLI with DuckDB and pyarrow loaded peaks at about 160-250 MiB on an import here. A line is
# held to 8 Mi characters (32 MiB as a str at most), while the bombs below unpack to 512 MiB and
# 1 GiB: holding either whole, as the old reader did, passes this bound.
PEAK_MIB = 400

Setup = Callable[[Path], str]


def _text(name: str, text: str, encoding: str = "utf-8") -> Setup:
    def make(study: Path) -> str:
        (study / name).write_bytes(text.encode(encoding))
        return name

    return make


def _bytes(name: str, data: bytes) -> Setup:
    def make(study: Path) -> str:
        (study / name).write_bytes(data)
        return name

    return make


def _gzip_stream(name: str, parts: Callable[[], list[tuple[bytes, int]]]) -> Setup:
    """A gzip file of ``(block, times)`` parts, compressed as it is written (never whole in memory)."""

    def make(study: Path) -> str:
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        with (study / name).open("wb") as handle:
            for block, times in parts():
                for _ in range(times):
                    handle.write(packer.compress(block))
            handle.write(packer.flush())
        return name

    return make


def _folder(study: Path) -> str:
    (study / "corpus_folder").mkdir()
    return "corpus_folder"


def _parquet(name: str, table: Callable[[], pa.Table]) -> Setup:
    def make(study: Path) -> str:
        pq.write_table(table(), study / name)
        return name

    return make


MiB = 2**20
GOOD_CSV = "url,title,body,outlet\nhttps://b.example/1,One,Body one.,ledger\n"
GOOD_JSONL = json.dumps({"url": "https://b.example/1", "title": "One", "body": "B"}) + "\n"

# fmt: off
CASES: list[tuple[str, Setup, list[str], str, bool]] = [
    # (case, setup returning the file name, extra options, what the refusal mentions, bounded memory)
    ("unknown-map-column-csv", _text("c.csv", GOOD_CSV), ["--map", "text=bdy"], 'no column "bdy"', False),
    ("unknown-map-column-jsonl", _text("c.jsonl", GOOD_JSONL), ["--map", "text=bdy"], "the columns are: url, title, body", False),
    ("not-gzip-gz", _text("c.jsonl.gz", GOOD_JSONL), [], "named as gzip but is not compressed", False),
    ("bz2-that-is-gzip", _bytes("c.jsonl.bz2", gzip.compress(GOOD_JSONL.encode())), [], "named as bzip2 but is gzip", False),
    ("gzip-bomb-of-nuls-csv", _gzip_stream("bomb.csv.gz", lambda: [(b"\0" * MiB, 1024)]), [], "binary", True),
    ("gzip-bomb-of-nuls-jsonl", _gzip_stream("bomb.jsonl.gz", lambda: [(b"\0" * MiB, 1024)]), [], "line 1 is longer than", True),
    ("gzip-bomb-one-line", _gzip_stream("line.jsonl.gz", lambda: [(b'{"text": "', 1), (b"a" * MiB, 512)]), [], "line 1 is longer than", True),
    ("huge-first-line-plain", _bytes("huge.jsonl", b'{"text": "' + b"a" * (40 * MiB)), [], "line 1 is longer than", True),
    ("huge-csv-header", _bytes("huge.csv", b"a" * (40 * MiB) + b"\nx\n"), [], "line 1 is longer than", True),
    ("truncated-inside-header", _bytes("cut.csv.gz", gzip.compress(GOOD_CSV.encode())[:12]), [], "truncated", True),
    ("corrupt-gzip", _bytes("bad.csv.gz", gzip.compress(GOOD_CSV.encode())[:10] + os.urandom(400)), [], "corrupt", True),
    ("directory", _folder, [], "is a folder", False),
    ("dev-null", lambda study: "/dev/null", ["--format", "csv"], "is not a regular file", False),
    ("binary-as-csv", _bytes("photo.csv", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + os.urandom(4000)), [], "binary", False),
    ("empty-csv", _text("empty.csv", ""), [], "is empty", False),
    ("blank-jsonl", _text("blank.jsonl", "\n  \n\n"), [], "is empty", False),
    ("header-only-csv", _text("header.csv", "url,title,text\n"), [], "has a header but no rows", False),
    ("duplicate-csv-columns", _text("dup.csv", "url,title,title,text\nhttps://b.example/1,a,b,c\n"), [], 'column "title" twice', False),
    ("duplicate-parquet-columns", _parquet("dup.parquet", lambda: pa.Table.from_arrays([pa.array(["a"]), pa.array(["b"])], names=["title", "title"])), [], 'column "title" twice', False),
    ("bytes-mapped-to-text", _parquet("b.parquet", lambda: pa.table({"title": ["a"], "blob": pa.array([b"\xff"], pa.binary())})), ["--map", "text=blob"], 'column "blob" (for text) holds bytes', False),
    ("not-parquet", _text("x.parquet", GOOD_CSV), [], "not a readable Parquet file", False),
    ("utf16-read-as-utf8", _text("u16.csv", GOOD_CSV, "utf-16-le"), ["--encoding", "utf-8"], "binary", False),
    ("unknown-encoding", _text("c.csv", GOOD_CSV), ["--encoding", "klingon"], 'unknown encoding "klingon"', False),
    ("long-delimiter", _text("c.csv", GOOD_CSV), ["--delimiter", ";;"], "one character", False),
    ("encoding-for-parquet", _parquet("p.parquet", lambda: pa.table({"title": ["a"]})), ["--encoding", "cp1252"], "not parquet", False),
    ("jsonl-of-arrays", _text("arrays.jsonl", "[1, 2]\n[3]\n"), [], "no JSON object", False),
    ("latin1-header", _text("l1.csv", "url,caf\xe9\nhttps://b.example/1,x\n", "latin-1"), [], "--encoding", False),
]
# fmt: on


@pytest.mark.parametrize(
    ("setup", "options", "mentions", "bounded"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_import_refuses(
    hostile_study: Path, setup: Setup, options: list[str], mentions: str, bounded: bool
) -> None:
    name = setup(hostile_study)
    before = snapshot(hostile_study)
    outcome = run_framewatch(["import", name, *options], hostile_study)
    assert_refused(outcome, mentions=mentions)
    assert snapshot(hostile_study) == before
    if bounded:
        assert outcome.peak_mib < PEAK_MIB, outcome.peak_mib


def _rows(study: Path, query: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(study / "data" / "framewatch.duckdb"), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def _records(first: int, count: int) -> str:
    return "".join(
        json.dumps(
            {
                "url": f"https://t.example/{n}",
                "title": f"T{n}",
                "text": f"Body {n}. " * 30,
                "outlet": "ledger",
            }
        )
        + "\n"
        for n in range(first, first + count)
    )


def test_truncated_gzip_keeps_every_whole_line_and_closes_the_run_as_partial(
    hostile_study: Path,
) -> None:
    data = _records(0, 4000).encode()
    packed = gzip.compress(data)
    cut = packed[: len(packed) // 2]
    whole = zlib.decompressobj(wbits=31).decompress(cut).count(b"\n")
    assert 0 < whole < 4000
    (hostile_study / "cut.jsonl.gz").write_bytes(cut)
    outcome = run_framewatch(["import", "cut.jsonl.gz"], hostile_study)
    assert outcome.returncode == 0, outcome.message
    assert len(outcome.stderr_lines) == 1 and "truncated" in outcome.message, outcome.message
    assert "every whole line before it was imported" in outcome.message
    assert outcome.peak_mib < PEAK_MIB
    kept = _rows(hostile_study, "SELECT url FROM documents WHERE url LIKE 'https://t.example/%'")
    assert sorted(kept) == sorted((f"https://t.example/{n}",) for n in range(whole))
    runs = _rows(hostile_study, "SELECT status, message FROM runs ORDER BY started_at")
    assert runs[-1][0] == "partial" and "truncated" in str(runs[-1][1])
    again = run_framewatch(["import", "cut.jsonl.gz"], hostile_study)
    assert again.returncode == 0
    assert _rows(hostile_study, "SELECT count(*) FROM documents") == [(2 + whole,)]


def test_latin1_row_is_skipped_reported_and_recovered_with_encoding(hostile_study: Path) -> None:
    (hostile_study / "mixed.csv").write_bytes(
        b"url,title,text,outlet\n"
        b"https://m.example/1,One,Plain one.,ledger\n"
        b"https://m.example/2,Caf\xe9,Caf\xe9 cr\xe8me.,ledger\n"
        b"https://m.example/3,Three,Plain three.,ledger\n"
    )
    outcome = run_framewatch(["import", "mixed.csv"], hostile_study)
    assert outcome.returncode == 0, outcome.message
    assert outcome.stderr_lines == [
        "Warning: 1 row(s) are not valid UTF-8 text and were skipped (lines 3); if the file uses"
        " another encoding, import it again with --encoding, e.g. --encoding cp1252"
    ]
    query = "SELECT url, title FROM documents WHERE url LIKE 'https://m.example/%' ORDER BY url"
    assert _rows(hostile_study, query) == [
        ("https://m.example/1", "One"),
        ("https://m.example/3", "Three"),
    ]
    again = run_framewatch(["import", "mixed.csv"], hostile_study)
    assert again.returncode == 0
    assert len(_rows(hostile_study, query)) == 2
    fixed = run_framewatch(["import", "mixed.csv", "--encoding", "cp1252"], hostile_study)
    assert fixed.returncode == 0 and fixed.stderr_lines == [], fixed.message
    assert _rows(hostile_study, query)[1] == ("https://m.example/2", "Café")
    assert _rows(hostile_study, "SELECT count(*) FROM documents") == [(5,)]


def test_one_enormous_line_in_a_gzip_is_skipped_within_bounded_memory(hostile_study: Path) -> None:
    setup = _gzip_stream(
        "mixed.jsonl.gz",
        lambda: [
            (_records(0, 3).encode(), 1),
            (b'{"text": "', 1),
            (b"a" * MiB, 512),
            (b'"}\n' + _records(3, 2).encode(), 1),
        ],
    )
    name = setup(hostile_study)
    outcome = run_framewatch(["import", name], hostile_study)
    assert outcome.returncode == 0, outcome.message
    assert "line 4: skipped: longer than 8,388,608 characters" in outcome.stdout
    assert outcome.peak_mib < PEAK_MIB
    assert _rows(hostile_study, "SELECT count(*) FROM documents") == [(7,)]
