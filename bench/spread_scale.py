"""How fast do the spread views answer over one million frame mentions?

Builds a synthetic study database (200,000 documents, 30 outlets, a year of weeks, 1,000,000
frame mentions in six frames), then times the full ``frame_weekly`` view and two typical
researcher queries, side by side with the same weekly share computed in pandas from the raw
tables (the baseline). Results go to bench/RESULTS.md under "Spread views".

Run: .venv/bin/python bench/spread_scale.py [--mentions 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results import write_section
from pipeline.store import connect, scalar

FRAMES = ["theft", "innovation", "security", "hypocrisy", "common_practice", "narrative_control"]


def build(path: Path, documents: int, mentions: int) -> None:
    con = connect(path)
    con.execute(
        f"""
        INSERT INTO documents (doc_id, kind, outlet, title, published_at, content_hash, dup_cluster, source)
        SELECT 'd' || i, CASE WHEN i % 5 = 0 THEN 'reddit_comment' ELSE 'article' END,
               'outlet' || (i % 30), 'title', TIMESTAMP '2026-01-05' + INTERVAL (i % 364) DAY + INTERVAL (i % 24) HOUR,
               'h' || i, CASE WHEN i % 17 = 0 THEN 'd' || (i - 1) ELSE 'd' || i END, 'bench'
        FROM range(1, {documents} + 1) t(i)
        """
    )
    con.execute(
        f"""
        INSERT INTO frame_mentions (doc_id, sentence_idx, frame_id, score, evidence, speaker_kind, codebook, codebook_version, model)
        SELECT 'd' || (1 + (i * 7919) % {documents}), i // {documents},
               {FRAMES!r}[1 + (i % 6)], 0.8, 'prototype', CASE WHEN i % 4 = 0 THEN 'quoted' ELSE 'outlet' END,
               'ai_distillation', '1', 'bench'
        FROM range(0, {mentions}) t(i)
        """
    )
    con.close()


def timed(run: Callable[[], object], repeats: int = 5) -> float:
    run()  # warm
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pandas_weekly(con) -> int:  # type: ignore[no-untyped-def]
    docs = con.execute("SELECT doc_id, outlet, kind, published_at FROM documents").df()
    mentions = con.execute("SELECT doc_id, frame_id FROM frame_mentions").df()
    docs["week"] = docs["published_at"].dt.strftime("%G-W%V")
    per_outlet = docs.groupby(["week", "outlet", "kind"]).size().rename("outlet_documents")
    framed = mentions.merge(docs, on="doc_id").groupby(["week", "outlet", "kind", "frame_id"])
    table = (
        framed["doc_id"]
        .nunique()
        .rename("documents")
        .reset_index()
        .join(per_outlet, on=["week", "outlet", "kind"])
    )
    table["share"] = table["documents"] / table["outlet_documents"]
    return len(table)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--documents", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        start = time.perf_counter()
        build(path, args.documents, args.mentions)
        build_s = time.perf_counter() - start
        con = connect(path, read_only=True)
        rows = scalar(con, "SELECT count(*) FROM frame_weekly")
        full = timed(lambda: con.execute("SELECT * FROM frame_weekly").fetchall())
        one_frame = timed(
            lambda: con.execute(
                "SELECT week, outlet, share FROM frame_weekly WHERE frame_id = 'theft'"
            ).fetchall()
        )
        macro = timed(lambda: con.execute("SELECT * FROM frame_share('theft', 'month')").fetchall())
        first_use = timed(lambda: con.execute("SELECT * FROM frame_first_use").fetchall())
        baseline = timed(lambda: pandas_weekly(con), repeats=3)
        con.close()
    lines = [
        f"Synthetic study: {args.documents:,} documents, 30 outlets, 52 weeks, {args.mentions:,} frame mentions "
        f"(built in {build_s:.1f} s). Median of 5 warm runs, 2 cores.",
        "",
        "| query | seconds | vs pandas baseline |",
        "|---|---|---|",
        f"| `SELECT * FROM frame_weekly` ({rows:,} rows, fetched) | {full:.3f} | {baseline / full:.1f}x faster |",
        f"| `frame_weekly WHERE frame_id = 'theft'` | {one_frame:.3f} | {baseline / one_frame:.1f}x faster |",
        f"| `frame_share('theft', 'month')` | {macro:.3f} | |",
        f"| `SELECT * FROM frame_first_use` | {first_use:.3f} | |",
        f"| baseline: the same weekly share in pandas from the raw tables | {baseline:.3f} | 1.0x |",
        "",
        f"Target: frame_weekly over one million mentions in under a second: {'met' if full < 1 else 'NOT met'}.",
    ]
    write_section("Spread views", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
