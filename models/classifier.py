"""Supervised frame classifiers trained on sentence embeddings and the texts' words.

One logistic regression per frame (one-vs-rest) over the embeddings of labelled sentences or
headlines and, beside them in the same linear model, word and character n-gram TF-IDF of their
texts (:mod:`models.lexical`; on GVFC this lifted 5-fold accuracy from 0.780 to 0.796). Classes are weighted
by their frequency so that rare frames are not drowned by common ones (on GVFC this lifted macro-F1
from 0.69 to 0.74). The regularisation strength is chosen by inner cross-validation. Each frame's decision threshold maximises its F1 on out-of-fold
predictions; in single-label mode a text carries at most its most probable frame, and none only
when its top probability is below a cut calibrated the same way.

A trained classifier is stored as two files beside the study's codebook in the data folder: an
``.npz`` of the weights (and of the n-gram vocabularies and idf) and a ``.json`` of what it was
trained on, with a format number; files of format 1 (embeddings only) still load. Both are written to temporary
files first and renamed, so a failed training leaves the previous classifier untouched.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from models.evaluation import best_threshold, macro_f1
from models.lexical import BLOCKS, Lexicon, fit_lexicon, lexicon_from_arrays
from pipeline.errors import ModelError
from pipeline.outputs import atomic_file, write_text

C_GRID = (0.5, 2.0, 8.0, 32.0)
INNER_FOLDS = 3
# 1: embeddings only; 2: a lexicon may follow the embedding columns.
FORMAT = 2


@dataclass(frozen=True)
class FrameClassifier:
    """A trained one-vs-rest classifier.

    Attributes:
        codebook_ref: The codebook it codes (``codebook.ai_distillation.v1``).
        frame_ids: Column order of its probabilities.
        coef: Weights, one row per frame.
        intercept: Bias per frame.
        thresholds: Decision threshold per frame.
        single_label: Whether a sentence carries at most one frame.
        embedding_model: The embedding model its inputs must come from.
        meta: Training facts (examples per frame, C, when).
        lexicon: The n-gram vocabularies whose TF-IDF columns follow the embedding's in ``coef``;
            None for a classifier of embeddings alone.
    """

    codebook_ref: str
    frame_ids: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    thresholds: np.ndarray
    single_label: bool
    embedding_model: str
    meta: dict[str, Any] = field(default_factory=dict)
    lexicon: Lexicon | None = None

    @property
    def features(self) -> list[str]:
        """The feature blocks it reads: ``embedding``, then ``word`` and ``char`` with a lexicon."""
        return ["embedding", *(BLOCKS if self.lexicon is not None else [])]

    @property
    def digest(self) -> str:
        """Eight hex digits that change whenever the weights change."""
        data = self.coef.astype(np.float32).tobytes() + self.intercept.astype(np.float32).tobytes()
        return hashlib.sha1(data).hexdigest()[:8]

    @property
    def model_id(self) -> str:
        """Versioned id written to ``frame_mentions.model``."""
        return f"{self.codebook_ref}.classifier-{self.digest}@{self.embedding_model}"

    def predict_proba(self, vectors: np.ndarray, texts: Sequence[str] | None = None) -> np.ndarray:
        """Probability of each frame (columns) for each text (rows).

        Args:
            vectors: The texts' embeddings.
            texts: The texts themselves; needed when the classifier has a lexicon.

        Raises:
            ModelError: When the classifier has a lexicon and no texts are given.
        """
        if self.lexicon is not None and texts is None:
            raise ModelError(
                f"{self.model_id} reads the texts as well as their embeddings; pass the texts"
            )
        logits = np.asarray(design_matrix(vectors, texts, self.lexicon) @ self.coef.T)
        result: np.ndarray = 1.0 / (1.0 + np.exp(-(logits + self.intercept)))
        return result


def design_matrix(vectors: np.ndarray, texts: Sequence[str] | None, lexicon: Lexicon | None) -> Any:
    """The model's inputs: the embeddings, then (with a lexicon) the texts' n-gram TF-IDF.

    Returns:
        A dense array without a lexicon, else a sparse CSR matrix.
    """
    dense = np.asarray(vectors, dtype=np.float64)
    if lexicon is None or texts is None:
        return dense
    if len(texts) != len(dense):
        raise ValueError(f"{len(texts)} texts but {len(dense)} vectors")
    import scipy.sparse as sp

    return sp.hstack([sp.csr_matrix(dense), lexicon.features(texts)], format="csr")


def train_classifier(
    vectors: np.ndarray,
    labels: Sequence[set[str]],
    frame_ids: list[str],
    *,
    single_label: bool,
    codebook_ref: str,
    embedding_model: str,
    texts: Sequence[str] | None = None,
    lexical: bool = True,
) -> FrameClassifier:
    """Train one logistic regression per frame on labelled embeddings (and texts).

    Args:
        vectors: Embeddings of the labelled texts.
        labels: The frames of each text (empty for none).
        frame_ids: The codebook's frames; frames without examples are never predicted.
        single_label: Whether each text carries at most one frame.
        codebook_ref: Versioned codebook name.
        embedding_model: Id of the model that made ``vectors``.
        texts: The labelled texts, for word and character n-gram features; None for embeddings
            only.
        lexical: Whether to use the texts' n-grams when ``texts`` are given.

    Raises:
        ModelError: When fewer than two frames have examples.
    """
    targets = label_matrix(labels, frame_ids)
    present = [f for f in range(len(frame_ids)) if 0 < targets[:, f].sum() < len(labels)]
    if len(present) < 2 and not (len(present) == 1 and (targets.sum(axis=1) == 0).any()):
        raise ModelError("a classifier needs examples of at least two frames (or of none)")
    # The vocabulary and idf come from all training texts, also in the inner cross-validation
    # below: they use no labels, so fitting them once lets no label into the choice of C.
    lexicon = fit_lexicon(texts) if texts is not None and lexical else None
    features = design_matrix(vectors, texts, lexicon)
    c_value = _choose_c(features, targets, present, single_label)
    dim = features.shape[1]
    coef, intercept = np.zeros((len(frame_ids), dim)), np.full(len(frame_ids), -30.0)
    for f in present:
        coef[f], intercept[f] = _fit_binary(features, targets[:, f], c_value)
    out_of_fold = _cross_val_proba(features, targets, present, c_value, single_label)
    thresholds = _thresholds(out_of_fold, targets, present, single_label)
    meta = {
        "examples": {frame_ids[f]: int(targets[:, f].sum()) for f in range(len(frame_ids))},
        "texts": len(labels),
        "C": c_value,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return FrameClassifier(
        codebook_ref,
        list(frame_ids),
        coef,
        intercept,
        thresholds,
        single_label,
        embedding_model,
        meta,
        lexicon,
    )


def _thresholds(
    out_of_fold: np.ndarray, targets: np.ndarray, present: list[int], single_label: bool
) -> np.ndarray:
    """Decision thresholds calibrated on out-of-fold probabilities."""
    thresholds = np.full(targets.shape[1], 0.5)
    if single_label:
        thresholds[:] = single_threshold(out_of_fold, targets)
    else:
        for f in present:
            thresholds[f] = best_threshold(out_of_fold[:, f], targets[:, f])
    return thresholds


def label_matrix(labels: Sequence[set[str]], frame_ids: list[str]) -> np.ndarray:
    """Boolean matrix: text (rows) carries frame (columns)."""
    return np.array([[f in row for f in frame_ids] for row in labels], dtype=bool).reshape(
        len(labels), len(frame_ids)
    )


def _fit_binary(vectors: Any, target: np.ndarray, c_value: float) -> tuple[Any, Any]:
    from sklearn.linear_model import LogisticRegression

    # liblinear's dual solver is ten times faster than lbfgs on tens of thousands of sparse n-gram
    # columns, and as good on embeddings alone; its random_state makes it deterministic.
    model = LogisticRegression(
        C=c_value,
        max_iter=2000,
        class_weight="balanced",
        solver="liblinear",
        dual=True,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(vectors, target)
    return model.coef_[0], model.intercept_[0]


def _cross_val_proba(
    vectors: Any,
    targets: np.ndarray,
    present: list[int],
    c_value: float,
    single_label: bool,
    folds: int = INNER_FOLDS,
) -> np.ndarray:
    """Out-of-fold probabilities for every text and frame."""
    proba = np.zeros(targets.shape)
    for train, test in fold_indices(targets, folds, seed=7):
        for f in present:
            if 0 < targets[train, f].sum() < len(train):
                w, b = _fit_binary(vectors[train], targets[train, f], c_value)
                logits = np.asarray(vectors[test] @ w).ravel() + b
                proba[test, f] = 1.0 / (1.0 + np.exp(-logits))
    return proba


def _choose_c(vectors: Any, targets: np.ndarray, present: list[int], single_label: bool) -> float:
    """The regularisation strength with the best out-of-fold macro-F1."""
    best, best_score = C_GRID[0], -1.0
    for c_value in C_GRID:
        proba = _cross_val_proba(vectors, targets, present, c_value, single_label)
        cut = 0.0 if single_label and targets.any(axis=1).all() else 0.5
        predicted = decide(proba, np.full(targets.shape[1], cut), single_label)
        score = macro_f1(targets[:, present], predicted[:, present])
        if score > best_score:
            best, best_score = c_value, score
    return best


def single_threshold(proba: np.ndarray, targets: np.ndarray) -> float:
    """The cut on the top frame's probability below which a text gets no frame.

    Zero when every training text has a frame (the top frame is always right to give); otherwise
    the cut with the most texts coded correctly on out-of-fold probabilities.
    """
    if targets.any(axis=1).all():
        return 0.0
    top = proba.argmax(axis=1)
    right_frame = targets[np.arange(len(targets)), top]
    unlabelled = ~targets.any(axis=1)
    best, best_correct = 0.5, -1
    for cut in np.unique(proba.max(axis=1)):
        given = proba.max(axis=1) >= cut
        correct = int(np.sum(given & right_frame) + np.sum(~given & unlabelled))
        if correct > best_correct:
            best, best_correct = float(cut), correct
    return best


def decide(proba: np.ndarray, thresholds: np.ndarray, single_label: bool) -> np.ndarray:
    """Which frames each text carries: above threshold, and only the best one when single-label."""
    hits: np.ndarray = proba >= thresholds
    if single_label and proba.size:
        best = np.zeros_like(hits)
        best[np.arange(len(proba)), proba.argmax(axis=1)] = True
        hits &= best
    return hits


def fold_indices(
    targets: np.ndarray, folds: int, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified (by first label) train/test index pairs for k-fold cross-validation."""
    from sklearn.model_selection import StratifiedKFold

    strata = np.where(targets.any(axis=1), targets.argmax(axis=1), -1)
    counts = np.unique(strata, return_counts=True)[1]
    folds = max(2, min(folds, int(counts.min()) if counts.min() >= 2 else folds))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(splitter.split(np.zeros(len(strata)), strata))


def classifier_paths(folder: Path, codebook_id: str, version: str) -> tuple[Path, Path]:
    """Where a codebook's classifier lives: ``FOLDER/ID.vVERSION.classifier.{npz,json}``."""
    stem = f"{codebook_id}.v{version}.classifier"
    return folder / f"{stem}.npz", folder / f"{stem}.json"


def save_classifier(classifier: FrameClassifier, weights: Path, info: Path) -> None:
    """Write a classifier's two files, each atomically (see :func:`pipeline.outputs.atomic_file`)."""
    arrays: dict[str, Any] = {
        "coef": classifier.coef,
        "intercept": classifier.intercept,
        "thresholds": classifier.thresholds,
        **(classifier.lexicon.arrays() if classifier.lexicon is not None else {}),
    }
    document = {
        "format": FORMAT,
        "features": classifier.features,
        "codebook": classifier.codebook_ref,
        "frame_ids": classifier.frame_ids,
        "single_label": classifier.single_label,
        "embedding_model": classifier.embedding_model,
        "model_id": classifier.model_id,
        **classifier.meta,
    }
    with atomic_file(weights) as temp, temp.open("wb") as handle:
        np.savez_compressed(handle, allow_pickle=False, **arrays)
    write_text(info, json.dumps(document, indent=2))


def load_classifier(weights: Path, info: Path) -> FrameClassifier | None:
    """Read a stored classifier; None when there is none.

    Raises:
        ModelError: When the files exist but cannot be read.
    """
    if not (weights.is_file() and info.is_file()):
        return None
    try:
        document = json.loads(info.read_text(encoding="utf-8"))
        version = int(document.get("format", 1))
        if version > FORMAT:
            raise ValueError(f"format {version} is newer than this framewatch reads ({FORMAT})")
        with np.load(weights) as arrays:
            coef, intercept = arrays["coef"], arrays["intercept"]
            thresholds = arrays["thresholds"]
            lexical = "word" in document.get("features", ["embedding"])
            lexicon = lexicon_from_arrays(arrays) if lexical else None
        if lexicon is not None and coef.shape[1] <= lexicon.dimension:
            raise ValueError(f"{coef.shape[1]} weights per frame for {lexicon.dimension} n-grams")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(
            f"{weights}: the stored classifier cannot be read ({exc}); "
            "run `framewatch frames train` again or delete the file"
        ) from exc
    meta = {k: v for k, v in document.items() if k in {"examples", "texts", "C", "trained_at"}}
    return FrameClassifier(
        document["codebook"],
        list(document["frame_ids"]),
        coef,
        intercept,
        thresholds,
        bool(document["single_label"]),
        document["embedding_model"],
        meta,
        lexicon,
    )


def cross_validate(
    vectors: np.ndarray,
    labels: Sequence[set[str]],
    frame_ids: list[str],
    *,
    folds: int = 5,
    single_label: bool,
    seed: int = 0,
    texts: Sequence[str] | None = None,
    lexical: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold predictions of :func:`train_classifier` over k folds.

    ``texts`` and ``lexical`` are passed on to :func:`train_classifier`; each fold's n-gram
    vocabulary comes from its training texts only.

    Returns:
        Boolean predictions and probabilities, texts × frames, each from a model that did not see
        the text.
    """
    targets = label_matrix(labels, frame_ids)
    predicted = np.zeros(targets.shape, dtype=bool)
    proba = np.zeros(targets.shape)
    for train, test in fold_indices(targets, folds, seed=seed):
        model = train_classifier(
            vectors[train],
            [labels[i] for i in train],
            frame_ids,
            single_label=single_label,
            codebook_ref="cv",
            embedding_model="cv",
            texts=None if texts is None else [texts[i] for i in train],
            lexical=lexical,
        )
        test_texts = None if texts is None else [texts[i] for i in test]
        proba[test] = model.predict_proba(vectors[test], test_texts)
        predicted[test] = decide(proba[test], model.thresholds, single_label)
    return predicted, proba
