"""Frame detection with one verb: :meth:`FrameDetector.score`.

Each sentence gets a probability per frame from three kinds of evidence:

- **prototypes**: how close the sentence's embedding is to the codebook's example sentences of each
  frame (mean of the closest few), compared with the other frames and with frame-free background
  sentences;
- **cues**: the frame's phrases, found on lemmas (a match raises the frame's log-odds by the
  codebook's ``cue_weight``), and rebuttals (a negated cue, a counter-cue or a rejection), which keep
  the frame from being detected;
- **a trained classifier**, when ``framewatch frames train`` has stored one for the codebook, in place
  of the prototypes.

The prototype scores are calibrated without any labelled corpus: every prototype and background
sentence is scored against the others (leave one out), a logistic regression per frame maps the
similarities to probabilities, and each frame's threshold is the one that best separates its own
prototypes from the rest. Nothing in that calibration sees evaluation data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.classifier import FrameClassifier, decide
from models.codebook import Codebook
from models.cues import CueEvidence, CueMatcher
from models.evaluation import best_threshold

PROTOTYPE_C = 4.0
PROTOTYPE_FOLDS = 5
MIN_THRESHOLD = 0.2
SECOND_FRAME_RATIO = 0.9


@dataclass(frozen=True)
class FrameScores:
    """Scores of a batch of sentences.

    Attributes:
        frame_ids: Column order of ``probs``.
        probs: Calibrated probability per sentence (rows) and frame (columns).
        thresholds: Per frame: the probability from which a sentence counts as a mention.
        evidence: Per sentence and frame: ``cue``, ``prototype``, ``classifier``, or two joined by
            ``+``.
        rebutted: Per sentence and frame: the sentence rebuts the frame (negated cue, counter-cue).
        single_label: At most one frame per sentence (a classifier trained on single labels).
        relative: A second frame counts only with at least this share of the top frame's
            probability (prototype scores, which compete in one softmax).
    """

    frame_ids: list[str]
    probs: np.ndarray
    thresholds: np.ndarray
    evidence: list[list[str]]
    rebutted: np.ndarray
    single_label: bool = False
    relative: float = 0.0

    @property
    def detected(self) -> np.ndarray:
        """Boolean matrix: which frames each sentence carries."""
        hits = decide(self.probs, self.thresholds, self.single_label)
        if self.relative and self.probs.size:
            hits &= self.probs >= self.relative * self.probs.max(axis=1, keepdims=True)
        return hits

    def top(self, row: int) -> str | None:
        """The most likely detected frame of one sentence, or None."""
        hits = np.flatnonzero(self.detected[row])
        if not hits.size:
            return None
        return self.frame_ids[int(hits[np.argmax(self.probs[row, hits])])]


class FrameDetector:
    """Scores sentences against a codebook.

    Args:
        codebook: The codebook.
        prototype_vectors: Embeddings of the codebook's prototypes (frame by frame, in order) then
            its background sentences, as made by the embedding model that sentences use.
        cues: A cue matcher for the codebook, or None to use embeddings only.
        classifier: A trained classifier to use instead of the prototypes.
        embedding_model: Id of the embedding model (``Embedder.model_id``).
        embedder: The embedder itself, for callers that must embed sentences first.
    """

    def __init__(
        self,
        codebook: Codebook,
        prototype_vectors: np.ndarray,
        *,
        cues: CueMatcher | None = None,
        classifier: FrameClassifier | None = None,
        embedding_model: str = "",
        embedder: Any = None,
    ) -> None:
        self.codebook = codebook
        self.frame_ids = codebook.frame_ids
        self.cues = cues
        self.classifier = classifier
        self.embedding_model = embedding_model
        self.embedder = embedder
        self._owners = prototype_owners(codebook)
        self._vectors = np.asarray(prototype_vectors, dtype=np.float32)
        if self._vectors.shape[0] != len(self._owners):
            raise ValueError("one prototype vector per prototype and background sentence")
        self.calibration = calibrate(self._vectors, self._owners, len(self.frame_ids))

    @property
    def model_id(self) -> str:
        """What produced the scores: the classifier or the prototypes, and the embedding model."""
        if self.classifier is not None:
            return self.classifier.model_id
        return f"{self.codebook.ref}.prototypes+cues@{self.embedding_model}"

    def score(
        self,
        texts: Sequence[str],
        vectors: np.ndarray,
        evidence: list[CueEvidence] | None = None,
    ) -> FrameScores:
        """Score sentences.

        Args:
            texts: The sentences (for cues, and for a classifier's n-gram features).
            vectors: Their embeddings, one row per sentence, from :attr:`embedding_model`.
            evidence: Their cue evidence when the caller has matched cues already.

        Returns:
            Calibrated probabilities, thresholds and evidence for every sentence and frame.
        """
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
        if self.classifier is not None:
            logits = _logit(self.classifier.predict_proba(vectors, texts))
            thresholds = self.classifier.thresholds
            base = "classifier"
        else:
            logits = self.calibration.logits(vectors)
            thresholds = self.calibration.thresholds
            base = "prototype"
        if evidence is None:
            evidence = self.match_cues(texts)
        return _combine(self, logits, thresholds, evidence, base)

    def match_cues(self, texts: Sequence[str]) -> list[CueEvidence]:
        """Cue evidence of each sentence (empty without a cue matcher)."""
        return self.cues.match(texts) if self.cues else [CueEvidence() for _ in texts]


def _combine(
    detector: FrameDetector,
    logits: np.ndarray,
    thresholds: np.ndarray,
    evidence: list[CueEvidence],
    base: str,
) -> FrameScores:
    """Add cue evidence to model log-odds and label where each detection comes from.

    Prototype log-odds have a last "no frame" column and go through a softmax; classifier log-odds
    are per frame and go through a sigmoid.
    """
    frame_ids = detector.frame_ids
    n_frames = len(frame_ids)
    support = np.array([[f in e.support for f in frame_ids] for e in evidence], dtype=bool)
    rebutted = np.array([[f in e.rebutted for f in frame_ids] for e in evidence], dtype=bool)
    support = support.reshape(len(logits), n_frames)
    rebutted = rebutted.reshape(len(logits), n_frames)
    squash = _sigmoid if base == "classifier" else _softmax
    model_probs = squash(logits)[:, :n_frames]
    model_only = model_probs >= thresholds
    rejects = np.array([e.rejects for e in evidence], dtype=bool)
    if rejects.any():
        # "The claim that … does not hold up": the rejected frame is the one the sentence is about.
        rows = np.flatnonzero(rejects)
        rebutted[rows, model_probs[rows].argmax(axis=1)] = True
    cue_weight = detector.codebook.cue_weight if base == "prototype" else 0.0
    adjusted = logits.copy()
    adjusted[:, :n_frames] += cue_weight * support
    # A rebutted frame loses its probability without handing it to the other frames.
    probs = np.where(rebutted, 0.0, squash(adjusted)[:, :n_frames])
    labels = [
        [
            f"cue+{base}" if cue and alone else ("cue" if cue else base)
            for cue, alone in zip(row_cue, row_alone, strict=True)
        ]
        for row_cue, row_alone in zip(support, model_only, strict=True)
    ]
    single = detector.classifier is not None and detector.classifier.single_label
    relative = 0.0 if base == "classifier" else SECOND_FRAME_RATIO
    return FrameScores(frame_ids, probs, np.asarray(thresholds), labels, rebutted, single, relative)


def prototype_owners(codebook: Codebook) -> np.ndarray:
    """Frame index of each prototype, in :func:`prototype_texts` order; -1 for background."""
    owners = [i for i, frame in enumerate(codebook.frames) for _ in frame.prototypes]
    owners += [-1] * len(codebook.background)
    return np.asarray(owners, dtype=np.int64)


def prototype_texts(codebook: Codebook) -> list[str]:
    """All prototype sentences frame by frame, then the background sentences."""
    return [text for frame in codebook.frames for text in frame.prototypes] + list(
        codebook.background
    )


@dataclass(frozen=True)
class Calibration:
    """A multinomial logistic map from embeddings to frames (plus "no frame"), and thresholds.

    Attributes:
        weights: One row per frame, then one for "no frame".
        bias: One per row of ``weights``.
        thresholds: Per frame: the probability from which a sentence counts as a mention.
    """

    weights: np.ndarray
    bias: np.ndarray
    thresholds: np.ndarray

    def logits(self, vectors: np.ndarray) -> np.ndarray:
        """Log-odds per sentence for every frame and, last, for "no frame"."""
        result: np.ndarray = vectors @ self.weights.T + self.bias
        return result


def calibrate(vectors: np.ndarray, owners: np.ndarray, n_frames: int) -> Calibration:
    """Fit the prototype model and choose each frame's threshold by cross-validation.

    The model is a multinomial logistic regression from the prototypes' embeddings to their frames,
    with the background sentences as the "no frame" class. Each frame's threshold maximises its F1
    on out-of-fold probabilities over the prototypes, so it is set without any evaluation data.
    """
    classes = np.where(owners < 0, n_frames, owners)
    weights, bias = _fit_multinomial(vectors, classes, n_frames + 1)
    out_of_fold = np.zeros((len(classes), n_frames + 1))
    for fold in range(PROTOTYPE_FOLDS):
        test = np.arange(len(classes)) % PROTOTYPE_FOLDS == fold
        w, b = _fit_multinomial(vectors[~test], classes[~test], n_frames + 1)
        out_of_fold[test] = _softmax(vectors[test] @ w.T + b)
    thresholds = np.array(
        [best_threshold(out_of_fold[:, f], classes == f) for f in range(n_frames)]
    )
    return Calibration(weights, bias, np.clip(thresholds, MIN_THRESHOLD, None))


def _fit_multinomial(
    vectors: np.ndarray, classes: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weights and biases for all ``n_classes`` (zeros for classes absent from ``classes``)."""
    import warnings

    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=PROTOTYPE_C, max_iter=3000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(vectors, classes)
    weights = np.zeros((n_classes, vectors.shape[1]))
    bias = np.full(n_classes, -30.0)
    weights[model.classes_], bias[model.classes_] = model.coef_, model.intercept_
    return weights, bias


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return result


def _sigmoid(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return result


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    result: np.ndarray = np.log(p / (1 - p))
    return result


def build_detector(
    codebook: Codebook, embedder: Any, nlp: Any | None, classifier: FrameClassifier | None = None
) -> FrameDetector:
    """Make a detector: embed the codebook's prototypes and build its cue matcher.

    Args:
        codebook: The codebook.
        embedder: An :class:`models.embedder.Embedder` (anything with ``embed`` and ``model_id``).
        nlp: A spaCy pipeline with lemmas, or None to skip cues.
        classifier: A trained classifier to use instead of the prototypes.
    """
    vectors = embedder.embed(prototype_texts(codebook))
    cues = CueMatcher(codebook, nlp) if nlp is not None else None
    return FrameDetector(
        codebook,
        vectors,
        cues=cues,
        classifier=classifier,
        embedding_model=embedder.model_id,
        embedder=embedder,
    )
