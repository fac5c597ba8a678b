"""Which sentences need the full embedding model: a screen learned from the full model itself.

On a large corpus most sentences carry no frame, and embedding them with the transformer is most of
the framing stage's time. The screen is a logistic regression on static embeddings (see
:mod:`models.static_embedder`, thousands of sentences per second) trained to predict what the full
detector decides: on a seeded sample of the corpus's own sentences, the full model and detector label
each sentence "carries or rebuts a frame" or not, and the screen's threshold is set on out-of-fold
predictions so that it lets through at least :data:`TARGET_RECALL` of the sentences the full detector
flags. Which frames' cues a sentence holds are features too; a sentence whose cue is negated or
rebutted always goes through (its rebuttal is recorded). The rest are taken to carry no frame and are
never embedded by the full model; the sample's recall and pass rate are kept with the screen so the
price is on record.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.outputs import write_text

TARGET_RECALL = 0.98
SAMPLE = 3_000
MIN_POSITIVES = 30
FOLDS = 5
SCREEN_VERSION = 1


@dataclass(frozen=True)
class ScreenFit:
    """A fitted screen: weights on static vectors, a threshold, and how it did on its sample.

    Attributes:
        weights: One weight per static dimension.
        bias: The intercept.
        threshold: Probability from which a sentence goes to the full model.
        sample: Sentences in the training sample.
        positives: Of those, how many the full detector flagged.
        recall: Out-of-fold share of the flagged sample sentences the screen lets through.
        pass_rate: Out-of-fold share of all sample sentences it lets through.
    """

    weights: list[float]
    bias: float
    threshold: float
    sample: int
    positives: int
    recall: float
    pass_rate: float


class Screen:
    """Applies a :class:`ScreenFit` with the static embedder it was trained on.

    Args:
        fit: The fitted screen.
        embedder: The static embedder (anything with ``embed(texts)``).
    """

    def __init__(self, fit: ScreenFit, embedder: Any) -> None:
        self.fit = fit
        self.embedder = embedder
        self._weights = np.asarray(fit.weights, dtype=np.float32)

    def passes(self, texts: list[str], support: np.ndarray, forced: np.ndarray) -> np.ndarray:
        """Boolean per sentence: whether the full model must read it.

        Args:
            texts: The sentences.
            support: Sentences × frames: which frames' cues each sentence holds.
            forced: Per sentence, whether it must go through whatever the screen says (a rebuttal).
        """
        if not texts:
            return np.zeros(0, dtype=bool)
        logits = features(self.embedder.embed(texts), support) @ self._weights + self.fit.bias
        return np.asarray((_sigmoid(logits) >= self.fit.threshold) | forced, dtype=bool)

    def save(self, path: Path) -> None:
        """Write the fit as JSON (replacing the file at once)."""
        write_text(path, json.dumps({"version": SCREEN_VERSION, **asdict(self.fit)}))


def load_fit(path: Path) -> ScreenFit | None:
    """A saved fit, or None when absent or from another screen version."""
    if not path.exists():
        return None
    raw = json.loads(path.read_text(encoding="utf-8"))
    if raw.pop("version", None) != SCREEN_VERSION:
        return None
    return ScreenFit(**raw)


def features(vectors: np.ndarray, support: np.ndarray) -> np.ndarray:
    """What the screen reads: the static vector and, per frame, whether a cue names it."""
    return np.hstack([vectors, np.asarray(support, dtype=np.float32).reshape(len(vectors), -1)])


def fit_screen(
    vectors: np.ndarray,
    support: np.ndarray,
    flagged: np.ndarray,
    forced: np.ndarray,
    *,
    recall: float = TARGET_RECALL,
) -> ScreenFit | None:
    """Learn the screen from a labelled sample.

    Args:
        vectors: Static vectors of the sample sentences.
        support: Sentences × frames: which frames' cues each sentence holds.
        flagged: Per sentence, whether the full detector found or rebutted a frame in it.
        forced: Per sentence, whether it goes through regardless (a rebuttal).
        recall: The share of flagged sentences the screen must let through.

    Returns:
        The fit, or None when the sample has too few flagged (or unflagged) sentences to learn from
        (the caller then embeds every sentence).
    """
    flagged = np.asarray(flagged, dtype=bool)
    cued = np.asarray(forced, dtype=bool)
    vectors = features(vectors, support)
    positives = int(flagged.sum())
    if positives < MIN_POSITIVES or len(flagged) - positives < MIN_POSITIVES:
        return None
    out_of_fold = np.zeros(len(flagged))
    for fold in range(FOLDS):
        test = np.arange(len(flagged)) % FOLDS == fold
        model = _logistic(vectors[~test], flagged[~test])
        out_of_fold[test] = model.predict_proba(vectors[test])[:, 1]
    threshold = _threshold(out_of_fold, flagged, cued, recall)
    passed = (out_of_fold >= threshold) | cued
    model = _logistic(vectors, flagged)
    return ScreenFit(
        weights=[float(w) for w in model.coef_[0]],
        bias=float(model.intercept_[0]),
        threshold=threshold,
        sample=len(flagged),
        positives=positives,
        recall=round(float(passed[flagged].mean()), 4),
        pass_rate=round(float(passed.mean()), 4),
    )


def _threshold(probs: np.ndarray, flagged: np.ndarray, cued: np.ndarray, recall: float) -> float:
    """The highest threshold that lets through ``recall`` of the flagged sentences (forced ones
    count as let through)."""
    needed = int(np.ceil(recall * flagged.sum())) - int((flagged & cued).sum())
    if needed <= 0:
        return 1.0
    rest = np.sort(probs[flagged & ~cued])[::-1]
    return float(rest[min(needed, len(rest)) - 1])


def _logistic(vectors: np.ndarray, target: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(vectors, target)
    return model


def _sigmoid(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return result
