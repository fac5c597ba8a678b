"""Hostile Reddit dumps given to ``framewatch import --reddit-dump``: bombs, cuts and false names.

A dump that cannot be read at all is refused before the database is opened (status 1, one line,
nothing changed). A dump that is readable in part keeps every whole line, counts the bad ones and
goes on, in bounded memory: no line longer than 8 Mi characters is ever held.
"""

from __future__ import annotations

import bz2
import gzip
import json
import zlib
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
import zstandard

from tests.hostile.conftest import assert_refused, run_framewatch, snapshot

pytestmark = pytest.mark.slow

# `framewatch import` in a child process takes ~250 MiB before it reads a line; a dump line is held
# up to 8 Mi characters (a few times that while decoded and parsed). The old reader held a whole
# 512 MiB line as bytes and text.
PEAK_MIB = 600
HUGE_MIB = 512


def record(id_: str) -> bytes:
    return json.dumps({"id": id_, "subreddit": "ledger", "title": "distillation", "selftext": "x",
                       "created_utc": 1772000000, "permalink": f"/r/ledger/comments/{id_}/"}).encode()  # fmt: skip


def huge_line_parts(mib: int = HUGE_MIB) -> list[bytes]:
    """A good record, a line of one ``mib`` MiB JSON string, another good record (1 MiB pieces)."""
    return [record("p1") + b"\n", b'{"id": "big", "selftext": "', *([b"a" * 2**20] * mib),
            b'"}\n', record("p2") + b"\n"]  # fmt: skip


def gz(parts: list[bytes]) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    return b"".join(packer.compress(p) for p in parts) + packer.flush()


def zst(parts: list[bytes]) -> bytes:
    packer = zstandard.ZstdCompressor().compressobj()
    return b"".join(packer.compress(p) for p in parts) + packer.flush()


def bz(parts: list[bytes]) -> bytes:
    packer = bz2.BZ2Compressor(1)  # slow: a quarter of the line is enough to show the bound
    parts = parts if len(parts) < 100 else parts[: HUGE_MIB // 4] + parts[-2:]
    return b"".join(packer.compress(p) for p in parts) + packer.flush()


def stored_posts(folder: Path) -> list[str]:
    con = duckdb.connect(str(folder / "data" / "framewatch.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT doc_id FROM documents WHERE kind = 'reddit_post' ORDER BY 1")
        return [r[0] for r in rows.fetchall()]
    finally:
        con.close()


@pytest.mark.parametrize(("name", "pack"), [("huge.gz", gz), ("huge.zst", zst), ("huge.bz2", bz)])
def test_a_huge_line_is_skipped_in_bounded_memory(
    hostile_study: Path, name: str, pack: Callable[[list[bytes]], bytes]
) -> None:
    (hostile_study / name).write_bytes(pack(huge_line_parts()))
    outcome = run_framewatch(["import", "--reddit-dump", name], hostile_study)
    assert outcome.returncode == 0, outcome.message
    assert "2 stored" in outcome.stdout and "1 corrupt lines skipped" in outcome.stdout
    assert stored_posts(hostile_study) == ["t3_p1", "t3_p2"]
    problems = "".join(p.read_text() for p in (hostile_study / "data").rglob("import-*.csv"))
    assert "no Reddit record is as long" in problems
    assert outcome.peak_mib < PEAK_MIB, f"peak {outcome.peak_mib:.0f} MiB"


def test_a_huge_plain_line_is_skipped_in_bounded_memory(hostile_study: Path) -> None:
    with (hostile_study / "huge.jsonl").open("wb") as out:
        for part in huge_line_parts()[:2] + [b"a" * 2**20] * 64 + huge_line_parts()[-2:]:
            out.write(part)
    outcome = run_framewatch(["import", "--reddit-dump", "huge.jsonl"], hostile_study)
    assert outcome.returncode == 0, outcome.message
    assert stored_posts(hostile_study) == ["t3_p1", "t3_p2"]
    assert outcome.peak_mib < PEAK_MIB, f"peak {outcome.peak_mib:.0f} MiB"


@pytest.mark.parametrize(("name", "pack"), [("cut.gz", gz), ("cut.zst", zst), ("cut.bz2", bz)])
def test_a_truncated_dump_keeps_its_whole_lines(
    hostile_study: Path, name: str, pack: Callable[[list[bytes]], bytes]
) -> None:
    lines = [record(f"p{n}") + b"\n" for n in range(3000)]
    data = pack(lines)
    (hostile_study / name).write_bytes(data[: len(data) * 2 // 3])
    outcome = run_framewatch(["import", "--reddit-dump", name], hostile_study)
    if name.endswith(".bz2"):
        # bzip2 decodes whole blocks only; these lines fit in one, so nothing before the cut can
        # be read: a clean refusal that names the truncation, and nothing stored.
        assert_refused(outcome, mentions="truncated")
        assert stored_posts(hostile_study) == []
        return
    assert outcome.returncode == 0, outcome.message
    kept = stored_posts(hostile_study)
    assert 0 < len(kept) < 3000
    problems = "".join(p.read_text() for p in (hostile_study / "data").rglob("import-*.csv"))
    assert "every line from here on is lost" in problems and "invalid JSON" not in problems


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("notgzip.gz", b'{"id": "p1"}\n', "named as gzip"),
        ("notzstd.zst", gzip.compress(record("p1")), "named as zstd"),
        ("empty.zst", b"", "named as zstd"),
        ("broken.gz", b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4, "not a readable dump"),
        ("broken.zst", b"\x28\xb5\x2f\xfd" + b"\xff" * 64, "not a readable dump"),
    ],
)
def test_an_unreadable_dump_is_refused_before_anything_changes(
    hostile_study: Path, name: str, content: bytes, says: str
) -> None:
    (hostile_study / name).write_bytes(content)
    before = snapshot(hostile_study)
    outcome = run_framewatch(["import", "--reddit-dump", name], hostile_study)
    assert_refused(outcome, mentions=says)
    assert snapshot(hostile_study) == before


def test_a_folder_given_as_a_dump_is_named_as_one(hostile_study: Path) -> None:
    (hostile_study / "dumps").mkdir()
    before = snapshot(hostile_study)
    outcome = run_framewatch(["import", "--reddit-dump", "dumps"], hostile_study)
    assert_refused(outcome, mentions="is a folder")
    assert snapshot(hostile_study) == before
