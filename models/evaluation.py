"""Labelled sentence files and the figures that judge a frame detector against them.

A labels file is a CSV with a ``text`` column and a ``labels`` column (``label`` also works) holding
frame ids separated by ``;``; an empty cell or ``none`` means the text carries no frame. Other
columns (style, source) are kept for reports but not used.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.errors import InputFileError

LABEL_COLUMNS = ("labels", "label", "frames", "frame")
NONE_LABELS = frozenset({"", "none", "no_frame"})


@dataclass(frozen=True)
class LabelledSet:
    """Labelled texts.

    Attributes:
        texts: The texts.
        labels: The frames of each text (empty set for none).
        lines: The file line of each text, for messages.
    """

    texts: list[str]
    labels: list[set[str]]
    lines: list[int]

    @property
    def single_label(self) -> bool:
        """Whether no text carries more than one frame."""
        return all(len(row) <= 1 for row in self.labels)


def read_labels(path: Path, frame_ids: list[str]) -> LabelledSet:
    """Read and check a labels file.

    Raises:
        InputFileError: When the file is missing, has no ``text``/``labels`` columns, holds no rows,
            names a frame the codebook lacks (with its line), or labels only one frame.
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
            header = rows[0].keys() if rows else []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputFileError(f"{path}: cannot read the labels file ({exc})") from exc
    if not rows:
        raise InputFileError(f"{path}: the labels file has no rows; add lines of text,labels")
    column = next((c for c in LABEL_COLUMNS if c in header), None)
    if "text" not in header or column is None:
        raise InputFileError(
            f"{path}: a labels file needs the columns text and labels (frame ids separated by ;); "
            f"found {', '.join(header)}"
        )
    texts, labels, lines = [], [], []
    known = set(frame_ids)
    for line, row in enumerate(rows, start=2):
        frames = {p.strip() for p in (row[column] or "").split(";")} - NONE_LABELS
        unknown = sorted(frames - known)
        if unknown:
            raise InputFileError(
                f'{path}:{line}: unknown frame "{unknown[0]}"; use one of {", ".join(frame_ids)} '
                "or leave the cell empty for no frame"
            )
        text = (row["text"] or "").strip()
        if text:
            texts.append(text)
            labels.append(frames)
            lines.append(line)
    _check_classes(path, labels)
    return LabelledSet(texts, labels, lines)


def _check_classes(path: Path, labels: list[set[str]]) -> None:
    classes = {frame for row in labels for frame in row} | ({"none"} if set() in labels else set())
    if len(classes) < 2:
        only = next(iter(classes), "none")
        raise InputFileError(
            f'{path}: every text is labelled "{only}"; label texts of at least two frames '
            "(or some with no frame) so the classes can be told apart"
        )


@dataclass(frozen=True)
class Report:
    """How predictions compare with gold labels.

    Attributes:
        frame_ids: The frames, in row order of the per-frame figures.
        precision: Per frame.
        recall: Per frame.
        f1: Per frame.
        support: Gold examples per frame.
        macro_f1: Mean F1 over frames with gold examples.
        accuracy: Share of texts whose top prediction (or none) equals their gold label; single-label
            sets only, else None.
        confusion: Gold (rows) × predicted top label (columns), with ``none`` last.
    """

    frame_ids: list[str]
    precision: np.ndarray
    recall: np.ndarray
    f1: np.ndarray
    support: np.ndarray
    macro_f1: float
    accuracy: float | None
    confusion: np.ndarray


def per_frame(gold: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, ...]:
    """Precision, recall, F1 and support per frame of boolean matrices (texts × frames)."""
    tp = (gold & predicted).sum(axis=0).astype(float)
    pred_n = predicted.sum(axis=0).astype(float)
    gold_n = gold.sum(axis=0).astype(float)
    precision = np.divide(tp, pred_n, out=np.zeros_like(tp), where=pred_n > 0)
    recall = np.divide(tp, gold_n, out=np.zeros_like(tp), where=gold_n > 0)
    denominator = precision + recall
    f1 = np.divide(
        2 * precision * recall, denominator, out=np.zeros_like(tp), where=denominator > 0
    )
    return precision, recall, f1, gold_n.astype(int)


def macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    """Mean F1 over the frames that have gold examples."""
    _, _, f1, support = per_frame(gold, predicted)
    return float(f1[support > 0].mean()) if (support > 0).any() else 0.0


def evaluate(
    frame_ids: list[str], gold: np.ndarray, predicted: np.ndarray, proba: np.ndarray
) -> Report:
    """Compare boolean predictions with gold labels (both texts × frames)."""
    precision, recall, f1, support = per_frame(gold, predicted)
    top_gold = _top(gold, gold.astype(float), len(frame_ids))
    top_pred = _top(predicted, proba, len(frame_ids))
    confusion = np.zeros((len(frame_ids) + 1, len(frame_ids) + 1), dtype=int)
    for g, p in zip(top_gold, top_pred, strict=True):
        confusion[g, p] += 1
    single = bool((gold.sum(axis=1) <= 1).all())
    accuracy = float(np.mean(top_gold == top_pred)) if single and len(gold) else None
    return Report(
        frame_ids,
        precision,
        recall,
        f1,
        support,
        macro_f1(gold, predicted),
        accuracy,
        confusion,
    )


def _top(hits: np.ndarray, proba: np.ndarray, none_index: int) -> np.ndarray:
    masked = np.where(hits, proba, -np.inf)
    best = masked.argmax(axis=1) if hits.size else np.zeros(len(hits), dtype=int)
    return np.where(hits.any(axis=1), best, none_index)


def format_report(report: Report) -> list[str]:
    """The report as plain-text lines: per-frame table, macro-F1, accuracy, confusion table."""
    width = max(len(f) for f in [*report.frame_ids, "none", "macro"]) + 2
    lines = [f"{'frame':<{width}}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}"]
    for i, frame in enumerate(report.frame_ids):
        lines.append(
            f"{frame:<{width}}{report.precision[i]:>7.3f}{report.recall[i]:>7.3f}"
            f"{report.f1[i]:>7.3f}{report.support[i]:>6d}"
        )
    lines.append(f"{'macro':<{width}}{'':>14}{report.macro_f1:>7.3f}")
    if report.accuracy is not None:
        lines.append(f"accuracy {report.accuracy:.3f}")
    names = [*report.frame_ids, "none"]
    short = [name[:6] for name in names]
    lines.append("")
    lines.append("confusion (rows gold, columns predicted top frame)")
    lines.append(" " * width + "".join(f"{s:>8}" for s in short))
    for name, row in zip(names, report.confusion, strict=True):
        lines.append(f"{name:<{width}}" + "".join(f"{v:>8d}" for v in row))
    return lines


def best_threshold(probs: np.ndarray, target: np.ndarray) -> float:
    """The probability cut that maximises F1 (midway between neighbouring scores)."""
    order = np.sort(np.unique(probs))
    if order.size < 2:
        return 0.5
    cuts = (order[:-1] + order[1:]) / 2
    best, best_f1 = 0.5, -1.0
    for cut in cuts:
        predicted = probs >= cut
        tp = float(np.sum(predicted & target))
        f1 = 2 * tp / (predicted.sum() + target.sum()) if tp else 0.0
        if f1 > best_f1:
            best, best_f1 = float(cut), f1
    return best
