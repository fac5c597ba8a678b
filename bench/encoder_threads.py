"""How the ONNX encoder should use the cores: one batch at a time on all of them, or one batch per
core on one thread each.

A batch of 8 short texts is little work to split between onnxruntime's threads, so the encoder
runs several batches at once (``OnnxEncoder(callers=…, threads_per_call=…)``). This times both on
the same texts in alternating rounds (sentences and document leads from the AllSides articles),
and checks that the vectors are bit-identical.

With ``--compare batches`` it times instead batches of a fixed count against batches capped in
characters (``OnnxEncoder(batch_chars=…)``, the default), and writes "Encoder batches". With
``--compare backends`` it times onnxruntime's int8 export against OpenVINO running the fp32 export
(bfloat16 where the CPU has it), writes "Encoder backends", and reports how closely their vectors
agree instead of bit-identity.

    python -m bench.encoder_threads [--compare threads|batches|backends] [--rounds 3]

The ONNX export is made in a temporary folder, or reused from ``FRAMEWATCH_MODEL_CACHE``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.results import write_section
from bench.scale import ALLSIDES as CORPUS
from bench.scale import sentence_pool

BATCH = 8  # the default [analysis] batch_size


def texts(sentences: int, documents: int) -> dict[str, list[str]]:
    """Sentences (bench.scale's pool) and document embedding texts."""
    from pipeline.embed import embedding_text

    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if (r.get("content_original") or "").strip()]
    pool, _ = sentence_pool()
    step = max(1, len(pool) // sentences)
    leads = [embedding_text(r["title"], r["content_original"], 600) for r in rows]
    return {
        "sentences": pool[::step][:sentences],
        "document texts": leads[:: max(1, len(leads) // documents)][:documents],
    }


def rate(encoder: Any, batch: list[str]) -> tuple[float, np.ndarray]:
    """Texts a second, and the vectors."""
    start = time.perf_counter()
    vectors = encoder.encode(batch, BATCH)
    return len(batch) / (time.perf_counter() - start), vectors


def main() -> None:
    """Time both ways in alternating rounds and write the section."""
    from models.embedder import resolve_model_path
    from models.onnx_export import (
        BATCH_CHARS,
        OnnxEncoder,
        OpenVinoEncoder,
        choose_variant,
        openvino_precision,
        usable_cores,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", choices=["threads", "batches", "backends"], default="threads")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sentences", type=int, default=3000)
    parser.add_argument("--documents", type=int, default=600)
    args = parser.parse_args()
    if not CORPUS.exists():
        raise SystemExit(f"skipped: {CORPUS} is absent (the shared AllSides data)")
    cores = usable_cores()
    sets = texts(args.sentences, args.documents)
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(os.environ.get("FRAMEWATCH_MODEL_CACHE") or tmp)
        variant = choose_variant("all-MiniLM-L6-v2", cache, "onnx-int8")
        assert variant is not None
        model_dir = resolve_model_path("all-MiniLM-L6-v2")
        ways: dict[str, Any]
        if args.compare == "threads":
            ways = {
                f"one batch at a time, {cores} threads": OnnxEncoder(
                    variant.path, model_dir, callers=1, threads_per_call=cores
                ),
                f"{cores} batches at once, 1 thread each (default)": OnnxEncoder(
                    variant.path, model_dir, callers=cores, threads_per_call=1
                ),
            }
        elif args.compare == "backends":
            precision = openvino_precision()
            if precision is None:
                raise SystemExit("skipped: openvino is not installed")
            ways = {
                f"onnxruntime, `{variant.model_tag}`": OnnxEncoder(variant.path, model_dir),
                f"OpenVINO {precision}, fp32 export, equal-length batches": OpenVinoEncoder(
                    variant.path.with_name("model.onnx"), model_dir, precision=precision
                ),
            }
        else:
            ways = {
                f"{BATCH} texts a batch": OnnxEncoder(variant.path, model_dir, batch_chars=None),
                f"at most {BATCH} texts and {BATCH_CHARS} characters a batch (default)": (
                    OnnxEncoder(variant.path, model_dir)
                ),
            }
        rates: dict[tuple[str, str], list[float]] = {}
        identical = True
        cosines: list[float] = []
        for encoder in ways.values():
            encoder.encode(sets["sentences"][:64], BATCH)  # warm-up
        for _ in range(args.rounds):
            for kind, batch in sets.items():
                vectors = []
                for way, encoder in ways.items():
                    per_second, got = rate(encoder, batch)
                    rates.setdefault((kind, way), []).append(per_second)
                    vectors.append(got)
                identical &= all(np.array_equal(vectors[0], v) for v in vectors[1:])
                cosines += list((vectors[0] * vectors[1]).sum(axis=1))
    command = f"python -m bench.encoder_threads --compare {args.compare}"
    if args.compare == "backends":
        same = (
            f"Cosine between the two ways' vectors of a text: mean {np.mean(cosines):.5f}, "
            f"lowest {np.min(cosines):.5f} (onnxruntime's int8 against OpenVINO's near-fp32)."
        )
    else:
        same = "Vectors bit-identical between the two ways in every round: " + (
            "**yes**." if identical else "**no** (investigate before relying on the default)."
        )
    body = render(sets, list(ways), rates, same, args.rounds, cores, variant.model_tag, command)
    write_section(f"Encoder {args.compare}", body)
    print(body)


def render(
    sets: dict[str, list[str]],
    ways: list[str],
    rates: dict[tuple[str, str], list[float]],
    same: str,
    rounds: int,
    cores: int,
    tag: str,
    command: str,
) -> str:
    """The section: texts a second per way and round, and the ratio of the medians."""
    batches = (
        f"onnxruntime in batches of up to {BATCH} texts and 800 characters sorted by length, "
        "OpenVINO in batches of texts of one token count (up to 64 texts and 4,096 tokens)"
        if "backends" in command
        else f"`{tag}`, batches of up to {BATCH} texts sorted by length"
    )
    lines = [
        f"`{command}`: all-MiniLM-L6-v2, {batches}, {cores} usable cores, {rounds} alternating rounds on the same "
        "texts (AllSides sentences, and document titles with their 600-character leads). Texts a "
        f"second per round; the ratio is {ways[1]} over {ways[0]} (above 1 is faster).",
        "",
        "| texts | way | texts/s per round | median |",
        "|---|---|---|---|",
    ]
    for kind, batch in sets.items():
        for way in ways:
            runs = rates[(kind, way)]
            per_round = ", ".join(f"{r:.0f}" for r in runs)
            lines.append(
                f"| {len(batch):,} {kind} | {way} | {per_round} | {statistics.median(runs):.0f} |"
            )
        ratio = statistics.median(rates[(kind, ways[1])]) / statistics.median(
            rates[(kind, ways[0])]
        )
        lines.append(f"| {len(batch):,} {kind} | ratio | | **{ratio:.2f}** |")
    lines += ["", same]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
