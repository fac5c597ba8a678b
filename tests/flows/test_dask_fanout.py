"""On the demo study, the fan-out on a Dask LocalCluster (two workers: NLP batches and every
embedding) gives the same rows and the same vectors as one process."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest

from flows import analyze
from flows.analyze import run_analysis
from flows.demo.world import generate_world, iter_comments
from pipeline.config import load_settings
from pipeline.errors import ModelError
from pipeline.importer import import_file, resolve_mapping
from pipeline.store import connect
from tests.conftest import MINIMAL_STUDY

pytestmark = pytest.mark.slow


def demo_documents() -> list[dict[str, object]]:
    """The demo world's articles and Reddit comments, as an importable corpus."""
    world = generate_world("http://127.0.0.1:8765")
    rows: list[dict[str, object]] = [
        {"url": a.canonical, "outlet": a.outlet.name, "title": a.title,
         "text": re.sub(r"<[^>]+>", "", "\n\n".join(a.paragraphs)), "date": a.published.isoformat()}
        for a in world.articles
    ]  # fmt: skip
    for thread in world.threads:
        rows += [
            {"outlet": "r/LocalModels", "kind": "reddit_comment", "text": c.body, "date": c.created.isoformat(),
             "url": f"https://www.reddit.com/r/LocalModels/comments/{thread.id}/_/{c.id}/"}
            for c in iter_comments(thread.comments)
        ]  # fmt: skip
    return rows


def study(folder: Path, dask: str) -> Path:
    folder.mkdir()
    path = folder / "study.toml"
    extra = f'\n[analysis]\ndask = "{dask}"\ndask_workers = 2\n' if dask else ""
    path.write_text(MINIMAL_STUDY + extra, encoding="utf-8")
    corpus = folder / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(row) + "\n" for row in demo_documents()))
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
            "frame_mentions": con.execute(
                "SELECT doc_id, sentence_idx, frame_id, round(score, 4), speaker FROM frame_mentions ORDER BY ALL"
            ).fetchall(),
            "embeddings": con.execute(
                "SELECT text_hash, model, vector FROM embeddings ORDER BY ALL"
            ).fetchall(),
            "doc_topics": con.execute(
                "SELECT doc_id, topic_id FROM doc_topics ORDER BY ALL"
            ).fetchall(),
        }
    finally:
        con.close()


def test_dask_local_cluster_gives_the_same_rows(tmp_path: Path) -> None:
    single, fanned = study(tmp_path / "single", ""), study(tmp_path / "dask", "local")
    alone = {r.name: r.counts for r in run_analysis(str(single))}
    results = run_analysis(str(fanned))
    assert results[0].name == "nlp" and results[0].counts["documents"] == 125
    counts = {r.name: r.counts for r in results}
    # the transformer ran on the workers: every text each stage embedded went there
    assert "embedded_on_workers" not in alone["embed_documents"]
    assert (
        counts["embed_documents"]["embedded_on_workers"]
        == counts["embed_documents"]["embedded"]
        > 50
    )
    assert counts["frames"]["embedded_on_workers"] >= counts["frames"]["embedded"] > 50
    got, want = tables(fanned), tables(single)
    assert len(want["sentences"]) > 250 and len(want["frame_mentions"]) > 100
    assert len(want["embeddings"]) > 150 and len(want["doc_topics"]) > 80
    assert got == want


def test_a_worker_that_would_store_other_vectors_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class OtherVariant:
        model_id = "all-MiniLM-L6-v2@openvino-f32.v3"

        def embed(self, texts: list[str]) -> None:
            raise AssertionError("a refused worker must not embed")

    monkeypatch.setattr(analyze, "_worker_embedder", lambda *args: OtherVariant())
    (tmp_path / "study.toml").write_text(MINIMAL_STUDY, encoding="utf-8")
    settings = load_settings(tmp_path / "study.toml")
    with pytest.raises(
        ModelError, match=r"openvino-f32\.v3, but the study's vectors are .*@openvino-bf16\.v3"
    ):
        analyze.embed_on_worker(
            ["a text"], settings, "openvino", "all-MiniLM-L6-v2@openvino-bf16.v3"
        )
