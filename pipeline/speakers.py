"""Who voices a sentence: quotes, reporting verbs and "according to", resolved to entity names.

Pure functions over spaCy sentences that the full pipeline (parser + NER) has read. The rules:

- A reporting verb (says, claims, argues, accuses, calls, told …) with a grammatical subject makes
  the sentence *reported* speech; with a quotation of four or more words it is *quoted*.
- Passive voice: the agent speaks ("X was accused by Y" gives Y); without an agent nobody named
  does ("X has been accused of …", "X is said to …").
- Not speech: a predicate adjective ("is telling"), a subject that is not a speaker ("the numbers
  suggest", "nobody complained"), "says a lot about".
- Nested reported speech ("The Verge reports that Anthropic says …") gives the innermost speaker
  (who voices the claim) as ``speaker`` and the outer one as ``via``; only clausal complements nest,
  not relative clauses. "according to X" names X.
- The speaker is the entity the subject is part of; a representative's organisation ("a spokesperson
  for OpenAI", "its spokesperson"); the name in an apposition ("its chief executive, Dario Amodei");
  for a pronoun, "the company" or "the senator", the last organisation or person named before (the
  subject of a sentence counts last, so it wins over the names it mentions); for "OP" or "the post"
  in a Reddit thread, the post's author; else the noun phrase ("U.S. officials", "researchers at
  Stanford").
- A line of a Reddit comment that starts with ">" quotes the parent comment's author.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_VERBS = (
    "say says said saying claim claims claimed claiming argue argues argued arguing accuse accuses "
    "accused accusing write writes wrote written writing tell tells told telling stated warn warns "
    "warned insist insists insisted allege alleges alleged contend contends contended announce "
    "announces announced deny denies denied reports reported assert asserts asserted acknowledge "
    "acknowledges acknowledged admit admits admitted explain explains explained added noted suggest "
    "suggests suggested tweet tweets tweeted "
    # Calling, labelling and judging someone else's act is voicing a frame ("X called it theft").
    "call calls called calling label labels labelled labeled labelling labeling describe describes "
    "described describing dubbed branded termed characterised characterized "
    "urge urges urged complain complains complained predict predicts predicted believe believes "
    "believed reject rejects rejected dismiss dismisses dismissed dispute disputes disputed "
    "condemn condemns condemned criticise criticises criticised criticize criticizes criticized "
    "reply replies replied respond responds responded counter countered maintain maintains "
    "maintained concede concedes conceded confirm confirms confirmed pointed testified stressed"
)
# Left out on purpose: words that are mostly nouns in news text ("state" as in United States,
# "report", "post", "note", "charge", "points"); they sent a sixth of all sentences to the full
# model for nothing.
REPORTING_VERBS = frozenset(_VERBS.split())


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_WORD = re.compile(r"\w+")
_ACCORDING_TO = re.compile(r"\baccording to\b", re.IGNORECASE)
_QUOTED_SPAN = re.compile(r"[\"“„«]([^\"”“»]+)[\"”»]")
_PERSON_PRONOUNS = frozenset({"he", "she", "him", "her", "his"})
_GROUP_PRONOUNS = frozenset({"it", "its", "they", "them", "their"})
_OWN_VOICE = frozenset({"i", "me", "my", "we", "us", "our", "you", "your"})
# Words that stand for a speaker but name none: "nobody complained", "some call it …", "the
# numbers suggest" (as the head of the subject; "some critics" names critics).
_NOT_SPEAKERS = _wordset(
    "nobody everyone everybody someone somebody anyone anybody none this that these those what "
    "some others many few most all both several one "
    "timing fact facts numbers figures data evidence episode move decision silence irony story "
    "result results trend pattern situation outcome math history record"
)
# "the company", "the lab": the last organisation named before.
_GROUP_NOUNS = _wordset(
    "company firm lab laboratory startup start-up group government agency administration union "
    "ministry department regulator chipmaker automaker giant maker organisation organization "
    "nonprofit institute university outlet newspaper publisher network bank fund"
)
# "the senator", "the researcher": the last person named before.
_PERSON_ROLES = _wordset(
    "senator lawmaker congressman congresswoman researcher scientist engineer investor analyst "
    "economist executive founder co-founder cofounder ceo professor minister secretary president "
    "chairman chairwoman director expert critic author writer journalist scholar activist "
    "commissioner judge official"
)
# Who speaks for an organisation: "a Microsoft spokesperson", "a spokesperson for OpenAI".
_REPRESENTATIVES = _wordset(
    "spokesperson spokesman spokeswoman spokespeople representative lawyer lawyers attorney "
    "attorneys statement"
)
# Reddit: what "OP" and "the post" name in a thread.
_THREAD_NOUNS = frozenset({"post", "thread", "submission"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass"})
_NESTING_DEPS = frozenset({"ccomp", "xcomp", "conj", "parataxis"})
_OBJECT_DEPS = frozenset({"dobj", "dative", "iobj", "ccomp", "xcomp", "oprd", "attr", "prep"})
_NAME_LABELS = frozenset({"PERSON", "ORG", "NORP", "GPE", "PRODUCT", "FAC", "LOC", "WORK_OF_ART"})
_BE = frozenset({"is", "are", "was", "were", "be", "been", "'s", "’s"})
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"\s*['’]s$")


@dataclass
class Context:
    """What earlier sentences of the same document named, for pronouns and "the company".

    ``reader`` (the full pipeline with NER) reads the last few sentences again, only when a
    pronoun or "the company" must be resolved: the NLP stage's fast path keeps only gazetteer
    names of the sentences it does not parse. ``op`` is the Reddit thread's author.
    """

    last_person: str | None = None
    last_group: str | None = None
    aliases: dict[str, str] = field(default_factory=dict)
    op: str | None = None
    reader: Callable[[list[str]], list[Any]] | None = None
    unread: list[str] = field(default_factory=list)

    def remember(self, name: str, label: str) -> None:
        """Note an entity named in the current sentence."""
        if label == "PERSON":
            self.last_person = name
        elif label == "ORG":
            self.last_group = name

    def note(self, text: str, keep: int = 3) -> None:
        """Keep a sentence's text for :meth:`catch_up` (the last ``keep`` sentences)."""
        self.unread = [*self.unread[-(keep - 1) :], text] if keep > 1 else [text]

    def catch_up(self) -> None:
        """Read the kept sentences with NER and remember their names, in order."""
        if self.reader is None or not self.unread:
            return
        texts, self.unread = self.unread, []
        for doc in self.reader(texts):
            remember_sentence(doc, self)


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
    if "points out" in lower:  # "points" alone is mostly a noun
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
    source = _according_to(sent)
    result = Attribution(kind="quoted", cue="quotation") if quoted else Attribution()
    if chain:
        names = [_resolve(speaker, sent, context) for _, speaker in chain]
        inner = next((n for n in reversed(names) if n), None)
        outer = next((n for n in names if n and n != inner), None)
        if outer is None and source is not None:
            outer = _resolve(source, sent, context)
        result = Attribution(inner, kind, outer, chain[-1][0].lower_)
    elif source is not None:
        result = Attribution(_resolve(source, sent, context), kind, None, "according to")
    remember_sentence(sent, context)
    return result


def remember_sentence(sent: Any, context: Context) -> None:
    """Remember a sentence's names in order, then its subject's, which stays the salient one."""
    for ent in sent.ents:
        context.remember(entity_name(ent, context.aliases), ent.label_)
    chain = _reporting_chain(sent)
    subject = chain[0][1] if chain else _main_subject(sent)
    for ent in sent.ents:
        if subject is not None and ent.start <= subject.i < ent.end:
            context.remember(entity_name(ent, context.aliases), ent.label_)


def unnamed_speakers(sent: Any) -> list[tuple[int, int]]:
    """Token ranges of speakers that only NER can name, in a parsed sentence.

    These are the speakers of reporting verbs and the sources of "according to" that hold a
    capitalised word outside the entities found so far (the gazetteer's), such as "Sen. Warner"
    or "a Commerce Department spokesperson". Pronouns, "the company" and "officials" need none.
    """
    subjects = [speaker for _, speaker in _reporting_chain(sent)]
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
            and subject.lower_ not in _PERSON_PRONOUNS | _GROUP_PRONOUNS | _OWN_VOICE
        ):
            ranges.append((words.start, words.end))
    return ranges


def _capitalised(token: Any) -> bool:
    return bool(token.text[:1].isupper())


def _reporting_chain(sent: Any) -> list[tuple[Any, Any]]:
    """(verb, speaker) pairs of the reporting verbs, outermost first, nested ones only.

    The speaker is the subject, or the agent of a passive verb; a passive verb without an agent,
    a predicate adjective and a subject that is no speaker give no pair.
    """
    found = []
    for token in sent:
        verb = token.lower_ in REPORTING_VERBS or (
            token.lower_ in {"point", "points"} and any(c.lower_ == "out" for c in token.children)
        )
        if verb and _is_speech(token, sent):
            speaker = _speaker_of(token)
            if speaker is not None:
                found.append((token, speaker))
    found.sort(key=lambda pair: len(list(pair[0].ancestors)))
    chain = found[:1]
    for verb, speaker in found[1:]:
        if _nested_in(verb, chain[-1][0]):
            chain.append((verb, speaker))
    return chain


def _is_speech(verb: Any, sent: Any) -> bool:
    """Whether a reporting verb is used as one here (not "is telling", "says a lot about")."""
    deps = {c.dep_ for c in verb.children}
    if verb.dep_ in {"amod", "acomp", "compound", "nsubj", "dobj", "pobj", "attr"}:
        return False
    after_be = any(c.dep_ == "aux" and c.lower_ in _BE for c in verb.children)
    if verb.lower_.endswith("ing") and after_be and deps.isdisjoint(_OBJECT_DEPS - {"prep"}):
        return False  # "is telling", "was damning": an adjective after "be"
    if verb.lower_ in {"tell", "tells", "told", "telling"} and "auxpass" not in deps:
        # Telling needs someone told: "X is telling that …" is an adjective.
        return bool(deps & {"dobj", "dative", "iobj"}) or has_quotation(sent.text)
    # "says a lot about the industry": what something reveals, not what anyone said.
    said_about = any(
        c.dep_ == "dobj"
        and c.lower_ in {"lot", "much", "little", "something", "nothing"}
        and any(t.lower_ == "about" for t in [*c.children, *verb.children])
        for c in verb.children
    )
    return not said_about


def _speaker_of(verb: Any) -> Any:
    """The token that names who speaks through a verb, or None."""
    children = list(verb.children)
    if any(c.dep_ in {"nsubjpass", "auxpass", "csubjpass"} for c in children):
        agents = [g for c in children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"]
        return _speaker_token(agents[0]) if agents else None
    subjects = [c for c in children if c.dep_ == "nsubj"]
    if not subjects and verb.dep_ == "conj" and verb.head.lower_ in REPORTING_VERBS:
        subjects = [c for c in verb.head.children if c.dep_ == "nsubj"]  # "X called … and urged"
    if not subjects:
        return None
    return _speaker_token(subjects[0])


def _speaker_token(token: Any) -> Any:
    """The token itself, its antecedent for "who"/"which", or None when it is no speaker."""
    if token.lower_ in {"who", "which", "that"} and token.head.dep_ == "relcl":
        token = token.head.head
    return None if token.lower_ in _NOT_SPEAKERS else token


def _nested_in(inner: Any, outer: Any) -> bool:
    """Whether ``inner`` is in a clause reported by ``outer``: its complement, not a relative
    clause, and not a verb coordinated with it ("X called it theft and wants Y to respond")."""
    token = inner
    while token.head.i != outer.i:
        if token.dep_ not in _NESTING_DEPS or token.head.i == token.i:
            return False
        token = token.head
    return token.dep_ in _NESTING_DEPS - {"conj"}


def _main_subject(sent: Any) -> Any:
    roots = [t for t in sent if t.dep_ == "ROOT"]
    subjects = [c for r in roots for c in r.children if c.dep_ in _SUBJECT_DEPS]
    return subjects[0] if subjects else None


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
    """The name a speaker token stands for (see the module docstring for the order)."""
    word = subject.lower_
    determiners = {c.lower_ for c in subject.children if c.dep_ in {"det", "poss"}}
    if context.op and (
        word == "op" or (word in _THREAD_NOUNS and determiners & {"the", "this", "op", "op's"})
    ):
        return f"u/{context.op}"
    for ent in sent.ents:
        if ent.start <= subject.i < ent.end and ent.label_ in _NAME_LABELS:
            return entity_name(ent, context.aliases)
    if word in _OWN_VOICE or word in {"who", "that", "which"}:
        return None
    if word in _PERSON_PRONOUNS:
        return _recall(context, "person")
    if word in _GROUP_PRONOUNS:
        return _recall(context, "group")
    named = _named_by_modifier(subject, sent, context)
    if named is not None:
        return named
    # "the company" looks back; "the Chinese foreign ministry" names itself.
    bare = all(
        c.dep_ in {"det", "poss"} or (c.dep_ in {"amod", "punct"} and c.is_lower)
        for c in subject.lefts
    )
    definite = bool(determiners & {"the", "this"}) and bare
    if definite and word in _GROUP_NOUNS:
        return _recall(context, "group")
    if definite and word in _PERSON_ROLES:
        return _recall(context, "person") or _phrase(subject, context)
    if word in _REPRESENTATIVES:
        return _recall(context, "group")
    return _phrase(subject, context)


def _named_by_modifier(head: Any, sent: Any, context: Context) -> str | None:
    """An apposition's name, or the organisation a representative or possessor speaks for."""
    for child in head.children:
        if child.dep_ == "appos":
            ent = _entity_at(child, sent)
            if ent is not None and ent.label_ in {"PERSON", "ORG"}:
                return entity_name(ent, context.aliases)
    for child in head.children:
        if child.dep_ == "poss":
            if child.lower_ in _GROUP_PRONOUNS:
                return _recall(context, "group")
            ent = _entity_at(child, sent)
            if ent is not None and ent.label_ in {"ORG", "PERSON", "GPE"}:
                return entity_name(ent, context.aliases)
    if head.lower_ not in _REPRESENTATIVES:
        return None
    for child in head.children:
        pobjs = [g for g in child.children if g.dep_ == "pobj"] if child.dep_ == "prep" else []
        for token in [child, *pobjs] if child.dep_ in {"compound", "amod"} else pobjs:
            ent = _entity_at(token, sent)
            if ent is not None:
                return entity_name(ent, context.aliases)
            if token.lower_ in _GROUP_NOUNS:
                return _recall(context, "group")
    return None


def _entity_at(token: Any, sent: Any) -> Any:
    return next((e for e in sent.ents if e.start <= token.i < e.end), None)


def _recall(context: Context, kind: str) -> str | None:
    context.catch_up()
    return context.last_person if kind == "person" else context.last_group


def _phrase(head: Any, context: Context) -> str | None:
    """A speaker named by a noun phrase: its words up to the head, and a name after it.

    "U.S. officials", "the AI research community", "researchers at the University of Toronto".
    """
    doc = head.doc
    start = head.left_edge.i
    while start < head.i and doc[start].dep_ in {"det", "poss", "predet", "punct"}:
        start += 1
    end = head.i + 1
    for child in head.children:
        if child.dep_ == "prep" and child.i == end and child.lower_ in {"at", "of", "from", "in"}:
            end = child.right_edge.i + 1
    text = doc[start:end].text
    return normalise_name(text, context.aliases) or None
