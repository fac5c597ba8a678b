"""Scale benchmark: N documents over a year and thirty outlets, from import to report.

For each size (default 10,000; pass --sizes 10000 30000 100000 for the full series), a child
process builds a fresh study: it writes N synthetic documents (sentences recombined from the real
AllSides articles when ../shared/data is present, else from the demo phrasebook), imports them,
runs every analysis stage (nlp, document embeddings, topics, sentence embeddings, frames), then
the export and the report, timing each stage and recording the child's peak memory. The crawl is
measured separately (bench/crawl_speed.py); here documents arrive by import, which is what the
crawl's ingest does with its feed files. Results go to bench/RESULTS.md under "Scale" (and the
figures to bench/scale.json), rewritten after each size.

Run: .venv/bin/python -m bench.scale --sizes 10000 30000

With ``--baseline REV`` each size runs twice, first with the code of git revision REV (from a
temporary worktree), then with this checkout's, and the times and their ratios go under "Scale,
side by side" instead (a speed change measured against the code before it, on the same machine).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import write_section  # noqa: E402
from bench.revisions import baseline_checkout, short_commit  # noqa: E402

RESULTS_JSON = ROOT / "bench" / "scale.json"
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
    from bench.memory import PeakMemory
    from flows.analyze import run_stages
    from pipeline import export, report
    from pipeline.config import load_settings
    from pipeline.importer import import_file, resolve_mapping
    from pipeline.store import connect, record_run

    settings = load_settings(folder / "study.toml")
    timings: dict[str, float] = {}
    counts: dict[str, dict[str, int]] = {}
    with PeakMemory() as memory:
        con = connect(settings.database_path)
        started = time.perf_counter()
        import_file(con, folder / "corpus.jsonl", resolve_mapping(None, {}), fmt="jsonl")
        timings["import"] = time.perf_counter() - started
        for result in run_stages(con, settings):
            timings[result.name] = result.seconds
            counts[result.name] = result.counts
        started = time.perf_counter()
        with record_run(con, "export", {}) as run:
            export.write_export(con, settings, export.week_period("2026-W20"), run.run_id)
        report.write_report(
            con, settings, "2025-W49", "2026-W48", settings.data_path / "report.html"
        )
        timings["export+report"] = time.perf_counter() - started
        con.close()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"timings": timings, "counts": counts, "peak_mib": max(memory.peak_mib, own)}))


def prepare_models(cache: Path) -> dict[str, float]:
    """The one-offs per machine, timed apart: ONNX export and static-model distillation."""
    from models.embedder import Embedder
    from models.static_embedder import StaticEmbedder

    started = time.perf_counter()
    Embedder(backend="auto", cache_dir=cache)
    middle = time.perf_counter()
    StaticEmbedder("all-MiniLM-L6-v2", cache)
    return {"export": time.perf_counter() - started, "distil": time.perf_counter() - middle}


@dataclass
class Measured:
    """One size's run."""

    size: int
    origin: str
    total: float
    timings: dict[str, float]
    counts: dict[str, dict[str, int]]
    peak_mib: float
    measured_at: str = ""


def measure(size: int, cache: Path, script: Path = Path(__file__)) -> Measured:
    """Build and run a study of ``size`` documents in a child process.

    Args:
        size: Documents.
        cache: Model cache shared by the runs (the one-offs are paid before).
        script: The child's copy of this file; another checkout's copy runs that checkout's code.
    """
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        origin = write_corpus(folder / "corpus.jsonl", size)
        (folder / "study.toml").write_text(
            '[study]\nname = "scale"\n\n[[outlets]]\nname = "outlet0"\n'
            'feeds = ["https://outlet0.example/rss"]\n\n[models]\ncodebook = "policy_frames"\n',
            encoding="utf-8",
        )
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(script), "--child", str(folder)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "FRAMEWATCH_MODEL_CACHE": str(cache)},
        )
        total = time.perf_counter() - started
        result = json.loads(done.stdout.strip().splitlines()[-1])
        return Measured(
            size, origin, total, result["timings"], result["counts"], float(result["peak_mib"]),
            f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
        )  # fmt: skip


def main() -> None:
    """Run the sizes asked for and write the "Scale" section of RESULTS.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--child")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="run each size with the code of git revision REV too, side by side, and write the "
        'ratios under "Scale, side by side" (the "Scale" rows are left as they are)',
    )
    args = parser.parse_args()
    if args.child:
        run_child(Path(args.child))
        return
    if args.baseline:
        side_by_side(args.baseline, args.sizes)
        return
    with tempfile.TemporaryDirectory() as cache:
        one_offs = prepare_models(Path(cache))
        # Sizes not measured now keep their recorded row (with its date), so one size can be
        # measured again without an hours-long series.
        rows = [row for row in recorded_rows() if row.size not in args.sizes]
        for size in args.sizes:
            rows.append(measure(size, Path(cache)))
            print(json.dumps(asdict(rows[-1])), flush=True)
            # Written after every size, so an hour-long series keeps what it has measured.
            rows.sort(key=lambda row: row.size)
            RESULTS_JSON.write_text(
                json.dumps({"one_offs": one_offs, "rows": [asdict(r) for r in rows]}, indent=2)
                + "\n",
                encoding="utf-8",
            )
            text = render(rows, one_offs)
            write_section("Scale", text)
    print(text)


_PREPARE = (
    "import sys; from pathlib import Path; sys.path.insert(0, '.'); "
    "from bench.scale import prepare_models; prepare_models(Path(sys.argv[1]))"
)


def side_by_side(revision: str, sizes: list[int]) -> None:
    """Each size with the baseline revision's code, then with this checkout's, one after the
    other on the same corpus, each with the model files its own code exported; the times and
    their ratios go to RESULTS.md."""
    commit, current = short_commit(revision), short_commit("HEAD")
    pairs: list[tuple[Measured, Measured]] = []
    with tempfile.TemporaryDirectory() as tmp:
        cache, baseline_cache = Path(tmp) / "models", Path(tmp) / "baseline-models"
        with baseline_checkout(commit, Path(tmp) / "baseline") as checkout:
            # Each revision exports and measures its own model files: an older revision may not
            # know a variant this one records (and would run it with the wrong backend).
            prepare_models(cache)
            subprocess.run(
                [sys.executable, "-c", _PREPARE, str(baseline_cache)], cwd=checkout, check=True
            )
            for size in sizes:
                before = measure(size, baseline_cache, checkout / "bench" / "scale.py")
                after = measure(size, cache)
                pairs.append((before, after))
                print(
                    json.dumps({"baseline": asdict(before), "current": asdict(after)}), flush=True
                )
    text = render_pairs(pairs, commit, current)
    write_section("Scale, side by side", text)
    print(text)


def render_pairs(pairs: list[tuple[Measured, Measured]], baseline: str, current: str) -> str:
    """The "Scale, side by side" section: seconds per stage of both revisions and their ratio."""
    stages = list(pairs[0][1].timings)
    lines = [
        f"`python -m bench.scale --baseline {baseline} --sizes …`: each size run with the code "
        f"of {baseline} (baseline), then of {current} (this checkout), one after the other on this "
        "machine, on the same seeded corpus and the same exported model files. Seconds per stage; the ratio "
        "is this checkout over the baseline (below 1 is faster).",
        "",
        "| documents | code | " + " | ".join(stages) + " | total s | peak MiB |",
        "|---" * (len(stages) + 4) + "|",
    ]
    for before, after in pairs:
        for label, row in ((f"baseline {baseline}", before), (f"this {current}", after)):
            cells = " | ".join(f"{row.timings.get(s, 0):.0f}" for s in stages)
            lines.append(
                f"| {row.size:,} | {label} | {cells} | {row.total:.0f} | {row.peak_mib:.0f} |"
            )
        ratios = " | ".join(
            f"{after.timings[s] / before.timings[s]:.2f}" if before.timings.get(s, 0) >= 1 else "–"
            for s in stages
        )
        lines.append(
            f"| {after.size:,} | ratio | {ratios} | **{after.total / before.total:.2f}** | "
            f"{after.peak_mib / before.peak_mib:.2f} |"
        )
    lines.append("")
    for before, after in pairs:
        same = before.counts.get("frames") == after.counts.get("frames")
        lines.append(
            f"- {after.size:,} documents: the frames stage's counts (documents, sentences, "
            f"embedded, screened out, mentions, rebuttals) are "
            f"{'the same in both runs' if same else 'different: ' + json.dumps([before.counts.get('frames'), after.counts.get('frames')])}."
        )
    return "\n".join(lines)


def recorded_rows() -> list[Measured]:
    """The rows of bench/scale.json (empty when there is none)."""
    if not RESULTS_JSON.exists():
        return []
    rows = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))["rows"]
    return [Measured(**row) for row in rows]


def render(rows: list[Measured], one_offs: dict[str, float]) -> str:
    """The RESULTS.md section."""
    stages = list(rows[0].timings)
    lines = [
        f"Documents: {rows[0].origin}, 30 outlets, one year, 8–20 sentences each; codebook "
        "`policy_frames`; 2 cores. Seconds per stage (model loading included), peak memory of the "
        "whole run with its worker processes. `python -m bench.scale --sizes …`. One-offs per "
        f"machine, timed apart: ONNX export {one_offs['export']:.0f} s, static model "
        f"{one_offs['distil']:.0f} s.",
        "",
        "| documents | " + " | ".join(stages) + " | total s | docs/s | peak MiB | measured (UTC) |",
        "|---" * (len(stages) + 5) + "|",
    ]
    for row in rows:
        cells = " | ".join(f"{row.timings[s]:.0f}" for s in stages)
        lines.append(
            f"| {row.size:,} | {cells} | {row.total:.0f} | {row.size / row.total:.1f} | "
            f"{row.peak_mib:.0f} | {row.measured_at or 'earlier'} |"
        )
    lines.append("")
    for row in rows:
        frames = row.counts.get("frames", {})
        nlp = row.counts.get("nlp", {})
        lines.append(
            f"- {row.size:,} documents: {nlp.get('sentences', 0):,} sentences, "
            f"{nlp.get('full_model_sentences', 0):,} parsed; framing embedded "
            f"{frames.get('embedded', 0):,} and screened out {frames.get('screened_out', 0):,}."
        )
    for row in rows[1:]:
        ratio = (row.total / rows[0].total) / (row.size / rows[0].size)
        lines.append(
            f"- Time per document at {row.size:,} vs {rows[0].size:,}: {ratio:.2f}x (1.0 = linear)."
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
