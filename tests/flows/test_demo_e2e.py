"""End to end: `framewatch demo` crawls the generated world, analyses and frames it, exports and reports.

Runs the real command twice in a subprocess (real spiders, real models, a real Prefect flow run,
a real DuckDB file); the second run must store and compute nothing new.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.demo.world import generate_world, script_adoption

pytestmark = pytest.mark.slow

FRAMEWATCH = Path(sys.executable).with_name("framewatch")


SECRET = "sentinel-secret-4f1c9e"


def run_demo(folder: Path) -> str:
    # Reddit credentials in the environment must never reach the database, logs, exports or report.
    env = {
        **os.environ,
        "COLUMNS": "200",
        "FRAMEWATCH_REDDIT_CLIENT_ID": "sentinel-id",
        "FRAMEWATCH_REDDIT_CLIENT_SECRET": SECRET,
    }
    done = subprocess.run(
        [str(FRAMEWATCH), "demo", "--dir", str(folder)],
        capture_output=True,
        text=True,
        timeout=1800,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def query(folder: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(folder / "data" / "framewatch.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_demo_end_to_end_and_idempotent(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    first = run_demo(folder)
    assert "Who used each frame first" in first
    kinds = dict(query(folder, "SELECT kind, count(*) FROM documents GROUP BY kind"))
    assert kinds == {"article": 25, "reddit_post": 3, "reddit_comment": 100}
    assert query(folder, "SELECT count(DISTINCT outlet) FROM documents WHERE kind = 'article'") == [
        (7,)
    ]
    copy = query(
        folder, "SELECT count(*) FROM documents WHERE kind = 'article' AND dup_cluster <> doc_id"
    )
    assert copy == [(1,)], "ByteWire's syndicated copy of The Circuit's first article"
    frames = {row[0] for row in query(folder, "SELECT DISTINCT frame_id FROM frame_mentions")}
    assert {"theft", "innovation", "security"} <= frames
    # The summary follows the generator's script: each outlet adopts each of its frames in its week.
    script = script_adoption(generate_world("http://127.0.0.1:8765"))
    detected = {
        (o, f): w for o, f, w in query(folder, "SELECT outlet, frame_id, week FROM frame_first_use")
    }
    assert {key: detected.get(key) for key in script} == script
    first_theft = query(
        folder, "SELECT outlet FROM frame_first_use WHERE frame_id = 'theft' AND adoption_rank = 1"
    )
    assert first_theft == [("The Circuit",)]
    assert (
        query(folder, "SELECT count(*) FROM citation_edges WHERE cited_outlet = 'The Circuit'")[0][
            0
        ]
        >= 1
    )
    assert query(folder, "SELECT count(*) FROM topics")[0][0] >= 1
    export = folder / "data" / "exports" / "2026-W47"
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["documents"] > 0 and manifest["rows"]["frame_spread"] > 0
    assert (folder / "data" / "reports" / "report.html").stat().st_size > 1_000_000

    counts_before = query(
        folder,
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM frame_mentions), (SELECT count(*) FROM embeddings)",
    )
    second = run_demo(folder)
    assert "Stored 0 new documents this run." in second
    assert (
        query(
            folder,
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM frame_mentions), (SELECT count(*) FROM embeddings)",
        )
        == counts_before
    )
    news_pages = query(
        folder,
        "SELECT sum(pages_fetched) FROM crawl_runs WHERE run_id = (SELECT max(run_id) FROM crawl_runs) AND source NOT LIKE 'r/%'",
    )
    assert news_pages == [(0,)], "a second crawl fetches only feeds and sitemaps"
    for path in folder.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"the Reddit secret leaked into {path}"
    last_embed = query(
        folder,
        "SELECT counts FROM runs WHERE command = 'analyze:embed_documents' ORDER BY started_at DESC LIMIT 1",
    )
    assert json.loads(str(last_embed[0][0])).get("embedded", 0) == 0
