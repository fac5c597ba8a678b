"""Scale benchmark: N documents over a year and thirty outlets, from import to report.

For each size (default 10,000; pass --sizes 10000 30000 100000 for the full series), a child
process builds a fresh study: it writes N synthetic documents (sentences recombined from the real
AllSides articles when ../shared/data is present, else from the demo phrasebook), imports them,
runs every analysis stage (nlp, document embeddings, topics, sentence embeddings, frames), then
the export and the report, timing each stage and recording the child's peak memory. The crawl is
measured separately (bench/crawl_speed.py); here documents arrive by import, which is what the
crawl's ingest does with its feed files. Results go to bench/RESULTS.md under "Scale".

Run: .venv/bin/python bench/scale.py --sizes 10000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import write_section  # noqa: E402

ALLSIDES = ROOT.parent / "shared" / "data" / "allsides_article_bias" / "subset_12topics_3000.jsonl"


def sentence_pool() -> tuple[list[str], str]:
    """Sentences to recombine, and where they came from."""
    if ALLSIDES.exists():
        pool: list[str] = []
        for line in ALLSIDES.read_text(encoding="utf-8").splitlines():
            text = json.loads(line)["content_original"]
            pool.extend(s.strip() + "." for s in text.split(". ") if 40 < len(s) < 300)
        return pool, "AllSides sentences recombined"
    from flows.demo import vocabulary as vocab

    pool = [
        s.format(accuser=vocab.ACCUSER, rival=r, other=r)
        for group in vocab.FRAME_SENTENCES.values()
        for s in group
        for r in vocab.RIVALS
    ]
    return pool, "demo phrasebook"


def write_corpus(path: Path, size: int) -> str:
    """N documents, 30 outlets, one year, 8–20 sentences each; deterministic."""
    pool, origin = sentence_pool()
    rng = random.Random(size)
    start = date(2025, 12, 1)
    with path.open("w", encoding="utf-8") as handle:
        for n in range(size):
            sentences = rng.sample(pool, rng.randint(8, 20))
            record = {
                "url": f"https://outlet{n % 30}.example/{n}",
                "outlet": f"outlet{n % 30}",
                "title": sentences[0][:90],
                "text": " ".join(sentences[1:]),
                "date": (start + timedelta(days=rng.randrange(365))).isoformat(),
            }
            handle.write(json.dumps(record) + "\n")
    return origin


def run_child(folder: Path) -> None:
    """The measured work, in this (child) process: import, analysis stages, export, report."""
    from flows.analyze import run_stages
    from pipeline import export, report
    from pipeline.config import load_settings
    from pipeline.importer import import_file, resolve_mapping
    from pipeline.store import connect, record_run

    settings = load_settings(folder / "study.toml")
    con = connect(settings.database_path)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    import_file(con, folder / "corpus.jsonl", resolve_mapping(None, {}), fmt="jsonl")
    timings["import"] = time.perf_counter() - started
    for result in run_stages(con, settings):
        timings[result.name] = result.seconds
    started = time.perf_counter()
    with record_run(con, "export", {}) as run:
        export.write_export(con, settings, export.week_period("2026-W20"), run.run_id)
    report.write_report(con, settings, "2025-W49", "2026-W48", settings.data_path / "report.html")
    timings["export+report"] = time.perf_counter() - started
    con.close()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"timings": timings, "peak_mib": peak_mib}))


def measure(size: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        origin = write_corpus(folder / "corpus.jsonl", size)
        (folder / "study.toml").write_text(
            '[study]\nname = "scale"\n\n[[outlets]]\nname = "outlet0"\nfeeds = ["https://outlet0.example/rss"]\n',
            encoding="utf-8",
        )
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(folder)],
            capture_output=True,
            text=True,
            check=True,
        )
        total = time.perf_counter() - started
        result = json.loads(done.stdout.strip().splitlines()[-1])
        return {"size": size, "origin": origin, "total": total, **result}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        run_child(Path(args.child))
        return
    rows = [measure(size) for size in args.sizes]
    stages = list(rows[0]["timings"])  # type: ignore[call-overload]
    lines = [
        f"Documents: {rows[0]['origin']}, 30 outlets, one year, 8–20 sentences each; 2 cores. "
        "Seconds per stage (model loading included), peak memory of the whole run.",
        "",
        "| documents | " + " | ".join(stages) + " | total s | docs/s | peak MiB |",
        "|---" * (len(stages) + 4) + "|",
    ]
    for row in rows:
        timings = row["timings"]
        assert isinstance(timings, dict)
        lines.append(
            f"| {row['size']:,} | "
            + " | ".join(f"{timings[s]:.0f}" for s in stages)
            + f" | {row['total']:.0f} | {int(row['size']) / float(row['total']):.1f} | {float(row['peak_mib']):.0f} |"  # type: ignore[arg-type]
        )
    if len(rows) > 1:
        base = rows[0]
        for row in rows[1:]:
            ratio = (float(row["total"]) / float(base["total"])) / (
                int(row["size"]) / int(base["size"])
            )  # type: ignore[arg-type]
            lines.append(
                f"\nTime per document at {row['size']:,} vs {base['size']:,}: {ratio:.2f}x (1.0 = linear)."
            )
    write_section("Scale", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
