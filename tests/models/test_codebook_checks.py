"""Codebook checks: bounded reading, and regular expressions refused before they can hang."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.codebook import CodebookError
from models.codebook_checks import (
    MAX_CODEBOOK_BYTES,
    read_codebook_text,
    slow_regexes,
    static_regex_problem,
)


@pytest.mark.parametrize(
    "regex", [r"(a+)+$", r"(\w+\s?)*$", r"(x+x+)+y", r"(.*a){12}", r"((ab)*c?)+"]
)
def test_a_repeat_of_an_unbounded_repeat_is_refused_without_running_it(regex: str) -> None:
    assert "repeats an unbounded repeat" in static_regex_problem(regex)


@pytest.mark.parametrize(
    "regex", [r"^steal(s|ing)?$", r"^[A-Z][a-z]+$", r"^(\d{1,3},)*\d{1,3}$", r"(?i)u\.s\."]
)
def test_sound_expressions_pass_and_finish_their_probes(regex: str) -> None:
    assert static_regex_problem(regex) == ""
    assert slow_regexes([regex], 5.0) == set()


def test_an_ambiguous_alternation_is_caught_by_its_probe_and_the_rest_still_checked() -> None:
    assert slow_regexes([r"(a|aa)+$", r"^ok$", r"^(a|a?)+$"], 2.0) == {r"(a|aa)+$", r"^(a|a?)+$"}


def test_a_broken_expression_is_refused() -> None:
    assert "does not compile" in static_regex_problem("(st")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"id: x\x00\x01", "a binary file"),
        (b"id: caf\xe9\n", r"book\.yaml:1: not UTF-8 text \(byte 0xe9\)"),
        (b"#" * (MAX_CODEBOOK_BYTES + 1), "too large for a codebook"),
    ],
)
def test_a_codebook_file_is_read_bounded_and_as_utf8(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "book.yaml"
    path.write_bytes(content)
    with pytest.raises(CodebookError, match=message):
        read_codebook_text(path)
