"""Sentence and labelled sentence files, and the figures that judge a frame detector against them.

A sentence file (``frames classify``) holds one sentence per line, in UTF-8. A labels file is a CSV
with a ``text`` column and a ``labels`` column (``label`` also works) holding frame ids separated by
``;``; an empty cell or ``none`` means the text carries no frame. Other columns (style, source) are
kept for reports but not used. A labels file's cells are bounded by the csv module's field limit
(131,072 characters), well under the length spaCy accepts.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np

from pipeline.errors import InputFileError

LABEL_COLUMNS = ("labels", "label", "frames", "frame")
NONE_LABELS = frozenset({"", "none", "no_frame"})
# One sentence to classify: a long sentence is a few hundred characters, the embedding model reads
# 256 word pieces, and spaCy refuses texts over 1,000,000. A longer line is not a sentence.
MAX_SENTENCE_CHARS = 10_000
# A classifier picks its regularisation and thresholds by 3-fold cross-validation (see
# models.classifier.INNER_FOLDS): each class it learns needs a text in every fold.
MIN_CLASS_EXAMPLES = 3
# Below this many labelled texts per frame a trained classifier is not expected to beat the
# untrained detector (prototypes and cues: macro-F1 0.83 on the project's evaluation set): 3-fold
# cross-validation then holds out about 7 texts of a frame per fold to set its threshold, and on
# GVFC the frames with about 40 examples still reached only F1 0.53-0.55.
MIN_FRAME_EXAMPLES = 20


class SentenceLine(NamedTuple):
    """One line of a sentence file: its number and text, or why it was skipped."""

    line: int
    text: str
    problem: str = ""


def read_sentences(
    stream: BinaryIO, name: str, max_chars: int = MAX_SENTENCE_CHARS
) -> Iterator[SentenceLine]:
    """The non-blank lines of a UTF-8 sentence file, stripped, reading at most one line at a time.

    A line over ``max_chars`` characters or not UTF-8 comes back with a ``problem`` and no text,
    and reading goes on; a longer line is never held in memory whole.

    Raises:
        InputFileError: When the file holds a NUL byte (a binary file, not text).
    """
    limit = max_chars * 4 + 2  # UTF-8 needs at most four bytes a character
    for number in count(1):
        chunk = stream.readline(limit)
        if not chunk:
            return
        if b"\x00" in chunk:
            raise InputFileError(
                f"{name}:{number}: a NUL byte: this is a binary file, not text; give one "
                "sentence per line in UTF-8"
            )
        if not chunk.endswith(b"\n") and len(chunk) >= limit:
            _skip_rest_of_line(stream, limit)
            yield SentenceLine(number, "", _too_long(max_chars))
            continue
        try:
            text = chunk.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            yield SentenceLine(
                number, "", f"not UTF-8 (byte 0x{chunk[exc.start]:02x}); save the file as UTF-8"
            )
            continue
        if len(text) > max_chars:
            yield SentenceLine(number, "", _too_long(max_chars))
        elif text:
            yield SentenceLine(number, text)


def _skip_rest_of_line(stream: BinaryIO, size: int) -> None:
    while True:
        chunk = stream.readline(size)
        if not chunk or chunk.endswith(b"\n"):
            return


def _too_long(max_chars: int) -> str:
    return f"over {max_chars:,} characters; put one sentence on each line"


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


def check_trainable(labelled: LabelledSet, path: Path) -> None:
    """Refuse a labelled set too small to train on at all.

    Raises:
        InputFileError: When a frame with examples (or "no frame") has fewer than
            :data:`MIN_CLASS_EXAMPLES` texts.
    """
    short = {name: n for name, n in class_counts(labelled).items() if n < MIN_CLASS_EXAMPLES}
    if short:
        listed = ", ".join(f"{name} {n}" for name, n in short.items())
        raise InputFileError(
            f"{path}: too few texts to train on ({listed}); label at least "
            f"{MIN_CLASS_EXAMPLES} texts of each frame you use (and of none, if you use it), or drop "
            "that frame's rows"
        )


def class_counts(labelled: LabelledSet) -> dict[str, int]:
    """Texts per frame that has examples, then ``none`` for texts without a frame, if any."""
    counts: dict[str, int] = {}
    for row in labelled.labels:
        for frame in sorted(row) or ["none"]:
            counts[frame] = counts.get(frame, 0) + 1
    return counts


def frames_short_of_examples(
    labelled: LabelledSet, frame_ids: list[str], minimum: int = MIN_FRAME_EXAMPLES
) -> dict[str, int]:
    """The codebook's frames with fewer than ``minimum`` labelled texts, with their counts."""
    counts = class_counts(labelled)
    return {f: counts.get(f, 0) for f in frame_ids if counts.get(f, 0) < minimum}


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
