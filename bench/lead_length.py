"""How long a document's embedding text must be for good topics, on the AllSides articles.

The transformer's cost grows with the length of what it reads, so a shorter document lead
(``[analysis] lead_chars``) would make ``embed_documents`` faster. This measures what it costs in
topic quality: each lead length embeds the 2,949 articles once (the study's default backend),
then the topic model is fitted with several seeds, scored against the 12 labelled topics.

    python -m bench.lead_length [--leads 600 500 400 300] [--seeds 1 2 3 4 5 42]

The ONNX export is made in a temporary folder, or reused from ``FRAMEWATCH_MODEL_CACHE``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.results import write_section

CORPUS = (
    Path(__file__).resolve().parents[2]
    / "shared/data/allsides_article_bias/subset_12topics_3000.jsonl"
)
TARGET_NMI = 0.816  # BERTopic's default as measured in issue 4


def measure(
    lead: int, rows: list[dict[str, Any]], embedder: Any, seeds: list[int]
) -> dict[str, Any]:
    """Embedding seconds and NMI/ARI per seed for one lead length."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from models.topic_model import TopicModel
    from pipeline.embed import embedding_text

    labels = [r["topic"] for r in rows]
    texts = [embedding_text(r["title"], r["content_original"], lead) for r in rows]
    start = time.perf_counter()
    vectors = embedder.embed(texts)
    seconds = time.perf_counter() - start
    runs = []
    for seed in seeds:
        _, topics, _ = TopicModel.fit(texts, vectors, seed=seed, min_topic_size=10)
        runs.append(
            {
                "seed": seed,
                "nmi": float(normalized_mutual_info_score(labels, topics)),
                "ari": float(adjusted_rand_score(labels, topics)),
                "topics": len(set(topics.tolist()) - {-1}),
            }
        )
    return {
        "lead": lead,
        "chars": float(np.mean([len(t) for t in texts])),
        "seconds": seconds,
        "runs": runs,
    }


def render(results: list[dict[str, Any]], documents: int, backend: str) -> str:
    """The RESULTS.md section."""
    base = next((r for r in results if r["lead"] == 600), results[0])
    lines = [
        f"AllSides, {documents:,} articles, 12 labelled topics; each lead length embedded once "
        f"({backend}), topics fitted with seeds {', '.join(str(r['seed']) for r in base['runs'])}; "
        "`python -m bench.lead_length`.",
        "",
        "| lead_chars | mean characters | embed s | vs 600 | NMI mean | NMI min–max | ARI mean | seeds with NMI ≥ 0.816 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        nmi = [x["nmi"] for x in r["runs"]]
        ari = [x["ari"] for x in r["runs"]]
        lines.append(
            f"| {r['lead']} | {r['chars']:.0f} | {r['seconds']:.1f} | {r['seconds'] / base['seconds']:.2f} "
            f"| {np.mean(nmi):.3f} | {min(nmi):.3f}–{max(nmi):.3f} | {np.mean(ari):.3f} "
            f"| {sum(v >= TARGET_NMI for v in nmi)} of {len(nmi)} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Run the lead lengths and write the section."""
    from models.embedder import Embedder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, nargs="+", default=[600, 500, 400, 300])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 42])
    args = parser.parse_args()
    if not CORPUS.exists():
        raise SystemExit(f"skipped: {CORPUS} is absent (the shared AllSides data)")
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if (r.get("content_original") or "").strip()]
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(os.environ.get("FRAMEWATCH_MODEL_CACHE") or tmp)
        embedder = Embedder(backend="auto", batch_size=8, cache_dir=cache)
        embedder.embed([r["title"] for r in rows[:32]])  # warm-up
        results = [measure(lead, rows, embedder, args.seeds) for lead in args.leads]
        backend = embedder.model_id
    body = render(results, len(rows), backend)
    write_section("Document lead length and topic quality", body)
    print(body)


if __name__ == "__main__":
    main()
