"""How long a document's embedding text must be for good topics, on the AllSides articles.

The transformer's cost grows with the length of what it reads, so a shorter document lead
(``[analysis] lead_chars``) would make ``embed_documents`` faster. This measures what it costs in
topic quality: each lead length embeds the 2,949 articles once (the study's default backend),
then the topic model is fitted with several seeds, scored against the 12 labelled topics.

Two more rows build a document's vector from sentence vectors instead (no document text of its
own is embedded): the lead's sentences, split as the NLP stage splits them, and the title, each
embedded once, then averaged. Framing embeds those sentences anyway, so such a vector would come
almost free; the rows say what it costs in topics.

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
    from pipeline.embed import embedding_text

    texts = [embedding_text(r["title"], r["content_original"], lead) for r in rows]
    start = time.perf_counter()
    vectors = embedder.embed(texts)
    seconds = time.perf_counter() - start
    return {
        "lead": lead,
        "chars": float(np.mean([len(t) for t in texts])),
        "seconds": seconds,
        "runs": score(texts, vectors, rows, seeds),
    }


def measure_sentence_means(
    lead: int, rows: list[dict[str, Any]], embedder: Any, seeds: list[int]
) -> list[dict[str, Any]]:
    """The same scores for document vectors averaged from the title and the lead's sentences."""
    import spacy

    from pipeline.embed import embedding_text
    from pipeline.nlp import sentence_spans

    splitter = spacy.blank("en")
    splitter.add_pipe("sentencizer")
    splitter.max_length = max(len(r["content_original"]) for r in rows) + 1
    leads = [
        [s.text for s in sentence_spans(doc) if s.start_char < lead]
        for doc in splitter.pipe([r["content_original"] for r in rows], batch_size=64)
    ]
    distinct = sorted({s for sents in leads for s in sents} | {r["title"] for r in rows})
    start = time.perf_counter()
    vectors = embedder.embed(distinct)
    seconds = time.perf_counter() - start
    index = {text: i for i, text in enumerate(distinct)}
    titles = vectors[[index[r["title"]] for r in rows]]
    means = np.stack(
        [
            vectors[[index[s] for s in sents] or [index[r["title"]]]].mean(0)
            for r, sents in zip(rows, leads, strict=True)
        ]
    )
    together = np.stack(
        [
            vectors[[index[r["title"]], *(index[s] for s in sents)]].mean(0)
            for r, sents in zip(rows, leads, strict=True)
        ]
    )
    # The topic words come from these texts; the clusters only from the vectors.
    texts = [embedding_text(r["title"], r["content_original"], lead) for r in rows]
    chars = float(
        np.mean(
            [
                sum(len(s) for s in sents) + len(r["title"])
                for r, sents in zip(rows, leads, strict=True)
            ]
        )
    )
    return [
        {
            "lead": lead,
            "label": label,
            "chars": chars,
            "seconds": seconds,
            "sentences": len(distinct),
            "runs": score(texts, matrix, rows, seeds),
        }
        for label, matrix in (
            ("mean of the title and each lead sentence", together),
            ("title + mean of the lead sentences", titles + means),
        )
    ]


def score(
    texts: list[str], matrix: np.ndarray, rows: list[dict[str, Any]], seeds: list[int]
) -> list[dict[str, Any]]:
    """NMI/ARI against the labelled topics of one topic fit per seed."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from models.topic_model import TopicModel

    labels = [r["topic"] for r in rows]
    matrix = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)
    runs = []
    for seed in seeds:
        _, topics, _ = TopicModel.fit(texts, matrix, seed=seed, min_topic_size=10)
        runs.append(
            {
                "seed": seed,
                "nmi": float(normalized_mutual_info_score(labels, topics)),
                "ari": float(adjusted_rand_score(labels, topics)),
                "topics": len(set(topics.tolist()) - {-1}),
            }
        )
    return runs


def render(results: list[dict[str, Any]], documents: int, backend: str) -> str:
    """The RESULTS.md section."""
    base = next((r for r in results if r["lead"] == 600 and "label" not in r), results[0])
    lines = [
        f"AllSides, {documents:,} articles, 12 labelled topics; each kind of document vector "
        f"embedded once ({backend}), topics fitted with seeds "
        f"{', '.join(str(r['seed']) for r in base['runs'])}; `python -m bench.lead_length`. "
        "“Mean characters” is what the transformer reads per article.",
        "",
        "| document vector | texts embedded | mean characters | embed s | vs 600 | NMI mean | NMI min–max | ARI mean | seeds with NMI ≥ 0.816 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        nmi = [x["nmi"] for x in r["runs"]]
        ari = [x["ari"] for x in r["runs"]]
        kind = (
            f"{r['label']} ({r['lead']})"
            if "label" in r
            else f"title + lead, lead_chars {r['lead']}"
        )
        lines.append(
            f"| {kind} | {r.get('sentences', documents):,} | {r['chars']:.0f} | {r['seconds']:.1f} "
            f"| {r['seconds'] / base['seconds']:.2f} | {np.mean(nmi):.3f} | {min(nmi):.3f}–{max(nmi):.3f} "
            f"| {np.mean(ari):.3f} | {sum(v >= TARGET_NMI for v in nmi)} of {len(nmi)} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Run the lead lengths and write the section."""
    from models.embedder import Embedder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, nargs="+", default=[600, 500, 400, 300])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 42])
    parser.add_argument(
        "--sentence-lead",
        type=int,
        default=600,
        help="lead of the sentence-mean rows (0: leave them out)",
    )
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
        if args.sentence_lead:
            results += measure_sentence_means(args.sentence_lead, rows, embedder, args.seeds)
        backend = embedder.model_id
    body = render(results, len(rows), backend)
    write_section("Document lead length and topic quality", body)
    print(body)


if __name__ == "__main__":
    main()
