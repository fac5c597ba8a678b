"""Framing a whole corpus from nothing: AllSides with ``policy_frames``, screened and not.

framewatch's framing stage (``embed_sentences`` + ``frames``) on every sentence of the 2,949 AllSides
articles, with no sentence vector stored yet, in a fresh process (imports and model loading included;
the one-off ONNX export and static-model distillation are timed apart). The baseline, side by side, is
the same stage with the screen off (every sentence embedded by the full model), run on a seeded 20%
of the articles and scaled; on those articles the two runs' mentions are compared, which measures
what the screen costs in recall on real text.

    python -m bench.framing_corpus      # writes the "Framing a corpus" section of bench/RESULTS.md
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np

from bench.analysis_core import CORPUS, add_rows, run_child, run_in_process
from bench.results import write_section
from models.screen import SAMPLE

BASELINE_SHARE = 0.2
FRAMING_STAGES = ["embed_sentences", "frames"]


def make_study(folder: Path, rows: list[dict[str, Any]], *, screen: bool) -> Any:
    """A policy_frames study of the given AllSides rows, analysed up to its sentences."""
    from flows.analyze import run_stages
    from pipeline.config import load_settings
    from pipeline.store import connect

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.toml").write_text(
        '[study]\nname = "allsides"\n\n[models]\ncodebook = "policy_frames"\n\n'
        f"[analysis]\nscreen = {str(screen).lower()}\n",
        encoding="utf-8",
    )
    settings = load_settings(folder / "study.toml")
    add_rows(settings, rows, folder / "rows.jsonl")
    con = connect(settings.database_path)
    started = time.perf_counter()
    run_stages(con, settings, ["nlp"])
    sentences = con.execute("SELECT count(*) FROM sentences").fetchall()[0][0]
    con.close()
    return settings, sentences, round(time.perf_counter() - started, 1)


def run_framing(settings: Any) -> dict[str, Any]:
    """``embed_sentences`` + ``frames`` in a fresh process; its JSON report."""
    return run_child("bench.framing_corpus", settings)


def mentions(settings: Any, doc_ids: list[str]) -> set[tuple[str, int, str]]:
    """(document, sentence, frame) of the mentions of some documents."""
    from pipeline.store import connect

    con = connect(settings.database_path, read_only=True)
    rows = con.execute(
        "SELECT doc_id, sentence_idx, frame_id FROM frame_mentions "
        "WHERE doc_id IN (SELECT unnest(?::VARCHAR[]))",
        [doc_ids],
    ).fetchall()
    con.close()
    return {(str(d), int(s), str(f)) for d, s, f in rows}


def one_offs(cache: Path) -> dict[str, float]:
    """Export the ONNX model and distil the static one into ``cache``; seconds of each."""
    from models.embedder import Embedder
    from models.static_embedder import StaticEmbedder

    start = time.perf_counter()
    Embedder(backend="auto", cache_dir=cache)
    middle = time.perf_counter()
    StaticEmbedder("all-MiniLM-L6-v2", cache)
    return {
        "export_s": round(middle - start, 1),
        "distil_s": round(time.perf_counter() - middle, 1),
    }


def main() -> None:
    """Run both sides and write the RESULTS.md section."""
    if len(sys.argv) > 2 and sys.argv[1] == "--run":
        print(json.dumps(run_in_process(Path(sys.argv[2]), FRAMING_STAGES)))
        return
    if not CORPUS.exists():
        sys.exit(f"{CORPUS} is absent: the shared real-data folder is not on this machine")
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    picked = np.random.default_rng(5).random(len(rows)) < BASELINE_SHARE
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["FRAMEWATCH_MODEL_CACHE"] = str(root / "cache")
        report: dict[str, Any] = {"load_avg_start": os.getloadavg()[0], **one_offs(root / "cache")}
        screened, sentences, nlp_s = make_study(root / "screened", rows, screen=True)
        report.update(sentences=sentences, nlp_s=nlp_s, screened=run_framing(screened))
        print(json.dumps(report), flush=True)
        part = [r for r, keep in zip(rows, picked, strict=True) if keep]
        baseline, part_sentences, _ = make_study(root / "baseline", part, screen=False)
        report.update(baseline_sentences=part_sentences, baseline=run_framing(baseline))
        from pipeline.store import connect

        con = connect(baseline.database_path, read_only=True)
        ids = [r[0] for r in con.execute("SELECT doc_id FROM documents").fetchall()]
        con.close()
        full, cheap = mentions(baseline, ids), mentions(screened, ids)
        report["agreement"] = {
            "baseline_mentions": len(full),
            "screened_mentions": len(cheap),
            "recall": round(len(full & cheap) / max(len(full), 1), 4),
            "precision": round(len(full & cheap) / max(len(cheap), 1), 4),
        }
        report["load_avg_end"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2))
    Path(__file__).with_name("framing_corpus.json").write_text(json.dumps(report, indent=2))
    write_section("Framing a corpus", render(report))


def render(r: dict[str, Any]) -> str:
    """The RESULTS.md section."""
    s, b, a = r["screened"], r["baseline"], r["agreement"]
    frames = s["stages"]["frames"]
    scale = r["sentences"] / r["baseline_sentences"]
    baseline_s = b["seconds"] * scale
    lines = [
        f"AllSides, {r['sentences']:,} sentences (2,949 articles), codebook `policy_frames`, from no "
        "stored sentence vector; `python -m bench.framing_corpus`. Load average "
        f"{r['load_avg_start']:.1f} at the start, {r['load_avg_end']:.1f} at the end (2 cores).",
        "",
        "| run | seconds | sentences/s | notes |",
        "|---|---|---|---|",
        f"| **framewatch (screen on, the default)**: embed_sentences + frames, imports and model "
        f"loading included | **{s['seconds']}** | {r['sentences'] / s['seconds']:.0f} | "
        f"full model on {frames['embedded']:,} sentences, screened out {frames['screened_out']:,}; "
        f"screen recall on its sample {frames.get('screen_recall_permille', 0) / 10:.1f}%, pass rate "
        f"{frames.get('screen_pass_permille', 0) / 10:.1f}%; peak {s['peak_mib']:,} MiB |",
        f"| baseline (screen off: every sentence through the full model) on 20% of the articles "
        f"({r['baseline_sentences']:,} sentences) | {b['seconds']} | "
        f"{r['baseline_sentences'] / b['seconds']:.0f} | scaled to the corpus: {baseline_s:.0f} s |",
        f"| speed-up | {baseline_s / s['seconds']:.1f}x | | measured; the work saved is "
        f"{1 - (frames['embedded'] + SAMPLE) / r['sentences']:.0%} of the transformer's sentences |",
        f"| NLP stage before it (not part of framing) | {r['nlp_s']} | | |",
        f"| one-off per machine: ONNX export, static model distillation | {r['export_s']}, "
        f"{r['distil_s']} | | |",
        "",
        f"On the baseline's articles the screened run found {a['screened_mentions']:,} of the "
        f"baseline's {a['baseline_mentions']:,} mentions: recall {a['recall']:.1%}, precision "
        f"{a['precision']:.1%}. A sentence the screen keeps is scored by the same full model, and "
        "its vector does not depend on the sentences it was batched with (per-token int8 scales), "
        + (
            "so the screened run's mentions are a subset of the baseline's: what the screen costs "
            "is the mentions of the sentences it screened out."
            if a["precision"] == 1.0
            else "yet the screened run found mentions the baseline did not: a defect to look into."
        ),
        "",
        "The screen saves little on `policy_frames`: fifteen generic frames flag about half of all "
        "news sentences, and to keep 98% of them a linear screen on static vectors must pass 90%. "
        "Most of the gain over the torch baseline of issue 5 (about 11 minutes for these sentence "
        "embeddings) comes from the int8 ONNX backend and from matching cues on the tokenizer alone. "
        "When the two load averages differ, the speed-up is skewed by the load: the work saved is the "
        "steadier figure.",
        "",
        f"Target (issue 5): the whole corpus framed from nothing in under 10 minutes: "
        f"{'met' if s['seconds'] < 600 else 'NOT met'} ({s['seconds'] / 60:.1f} min).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
