"""Hostile input to ``framewatch frames``: bad codebooks, binary and huge text, tiny training sets.

Every refusal here happens before the embedding model or spaCy pipeline loads (the codebook is
checked when it is loaded, input lines are read before the detector is built, training sets are
counted before they are embedded), so each case costs one CLI start-up.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.conftest import assert_refused, run_framewatch, snapshot

# Reading a line a bounded piece at a time adds little to the start-up size; a 150 MB line held
# whole as text would add at least its own size. The child's peak includes its parent's size at
# fork (Linux keeps the high-water mark across exec), so it is compared with an empty run's.
EXTRA_MIB = 64


def codebook(*, frame_extra: str = "", cues: str = "[steal]", prototypes: str = "") -> str:
    """A two-frame codebook with room for one hostile field in its first frame."""
    protos = prototypes or "[They stole the model., The rival copied our work., This is piracy.]"
    return (
        'id: tiny\nversion: "1"\nframes:\n'
        "  - id: theft\n    label: Theft\n    definition: Taking what belongs to another.\n"
        f"    cues: {cues}\n    prototypes: {protos}\n{frame_extra}"
        "  - id: praise\n    label: Praise\n    definition: Admiring the work.\n"
        "    prototypes: [A clever design., Genuinely new methods., An excellent team.]\n"
    )


def pattern(tokens: str) -> str:
    return codebook(frame_extra=f"    patterns: [{tokens}]\n")


BAD_CODEBOOKS: list[tuple[str, bytes, str]] = [
    ("binary", b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4, "binary file"),
    ("latin-1", codebook().replace("Admiring", "Caf\xe9").encode("latin-1"), "not UTF-8"),
    ("huge", b"# padding\n" * 200_000 + codebook().encode(), "too large for a codebook"),
    ("unknown key", pattern("[{LEMMA: steal, FOO: 1}]").encode(), "FOO"),
    ("nested repeat", pattern('[{TEXT: {REGEX: "(a+)+$"}}]').encode(), "(a+)+$"),
    ("ambiguous alternation", pattern('[{LOWER: {REGEX: "(a|aa)+$"}}]').encode(), "did not finish"),
    ("regex in an extension", pattern('[{_: {x: {REGEX: "(\\\\w+\\\\s?)*$"}}}]').encode(), "REGEX"),
    ("broken regex", pattern('[{TEXT: {REGEX: "(st"}}]').encode(), "does not compile"),
    ("empty pattern", pattern("[]").encode(), "non-empty list"),
    ("bad operator", pattern('[{LEMMA: steal, OP: "x"}]').encode(), "token pattern"),
    ("blank cue", codebook(cues='[steal, "   "]').encode(), "cues[1]: blank"),
    (
        "blank prototype",
        codebook(prototypes='[One., Two., " "]').encode(),
        "prototypes[2]: blank",
    ),
    (
        "blank counter-cue",
        codebook(frame_extra='    counter_cues: [""]\n').encode(),
        "counter_cues[0]: blank",
    ),
]


@pytest.mark.parametrize(
    ("content", "mentions"),
    [pytest.param(c, m, id=name) for name, c, m in BAD_CODEBOOKS],
)
def test_check_refuses_a_bad_codebook(hostile_study: Path, content: bytes, mentions: str) -> None:
    (hostile_study / "book.yaml").write_bytes(content)
    before = snapshot(hostile_study)
    outcome = run_framewatch(["frames", "check", "book.yaml"], hostile_study)
    assert_refused(outcome, mentions=mentions)
    assert snapshot(hostile_study) == before


def test_classify_refuses_a_backtracking_codebook_before_it_hangs(hostile_study: Path) -> None:
    (hostile_study / "book.yaml").write_text(pattern('[{TEXT: {REGEX: "(a+)+$"}}]'), "utf-8")
    before = snapshot(hostile_study)
    outcome = run_framewatch(
        ["frames", "classify", "--codebook", "book.yaml", "-"],
        hostile_study,
        stdin=b"a" * 45 + b"!\n",
        timeout=60,
    )
    assert_refused(outcome, mentions="(a+)+$")
    assert snapshot(hostile_study) == before


BAD_SENTENCES: list[tuple[str, bytes, str]] = [
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary file"),
    ("latin-1 only", "Caf\xe9 au lait\nna\xefve\n".encode("latin-1"), "not UTF-8"),
    ("line too long", b"a" * 10_001 + b"\n", "over 10,000 characters"),
    ("long line of two-byte characters", "\u00e9".encode() * 10_001, "over 10,000 characters"),
]


@pytest.mark.parametrize(
    ("content", "mentions"),
    [pytest.param(c, m, id=name) for name, c, m in BAD_SENTENCES],
)
def test_classify_refuses_input_with_nothing_to_classify(
    hostile_study: Path, content: bytes, mentions: str
) -> None:
    (hostile_study / "input.txt").write_bytes(content)
    before = snapshot(hostile_study)
    outcome = run_framewatch(["frames", "classify", "input.txt"], hostile_study)
    assert_refused(outcome, mentions=mentions)
    assert snapshot(hostile_study) == before


def write_repeated(path: Path, piece: bytes, times: int, end: bytes = b"") -> None:
    """Write ``piece`` ``times`` times without holding the whole file in memory."""
    block = piece * max(1, (1 << 20) // len(piece))
    per_block = len(block) // len(piece)
    with path.open("wb") as handle:
        for _ in range(times // per_block):
            handle.write(block)
        handle.write(piece * (times % per_block) + end)


@pytest.mark.parametrize(
    ("piece", "times", "end"),
    [(b"a", 150_000_000, b"\n"), (b"word ", 30_000_000, b"")],
    ids=["150 MB line", "150 MB without a newline"],
)
def test_classify_reads_a_huge_line_in_bounded_memory(
    hostile_study: Path, piece: bytes, times: int, end: bytes
) -> None:
    write_repeated(hostile_study / "input.txt", piece, times, end)
    before = snapshot(hostile_study)
    empty = run_framewatch(["frames", "classify", "-"], hostile_study, stdin=b"")
    outcome = run_framewatch(["frames", "classify", "input.txt"], hostile_study)
    assert_refused(outcome, mentions="line 1 is over 10,000 characters")
    assert outcome.peak_mib < empty.peak_mib + EXTRA_MIB, (outcome.peak_mib, empty.peak_mib)
    assert snapshot(hostile_study) == before


def test_classify_refuses_a_folder(hostile_study: Path) -> None:
    outcome = run_framewatch(["frames", "classify", "data"], hostile_study)
    assert_refused(outcome, mentions="a folder")


@pytest.mark.parametrize("content", [b"", b"\n   \n\t\n"], ids=["empty", "blank"])
def test_classify_on_empty_input_prints_nothing_and_says_so(
    hostile_study: Path, content: bytes
) -> None:
    outcome = run_framewatch(["frames", "classify", "-"], hostile_study, stdin=content)
    assert outcome.returncode == 0, outcome.message
    assert outcome.stdout == ""
    assert outcome.stderr_lines == ["stdin: no sentences to classify (the input is empty or blank)"]


def labels(rows: list[tuple[str, str]]) -> str:
    return "text,labels\n" + "".join(f"{text},{label}\n" for text, label in rows)


TWO_ROWS = labels([("They stole the model", "theft"), ("A clever new design", "innovation")])
SIX_ROWS = labels(
    [(f"They stole model {i}", "theft") for i in range(3)]
    + [(f"A clever design {i}", "innovation") for i in range(3)]
)

BAD_TRAINING: list[tuple[str, list[str], str, str]] = [
    ("train on 2 rows", ["frames", "train", "--labels", "l.csv"], TWO_ROWS, "at least 3 texts"),
    ("train below the floor", ["frames", "train", "--labels", "l.csv"], SIX_ROWS, "at least 20"),
    (
        "cv on 2 rows",
        ["frames", "evaluate", "--labels", "l.csv", "--cv", "5"],
        TWO_ROWS,
        "at least 3 texts",
    ),
    (
        "evaluate --train on 2 rows",
        ["frames", "evaluate", "--labels", "l.csv", "--train", "l.csv"],
        TWO_ROWS,
        "at least 3 texts",
    ),
]


@pytest.mark.parametrize(
    ("args", "content", "mentions"),
    [pytest.param(a, c, m, id=name) for name, a, c, m in BAD_TRAINING],
)
def test_a_training_set_too_small_is_refused(
    hostile_study: Path, args: list[str], content: str, mentions: str
) -> None:
    (hostile_study / "l.csv").write_text(content, encoding="utf-8")
    before = snapshot(hostile_study)
    outcome = run_framewatch(args, hostile_study)
    assert_refused(outcome, mentions=mentions)
    assert snapshot(hostile_study) == before
    assert not (hostile_study / "data" / "codebooks").exists()


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_a_binary_labels_file_is_refused(hostile_study: Path, command: str) -> None:
    (hostile_study / "l.csv").write_bytes(b"text,labels\n\xff\xfe\x00\x01" * 100)
    before = snapshot(hostile_study)
    outcome = run_framewatch(["frames", command, "--labels", "l.csv"], hostile_study)
    assert_refused(outcome, mentions="labels file")
    assert snapshot(hostile_study) == before
