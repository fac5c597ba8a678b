"""Shared fixtures: a tiny study folder and its settings."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipeline.config import Settings, load_settings
from pipeline.store import connect

# Prefect keeps its state (and its local server's database) under PREFECT_HOME: one per test session.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="framewatch-prefect-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# Exported ONNX models are shared by every test study of the session (built once, not per study).
os.environ.setdefault("FRAMEWATCH_MODEL_CACHE", tempfile.mkdtemp(prefix="framewatch-models-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FIXTURES = Path(__file__).parent / "fixtures"

MINIMAL_STUDY = """\
[study]
name = "test study"

[[outlets]]
name = "ledger"
feeds = ["https://ledger.example/rss.xml"]
"""


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, skipping the test with a reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared real-data folder is not on this machine")
    return path


@pytest.fixture
def study_file(tmp_path: Path) -> Path:
    """A minimal valid study.toml in a fresh folder."""
    path = tmp_path / "study.toml"
    path.write_text(MINIMAL_STUDY, encoding="utf-8")
    return path


@pytest.fixture
def settings(study_file: Path) -> Settings:
    """Settings of the minimal study."""
    return load_settings(study_file)


@pytest.fixture
def con(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated connection to the minimal study's database."""
    connection = connect(settings.database_path)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def frames_embedder() -> Any:
    """The packaged all-MiniLM-L6-v2 embedder, loaded once for the framing tests."""
    from models.embedder import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def frames_nlp() -> Any:
    """The spaCy pipeline the cue matcher uses, loaded once."""
    from models.cues import load_spacy

    return load_spacy()


@pytest.fixture(scope="session")
def distillation_detector(frames_embedder: Any, frames_nlp: Any) -> Any:
    """The default detector of the ai_distillation codebook (prototypes and cues, untrained)."""
    from models.codebook import load_codebook
    from models.detector import build_detector
    from pipeline.embed import detector_cache

    book = load_codebook("ai_distillation")
    return build_detector(book, frames_embedder, frames_nlp, cache=detector_cache(None))
