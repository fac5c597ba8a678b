"""The subject gate: which documents, and which passages of them, are about a codebook's story.

A frame share means something only over text about the story. A codebook with a ``subject`` names
the story's own words (``terms``: "distillation", "distil"), the pairs of words that name it
between them (``pairs``: an act such as "harvest" or "copy" with an object such as "answers" or
"outputs", in one sentence) and the words that place them in the story's field (``context``: "AI",
"OpenAI", "chatbot"). The decision is lexical, made before any sentence is embedded, so off-subject
text costs nothing and counts nothing:

- a sentence that holds a term, or a word of each side of a pair, is an **anchor**;
- a document is **on the subject** when it holds an anchor and a context word (title included): a
  whisky column on distillation has no context word, a politics article no term;
- in an on-subject document, **every sentence** counts as on-subject text when the story is what the
  document is about (an anchor in its title, at least ``min_anchors`` anchor sentences, or at most
  ``short`` sentences in all: a short piece is about one thing); otherwise
  (a roundup or a long article that mentions the story once) only the **passage** of ``window``
  sentences either side of each anchor does;
- a Reddit comment belongs to its thread: it is on the subject, whole, when its thread's post, read
  together with it, is.

Terms and context words are matched in every inflected form ("distilled", "distilling"), on word
boundaries and regardless of case. The decision is a pure function of the texts, so ``classify``,
``evaluate`` and ``analyze`` agree on it, and a researcher can audit it (``subject_documents``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class Subject(BaseModel):
    """What a codebook's story is about.

    Attributes:
        description: One or two sentences a researcher reads.
        terms: The story's own words; a sentence holding one is an anchor.
        pairs: Two lists of words each (an act, an object); a sentence holding a word of both
            lists of one pair is an anchor too ("harvested" … "answers").
        context: Words that place a term in the story's field; a document needs one.
        min_anchors: Anchor sentences from which a whole document counts (a term in the title
            also counts the whole document).
        window: Sentences either side of an anchor that belong to its passage otherwise.
        short: A document of at most this many sentences is about one thing: one anchor puts
            all of it on the subject (an opinion column that names the story once).
        on_examples: Short texts about the story, which the gate must let through.
        off_examples: Texts that are not about it (including ones that share a word with it),
            which the gate must keep out. ``framewatch frames check`` tests both.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: str
    terms: tuple[str, ...] = Field(min_length=1)
    pairs: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    context: tuple[str, ...] = Field(min_length=1)
    min_anchors: int = Field(default=2, ge=1)
    window: int = Field(default=2, ge=0)
    short: int = Field(default=15, ge=0)
    on_examples: tuple[str, ...] = ()
    off_examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubjectDecision:
    """The gate's decision on one document.

    Attributes:
        on_subject: Whether any of the document is framed.
        anchors: Sentences holding a term.
        context: Whether a context word appears in the title or text.
        scope: ``whole``, ``passage``, ``thread`` (a comment or post whose thread is on the
            subject), ``no_term``, ``no_context`` or ``ungated`` (a codebook without subject).
        sentences: Indexes (into the document's sentences) of the on-subject sentences.
        score: The share of the document's sentences that are on-subject text.
    """

    on_subject: bool
    anchors: int
    context: bool
    scope: str
    sentences: tuple[int, ...]
    score: float


def _forms(phrase: str) -> str:
    """A regex for a phrase in every inflection of each word ("distil" → distils, distilled…)."""
    from models.cues import inflections

    words = phrase.split()
    parts = []
    for word in words:
        forms = inflections(word) if word.isalpha() and len(word) > 2 else {word.lower()}
        parts.append("(?:" + "|".join(sorted(map(re.escape, forms), key=len, reverse=True)) + ")")
    return r"\s+".join(parts)


def _pattern(phrases: Sequence[str]) -> re.Pattern[str]:
    alternatives = sorted({_forms(p) for p in phrases if p.strip()}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


class SubjectGate:
    """Decides, per document, which sentences are about a codebook's subject.

    Args:
        subject: The codebook's subject, or None to let everything through (a generic codebook).
    """

    def __init__(self, subject: Subject | None) -> None:
        self.subject = subject
        self._terms = _pattern(subject.terms) if subject else None
        self._context = _pattern(subject.context) if subject else None
        self._pairs = [(_pattern(a), _pattern(b)) for a, b in subject.pairs] if subject else []

    @property
    def gated(self) -> bool:
        """Whether this gate keeps anything out."""
        return self.subject is not None

    def anchors(self, texts: Sequence[str]) -> list[bool]:
        """Which texts hold one of the subject's terms (all of them without a subject)."""
        if self._terms is None:
            return [True] * len(texts)
        return [self._anchored(text) for text in texts]

    def _anchored(self, text: str) -> bool:
        if self._terms is not None and self._terms.search(text):
            return True
        return any(act.search(text) and thing.search(text) for act, thing in self._pairs)

    def decide(
        self, sentences: Sequence[str], title: str | None = None, *, thread_on_subject: bool = False
    ) -> SubjectDecision:
        """Decide on one document.

        Args:
            sentences: The document's sentences in order.
            title: Its title (a headline or a Reddit post's title), if any.
            thread_on_subject: For Reddit comments and posts: whether their thread is on the
                subject (then the whole text is, as a reply in that thread).
        """
        n = len(sentences)
        if self.subject is None or self._terms is None or self._context is None:
            return SubjectDecision(True, 0, True, "ungated", tuple(range(n)), 1.0 if n else 0.0)
        anchored = self.anchors(sentences)
        count = sum(anchored)
        title = title or ""
        titled = bool(title) and self._anchored(title)
        context = bool(self._context.search(title)) or any(
            self._context.search(text) for text in sentences
        )
        if thread_on_subject:
            return _decision(True, count, context, "thread", range(n), n)
        if not (count or titled):
            return _decision(False, 0, context, "no_term", (), n)
        if not context:
            return _decision(False, count, False, "no_context", (), n)
        window = self.subject.window
        if (
            titled
            or count >= self.subject.min_anchors
            or n <= max(2 * window + 1, self.subject.short)
        ):
            return _decision(True, count, True, "whole", range(n), n)
        kept = sorted(
            {
                j
                for i, hit in enumerate(anchored)
                if hit
                for j in range(max(0, i - window), min(n, i + window + 1))
            }
        )
        return _decision(True, count, True, "passage", kept, n)


def _decision(
    on: bool, anchors: int, context: bool, scope: str, kept: Sequence[int] | range, n: int
) -> SubjectDecision:
    chosen = tuple(kept)
    return SubjectDecision(on, anchors, context, scope, chosen, len(chosen) / n if n else 0.0)


def example_problems(subject: Subject) -> list[str]:
    """The subject's own examples that the gate gets wrong, each as one short phrase."""
    gate = SubjectGate(subject)
    wrong = [f'on-subject example kept out: "{t}"' for t in subject.on_examples]
    wrong = [
        w
        for w, t in zip(wrong, subject.on_examples, strict=True)
        if not gate.decide([t]).on_subject
    ]
    for text in subject.off_examples:
        if gate.decide([text]).on_subject:
            wrong.append(f'off-subject example let through: "{text}"')
    return wrong
