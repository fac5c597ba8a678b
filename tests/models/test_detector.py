"""The default detector of ai_distillation against the project's own labelled evaluation set.

The evaluation sentences (tests/fixtures/ai_distillation_eval.csv) were written apart from the
codebook's prototypes, and the detector never trains on them. The macro-F1 floor below is the score
it reached when pinned: CI fails when a change makes it worse. The held-out half (odd rows) was not
looked at while the prototypes were extended, so its floor guards against fitting the prototypes to
the evaluation set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.classifier import label_matrix
from models.detector import FrameDetector, prototype_texts
from models.evaluation import LabelledSet, evaluate, read_labels

EVAL_SET = Path(__file__).parents[1] / "fixtures" / "ai_distillation_eval.csv"
MACRO_F1_FLOOR = 0.82  # reached 0.830 when pinned
HELD_OUT_FLOOR = 0.80  # reached 0.815 when pinned

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def labelled(distillation_detector: FrameDetector) -> LabelledSet:
    return read_labels(EVAL_SET, distillation_detector.frame_ids)


@pytest.fixture(scope="module")
def scored(distillation_detector: FrameDetector, labelled: LabelledSet) -> Any:
    vectors = distillation_detector.embedder.embed(labelled.texts)
    return distillation_detector.score(labelled.texts, vectors), vectors


def test_the_evaluation_set_is_large_and_balanced(labelled: LabelledSet) -> None:
    assert len(labelled.texts) >= 150
    gold = label_matrix(
        labelled.labels,
        ["theft", "innovation", "security", "hypocrisy", "common_practice", "narrative_control"],
    )
    assert gold.sum(axis=0).min() >= 20
    assert sum(1 for row in labelled.labels if not row) >= 30


def test_macro_f1_stays_above_the_pinned_floor(
    distillation_detector: FrameDetector, labelled: LabelledSet, scored: Any
) -> None:
    scores, _ = scored
    gold = label_matrix(labelled.labels, distillation_detector.frame_ids)
    report = evaluate(distillation_detector.frame_ids, gold, scores.detected, scores.probs)
    assert report.macro_f1 >= MACRO_F1_FLOOR
    assert report.f1.min() >= 0.6  # no frame left behind


def test_the_held_out_half_scores_about_as_well(
    distillation_detector: FrameDetector, labelled: LabelledSet, scored: Any
) -> None:
    scores, _ = scored
    gold = label_matrix(labelled.labels, distillation_detector.frame_ids)
    odd = np.arange(len(gold)) % 2 == 1
    report = evaluate(
        distillation_detector.frame_ids, gold[odd], scores.detected[odd], scores.probs[odd]
    )
    assert report.macro_f1 >= HELD_OUT_FLOOR


def test_no_evaluation_sentence_is_a_copy_of_a_prototype(
    distillation_detector: FrameDetector, labelled: LabelledSet, scored: Any
) -> None:
    _, vectors = scored
    prototypes = prototype_texts(distillation_detector.codebook)
    assert not {t.lower() for t in labelled.texts} & {p.lower() for p in prototypes}
    closest = (vectors @ distillation_detector.embedder.embed(prototypes).T).max(axis=1)
    assert closest.max() < 0.85


def test_rebuttals_are_not_mentions_of_the_frame(distillation_detector: FrameDetector) -> None:
    texts = ["This is not theft.", "Calling it stealing misunderstands how models are built."]
    scores = distillation_detector.score(texts, distillation_detector.embedder.embed(texts))
    theft = scores.frame_ids.index("theft")
    assert not scores.detected[:, theft].any()
    assert scores.rebutted[:, theft].all()


def test_scores_are_probabilities_with_calibrated_thresholds(
    distillation_detector: FrameDetector, scored: Any
) -> None:
    scores, _ = scored
    assert ((scores.probs >= 0) & (scores.probs <= 1)).all()
    assert ((scores.thresholds > 0) & (scores.thresholds < 1)).all()
    assert {e for row in scores.evidence for e in row} <= {"cue", "prototype", "cue+prototype"}
