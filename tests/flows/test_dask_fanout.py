"""The NLP fan-out on a Dask LocalCluster (two worker processes) gives the same rows as one process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows.analyze import run_analysis
from pipeline.config import load_settings
from pipeline.importer import import_file, resolve_mapping
from pipeline.store import connect
from tests.conftest import MINIMAL_STUDY

pytestmark = pytest.mark.slow

TEXTS = [
    "Meridian AI says Kestrel copied its model. \u201cThey took our work,\u201d a spokesperson said.",
    "Lawmakers warned on Tuesday that copying models weakens export controls.",
    "Engineers at Kestrel AI found clever shortcuts. The results impressed independent testers.",
    "Distillation is an old technique. Every lab uses it, according to The Verge.",
]


def study(folder: Path, dask: str) -> Path:
    folder.mkdir()
    path = folder / "study.toml"
    extra = f'\n[analysis]\ndask = "{dask}"\ndask_workers = 2\n' if dask else ""
    path.write_text(MINIMAL_STUDY + extra, encoding="utf-8")
    corpus = folder / "corpus.jsonl"
    corpus.write_text("".join(
        json.dumps({"url": f"https://ledger.example/{n}", "outlet": "ledger", "title": f"Story {n}", "text": f"{TEXTS[n % 4]} Item {n}.", "date": "2026-10-05"}) + "\n"
        for n in range(450)
    ))  # fmt: skip
    con = connect(load_settings(path).database_path)
    import_file(con, corpus, resolve_mapping(None, {}), fmt="jsonl")
    con.close()
    return path


def tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    con = duckdb.connect(str(load_settings(path).database_path), read_only=True)
    try:
        return {
            "sentences": con.execute(
                "SELECT doc_id, sentence_idx, text, start_char, end_char, speaker, speaker_kind FROM sentences ORDER BY ALL"
            ).fetchall(),
            "entities": con.execute(
                "SELECT doc_id, sentence_idx, start_char, text, label, name FROM entities ORDER BY ALL"
            ).fetchall(),
            "nlp_documents": con.execute(
                "SELECT doc_id, status, sentences, words FROM nlp_documents ORDER BY ALL"
            ).fetchall(),
        }
    finally:
        con.close()


def test_dask_local_cluster_gives_the_same_rows(tmp_path: Path) -> None:
    single, fanned = study(tmp_path / "single", ""), study(tmp_path / "dask", "local")
    run_analysis(str(single), ["nlp"])
    results = run_analysis(str(fanned), ["nlp"])
    assert results[0].counts["documents"] == 450
    got, want = tables(fanned), tables(single)
    assert len(want["sentences"]) > 900
    assert got == want
