"""Two fresh studies of one corpus on one machine store the same topics and frames, row for row."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from flows.analyze import analyze_flow
from models.onnx_export import auto_preference
from pipeline.config import load_settings
from pipeline.embed import model_cache
from pipeline.store import connect
from tests.analysis_docs import make_doc, store

# The default backend ("auto") on purpose: it is what a new study gets.
STUDY_TOML = '[study]\nname = "same corpus"\n\n[analysis]\nmin_topic_size = 5\n'
STORIES = [
    "Anthropic says DeepSeek distilled Claude through thousands of fake accounts. "
    "The company called the practice theft of its intellectual property.",
    "OpenAI claims Chinese labs copied its models by distillation. "
    "Officials warned that cheap copies could threaten national security.",
    "Researchers argue that distillation is how the whole field has always learned. "
    "They say the accusations are hypocritical, since the labs trained on the open web.",
    "The climate summit ended with a pledge to cut carbon emissions by half. "
    "Delegates said the deal leaves poorer countries without the money they need.",
    "Heat waves and floods show how global warming changes the weather. "
    "Insurers raised premiums in coastal towns for the third year in a row.",
]
OUTLETS = ["ledger", "courier", "gazette", "herald"]


def _study(folder: Path) -> Path:
    """A fresh study folder with 40 imported documents, the same in every call."""
    folder.mkdir()
    path = folder / "study.toml"
    path.write_text(STUDY_TOML, encoding="utf-8")
    con = connect(load_settings(path).database_path)
    docs = [
        make_doc(
            f"d{i:02d}",
            f"{STORIES[i % len(STORIES)]} Report number {i} follows from our desk.",
            title=STORIES[i % len(STORIES)].split(".")[0],
            outlet=OUTLETS[i % len(OUTLETS)],
            published=datetime(2026, 1, 5) + timedelta(days=i),
        )
        for i in range(40)
    ]
    store(con, *docs)
    con.close()
    return path


def _rows(study: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    con = connect(load_settings(study).database_path, read_only=True)
    topics = con.execute("SELECT * FROM doc_topics ORDER BY ALL").fetchall()
    mentions = con.execute("SELECT * FROM frame_mentions ORDER BY ALL").fetchall()
    con.close()
    return topics, mentions


@pytest.mark.slow
def test_two_fresh_studies_of_one_corpus_store_identical_topics_and_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    first, second = _study(tmp_path / "first"), _study(tmp_path / "second")
    analyze_flow(str(first))
    shared = model_cache()
    # The second study exports the model anew, as on the day the cache was cleared: before the
    # variant was chosen by rule, each export timed the variants and could choose another one.
    monkeypatch.setenv("FRAMEWATCH_MODEL_CACHE", str(tmp_path / "emptied-cache"))
    analyze_flow(str(second))
    topics, mentions = _rows(first)
    assert len(topics) == 40 and len({row[2] for row in topics}) >= 2
    assert len(mentions) >= 10
    assert _rows(second) == (topics, mentions)
    # the variant the CPU's capabilities name, recorded in every row's model
    variant = auto_preference()[0]
    assert {row[1] for row in topics} == {f"all-MiniLM-L6-v2@{variant}.v3"}
    assert all(variant in str(row[-1]) for row in mentions)
    # the exports live in the machine's cache; neither study keeps a copy of its own
    for cache in (shared, tmp_path / "emptied-cache"):
        assert (cache / "onnx" / "all-MiniLM-L6-v2" / "meta.json").exists()
    assert not (tmp_path / "first" / "data" / "models" / "onnx").exists()
    assert not (tmp_path / "second" / "data" / "models" / "onnx").exists()


def test_exports_are_shared_per_user_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(_study(tmp_path / "study"))
    monkeypatch.delenv("FRAMEWATCH_MODEL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if os.name == "posix" and os.uname().sysname == "Linux":
        assert model_cache(settings) == tmp_path / "user-cache" / "framewatch" / "models"
    assert tmp_path / "study" not in model_cache(settings).parents
    monkeypatch.setenv("FRAMEWATCH_MODEL_CACHE", str(tmp_path / "shared"))
    assert model_cache(settings) == tmp_path / "shared"
