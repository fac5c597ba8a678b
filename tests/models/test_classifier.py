"""Supervised classifiers on embeddings: training, decisions, storage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.classifier import (
    classifier_paths,
    cross_validate,
    decide,
    load_classifier,
    save_classifier,
    train_classifier,
)
from models.evaluation import macro_f1
from pipeline.errors import ModelError

FRAMES = ["a", "b", "c"]


def clusters(n: int = 60, seed: int = 1) -> tuple[np.ndarray, list[set[str]]]:
    """Three well-separated clusters of unit vectors, labelled a, b, c."""
    rng = np.random.default_rng(seed)
    centres = np.eye(3, 16) * 3
    labels = [FRAMES[i % 3] for i in range(n)]
    vectors = np.stack([centres[FRAMES.index(x)] + rng.normal(0, 0.4, 16) for x in labels])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors, [{x} for x in labels]


def test_a_single_label_classifier_separates_clusters() -> None:
    vectors, labels = clusters()
    model = train_classifier(
        vectors,
        labels,
        FRAMES,
        single_label=True,
        codebook_ref="codebook.t.v1",
        embedding_model="m",
    )
    predicted = decide(model.predict_proba(vectors), model.thresholds, True)
    assert predicted.sum(axis=1).max() == 1
    gold = np.array([[f in row for f in FRAMES] for row in labels])
    assert macro_f1(gold, predicted) > 0.95
    assert model.model_id.startswith("codebook.t.v1.classifier-") and model.model_id.endswith("@m")


def test_cross_validation_predicts_every_text_out_of_fold() -> None:
    vectors, labels = clusters(n=36)
    predicted, proba = cross_validate(vectors, labels, FRAMES, folds=3, single_label=True)
    gold = np.array([[f in row for f in FRAMES] for row in labels])
    assert proba.shape == (36, 3) and macro_f1(gold, predicted) > 0.9


def test_a_frame_without_examples_is_never_predicted() -> None:
    vectors, labels = clusters()
    labels = [row if row != {"c"} else set() for row in labels]
    model = train_classifier(
        vectors, labels, FRAMES, single_label=False, codebook_ref="x", embedding_model="m"
    )
    assert model.predict_proba(vectors)[:, 2].max() < 1e-6


def test_one_class_cannot_be_trained() -> None:
    vectors, _ = clusters()
    with pytest.raises(ModelError, match="at least two frames"):
        train_classifier(
            vectors, [{"a"}] * 60, FRAMES, single_label=True, codebook_ref="x", embedding_model="m"
        )


def test_a_stored_classifier_reads_back_the_same(tmp_path: Path) -> None:
    vectors, labels = clusters()
    model = train_classifier(
        vectors, labels, FRAMES, single_label=True, codebook_ref="x", embedding_model="m"
    )
    weights, info = classifier_paths(tmp_path / "codebooks", "tiny", "1")
    assert load_classifier(weights, info) is None
    save_classifier(model, weights, info)
    again = load_classifier(weights, info)
    assert again is not None and again.model_id == model.model_id
    assert np.allclose(again.predict_proba(vectors), model.predict_proba(vectors))
    assert sorted(p.name for p in weights.parent.iterdir()) == [
        "tiny.v1.classifier.json",
        "tiny.v1.classifier.npz",
    ]
