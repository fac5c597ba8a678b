"""A stage that fails fails its flow run with a message naming the model, and earlier work stays."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from pipeline.config import load_settings
from pipeline.importer import import_file, resolve_mapping
from pipeline.store import connect
from tests.conftest import MINIMAL_STUDY

pytestmark = pytest.mark.slow


def test_a_model_that_cannot_load_fails_the_run_and_keeps_earlier_rows(tmp_path: Path) -> None:
    study = tmp_path / "study.toml"
    study.write_text(
        MINIMAL_STUDY + '\n[models]\nembedding = "no-such-org/no-such-model"\n', encoding="utf-8"
    )
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(
        json.dumps({"url": f"https://ledger.example/{n}", "outlet": "ledger", "title": f"Story {n}",
                    "text": "Meridian AI says its rival copied the model. Lawmakers want export controls.", "date": "2026-10-05"}) + "\n"
        for n in range(5)
    ))  # fmt: skip
    con = connect(load_settings(study).database_path)
    import_file(con, corpus, resolve_mapping(None, {}), fmt="jsonl")
    con.close()
    result = CliRunner().invoke(app, ["analyze", "--study", str(study)])
    assert result.exit_code != 0
    assert (
        'cannot load embedding model "no-such-org/no-such-model"' in result.output + result.stderr
    )
    con = duckdb.connect(str(load_settings(study).database_path), read_only=True)
    try:
        assert con.execute("SELECT count(DISTINCT doc_id) FROM sentences").fetchall() == [(5,)], (
            "the NLP stage's rows stay"
        )
        statuses = dict(
            con.execute(
                "SELECT command, status FROM runs WHERE command LIKE 'analyze:%'"
            ).fetchall()
        )
    finally:
        con.close()
    assert statuses["analyze:nlp"] == "ok"
    assert statuses["analyze:embed_documents"] == "failed"
