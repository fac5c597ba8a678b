"""The shipped ai_distillation detector on news-like prose, and the subject gate's precision and recall.

    .venv/bin/python -m bench.framing_prose            # dev set, project eval set, gate, AllSides

Per frame precision, recall and F1 (``none`` scored as a class: nothing predicted), macro-F1 with a
95% bootstrap interval over the sentences (1,000 resamples, seeded), for the development set
``../shared/data/framing_dev_news_style`` and the project's ``tests/fixtures/ai_distillation_eval.csv``;
then the subject gate on the project's 80 documents and on all 2,949 AllSides articles. Reads
../shared/data (never copied into the project) and prints the figures for bench/RESULTS.md.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

from models.codebook import load_codebook
from models.cues import load_spacy
from models.detector import FrameDetector, build_detector
from models.subject import SubjectGate
from pipeline.embed import detector_cache

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESAMPLES = 1000


def labelled_sets() -> dict[str, tuple[list[str], list[set[str]]]]:
    """Name → (texts, gold frame sets) of the sets present on this machine."""
    sets = {}
    dev = DATA / "framing_dev_news_style" / "sentences.tsv"
    if dev.is_file():
        with dev.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
        sets["framing_dev_news_style"] = (
            [r[1] for r in rows],
            [set() if r[0] == "none" else set(r[0].split(";")) for r in rows],
        )
    with (ROOT / "tests" / "fixtures" / "ai_distillation_eval.csv").open(encoding="utf-8") as fh:
        coded = list(csv.DictReader(fh))
    sets["ai_distillation_eval"] = (
        [r["text"] for r in coded],
        [{x for x in r["labels"].split(";") if x and x != "none"} for r in coded],
    )
    return sets


def per_class(gold: list[set[str]], pred: list[set[str]], classes: list[str]) -> np.ndarray:
    """Rows (P, R, F1) per class, ``none`` last."""
    out = []
    for c in [*classes, "none"]:
        g = np.array([not x if c == "none" else c in x for x in gold])
        p = np.array([not x if c == "none" else c in x for x in pred])
        tp, fp, fn = (g & p).sum(), (p & ~g).sum(), (g & ~p).sum()
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        out.append((precision, recall, f1))
    return np.array(out)


def score_set(detector: FrameDetector, texts: list[str], gold: list[set[str]]) -> None:
    scores = detector.score(texts, detector.embedder.embed(texts))
    pred = [
        {f for f, hit in zip(scores.frame_ids, row, strict=True) if hit} for row in scores.detected
    ]
    classes = sorted({f for g in gold for f in g})
    table = per_class(gold, pred, classes)
    rng = np.random.default_rng(0)
    macros = []
    for _ in range(RESAMPLES):
        pick = rng.integers(0, len(texts), len(texts))
        macros.append(
            per_class([gold[i] for i in pick], [pred[i] for i in pick], classes)[:, 2].mean()
        )
    low, high = np.percentile(macros, [2.5, 97.5])
    print("| class | P | R | F1 | n |\n|---|---|---|---|---|")
    for c, (p, r, f) in zip([*classes, "none"], table, strict=True):
        n = sum((not g) if c == "none" else (c in g) for g in gold)
        print(f"| {c} | {p:.2f} | {r:.2f} | {f:.2f} | {n} |")
    none_framed = np.mean([bool(p) for g, p in zip(gold, pred, strict=True) if not g])
    print(
        f"\nmacro-F1 {table[:, 2].mean():.3f} (95% bootstrap {low:.3f}–{high:.3f}), "
        f"exact-set accuracy {np.mean([g == p for g, p in zip(gold, pred, strict=True)]):.3f}, "
        f"gold-none given a frame {none_framed:.2f}, n={len(texts)}\n"
    )


def gate_figures() -> None:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    gate = SubjectGate(load_codebook("ai_distillation").subject)
    fixture = ROOT / "tests" / "fixtures" / "subject_gate_documents.jsonl"
    tp = fp = fn = tn = 0
    for line in fixture.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        on = gate.decide([s.text for s in nlp(row["text"]).sents], row["title"]).on_subject
        gold = row["label"] == "on"
        tp, fp = tp + (gold and on), fp + (on and not gold)
        fn, tn = fn + (gold and not on), tn + (not gold and not on)
    print(
        f"gate on the project's documents: precision {tp / (tp + fp):.2f}, recall {tp / (tp + fn):.2f} "
        f"(tp {tp}, fp {fp}, fn {fn}, tn {tn})"
    )
    allsides = DATA / "allsides_article_bias" / "subset_12topics_3000.jsonl"
    if allsides.is_file():
        counted = on_subject = 0
        for line in allsides.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            text = row.get("content_original") or row.get("content") or ""
            counted += 1
            on_subject += gate.decide(
                [s.text for s in nlp(text).sents], row.get("title")
            ).on_subject
        print(
            f"AllSides: {on_subject} of {counted} articles on the subject ({on_subject / counted:.2%})"
        )


def main() -> None:
    from pipeline.embed import new_study_embedder

    embedder = new_study_embedder()
    detector = build_detector(
        load_codebook("ai_distillation"), embedder, load_spacy(), cache=detector_cache(None)
    )
    print(f"model: {detector.model_id}\n")
    for name, (texts, gold) in labelled_sets().items():
        print(f"### {name}\n")
        score_set(detector, texts, gold)
    gate_figures()


if __name__ == "__main__":
    main()
    sys.exit(0)
