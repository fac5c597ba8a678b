"""Reddit dumps: zstd with a long window, filters from the study, corrupt lines skipped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import zstandard

from pipeline.config import load_settings
from pipeline.reddit_dump import import_dump, read_dump_lines
from pipeline.store import connect, scalar

STUDY = """\
[study]
name = "dump"

[filters]
keywords = ["distillation"]
start_date = 2026-01-01

[reddit]
subreddits = ["LocalLLaMA"]
"""

MARCH = 1772400000  # 2026-03-01


def submission(id_: str, **changes: Any) -> dict[str, Any]:
    record = {"id": id_, "subreddit": "LocalLLaMA", "title": f"Distillation news {id_}", "selftext": "",
              "author": "a", "created_utc": MARCH, "score": 3, "permalink": f"/r/LocalLLaMA/comments/{id_}/x/",
              "is_self": False, "url": "https://ledger.example/1", "edited": False}  # fmt: skip
    record.update(changes)
    return record


def comment(id_: str, **changes: Any) -> dict[str, Any]:
    record = {"id": id_, "subreddit": "LocalLLaMA", "body": "distillation is fine", "author": "b",
              "created_utc": str(MARCH), "link_id": "t3_p1", "parent_id": "t3_p1", "score": 1,
              "edited": MARCH + 60, "permalink": f"/r/LocalLLaMA/comments/p1/x/{id_}/"}  # fmt: skip
    record.update(changes)
    return record


def write_dump(path: Path, lines: list[str]) -> Path:
    """Compress like the published dumps (``zstd --long=31``): a 2 GiB window, streamed."""
    params = zstandard.ZstdCompressionParameters.from_level(
        3, window_log=31, enable_ldm=True, write_content_size=False
    )
    with path.open("wb") as raw, zstandard.ZstdCompressor(compression_params=params).stream_writer(raw) as out:  # fmt: skip
        out.write("".join(line + "\n" for line in lines).encode())
    return path


def test_the_dump_window_needs_the_long_decoder(tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "d.zst", [json.dumps(submission("p1"))])
    with pytest.raises(zstandard.ZstdError, match="too much memory"), dump.open("rb") as raw:
        zstandard.ZstdDecompressor().stream_reader(raw).read()
    assert [r["id"] for _, r in read_dump_lines(dump) if isinstance(r, dict)] == ["p1"]


@pytest.fixture
def study(tmp_path: Path) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(STUDY)
    return path


def test_dump_is_filtered_and_stored_once(study: Path, tmp_path: Path) -> None:
    lines = [json.dumps(submission("p1")), json.dumps(comment("c1")),
             json.dumps(submission("p2", subreddit="funny")),           # other subreddit
             json.dumps(submission("p3", title="Weather")),             # no keyword
             json.dumps(submission("p4", created_utc=1700000000)),      # before the window
             json.dumps(comment("c2", body="[removed]", author="[deleted]")),  # no keyword
             json.dumps(comment("c3", body="[deleted] distillation")),
             '{"id": "broken", "subreddit": ', "[1, 2]", "not json at all"]  # fmt: skip
    dump = write_dump(tmp_path / "RS_2026-03.zst", lines)
    settings = load_settings(study)
    con = connect(settings.database_path)
    try:
        report = import_dump(con, dump, settings, run_id="r1")
        assert (report.read, report.matched, report.stored, report.skipped) == (10, 3, 3, 3)
        assert [p.line for p in report.problems] == [8, 9, 10]
        rows = con.execute("SELECT doc_id, kind, outlet, parent_id, source, edited_at IS NOT NULL FROM documents ORDER BY 1").fetchall()  # fmt: skip
        assert rows == [("t1_c1", "reddit_comment", "r/LocalLLaMA", "t3_p1", "reddit-dump", True),
                        ("t1_c3", "reddit_comment", "r/LocalLLaMA", "t3_p1", "reddit-dump", True),
                        ("t3_p1", "reddit_post", "r/LocalLLaMA", None, "reddit-dump", False)]  # fmt: skip
        assert scalar(con, "SELECT count(*) FROM links WHERE kind = 'link_post'") == 1
        again = import_dump(con, dump, settings)
        assert (again.stored, again.already_stored) == (0, 3)
    finally:
        con.close()


def test_truncated_dump_keeps_what_was_whole(tmp_path: Path) -> None:
    dump = write_dump(tmp_path / "big.zst", [json.dumps(submission(f"p{n}")) for n in range(2000)])
    cut = tmp_path / "cut.zst"
    cut.write_bytes(dump.read_bytes()[: len(dump.read_bytes()) // 2])
    records = list(read_dump_lines(cut))
    good = [r for _, r in records if isinstance(r, dict)]
    assert 0 < len(good) < 2000
    assert any(isinstance(r, str) for _, r in records[-2:])  # the break is reported, not raised


def test_plain_ndjson_is_read_too(tmp_path: Path) -> None:
    plain = tmp_path / "d.ndjson"
    plain.write_text(json.dumps(submission("p1")) + "\n")
    assert [n for n, _ in read_dump_lines(plain)] == [1]


def test_import_command_reads_a_dump(study: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    dump = write_dump(tmp_path / "RC.zst", [json.dumps(comment("c1")), "{bad"])
    result = CliRunner().invoke(app, ["import", "--reddit-dump", str(dump), "--study", str(study)])
    assert result.exit_code == 0, result.output
    assert "1 stored" in result.output and "1 corrupt lines skipped" in result.output
    con = duckdb.connect(str(tmp_path / "data" / "framewatch.duckdb"), read_only=True)
    assert con.execute("SELECT status FROM runs").fetchall() == [("partial",)]
    con.close()
    both = CliRunner().invoke(
        app, ["import", str(dump), "--reddit-dump", str(dump), "--study", str(study)]
    )
    assert both.exit_code == 2 and "not both" in both.output
