"""The [analysis] section of study.toml: defaults, aliases and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_settings, write_study_template
from tests.conftest import MINIMAL_STUDY
from tests.pipeline.test_config import error_for, write


def test_defaults_and_aliases(tmp_path: Path) -> None:
    settings = load_settings(
        write(
            tmp_path,
            MINIMAL_STUDY
            + '\n[analysis]\nbackend = "torch"\n\n[analysis.aliases]\n"Anthropic PBC" = "Anthropic"\n',
        )
    )
    analysis = settings.analysis
    assert analysis.backend == "torch" and analysis.full_model == "cues"
    assert analysis.aliases == {"Anthropic PBC": "Anthropic"}
    assert (analysis.min_topic_size, analysis.seed, analysis.lead_chars) == (10, 42, 600)


def test_template_analysis_section_is_valid(tmp_path: Path) -> None:
    settings = load_settings(write_study_template(tmp_path, "t"))
    assert settings.analysis.backend == "auto" and not settings.analysis.sentence_embeddings
    assert not settings.analysis.screen and settings.analysis.ner == "speakers"


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ('\n[analysis]\nbackend = "tensorrt"\n', "analysis.backend"),
        ("\n[analysis]\nmin_topic_size = 1\n", "analysis.min_topic_size"),
        ('\n[analysis]\nfull_model = "some"\n', "analysis.full_model"),
        ('\n[analysis.aliases]\n"OpenAI" = " "\n', "non-empty canonical name"),
        ("\n[analysis]\nbatchsize = 8\n", 'did you mean "batch_size"'),
    ],
)
def test_bad_analysis_values(tmp_path: Path, fragment: str, expected: str) -> None:
    assert expected in error_for(tmp_path, MINIMAL_STUDY + fragment)
