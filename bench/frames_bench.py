"""Framing benchmarks on the shared real data (results go to bench/RESULTS.md by hand).

    .venv/bin/python bench/frames_bench.py gvfc        # GVFC headlines, 5-fold CV of frames train
    .venv/bin/python bench/frames_bench.py climate     # narrative frames (multi-label), 5-fold CV
    .venv/bin/python bench/frames_bench.py gvfc --embeddings-only   # without n-gram features
    .venv/bin/python bench/frames_bench.py frac        # untrained policy_frames on FrAC sentences
    .venv/bin/python bench/frames_bench.py throughput  # scoring with stored embeddings, AllSides

Reads ../shared/data (never copied into the project) and prints the figures.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from models.classifier import cross_validate, label_matrix
from models.codebook import load_codebook
from models.embedder import Embedder
from models.evaluation import evaluate, format_report

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GVFC_CODES = {
    "1": "gun_rights",
    "2": "gun_control",
    "3": "politics",
    "4": "mental_health",
    "5": "public_safety",
    "6": "race_ethnicity",
    "7": "public_opinion",
    "8": "society_culture",
    "9": "economic",
}
CLIMATE_FRAMES = {
    "RE": "resolution",
    "HI": "human_interest",
    "CO": "conflict",
    "MO": "moral",
    "EC": "economic",
}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def gvfc() -> None:
    """5-fold cross-validated single-label classification of GVFC headlines (Theme1)."""
    book = load_codebook(str(Path(__file__).parent / "codebooks" / "gvfc.yaml"))
    with (DATA / "gvfc_gun_violence_frames" / "GVFC_headlines_and_annotations.csv").open() as f:
        rows = [r for r in csv.DictReader(f) if r["Q3 Theme1"] in GVFC_CODES]
    texts = [r["news_title"] for r in rows]
    labels = [{GVFC_CODES[r["Q3 Theme1"]]} for r in rows]
    _report(book.frame_ids, texts, labels, single_label=True)


def climate() -> None:
    """5-fold cross-validated multi-label frames of climate articles (mean of sentence vectors)."""
    path = DATA / "narrative_frames_climate" / "articles_metadata.tsv"
    csv.field_size_limit(10**8)
    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r.get("EC") in {"True", "False"}]
    texts = [r["text"] for r in rows]
    labels = [{name for code, name in CLIMATE_FRAMES.items() if r[code] == "True"} for r in rows]
    _report(list(CLIMATE_FRAMES.values()), texts, labels, single_label=False, split=True)


def _report(
    frame_ids: list[str],
    texts: list[str],
    labels: list[set[str]],
    *,
    single_label: bool,
    split: bool = False,
) -> None:
    cache = Path(tempfile.gettempdir()) / "framewatch-bench" / f"{_digest(texts)}.npy"
    if cache.is_file():
        vectors = np.load(cache)
    else:
        embedder = Embedder()
        start = time.perf_counter()
        vectors = _document_vectors(embedder, texts) if split else embedder.embed(texts)
        print(f"{len(texts)} texts embedded in {time.perf_counter() - start:.1f} s")
        cache.parent.mkdir(exist_ok=True)
        np.save(cache, vectors)
    start = time.perf_counter()
    lexical = "--embeddings-only" not in sys.argv[2:]
    predicted, proba = cross_validate(
        vectors,
        labels,
        frame_ids,
        folds=5,
        single_label=single_label,
        seed=0,
        texts=texts,
        lexical=lexical,
    )
    print(f"5-fold cross-validation in {time.perf_counter() - start:.1f} s")
    report = evaluate(frame_ids, label_matrix(labels, frame_ids), predicted, proba)
    print("\n".join(format_report(report)))


def _digest(texts: list[str]) -> str:
    """Key of the embedding cache (bench reruns skip embedding the same texts again)."""
    return hashlib.sha1("\n".join(texts).encode("utf-8")).hexdigest()[:16]


def _document_vectors(embedder: Embedder, texts: list[str], limit: int = 15) -> np.ndarray:
    """One vector per document: the normalised mean of its first sentences' vectors."""
    sentences = [_SENTENCE.split(text)[:limit] for text in texts]
    flat = [s for doc in sentences for s in doc]
    vectors = embedder.embed(flat)
    out, start = [], 0
    for doc in sentences:
        mean = vectors[start : start + len(doc)].mean(axis=0)
        out.append(mean / np.linalg.norm(mean))
        start += len(doc)
    return np.stack(out)


FRAC_CODES = {
    "economic": "1",
    "morality": "3",
    "fairness_equality": "4",
    "legality": "5",
    "crime_punishment": "5",
    "policy_prescription": "6",
    "political": "6",
    "security_defense": "8",
    "health_safety": "9",
    "cultural_identity": "11",
    "public_opinion": "12",
    "other": "15",
}


def frac() -> None:
    """The untrained policy_frames detector on FrAC sentences (merged MFC codes), top frame."""
    from models.cues import load_spacy
    from models.detector import build_detector

    path = DATA / "frac_sentence_frames" / "gold_standard_single_label_all.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts, gold = [r["sentence"] for r in rows], [r["label"] for r in rows]
    embedder = Embedder()
    detector = build_detector(load_codebook("policy_frames"), embedder, load_spacy())
    scores = detector.score(texts, embedder.embed(texts))
    # The top frame by probability, detected or not: FrAC gives every sentence a frame.
    top = [detector.frame_ids[int(i)] for i in scores.probs.argmax(axis=1)]
    predicted = [FRAC_CODES.get(frame, "unmapped") for frame in top]
    codes = sorted(set(gold), key=int)
    gold_m = np.array([[g == c for c in codes] for g in gold])
    pred_m = np.array([[p == c for c in codes] for p in predicted])
    report = evaluate(codes, gold_m, pred_m, pred_m.astype(float))
    print("\n".join(format_report(report)))


def throughput(n: int = 3000) -> None:
    """Sentences per second: embedding, and scoring with embeddings already stored."""
    from models.cues import load_spacy
    from models.detector import build_detector

    path = DATA / "allsides_article_bias" / "subset_12topics_3000.jsonl"
    sentences: list[str] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            sentences += [
                s for s in _SENTENCE.split(json.loads(line)["content_original"]) if len(s) > 20
            ]
    print(f"{len(sentences)} AllSides sentences in the 3,000-article subset; timing {n}")
    sample = sentences[:n]
    embedder, nlp = Embedder(), load_spacy()
    cache = Path(tempfile.gettempdir()) / "framewatch-bench" / f"{_digest(sample)}.npy"
    start = time.perf_counter()
    vectors = np.load(cache) if cache.is_file() else embedder.embed(sample)
    if not cache.is_file():
        print(
            f"embedding ({embedder.model_id}): {n / (time.perf_counter() - start):.0f} sentences/s"
        )
        cache.parent.mkdir(exist_ok=True)
        np.save(cache, vectors)
    for name in ("policy_frames", "ai_distillation"):
        detector = build_detector(load_codebook(name), embedder, nlp)
        start = time.perf_counter()
        scores = detector.score(sample, vectors)
        rate = n / (time.perf_counter() - start)
        share = scores.detected.any(axis=1).mean()
        print(f"scoring {name} with stored vectors: {rate:.0f} sentences/s ({share:.0%} framed)")


if __name__ == "__main__":
    {"gvfc": gvfc, "climate": climate, "frac": frac, "throughput": throughput}[sys.argv[1]]()
