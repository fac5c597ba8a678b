"""`framewatch analyze` end to end: the Prefect flow, the runs log and a second run doing nothing."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

# Prefect's temporary server logs "Stopping …" at exit, after pytest closed the captured streams.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from flows.analyze import STAGES, analyze_flow
from flows.cli import app
from pipeline.config import load_settings
from pipeline.store import connect
from tests.analysis_docs import make_doc, store

STORIES = [
    "Anthropic says DeepSeek distilled Claude through thousands of fake accounts.",
    "OpenAI claims Chinese labs copied its models by distillation.",
    "The climate summit ended with a pledge to cut carbon emissions by half.",
    "Heat waves and floods show how global warming changes the weather.",
]


@pytest.fixture
def study(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    path = tmp_path / "study.toml"
    path.write_text(
        '[study]\nname = "t"\n\n[analysis]\nbackend = "torch"\nmin_topic_size = 5\n',
        encoding="utf-8",
    )
    con = connect(load_settings(path).database_path)
    docs = [
        make_doc(
            f"d{i}",
            f"{STORIES[i % 4]} Report number {i} follows.",
            title=STORIES[i % 4].split()[0],
            published=datetime(2026, 1, 5) + timedelta(days=i),
        )
        for i in range(24)
    ]
    store(con, *docs, make_doc("empty", ""))
    con.close()
    return path


@pytest.mark.slow
def test_analyze_runs_every_stage_and_a_second_run_does_no_work(study: Path) -> None:
    assert os.environ["PREFECT_HOME"].endswith("prefect")
    # The first run calls the flow itself: Prefect's log handler keeps the stream it first saw,
    # and CliRunner closes its stream when the command ends.
    first = analyze_flow(str(study))
    assert [r.name for r in first] == [s.name for s in STAGES]
    second = CliRunner().invoke(app, ["analyze", "--study", str(study)])
    assert second.exit_code == 0, second.output
    assert "embed_documents" in second.output
    con = connect(load_settings(study).database_path)
    runs = con.execute(
        "SELECT command, counts, versions FROM runs WHERE command LIKE 'analyze:%' ORDER BY started_at"
    ).fetchall()
    assert [r[0] for r in runs[:5]] == [
        "analyze:nlp",
        "analyze:embed_documents",
        "analyze:topics",
        "analyze:embed_sentences",
        "analyze:frames",
    ]
    counts = [json.loads(r[1]) for r in runs]
    assert counts[0]["documents"] == 25 and counts[0]["empty"] == 1
    # sentence vectors are made by the framing stage, for the sentences it needs
    assert counts[1]["embedded"] == 24 and counts[3]["embedded"] == 0
    assert counts[4]["embedded"] > 0
    assert json.loads(runs[1][2])["embedding_model"] == "all-MiniLM-L6-v2@torch"
    assert counts[4]["documents"] == 24, "the framing stage framed every analysed document"
    second_run = counts[5:]
    assert second_run[0]["documents"] == 0 and second_run[1]["embedded"] == 0
    assert second_run[2]["documents"] == 0 and second_run[3]["embedded"] == 0
    assert second_run[4]["documents"] == 0 and second_run[4]["mentions"] == 0
    topics = con.execute("SELECT count(DISTINCT topic_id) FROM doc_topics").fetchall()[0][0]
    assert topics >= 2
    con.close()


def test_unknown_stage_is_refused_with_the_choices(study: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", "--stage", "clustering", "--study", str(study)])
    assert result.exit_code == 2
    assert "use one of: nlp, embed_documents, topics, embed_sentences" in result.output
