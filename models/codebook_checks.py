"""Checks that keep a bad codebook from reaching the detector.

:func:`models.codebook.load_codebook` runs them on every load (``frames check``, ``classify``,
``train``, ``evaluate`` and ``analyze`` alike), so what ``frames check`` passes is what the
detector can run:

- the file is read with a size bound and decoded as UTF-8, with a message for a binary file;
- no cue, counter-cue, rejection, prototype or background sentence is blank or overlong;
- every token pattern is one spaCy's Matcher accepts (no unknown keys);
- every ``REGEX`` in a pattern compiles, holds no unbounded repeat inside another repeat (the shape
  of catastrophic backtracking, ``(a+)+$``), and finishes within a time bound on strings built to
  make it backtrack. Python's ``re`` cannot be interrupted in a thread, so the probes run in a
  child process that is killed when a pattern overruns.
"""

from __future__ import annotations

import importlib
import json
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from pipeline.errors import ModelError

# The shipped codebooks are 11 and 22 KB; a codebook 50 times the larger is still a text a person
# writes, and a bound keeps a mistaken path (a dump, a disk image) from being read whole.
MAX_CODEBOOK_BYTES = 1024 * 1024
# A cue is a phrase and a prototype a sentence; the longest shipped one is under 300 characters.
MAX_TEXT_CHARS = 2_000
MAX_REGEX_CHARS = 500
# Seconds one regular expression may take over all its probes. Sound patterns take microseconds
# on them; the bound leaves room for a busy machine.
REGEX_SECONDS = 2.0
PROBE_REPEAT = 20  # times a repeat is unrolled in a probe string
PROBE_CHARS = 4_000  # longest probe string

_TEXT_LISTS = ("cues", "counter_cues", "prototypes")
_BOOK_TEXT_LISTS = ("rejections", "background")


class Problem(NamedTuple):
    """One thing wrong with a codebook, where it is and what to do."""

    line: int
    where: str
    message: str


def read_codebook_text(path: Path) -> str:
    """The text of a codebook file, read with a size bound and decoded as UTF-8.

    Raises:
        CodebookError: When the file cannot be read, is too large, binary or not UTF-8.
    """
    from models.codebook import CodebookError

    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CODEBOOK_BYTES + 1)
    except OSError as exc:
        raise CodebookError(f"{path}: cannot read the codebook ({exc.strerror})") from exc
    if len(data) > MAX_CODEBOOK_BYTES:
        raise CodebookError(
            f"{path}: over {MAX_CODEBOOK_BYTES // 1024:,} KiB, too large for a codebook; "
            "check the path names a .yaml codebook"
        )
    if b"\x00" in data:
        raise CodebookError(f"{path}: a binary file, not a YAML codebook; check the path")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CodebookError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save the codebook "
            "as UTF-8"
        ) from exc


def codebook_problems(raw: dict[str, Any]) -> list[Problem]:
    """Blank or overlong texts, then patterns spaCy would refuse or that backtrack without end.

    ``raw`` is the parsed YAML after the schema check passed; its mappings may carry ``line``
    and ``key_lines`` (see ``models.codebook``) for the messages.
    """
    problems = list(_text_problems(raw))
    patterns = list(_patterns(raw))
    if patterns and not problems:
        problems += _pattern_problems(patterns)
    return problems


def _lines(node: Any, key: str) -> int:
    key_lines = getattr(node, "key_lines", {})
    return int(key_lines.get(key, getattr(node, "line", 0)))


def _text_problems(raw: dict[str, Any]) -> Iterator[Problem]:
    owners: list[tuple[Any, str, str]] = [(raw, key, key) for key in _BOOK_TEXT_LISTS]
    for index, frame in enumerate(raw.get("frames") or ()):
        owners += [(frame, key, f"frames[{index}].{key}") for key in _TEXT_LISTS]
    for node, key, where in owners:
        for position, text in enumerate(node.get(key) or ()):
            if not str(text).strip():
                yield Problem(
                    _lines(node, key),
                    f"{where}[{position}]",
                    "blank text; remove it or write the phrase",
                )
            elif len(str(text)) > MAX_TEXT_CHARS:
                yield Problem(
                    _lines(node, key),
                    f"{where}[{position}]",
                    f"{len(str(text)):,} characters; keep it under {MAX_TEXT_CHARS:,} "
                    "(a phrase or one sentence)",
                )


class _Pattern(NamedTuple):
    line: int
    where: str
    tokens: Any


def _patterns(raw: dict[str, Any]) -> Iterator[_Pattern]:
    for index, frame in enumerate(raw.get("frames") or ()):
        for position, pattern in enumerate(frame.get("patterns") or ()):
            yield _Pattern(
                _lines(frame, "patterns"), f"frames[{index}].patterns[{position}]", pattern
            )


def _pattern_problems(patterns: list[_Pattern]) -> list[Problem]:
    problems: list[Problem] = []
    regexes: list[tuple[_Pattern, str]] = []
    for pattern in patterns:
        found = [static_regex_problem(regex) for regex in _regexes(pattern.tokens)]
        message = next((m for m in found if m), "") or _matcher_refusal(pattern.tokens)
        if message:
            problems.append(Problem(pattern.line, pattern.where, message))
        else:
            regexes += [(pattern, regex) for regex in _regexes(pattern.tokens)]
    slow = slow_regexes([regex for _, regex in regexes], REGEX_SECONDS)
    for pattern, regex in regexes:
        if regex in slow:
            problems.append(
                Problem(
                    pattern.line,
                    pattern.where,
                    f'REGEX "{regex}" did not finish within {REGEX_SECONDS:g} s on a word of up to '
                    f"{PROBE_CHARS:,} characters (catastrophic backtracking); rewrite it "
                    "so that no two repeats or alternatives can match the same characters",
                )
            )
    return problems


def _matcher_refusal(tokens: Any) -> str:
    """Why spaCy's Matcher refuses a token pattern, on one line; empty when it takes it."""
    if not isinstance(tokens, (list, tuple)) or not tokens:
        return "a token pattern is a non-empty list of token mappings, e.g. [{LEMMA: steal}]"
    from spacy.matcher import Matcher
    from spacy.schemas import validate_token_pattern
    from spacy.vocab import Vocab

    errors = validate_token_pattern([dict(t) if isinstance(t, dict) else t for t in tokens])
    if errors:
        first = str(errors[0]).replace("\n", " ")
        return (
            f"spaCy refuses the token pattern ({first}); use keys such as LOWER, LEMMA, POS, "
            "TEXT with REGEX or IN, OP (see spaCy's Matcher docs)"
        )
    try:
        Matcher(Vocab(), validate=True).add("check", [[dict(t) for t in tokens]])
    except Exception as exc:  # spaCy raises ValueError, KeyError or TypeError for bad patterns
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"spaCy refuses the token pattern ({first}); fix the pattern"
    return ""


def _regexes(node: Any) -> Iterator[str]:
    """Every ``REGEX`` value in a token pattern, at any depth (``TEXT``, ``_`` extensions)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key).upper() == "REGEX" and isinstance(value, str):
                yield value
            else:
                yield from _regexes(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _regexes(item)


def _parse(regex: str) -> Any:
    parser: Any = importlib.import_module("re._parser")
    return parser.parse(regex)


def static_regex_problem(regex: str) -> str:
    """Why a regular expression is refused without running it; empty when it is not.

    Refused: overlong ones, ones that do not compile, and an unbounded repeat inside another
    repeat (``(a+)+``, ``(\\w*\\s?)*``), which can backtrack through exponentially many ways
    to split a word.
    """
    import re

    if len(regex) > MAX_REGEX_CHARS:
        return f"REGEX of {len(regex):,} characters; keep it under {MAX_REGEX_CHARS}"
    try:
        re.compile(regex)
        parsed = _parse(regex)
    except (re.error, RecursionError, OverflowError) as exc:
        return f'REGEX "{regex}" does not compile ({exc}); fix the expression'
    if _nested_repeat(parsed, inside=False):
        return (
            f'REGEX "{regex}" repeats an unbounded repeat (like (a+)+), which can backtrack '
            "for hours; write one repeat over a character class, e.g. [a-z]+"
        )
    return ""


_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}


def _nested_repeat(items: Any, *, inside: bool) -> bool:
    """Whether an unbounded backtracking repeat stands inside a repeat of more than once."""
    for op, arg in items:
        name = str(op)
        if name in _REPEATS:
            _low, high, sub = arg
            unbounded = high > 1000  # MAXREPEAT, or near enough to it to explode
            if inside and unbounded and name != "POSSESSIVE_REPEAT":
                return True
            if _nested_repeat(sub, inside=inside or high > 1):
                return True
        elif name == "SUBPATTERN":
            if _nested_repeat(arg[-1], inside=inside):
                return True
        elif name == "BRANCH":
            if any(_nested_repeat(branch, inside=inside) for branch in arg[1]):
                return True
        elif name in {"ASSERT", "ASSERT_NOT"} and _nested_repeat(arg[1], inside=inside):
            return True
    return False


def probe_strings(regex: str) -> list[str]:
    """Strings built to make ``regex`` backtrack: words it nearly matches, then a mismatch.

    Each is a witness of the expression with every repeat unrolled :data:`PROBE_REPEAT` times
    (first and last alternatives), and runs of each character it names, each followed by a
    character that breaks the match at the very end.
    """
    parsed = _parse(regex)
    words = {_witness(parsed, first=True), _witness(parsed, first=False)}
    words |= {c * PROBE_CHARS for c in _chars(parsed)}
    probes = []
    for word in sorted(w[:PROBE_CHARS] for w in words if w):
        probes += [word + "!", word + "\x00", word + "a", word + " "]
    return probes


def _witness(items: Any, *, first: bool) -> str:
    parts: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            parts.append(chr(arg))
        elif name in {"ANY", "NOT_LITERAL", "IN"}:
            parts.append(next(iter(_chars([(op, arg)])), "a"))
        elif name in _REPEATS:
            low, high, sub = arg
            parts.append(_witness(sub, first=first) * min(high, max(low, PROBE_REPEAT)))
        elif name in {"SUBPATTERN", "ATOMIC_GROUP"}:
            parts.append(_witness(arg[-1] if name == "SUBPATTERN" else arg, first=first))
        elif name == "BRANCH":
            branches = arg[1]
            parts.append(_witness(branches[0] if first else branches[-1], first=first))
        if sum(map(len, parts)) > PROBE_CHARS:
            break
    return "".join(parts)


_CANDIDATES = "a1 A_-.!,'Zé"


def _chars(items: Any) -> list[str]:
    """Characters the expression's single-character items match, one per item."""
    import re

    found: list[str] = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            found.append(chr(arg))
        elif name == "NOT_LITERAL":
            found.append("b" if chr(arg) == "a" else "a")
        elif name == "ANY":
            found.append("a")
        elif name == "IN":
            source = _class_source(arg)
            if source:
                cls = re.compile(source)
                found += [c for c in _CANDIDATES if cls.fullmatch(c)][:2]
        elif name in _REPEATS:
            found += _chars(arg[2])
        elif name == "SUBPATTERN":
            found += _chars(arg[-1])
        elif name == "ATOMIC_GROUP":
            found += _chars(arg)
        elif name == "BRANCH":
            for branch in arg[1]:
                found += _chars(branch)
    return list(dict.fromkeys(found))


_CATEGORIES = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}


def _class_source(items: Any) -> str:
    """A character class rebuilt from its parsed items, to test candidate characters against."""
    body = []
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            body.append("^")
        elif name == "LITERAL":
            body.append(_escape(chr(arg)))
        elif name == "RANGE":
            body.append(f"{_escape(chr(arg[0]))}-{_escape(chr(arg[1]))}")
        elif name == "CATEGORY" and str(arg) in _CATEGORIES:
            body.append(_CATEGORIES[str(arg)])
    return f"[{''.join(body)}]" if body and body != ["^"] else ""


def _escape(char: str) -> str:
    return f"\\U{ord(char):08x}"


_CHILD = """
import json, re, sys
for line in sys.stdin:
    job = json.loads(line)
    compiled = re.compile(job["regex"])
    for probe in job["probes"]:
        compiled.search(probe)
    sys.stdout.write("ok\\n")
    sys.stdout.flush()
"""


def slow_regexes(regexes: list[str], seconds: float) -> set[str]:
    """The expressions that do not finish their probes within ``seconds`` each.

    The probes run in one child Python process, an expression at a time; a child that overruns
    is killed and a fresh one takes the expressions after it.
    """
    slow: set[str] = set()
    todo = list(dict.fromkeys(regexes))
    while todo:
        child = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            todo = _probe_until_slow(child, todo, seconds, slow)
        finally:
            _close(child)
    return slow


def _probe_until_slow(
    child: subprocess.Popen[bytes], todo: list[str], seconds: float, slow: set[str]
) -> list[str]:
    """Probe expressions in ``child`` until one overruns; the ones left after it."""
    assert child.stdin is not None and child.stdout is not None
    for index, regex in enumerate(todo):
        job = json.dumps({"regex": regex, "probes": probe_strings(regex)})
        try:
            child.stdin.write(job.encode("utf-8") + b"\n")
            child.stdin.flush()
        except OSError as exc:
            raise ModelError(f"cannot check the codebook's patterns ({exc}); try again") from exc
        deadline = time.monotonic() + seconds
        ready: list[Any] = []
        while not ready and time.monotonic() < deadline:
            ready = select.select([child.stdout], [], [], deadline - time.monotonic())[0]
        if not ready or child.stdout.readline() != b"ok\n":
            slow.add(regex)
            return todo[index + 1 :]
    return []


def _close(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.kill()
    child.wait()
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            stream.close()
