"""The NLP stage's speed against another revision's code, side by side, on AllSides articles.

Each round runs the stage's batch function (``analyse_batch``: fast pipeline, cue sentences through
the full model, speakers, rows) over the same seeded sample of articles in a fresh process, first
with the code of git revision REV (from a temporary worktree), then with this checkout's; rounds
alternate so that a machine slowing down or speeding up weighs on both. One process, as each of the
stage's worker processes runs; spaCy's model loading is left out. The rows both produce are
compared too: a speed change here must not change a single row.

    python -m bench.nlp_speed --baseline REV [--docs 400] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared/data/allsides_article_bias/subset_12topics_3000.jsonl"
BATCH = 200  # the stage's BATCH_DOCUMENTS


def run_child(code: Path, docs: int) -> dict[str, Any]:
    """Time ``analyse_batch`` of the code under ``code`` on the seeded sample (in this process)."""
    sys.path.insert(0, str(code))
    import numpy as np

    from models.spacy_pipeline import BUILTIN_ALIASES, load_pipelines
    from pipeline.config import load_settings
    from pipeline.nlp import DocumentInput, analyse_batch

    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    picked = np.random.default_rng(11).choice(len(rows), docs, replace=False)
    inputs = [
        DocumentInput(
            rows[i]["ID"], "article", rows[i]["title"], rows[i]["content_original"], "en", "h", None
        )
        for i in picked
    ]
    with tempfile.TemporaryDirectory() as tmp:
        study = Path(tmp) / "study.toml"
        study.write_text('[study]\nname = "nlp"\n', encoding="utf-8")
        settings = load_settings(study)
        analysis = settings.analysis
        pipelines = load_pipelines(
            settings.models.spacy, dict(BUILTIN_ALIASES), analysis.max_doc_chars, analysis.ner
        )
        analyse_batch(inputs[:5], pipelines, settings)  # warm-up
        digest = hashlib.sha256()
        words = 0
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(inputs), BATCH):
            batch = analyse_batch(inputs[i : i + BATCH], pipelines, settings)
            words += batch.counts["words"]
            for table in (batch.documents, batch.sentences, batch.entities):
                digest.update(json.dumps(table, sort_keys=True, default=str).encode())
        seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu_s, "words": words, "rows": digest.hexdigest()[:16]}


def measure(code: Path, docs: int) -> dict[str, Any]:
    """One round for one revision's code, in a fresh process."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--child", str(code), "--docs", str(docs)],
        capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def render(
    runs: dict[str, list[dict[str, Any]]], commit: str, current: str, docs: int, dirty: bool
) -> str:
    """The RESULTS.md section."""
    before, after = runs["baseline"], runs["current"]
    base_s = statistics.median(r["seconds"] for r in before)
    this_s = statistics.median(r["seconds"] for r in after)
    same = {r["rows"] for r in before} == {r["rows"] for r in after} and len(
        {r["rows"] for r in before}
    ) == 1
    label = f"{current}{' + uncommitted changes' if dirty else ''}"
    lines = [
        f"{docs} AllSides articles ({before[0]['words']:,} words), seeded sample; one process; "
        f"`python -m bench.nlp_speed --baseline {commit} --docs {docs} --rounds {len(before)}`: "
        f"rounds alternate baseline ({commit}) and this checkout ({label}).",
        "",
        "| code | seconds per round | median s | words/s | CPU s (median) |",
        "|---|---|---|---|---|",
    ]
    for name, rows, median in (
        ("baseline " + commit, before, base_s),
        ("this " + label, after, this_s),
    ):
        lines.append(
            f"| {name} | {', '.join(format(r['seconds'], '.1f') for r in rows)} | {median:.1f} "
            f"| {rows[0]['words'] / median:,.0f} | {statistics.median(r['cpu'] for r in rows):.1f} |"
        )
    lines += [
        "",
        f"Ratio this/baseline: **{this_s / base_s:.2f}** (median seconds). Rows (documents, sentences, "
        f"entities) {'identical in every run' if same else '**differ**'}.",
    ]
    return "\n".join(lines)


def main() -> None:
    """Run the rounds and write the "NLP stage, side by side" section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="REV")
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.docs)))
        return
    if not CORPUS.exists():
        raise SystemExit(f"skipped: {CORPUS} is absent (the shared AllSides data)")
    if not args.baseline:
        raise SystemExit("give --baseline REV, the git revision to compare with (e.g. HEAD~1)")
    from bench.results import write_section
    from bench.revisions import baseline_checkout, short_commit

    commit, current = short_commit(args.baseline), short_commit("HEAD")
    dirty = bool(
        subprocess.run(
            ["git", "status", "--porcelain", "--", "pipeline", "models"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "current": []}
    with (
        tempfile.TemporaryDirectory() as tmp,
        baseline_checkout(commit, Path(tmp) / "baseline") as checkout,
    ):
        for _ in range(args.rounds):
            runs["baseline"].append(measure(checkout, args.docs))
            runs["current"].append(measure(ROOT, args.docs))
            print(json.dumps({k: v[-1] for k, v in runs.items()}), flush=True)
    body = render(runs, commit, current, args.docs, dirty)
    write_section("NLP stage, side by side", body)
    print(body)


if __name__ == "__main__":
    main()
