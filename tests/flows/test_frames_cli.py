"""The framewatch frames commands: help, check, classify, train and evaluate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from flows.cli import app
from models.codebook import load_codebook
from pipeline.config import load_settings
from pipeline.embed import make_embedder, model_id_for
from pipeline.frames import load_detector
from tests.conftest import MINIMAL_STUDY

runner = CliRunner()


def json_lines(output: str) -> list[dict[str, Any]]:
    """The JSON records of an output (the model loader's progress bar shares the stream in tests)."""
    return [json.loads(line[line.index("{") :]) for line in output.splitlines() if "{" in line]


def frames_commands() -> list[str]:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    frames = group.commands["frames"]
    assert isinstance(frames, typer.core.TyperGroup)
    return sorted(frames.commands)


def test_the_frames_commands_exist() -> None:
    assert frames_commands() == ["check", "classify", "evaluate", "train"]


@pytest.mark.parametrize("name", frames_commands())
def test_every_frames_command_has_help_with_an_example(name: str) -> None:
    result = runner.invoke(app, ["frames", name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"framewatch frames {name}" in result.output


def test_check_summarises_a_good_codebook() -> None:
    result = runner.invoke(app, ["frames", "check", "ai_distillation"])
    assert result.exit_code == 0
    version = load_codebook("ai_distillation").version
    assert f"codebook.ai_distillation.v{version}: 6 frames, OK" in result.output
    assert "narrative_control" in result.output


def test_check_names_the_line_of_a_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "id: bad\nversion: '1'\nframes:\n  - id: x\n    label: [oops\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["frames", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:" in result.output and "not valid YAML" in result.output


@pytest.fixture
def study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "study.toml").write_text(MINIMAL_STUDY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


LABELS = "text,labels\n" + "".join(
    f"{text},{label}\n"
    for text, label in [
        ("They stole the model outright", "theft"),
        ("The rival copied our work without permission", "theft"),
        ("This is piracy of a paid product", "theft"),
        ("Lifting another lab's answers is taking its property", "theft"),
        ("Their engineers built it cheaply with clever ideas", "innovation"),
        ("A homegrown breakthrough in efficient training", "innovation"),
        ("The paper shows genuinely new methods", "innovation"),
        ("Their research team is simply excellent", "innovation"),
    ]
)


@pytest.mark.slow
def test_classify_prints_one_json_line_per_input_line(study: Path) -> None:
    result = runner.invoke(
        app,
        ["frames", "classify", "--codebook", "ai_distillation", "-"],
        input="Anthropic says DeepSeek stole its work.\n\nThis is not theft.\n",
    )
    assert result.exit_code == 0, result.output
    lines = json_lines(result.output)
    assert [line["top"] for line in lines] == ["theft", None]
    assert set(lines[0]["scores"]) == {
        "theft",
        "innovation",
        "security",
        "hypocrisy",
        "common_practice",
        "narrative_control",
    }
    assert lines[1]["rebutted"] == ["theft"]


@pytest.mark.slow
def test_train_stores_a_classifier_that_classify_and_evaluate_use(study: Path) -> None:
    (study / "labels.csv").write_text(LABELS, encoding="utf-8")
    result = runner.invoke(app, ["frames", "train", "--labels", "labels.csv", "--force"])
    assert result.exit_code == 0, result.output
    assert "single-label classifier on 8 texts" in result.output
    assert "Warning: labels.csv: too few texts per frame" in result.stderr
    stem = f"ai_distillation.v{load_codebook('ai_distillation').version}.classifier"
    assert (study / "data" / "codebooks" / f"{stem}.npz").is_file()
    # trained on the vectors the analysis makes, so the framing stage takes it
    settings = load_settings(study / "study.toml")
    detector = load_detector(settings, embedder=make_embedder(settings))
    assert detector.classifier is not None
    assert detector.classifier.embedding_model == detector.embedding_model
    assert detector.embedding_model == model_id_for(settings)
    result = runner.invoke(app, ["frames", "classify", "-"], input="They stole it\n")
    assert [line["top"] for line in json_lines(result.output)] == ["theft"]
    result = runner.invoke(app, ["frames", "evaluate", "--labels", "labels.csv"])
    assert result.exit_code == 0, result.output
    assert "macro" in result.output and "confusion" in result.output
    result = runner.invoke(app, ["frames", "evaluate", "--labels", "labels.csv", "--cv", "2"])
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output
    info = study / "data" / "codebooks" / f"{stem}.json"
    assert json.loads(info.read_text(encoding="utf-8"))["features"] == ["embedding", "word", "char"]
    result = runner.invoke(
        app, ["frames", "train", "--labels", "labels.csv", "--embeddings-only", "--force"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(info.read_text(encoding="utf-8"))["features"] == ["embedding"]
    # a smaller set does not replace the stored classifier without --force
    rows = LABELS.splitlines(keepends=True)
    (study / "fewer.csv").write_text("".join(rows[:4] + rows[5:8]), encoding="utf-8")
    stored = info.read_bytes()
    result = runner.invoke(app, ["frames", "train", "--labels", "fewer.csv"])
    assert result.exit_code == 2
    assert "was trained on 8 texts, this set has 6" in result.stderr
    assert info.read_bytes() == stored


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("text,labels\n", "has no rows"),
        ("text,labels\nA,theft\nB,heist\n", 'labels.csv:3: unknown frame "heist"'),
        ("text,labels\nA,theft\nB,theft\n", 'every text is labelled "theft"'),
    ],
)
def test_bad_labels_fail_clearly_and_write_nothing(study: Path, content: str, message: str) -> None:
    (study / "labels.csv").write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["frames", "train", "--labels", "labels.csv"])
    assert result.exit_code == 1
    assert message in result.output
    assert not (study / "data" / "codebooks").exists()


def test_evaluate_rejects_both_cv_and_train(study: Path) -> None:
    result = runner.invoke(
        app, ["frames", "evaluate", "--labels", "x.csv", "--cv", "5", "--train", "y.csv"]
    )
    assert result.exit_code == 2 and "either --cv K or --train FILE" in result.output


def test_evaluate_rejects_embeddings_only_without_training(study: Path) -> None:
    result = runner.invoke(app, ["frames", "evaluate", "--labels", "x.csv", "--embeddings-only"])
    assert result.exit_code == 2 and "add --cv K or --train FILE" in result.output


def test_check_passes_a_sound_token_pattern(tmp_path: Path) -> None:
    path = tmp_path / "book.yaml"
    path.write_text(
        tiny_codebook(
            '    patterns: [[{LOWER: {REGEX: "^steal(s|ing)?$"}}, {POS: NOUN, OP: "?"}]]'
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["frames", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "codebook.tiny.v1: 2 frames, OK" in result.output


def tiny_codebook(extra: str = "", cues: str = "[steal]") -> str:
    return (
        'id: tiny\nversion: "1"\nframes:\n'
        "  - id: theft\n    label: Theft\n    definition: Taking.\n"
        f"    cues: {cues}\n    prototypes: [They stole it., A rival copied it., Piracy.]\n{extra}\n"
        "  - id: praise\n    label: Praise\n    definition: Admiring.\n"
        "    prototypes: [A clever design., New methods., An excellent team.]\n"
    )


@pytest.mark.parametrize(
    ("extra", "cues", "message"),
    [
        (
            "    patterns: [[{LEMMA: steal, FOO: 1}]]",
            "[steal]",
            "book.yaml:9: frames[0].patterns[0]",
        ),
        ('    patterns: [[{TEXT: {REGEX: "(a+)+$"}}]]', "[steal]", "repeats an unbounded repeat"),
        ("", '[steal, " "]', "book.yaml:7: frames[0].cues[1]: blank text"),
    ],
    ids=["unknown key", "nested repeat", "blank cue"],
)
def test_check_refuses_what_classify_would_crash_or_hang_on(
    tmp_path: Path, extra: str, cues: str, message: str
) -> None:
    path = tmp_path / "book.yaml"
    path.write_text(tiny_codebook(extra, cues), encoding="utf-8")
    result = runner.invoke(app, ["frames", "check", str(path)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_train_refuses_too_few_texts_per_frame_before_embedding(study: Path) -> None:
    (study / "labels.csv").write_text(LABELS, encoding="utf-8")
    result = runner.invoke(app, ["frames", "train", "--labels", "labels.csv"])
    assert result.exit_code == 2
    assert "theft 4, innovation 4, security 0" in result.stderr
    assert "label at least 20 texts of every frame" in result.stderr
    assert "--force" in result.stderr
    assert not (study / "data" / "codebooks").exists()


@pytest.mark.slow
def test_classify_skips_bad_lines_and_goes_on(study: Path) -> None:
    data = b"They stole the model.\n" + b"x" * 20_000 + b"\nCaf\xe9\n\nThis is not theft.\n"
    result = runner.invoke(app, ["frames", "classify", "-"], input=data)
    assert result.exit_code == 0, result.output
    lines = json_lines(result.stdout)
    assert [line["line"] for line in lines] == [1, 5]
    assert lines[0]["top"] == "theft"
    assert lines[1]["rebutted"] == ["theft"]
    assert "stdin:2: skipped, over 10,000 characters" in result.stderr
    assert "stdin:3: skipped, not UTF-8 (byte 0xe9)" in result.stderr
