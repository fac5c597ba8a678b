"""Supervised classifiers on embeddings and n-grams: training, decisions, storage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.classifier import (
    FrameClassifier,
    classifier_paths,
    cross_validate,
    decide,
    label_matrix,
    load_classifier,
    save_classifier,
    train_classifier,
)
from models.codebook import load_codebook
from models.detector import Calibration, FrameDetector
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


KEYWORDS = {"a": ("rifle", "ammunition"), "b": ("senate", "ballot"), "c": ("therapy", "clinic")}
FILLER = ("the", "town", "news", "report", "today", "people", "local", "week")


def noisy_headlines(n: int = 60, seed: int = 2) -> tuple[np.ndarray, list[str], list[set[str]]]:
    """Headlines whose frame shows only in their words; their vectors are noise for every frame."""
    rng = np.random.default_rng(seed)
    labels = [FRAMES[i % 3] for i in range(n)]
    texts = [
        " ".join([*rng.choice(FILLER, 4), str(rng.choice(KEYWORDS[x])), *rng.choice(FILLER, 3)])
        for x in labels
    ]
    vectors = rng.normal(size=(n, 16))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors, texts, [{x} for x in labels]


def test_word_features_tell_apart_frames_the_embeddings_cannot() -> None:
    vectors, texts, labels = noisy_headlines()
    gold = label_matrix(labels, FRAMES)
    alone, _ = cross_validate(vectors, labels, FRAMES, folds=3, single_label=True)
    with_words, _ = cross_validate(vectors, labels, FRAMES, folds=3, single_label=True, texts=texts)
    assert macro_f1(gold, alone) < 0.6
    assert macro_f1(gold, with_words) > 0.95


def test_without_lexical_the_texts_are_ignored() -> None:
    vectors, texts, labels = noisy_headlines()
    model = lexical_model(vectors, texts, labels, lexical=False)
    assert model.lexicon is None and model.coef.shape == (3, 16)
    assert model.features == ["embedding"]


def lexical_model(
    vectors: np.ndarray, texts: list[str], labels: list[set[str]], *, lexical: bool = True
) -> FrameClassifier:
    return train_classifier(
        vectors,
        labels,
        FRAMES,
        single_label=True,
        codebook_ref="x",
        embedding_model="m",
        texts=texts,
        lexical=lexical,
    )


def test_training_is_deterministic() -> None:
    vectors, texts, labels = noisy_headlines()
    first, second = lexical_model(vectors, texts, labels), lexical_model(vectors, texts, labels)
    assert first.model_id == second.model_id
    assert np.array_equal(first.thresholds, second.thresholds)


def test_a_stored_lexical_classifier_predicts_exactly_the_same(tmp_path: Path) -> None:
    vectors, texts, labels = noisy_headlines()
    model = lexical_model(vectors, texts, labels)
    assert model.features == ["embedding", "word", "char"]
    weights, info = classifier_paths(tmp_path, "tiny", "1")
    save_classifier(model, weights, info)
    again = load_classifier(weights, info)
    assert again is not None and again.lexicon is not None and model.lexicon is not None
    assert again.lexicon.terms == model.lexicon.terms
    unseen = ["rifle sales at the clinic", "a ballot on therapy", "nothing here at all"]
    fresh = np.random.default_rng(5).normal(size=(3, 16))
    assert np.array_equal(again.predict_proba(fresh, unseen), model.predict_proba(fresh, unseen))
    document = json.loads(info.read_text(encoding="utf-8"))
    assert document["format"] == 2 and document["features"] == ["embedding", "word", "char"]
    with np.load(weights) as arrays:  # plain arrays: readable without allow_pickle
        assert arrays["word_terms"].dtype.kind == "U" and arrays["char_idf"].dtype == np.float64


def test_a_lexical_classifier_needs_the_texts() -> None:
    vectors, texts, labels = noisy_headlines()
    model = lexical_model(vectors, texts, labels)
    with pytest.raises(ModelError, match="pass the texts"):
        model.predict_proba(vectors)


def test_a_classifier_file_of_format_1_still_loads(tmp_path: Path) -> None:
    """Files written before n-gram features (no format, no features) are embeddings-only models."""
    vectors, _ = clusters()
    weights, info = classifier_paths(tmp_path, "tiny", "1")
    rng = np.random.default_rng(3)
    coef, intercept, thresholds = rng.normal(size=(3, 16)), rng.normal(size=3), np.full(3, 0.4)
    np.savez(weights, coef=coef, intercept=intercept, thresholds=thresholds)
    old = {
        "codebook": "codebook.tiny.v1",
        "frame_ids": FRAMES,
        "single_label": True,
        "embedding_model": "m",
        "model_id": "codebook.tiny.v1.classifier-00000000@m",
        "C": 2.0,
    }
    info.write_text(json.dumps(old), encoding="utf-8")
    model = load_classifier(weights, info)
    assert model is not None and model.lexicon is None and model.meta["C"] == 2.0
    expected = 1.0 / (1.0 + np.exp(-(vectors @ coef.T + intercept)))
    assert np.allclose(model.predict_proba(vectors), expected)
    assert np.allclose(model.predict_proba(vectors, ["any text"] * len(vectors)), expected)


def test_a_classifier_file_from_a_newer_framewatch_says_what_to_do(tmp_path: Path) -> None:
    vectors, texts, labels = noisy_headlines()
    weights, info = classifier_paths(tmp_path, "tiny", "1")
    save_classifier(lexical_model(vectors, texts, labels), weights, info)
    document = json.loads(info.read_text(encoding="utf-8"))
    info.write_text(json.dumps({**document, "format": 99}), encoding="utf-8")
    with pytest.raises(ModelError, match=r"format 99 .*run `framewatch frames train` again"):
        load_classifier(weights, info)


def test_a_lexical_classifier_file_without_its_vocabulary_is_refused(tmp_path: Path) -> None:
    vectors, texts, labels = noisy_headlines()
    model = lexical_model(vectors, texts, labels)
    weights, info = classifier_paths(tmp_path, "tiny", "1")
    save_classifier(model, weights, info)
    np.savez(weights, coef=model.coef, intercept=model.intercept, thresholds=model.thresholds)
    with pytest.raises(ModelError, match="run `framewatch frames train` again"):
        load_classifier(weights, info)


def test_the_detector_gives_its_classifier_the_sentences() -> None:
    book = load_codebook("ai_distillation")
    frames = book.frame_ids[:3]
    vectors, texts, labels = noisy_headlines()
    labels = [{frames[FRAMES.index(next(iter(row)))]} for row in labels]
    model = train_classifier(
        vectors,
        labels,
        book.frame_ids,
        single_label=True,
        codebook_ref=book.ref,
        embedding_model="m",
        texts=texts,
    )
    n = len(book.frame_ids)
    unused = Calibration(np.zeros((n + 1, 16 + n)), np.zeros(n + 1), np.full(n, 0.5))
    detector = FrameDetector(book, unused, classifier=model, embedding_model="m")
    scores = detector.score(texts, vectors)
    assert np.allclose(scores.probs, model.predict_proba(vectors, texts), atol=1e-5)
    assert [scores.top(i) for i in range(3)] == [frames[0], frames[1], frames[2]]


def test_texts_without_words_fail_with_a_model_error() -> None:
    vectors, _, labels = noisy_headlines(n=6)
    with pytest.raises(ModelError, match="no word n-grams"):
        lexical_model(vectors, ["?!"] * 6, labels)
