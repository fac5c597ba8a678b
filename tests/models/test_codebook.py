"""Codebooks: the shipped ones load, and a broken file fails with its line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.codebook import CodebookError, list_codebooks, load_codebook

DISTILLATION_FRAMES = [
    "theft",
    "innovation",
    "security",
    "hypocrisy",
    "common_practice",
    "narrative_control",
]

GOOD = """\
id: tiny
version: "2"
frames:
  - id: alpha
    label: Alpha
    definition: The first frame.
    cues: [first]
    prototypes: [One sentence., Another sentence., A third sentence.]
  - id: beta
    label: Beta
    definition: The second frame.
    prototypes: [Some text., More text., Even more text.]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "book.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_codebooks_load_with_the_agreed_frame_ids() -> None:
    assert {"ai_distillation", "policy_frames"} <= set(list_codebooks())
    distillation = load_codebook("ai_distillation")
    assert distillation.frame_ids == DISTILLATION_FRAMES
    assert distillation.ref == "codebook.ai_distillation.v2"
    policy = load_codebook("policy_frames")
    assert len(policy.frames) == 15
    assert policy.frame_ids[0] == "economic" and policy.frame_ids[-1] == "other"


def test_every_distillation_frame_has_cues_counter_cues_and_prototypes() -> None:
    book = load_codebook("ai_distillation")
    for frame in book.frames:
        assert len(frame.prototypes) >= 15, frame.id
        assert frame.cues and frame.counter_cues, frame.id
    assert len(book.background) >= 20


def test_a_study_codebook_file_loads_relative_to_the_study(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    book = load_codebook("book.yaml", tmp_path)
    assert book.ref == "codebook.tiny.v2"
    assert book.frames[0].cues == ("first",)


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    label: Beta", "    label: [Beta"))
    with pytest.raises(CodebookError, match=r"book\.yaml:1[01]: not valid YAML"):
        load_codebook(str(path))


def test_a_missing_key_names_its_line_and_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    definition: The second frame.\n", ""))
    with pytest.raises(
        CodebookError, match=r"book\.yaml:9: frames\[1\]\.definition: definition is missing; add it"
    ):
        load_codebook(str(path))


def test_an_unknown_key_is_reported_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    cues: [first]", "    cuez: [first]"))
    with pytest.raises(CodebookError, match=r"book\.yaml:7: frames\[0\]\.cuez: unknown key"):
        load_codebook(str(path))


def test_duplicate_frame_ids_and_too_few_prototypes_are_reported(tmp_path: Path) -> None:
    text = GOOD.replace("id: beta", "id: alpha").replace(
        "[Some text., More text., Even more text.]", "[Some text.]"
    )
    with pytest.raises(CodebookError) as caught:
        load_codebook(str(write(tmp_path, text)))
    assert 'frame id "alpha" appears twice' in str(caught.value)
    assert "has 1 prototype sentences; write at least 3" in str(caught.value)


def test_an_unknown_codebook_id_lists_the_shipped_ones() -> None:
    with pytest.raises(CodebookError, match="use one of ai_distillation, policy_frames"):
        load_codebook("no_such_codebook")
