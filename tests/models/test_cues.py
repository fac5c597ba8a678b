"""Cue matching on lemmas, with negation, counter-cues and rejections."""

from __future__ import annotations

from typing import Any

import pytest

from models.codebook import Codebook, Frame, load_codebook
from models.cues import CueMatcher, contracted_words, necessary_forms


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


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        ("The lab's theft's scale surprised nobody.", "theft"),  # a possessive
        ("Critics called it 'theft' on Monday.", "theft"),  # single quotes
        ("The military's plan leaked.", "security"),
    ],
)
def test_a_cue_next_to_an_apostrophe_is_still_matched(
    matcher: CueMatcher, text: str, frame: str
) -> None:
    (evidence,) = matcher.match([text])
    assert frame in evidence.support


def test_a_cue_inside_a_contraction_is_matched(frames_nlp: Any) -> None:
    matcher = CueMatcher(load_codebook("policy_frames"), frames_nlp)
    for text in ("They shouldn't wait.", "They shouldn’t wait.", "They shouldnt wait."):
        (evidence,) = matcher.match([text])
        assert "policy_prescription" in evidence.support, text


def test_a_phrase_needs_only_its_longest_content_word(frames_nlp: Any) -> None:
    assert necessary_forms("quality of life", frames_nlp) >= {"quality", "qualities"}
    assert "life" not in necessary_forms("quality of life", frames_nlp)
    # Stop words and punctuation only: the longest word, in its own form (not "is", "was").
    assert necessary_forms("well-being", frames_nlp) == {"being"}
    assert contracted_words(frames_nlp, {"should"}) >= {"shouldn", "shouldnt"}


def one_cue_matcher(nlp: Any, cue: str) -> CueMatcher:
    """A matcher for a codebook whose frame "f" has the one cue ``cue`` (and a second frame)."""
    frames = tuple(
        Frame(id=f, label=f, definition=f, prototypes=(f"About {f}.",), cues=cues)
        for f, cues in (("f", (cue,)), ("other", ("budget",)))
    )
    return CueMatcher(Codebook(id="one_cue", version="1", frames=frames), nlp)


def test_a_form_that_is_not_a_plain_word_passes_the_prefilter_anywhere(frames_nlp: Any) -> None:
    matcher = one_cue_matcher(frames_nlp, "U.S.")
    # "U.S." is one token, before "'s" too; the prefilter must let such sentences through.
    assert matcher._may_match("The U.S.'s plan.") and matcher._may_match("The U.S. plan.")
    assert not matcher._may_match("The US plan.")


@pytest.mark.parametrize(
    ("cue", "text"),
    [
        ("U.S.", "The U.S. plan is theft."),
        ("U.S.", "The U.S.'s plan."),
        ("U.S. tariffs", "New U.S. tariff rules."),
        ("Dr. Smith", "As Dr. Smith put it."),
        ("A.I. theft", "They call it A.I. theft."),
    ],
)
def test_a_cue_with_an_abbreviation_matches_as_written(
    frames_nlp: Any, cue: str, text: str
) -> None:
    # Lower-cased and tokenized again, "U.S." would be "u.s" + "." and never match the
    # sentence's one token "U.S.".
    matcher = one_cue_matcher(frames_nlp, cue)
    (evidence,) = matcher.match([text])
    assert evidence.support == {"f"}, evidence.phrases
    (plain,) = matcher.match(["The US plan."])
    assert not plain.support
