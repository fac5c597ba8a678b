"""Frame detection with one verb: :meth:`FrameDetector.score`.

Each sentence gets a probability per frame from two kinds of evidence, read by one model:

- **the sentence's embedding**, and
- **cues**: the frame's phrases, found on lemmas, as one feature per frame; a rebuttal (a negated
  cue, a counter-cue, "so-called", a rejection) keeps the frame from being detected at all.

The codebook's own detector is a multinomial logistic regression over those features, with "no
frame" as a class of its own. It learns from sentences written for the codebook only: the
prototypes (one frame each), the background sentences (no frame) and the labelled examples (any
number of frames each; a two-frame sentence counts once for each). Each frame's threshold is the
one that maximises its F1 on out-of-fold probabilities over those sentences, so nothing in it sees
evaluation data. A sentence carries every frame whose probability reaches that frame's threshold, and
a second frame with evidence of its own (its cue) survives beside a stronger first one when it holds
its threshold's share of the probability the first one leaves.

A trained classifier (``framewatch frames train``) replaces the codebook's model for a study.

Fitting embeds a few hundred sentences, so a fit is kept in a cache folder, named by a hash of
everything it depends on (the codebook's content, the embedding model, the features, this file's
format): a codebook or model change refits, nothing else does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.classifier import FrameClassifier, decide
from models.codebook import Codebook
from models.cues import CueEvidence, CueMatcher
from models.evaluation import best_threshold
from models.lexical import Lexicon, fit_lexicon, lexicon_from_arrays
from models.subject import SubjectGate
from pipeline.outputs import OutputError, atomic_file

PROTOTYPE_C = 8.0
PROTOTYPE_FOLDS = 5
MIN_THRESHOLD = 0.2
# Bump when the features or the fit change: cached fits of another format are not reused.
FIT_FORMAT = 3


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
        second_by_cue: A frame named by its own cue beside a stronger frame counts when it holds
            at least its threshold of the probability the stronger frame leaves (the codebook's
            model, whose frames share one softmax).
    """

    frame_ids: list[str]
    probs: np.ndarray
    thresholds: np.ndarray
    evidence: list[list[str]]
    rebutted: np.ndarray
    single_label: bool = False
    second_by_cue: bool = False

    @property
    def detected(self) -> np.ndarray:
        """Boolean matrix: which frames each sentence carries.

        Every frame whose probability reaches its threshold; and, with :attr:`second_by_cue`, a
        frame with a cue of its own whose share of what the top frame leaves reaches it
        ("called it theft and urged regulators to tighten export controls": security on top,
        theft by its cue).
        """
        hits = decide(self.probs, self.thresholds, self.single_label)
        if self.second_by_cue and self.probs.size:
            top = self.probs.max(axis=1, keepdims=True)
            left = self.probs / np.clip(1.0 - top, 1e-9, None)
            cue = np.array(
                [[e.startswith("cue") for e in row] for row in self.evidence], dtype=bool
            )
            hits |= cue.reshape(hits.shape) & (self.probs < top) & (left >= self.thresholds)
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
        calibration: The codebook's fitted model (see :func:`calibrate`).
        cues: A cue matcher for the codebook, or None to use embeddings only.
        classifier: A trained classifier to use instead of the codebook's model.
        embedding_model: Id of the embedding model (``Embedder.model_id``).
        embedder: The embedder itself, for callers that must embed sentences first.
    """

    def __init__(
        self,
        codebook: Codebook,
        calibration: Calibration,
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
        self.calibration = calibration
        self.gate = SubjectGate(codebook.subject)

    @property
    def model_id(self) -> str:
        """What produced the scores: the classifier or the codebook's model, and the embeddings."""
        if self.classifier is not None:
            return self.classifier.model_id
        return (
            f"{self.codebook.ref}.prototypes+cues-{self.calibration.digest}@{self.embedding_model}"
        )

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
        vectors = np.asarray(vectors, dtype=np.float32)
        vectors = vectors.reshape(len(texts), vectors.shape[-1] if vectors.ndim > 1 else 0)
        if evidence is None:
            evidence = self.match_cues(texts)
        support, rebutted = evidence_matrices(evidence, self.frame_ids)
        if self.classifier is not None:
            model_probs = self.classifier.predict_proba(vectors, texts)
            cue_probs = model_probs
            thresholds = self.classifier.thresholds
            base = "classifier"
        else:
            lexical = self.calibration.lexical(texts)
            model_probs = _softmax(
                self.calibration.logits(vectors, np.zeros_like(support), lexical)
            )
            cue_probs = _softmax(self.calibration.logits(vectors, support, lexical))
            model_probs, cue_probs = (
                model_probs[:, : len(self.frame_ids)],
                cue_probs[:, : len(self.frame_ids)],
            )
            thresholds = self.calibration.thresholds
            base = "prototype"
        rejects = np.array([e.rejects for e in evidence], dtype=bool)
        if rejects.any():
            # "The claim that … does not hold up": the rejected frame is the one the sentence is about.
            rows = np.flatnonzero(rejects)
            rebutted[rows, cue_probs[rows].argmax(axis=1)] = True
        # A rebutted frame loses its probability without handing it to the other frames.
        probs = np.where(rebutted, 0.0, cue_probs)
        alone = model_probs >= thresholds
        labels = [
            [
                f"cue+{base}" if cue and model else ("cue" if cue else base)
                for cue, model in zip(row_cue, row_alone, strict=True)
            ]
            for row_cue, row_alone in zip(support, alone, strict=True)
        ]
        single = self.classifier is not None and self.classifier.single_label
        return FrameScores(
            self.frame_ids,
            probs,
            np.asarray(thresholds),
            labels,
            rebutted,
            single,
            second_by_cue=base == "prototype",
        )

    def match_cues(self, texts: Sequence[str]) -> list[CueEvidence]:
        """Cue evidence of each sentence (empty without a cue matcher)."""
        return self.cues.match(texts) if self.cues else [CueEvidence() for _ in texts]


def evidence_matrices(
    evidence: Sequence[CueEvidence], frame_ids: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Sentences × frames: which frames a cue supports, and which the sentence rebuts."""
    shape = (len(evidence), len(frame_ids))
    support = np.array([[f in e.support for f in frame_ids] for e in evidence], dtype=bool)
    rebutted = np.array([[f in e.rebutted for f in frame_ids] for e in evidence], dtype=bool)
    return support.reshape(shape), rebutted.reshape(shape)


@dataclass(frozen=True)
class TrainingSet:
    """The sentences a codebook's model learns from, with their frames (a boolean matrix)."""

    texts: list[str]
    labels: np.ndarray


def training_set(codebook: Codebook) -> TrainingSet:
    """Prototypes (their frame), background sentences (none) and labelled examples (theirs)."""
    ids = codebook.frame_ids
    rows: list[tuple[str, set[str]]] = [
        (text, {frame.id}) for frame in codebook.frames for text in frame.prototypes
    ]
    rows += [(text, set()) for text in codebook.background]
    rows += [(example.text, set(example.labels)) for example in codebook.examples]
    labels = np.array([[f in frames for f in ids] for _, frames in rows], dtype=bool)
    return TrainingSet([text for text, _ in rows], labels.reshape(len(rows), len(ids)))


def prototype_texts(codebook: Codebook) -> list[str]:
    """Every sentence the codebook's model learns from (:func:`training_set` order)."""
    return training_set(codebook).texts


@dataclass(frozen=True)
class Calibration:
    """A multinomial logistic map from a sentence's features to frames (plus "no frame").

    The features are the embedding, one cue column per frame, and the word and character n-gram
    TF-IDF of the text (:mod:`models.lexical`), which keeps the exact words that an embedding
    blurs ("lobbying", "funding round", "terms of service").

    Attributes:
        weights: One row per frame, then one for "no frame"; the embedding's columns, the cue
            columns, then the lexicon's.
        bias: One per row of ``weights``.
        thresholds: Per frame: the probability from which a sentence counts as a mention.
        lexicon: The n-gram vocabularies, or None for embeddings and cues alone.
    """

    weights: np.ndarray
    bias: np.ndarray
    thresholds: np.ndarray
    lexicon: Lexicon | None = None

    def lexical(self, texts: Sequence[str]) -> Any:
        """The texts' n-gram features (None without a lexicon)."""
        if self.lexicon is None or not len(texts):
            return None  # no n-gram columns to add (sklearn refuses an empty batch)
        return self.lexicon.features(list(texts))

    @property
    def digest(self) -> str:
        """Eight hex digits that change whenever the fit changes."""
        data = b"".join(
            np.ascontiguousarray(a, dtype=np.float32).tobytes()
            for a in (self.weights, self.bias, self.thresholds)
        )
        return hashlib.sha1(data).hexdigest()[:8]

    def logits(self, vectors: np.ndarray, support: np.ndarray, lexical: Any = None) -> np.ndarray:
        """Log-odds per sentence for every frame and, last, for "no frame"."""
        dense = np.hstack([vectors, np.asarray(support, dtype=np.float32)])
        result = dense @ self.weights[:, : dense.shape[1]].T + self.bias
        if lexical is not None:
            result = result + np.asarray(lexical @ self.weights[:, dense.shape[1] :].T)
        return np.asarray(result)


def calibrate(
    vectors: np.ndarray,
    support: np.ndarray,
    labels: np.ndarray,
    texts: Sequence[str] | None = None,
) -> Calibration:
    """Fit the codebook's model and choose each frame's threshold by cross-validation.

    Args:
        vectors: Embeddings of the training sentences.
        support: Their cue support (sentences × frames).
        labels: Their frames (sentences × frames); a row of False is "no frame".
        texts: The sentences themselves, for n-gram features (None: embeddings and cues only).

    A sentence with two frames is one example of each. Folds keep a sentence's copies together,
    and each frame's threshold maximises its F1 on out-of-fold probabilities.
    """
    import scipy.sparse as sp

    n_frames = labels.shape[1]
    lexicon = fit_lexicon(texts) if texts is not None else None
    dense = np.hstack([vectors, support.astype(np.float32)])
    features = (
        sp.hstack([sp.csr_matrix(dense), lexicon.features(list(texts or []))], format="csr")
        if lexicon is not None
        else dense
    )
    rows, classes = [], []
    for i, row in enumerate(labels):
        for f in np.flatnonzero(row) if row.any() else [n_frames]:
            rows.append(i)
            classes.append(int(f))
    row_of, target = np.asarray(rows), np.asarray(classes)
    weights, bias = _fit_multinomial(features[row_of], target, n_frames + 1)
    out_of_fold = np.zeros((len(labels), n_frames + 1))
    fold_of = np.arange(len(labels)) % PROTOTYPE_FOLDS
    for fold in range(PROTOTYPE_FOLDS):
        train = fold_of[row_of] != fold
        w, b = _fit_multinomial(features[row_of[train]], target[train], n_frames + 1)
        test = fold_of == fold
        out_of_fold[test] = _softmax(np.asarray(features[test] @ w.T) + b)
    thresholds = np.array(
        [best_threshold(out_of_fold[:, f], labels[:, f]) for f in range(n_frames)]
    )
    return Calibration(weights, bias, np.clip(thresholds, MIN_THRESHOLD, None), lexicon)


def _fit_multinomial(
    features: Any, classes: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weights and biases for all ``n_classes`` (zeros for classes absent from ``classes``)."""
    import warnings

    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=PROTOTYPE_C, max_iter=3000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(features, classes)
    weights = np.zeros((n_classes, features.shape[1]))
    bias = np.full(n_classes, -30.0)
    weights[model.classes_], bias[model.classes_] = model.coef_, model.intercept_
    return weights, bias


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    result: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return result


def fit_key(codebook: Codebook, embedding_model: str, cues: bool) -> str:
    """A hash of everything a codebook's fitted model depends on."""
    content = codebook.model_dump(mode="json", exclude={"source"})
    blob = json.dumps([FIT_FORMAT, content, embedding_model, cues], sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:20]


def fit_calibration(
    codebook: Codebook, embedder: Any, cues: CueMatcher | None, cache: Path | None = None
) -> Calibration:
    """The codebook's fitted model: from ``cache`` when fitted before, else fitted (and kept)."""
    key = fit_key(codebook, embedder.model_id, cues is not None)
    path = cache / f"detector-{codebook.id}-{key}.npz" if cache is not None else None
    if path is not None and path.is_file():
        try:
            with np.load(path) as stored:
                arrays = dict(stored)
            lexicon = lexicon_from_arrays(arrays) if "word_terms" in arrays else None
            return Calibration(arrays["weights"], arrays["bias"], arrays["thresholds"], lexicon)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file is fitted again and replaced
    data = training_set(codebook)
    vectors = np.asarray(embedder.embed(data.texts), dtype=np.float32)
    evidence = cues.match(data.texts) if cues else [CueEvidence() for _ in data.texts]
    support, _ = evidence_matrices(evidence, codebook.frame_ids)
    calibration = calibrate(vectors, support, data.labels, data.texts)
    if path is not None:
        _save_calibration(path, calibration)
    return calibration


def _save_calibration(path: Path, calibration: Calibration) -> None:
    """Keep a fit in the cache, atomically (a reader never sees half a file)."""
    arrays = calibration.lexicon.arrays() if calibration.lexicon is not None else {}
    arrays |= {
        "weights": calibration.weights,
        "bias": calibration.bias,
        "thresholds": calibration.thresholds,
    }
    save: Any = np.savez  # its stubs type **arrays as its own keyword options
    try:
        with atomic_file(path) as temporary, temporary.open("wb") as handle:
            save(handle, **arrays)
    except OutputError:
        pass  # a read-only cache only costs the next run a fit


def build_detector(
    codebook: Codebook,
    embedder: Any,
    nlp: Any | None,
    classifier: FrameClassifier | None = None,
    cache: Path | None = None,
) -> FrameDetector:
    """Make a detector: its cue matcher and the codebook's fitted model.

    Args:
        codebook: The codebook.
        embedder: An :class:`models.embedder.Embedder` (anything with ``embed`` and ``model_id``).
        nlp: A spaCy pipeline with lemmas, or None to skip cues.
        classifier: A trained classifier to use instead of the codebook's model.
        cache: A folder in which fitted models are kept between runs (None: fit every time).
    """
    cues = CueMatcher(codebook, nlp) if nlp is not None else None
    return FrameDetector(
        codebook,
        fit_calibration(codebook, embedder, cues, cache),
        cues=cues,
        classifier=classifier,
        embedding_model=embedder.model_id,
        embedder=embedder,
    )
