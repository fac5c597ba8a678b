"""Who voices a sentence: quotes, reporting verbs and "according to", resolved to entity names.

Pure functions over spaCy sentences that the full pipeline (parser + NER) has read. The rules:

- A reporting verb (says, claims, argues, accuses, writes, told …) with a grammatical subject makes
  the sentence *reported* speech; with a quotation of four or more words it is *quoted*.
- Nested reported speech ("The Verge reports that Anthropic says …") gives the innermost speaker
  (who voices the claim) as ``speaker`` and the outer one as ``via``.
- "according to X" names X.
- The subject is resolved to the entity that contains it, an entity inside it ("a spokesperson for
  OpenAI"), or, for a pronoun or "the company", the last person or organisation named before.
- A line of a Reddit comment that starts with ">" quotes the parent comment's author.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_VERBS = (
    "say says said saying claim claims claimed claiming argue argues argued arguing accuse accuses "
    "accused accusing write writes wrote written writing tell tells told telling stated warn warns "
    "warned insist insists insisted allege alleges alleged contend contends contended announce "
    "announces announced deny denies denied reports reported assert asserts asserted acknowledge "
    "acknowledges acknowledged admit admits admitted explain explains explained added noted suggest "
    "suggests suggested tweet tweets tweeted"
)
# Left out on purpose: words that are mostly nouns in news text ("state" as in United States,
# "report", "post", "note", "charge"); they sent a sixth of all sentences to the full model for nothing.
REPORTING_VERBS = frozenset(_VERBS.split())
_WORD = re.compile(r"\w+")
_ACCORDING_TO = re.compile(r"\baccording to\b", re.IGNORECASE)
_QUOTED_SPAN = re.compile(r"[\"“„«]([^\"”“»]+)[\"”»]")
_PERSON_PRONOUNS = frozenset({"he", "she", "him", "her"})
_GROUP_PRONOUNS = frozenset({"it", "they", "we"})
_GROUP_NOUNS = frozenset(
    {"company", "firm", "lab", "startup", "group", "government", "agency", "administration"}
)
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
_NAME_LABELS = frozenset({"PERSON", "ORG", "NORP", "GPE", "PRODUCT"})
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"\s*['’]s$")


@dataclass
class Context:
    """What earlier sentences of the same document named, for pronouns and "the company"."""

    last_person: str | None = None
    last_group: str | None = None
    aliases: dict[str, str] = field(default_factory=dict)

    def remember(self, name: str, label: str) -> None:
        """Note an entity named in the current sentence."""
        if label == "PERSON":
            self.last_person = name
        elif label == "ORG":
            self.last_group = name


@dataclass(frozen=True)
class Attribution:
    """The speaker of one sentence (all None for the document's own voice)."""

    speaker: str | None = None
    kind: str | None = None
    via: str | None = None
    cue: str | None = None


def has_cue(text: str) -> bool:
    """Whether a sentence may report speech (so the full model should read it).

    A reporting verb, "according to", or a quotation of four or more words (not scare quotes).
    """
    lower = text.lower()
    # A verb is one of the sentence's words: a set lookup, not a pattern of 90 alternatives.
    if not REPORTING_VERBS.isdisjoint(_WORD.findall(lower)):
        return True
    if "according" in lower and _ACCORDING_TO.search(text):
        return True
    return has_quotation(text)


def normalise_name(text: str, aliases: dict[str, str]) -> str:
    """The canonical name of an entity: alias table first, else the text without "the" and "'s"."""
    cleaned = _POSSESSIVE.sub("", _LEADING_THE.sub("", " ".join(text.split())))
    return aliases.get(cleaned.lower(), cleaned)


def entity_name(ent: Any, aliases: dict[str, str]) -> str:
    """The canonical name of a spaCy entity: the gazetteer id when the alias table matched it."""
    return str(ent.ent_id_) if ent.ent_id_ else normalise_name(ent.text, aliases)


def has_quotation(text: str) -> bool:
    """A quotation of four or more words (not a scare-quoted term)."""
    return any(len(m.group(1).split()) >= 4 for m in _QUOTED_SPAN.finditer(text))


def attribute(sent: Any, context: Context) -> Attribution:
    """Find who voices a parsed sentence.

    Args:
        sent: A spaCy ``Doc`` or ``Span`` with dependency parse and entities.
        context: Names from earlier sentences; updated with this sentence's entities.

    Returns:
        The attribution; ``kind`` is None when the sentence is the author's own voice.
    """
    quoted = has_quotation(sent.text)
    kind = "quoted" if quoted else "reported"
    chain = _reporting_chain(sent)
    result = Attribution(kind="quoted", cue="quotation") if quoted else Attribution()
    if chain:
        names = [_resolve(subject, sent, context) for _, subject in chain]
        inner = next((n for n in reversed(names) if n), None)
        outer = next((n for n in names if n and n != inner), None)
        result = Attribution(inner, kind, outer, chain[-1][0].lower_)
    else:
        source = _according_to(sent)
        if source is not None:
            result = Attribution(_resolve(source, sent, context), kind, None, "according to")
    for ent in sent.ents:
        context.remember(entity_name(ent, context.aliases), ent.label_)
    return result


def unnamed_speakers(sent: Any) -> list[tuple[int, int]]:
    """Token ranges of speakers that only NER can name, in a parsed sentence.

    These are the subjects of reporting verbs and the sources of "according to" that hold a
    capitalised word outside the entities found so far (the gazetteer's), such as "Sen. Warner"
    or "a Commerce Department spokesperson". Pronouns, "the company" and "officials" need none.
    """
    subjects = [subject for _, subject in _reporting_chain(sent)]
    source = _according_to(sent)
    if source is not None:
        subjects.append(source)
    named = {i for ent in sent.ents for i in range(ent.start, ent.end)}
    first = getattr(sent, "start", 0)  # a Doc starts at 0, a Span where it starts
    ranges = []
    for subject in subjects:
        words = subject.doc[subject.left_edge.i : subject.right_edge.i + 1]
        if any(_capitalised(t) and t.i not in named and t.i != first for t in words) or (
            subject.i == first
            and _capitalised(subject)
            and subject.i not in named
            and subject.lower_ not in _PERSON_PRONOUNS | _GROUP_PRONOUNS | {"i", "you"}
        ):
            ranges.append((words.start, words.end))
    return ranges


def _capitalised(token: Any) -> bool:
    return bool(token.text[:1].isupper())


def _reporting_chain(sent: Any) -> list[tuple[Any, Any]]:
    """(verb, subject) pairs of the reporting verbs, outermost first, nested ones only."""
    found = []
    for token in sent:
        if token.lower_ not in REPORTING_VERBS:
            continue
        subjects = [c for c in token.children if c.dep_ in _SUBJECT_DEPS]
        if subjects:
            found.append((token, subjects[0]))
    found.sort(key=lambda pair: len(list(pair[0].ancestors)))
    chain = found[:1]
    for verb, subject in found[1:]:
        if chain[-1][0] in verb.ancestors:
            chain.append((verb, subject))
    return chain


def _according_to(sent: Any) -> Any:
    for token in sent:
        if token.lower_ == "according" and token.i + 1 < len(token.doc):
            after = token.doc[token.i + 1]
            if after.lower_ == "to":
                objects = [c for c in after.children if c.dep_ == "pobj"]
                return (
                    objects[0]
                    if objects
                    else (after.nbor() if after.i + 1 < len(token.doc) else None)
                )
    return None


def _resolve(subject: Any, sent: Any, context: Context) -> str | None:
    """The name a subject token stands for."""
    for ent in sent.ents:
        if ent.start <= subject.i < ent.end:
            return normalise_name(ent.text, context.aliases)
    inside = [
        e
        for e in sent.ents
        if e.label_ in _NAME_LABELS and subject.left_edge.i <= e.start <= subject.right_edge.i
    ]
    if inside:
        return normalise_name(inside[0].text, context.aliases)
    word = subject.lower_
    if word in _PERSON_PRONOUNS:
        return context.last_person
    if word in _GROUP_PRONOUNS or word in _GROUP_NOUNS:
        return context.last_group
    if word in {"i", "you", "who", "that", "which"}:
        return None
    words = [t for t in subject.doc[subject.left_edge.i : subject.i + 1] if t.dep_ != "det"]
    return normalise_name(" ".join(t.text for t in words), context.aliases) or None
