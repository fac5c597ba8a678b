"""The cue prefilter never skips a sentence in which the phrase matcher finds a cue.

Sentences are built from the codebooks' own cue forms (and the words the tokenizer splits them
from), glued to punctuation, apostrophes, contractions, numbers and other words, so that the
examples sit on the edges of what the prefilter looks up. Each is matched twice: through the
prefilter, and by tokenizing it whatever the prefilter says. The two must agree.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.codebook import load_codebook
from models.cues import CueEvidence, CueMatcher
from tests.fuzz import FUZZ

GLUE = [
    " ",
    "",
    "'",
    "’",
    "'s ",
    "’s ",
    "n't ",
    "n’t ",
    "-",
    ".",
    ",",
    "(",
    ")",
    '"',
    "“",
    "5",
    " 10",
]
FILLER = ["The", "lab", "said", "it", "not", "would", "can", "do", "Bill", "U.S.", "AI", "km"]


def _key(evidence: CueEvidence) -> tuple[Any, ...]:
    return (sorted(evidence.support), sorted(evidence.rebutted), evidence.rejects, evidence.phrases)


def _matcher_and_words(frames_nlp: Any, codebook: str) -> tuple[CueMatcher, list[str]]:
    book = load_codebook(codebook)
    matcher = CueMatcher(book, frames_nlp)
    phrases = [p for f in book.frames for p in (*f.cues, *f.counter_cues)] + list(book.rejections)
    words = sorted({w for p in phrases for w in p.split()} | set(FILLER))
    return matcher, words


@pytest.fixture(scope="module", params=["policy_frames", "ai_distillation"])
def codebook(request: pytest.FixtureRequest, frames_nlp: Any) -> tuple[CueMatcher, list[str]]:
    return _matcher_and_words(frames_nlp, request.param)


def _sentence(draw: Any, words: list[str]) -> str:
    parts = draw(
        st.lists(
            st.tuples(
                st.sampled_from(words),
                st.sampled_from(GLUE),
                st.sampled_from([str.lower, str.title, str.upper, str]),
            ),
            min_size=1,
            max_size=8,
        )
    )
    return "".join(case(word) + glue for word, glue, case in parts)


def _agree(matcher: CueMatcher, text: str) -> None:
    (filtered,) = matcher.match([text])
    unfiltered = matcher._evidence(matcher.nlp.make_doc(text))  # every sentence tokenized
    assert _key(filtered) == _key(unfiltered), text


@FUZZ
@given(data=st.data())
def test_the_prefilter_skips_no_sentence_with_a_match(
    codebook: tuple[CueMatcher, list[str]], data: st.DataObject
) -> None:
    matcher, words = codebook
    _agree(matcher, _sentence(data.draw, words))
