"""Cue matching on lemmas, with negation, counter-cues and rejections."""

from __future__ import annotations

from typing import Any

import pytest

from models.codebook import load_codebook
from models.cues import CueMatcher


@pytest.fixture(scope="module")
def matcher(frames_nlp: Any) -> CueMatcher:
    return CueMatcher(load_codebook("ai_distillation"), frames_nlp)


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        ("Anthropic says DeepSeek stole its work.", "theft"),
        ("They are stealing from American labs.", "theft"),
        ("The lab urged tighter export controls on chips.", "security"),
        ("What hypocrites they are.", "hypocrisy"),
        ("It is standard practice in the field.", "common_practice"),
        ("The post is a PR stunt aimed at investors.", "narrative_control"),
    ],
)
def test_a_cue_supports_its_frame_whatever_the_inflection(
    matcher: CueMatcher, text: str, frame: str
) -> None:
    (evidence,) = matcher.match([text])
    assert frame in evidence.support
    assert frame not in evidence.rebutted


@pytest.mark.parametrize(
    "text",
    [
        "This is not theft.",
        "I don't think this is stealing at all.",
        "Calling it theft misunderstands the technique.",
        "Whatever you think of it, calling it stealing is a stretch.",
        "Nobody was robbed here.",
    ],
)
def test_negated_or_rejected_cues_rebut_the_frame(matcher: CueMatcher, text: str) -> None:
    (evidence,) = matcher.match([text])
    assert "theft" in evidence.rebutted
    assert "theft" not in evidence.support


def test_a_negation_in_another_clause_does_not_rebut(matcher: CueMatcher) -> None:
    (evidence,) = matcher.match(["No doubt about it, they stole the model."])
    assert evidence.support == {"theft"} and not evidence.rebutted


def test_a_rejection_without_a_cue_is_flagged_for_the_detector(matcher: CueMatcher) -> None:
    (evidence,) = matcher.match(["That claim does not hold up."])
    assert evidence.rejects and not evidence.support


def test_sentences_without_cue_letters_skip_spacy(matcher: CueMatcher) -> None:
    plain, cued = matcher.match(["Xyz qqq.", "They stole it."])
    assert not plain.support and not plain.phrases
    assert cued.phrases == {"theft": ["stole"]}
