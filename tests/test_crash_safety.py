"""Kill -9 in the middle of import, embedding and framing, run again: the same rows as an uninterrupted run.

Each stage runs in a child process whose write function is wrapped (in the child only) to print a
line after every committed batch; the test kills the child with SIGKILL after a few batches, checks
that the database holds part of the work, runs the stage again to the end, and compares the result
with a database that ran the stage once without interruption.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from flows.demo import vocabulary as vocab
from pipeline.config import load_settings
from pipeline.importer import import_file, resolve_mapping
from pipeline.store import connect
from tests.conftest import MINIMAL_STUDY

pytestmark = pytest.mark.slow

CORPUS_SIZE = 300


def write_corpus(path: Path, size: int) -> Path:
    """Articles written from the demo phrasebook, so the frames have something to find."""
    rng = random.Random(11)
    frames = list(vocab.FRAME_SENTENCES)
    with path.open("w", encoding="utf-8") as handle:
        for n in range(size):
            frame = frames[n % len(frames)]
            sentences = [
                rng.choice(vocab.FRAME_SENTENCES[frame]),
                rng.choice(vocab.NEUTRAL_SENTENCES),
                rng.choice(vocab.FRAME_SENTENCES[rng.choice(frames)]),
            ]
            text = " ".join(
                s.format(accuser=vocab.ACCUSER, rival=vocab.RIVALS[n % 2], other=vocab.RIVALS[0])
                for s in sentences
            )
            record = {"url": f"https://outlet{n % 5}.example/story/{n}", "outlet": f"outlet{n % 5}", "title": f"Story {n} on distillation",
                      "text": f"{text} (Report number {n}.)", "date": f"2026-10-{1 + n % 28:02d}"}  # fmt: skip
            handle.write(json.dumps(record) + "\n")
    return path


def child(script: str, study_file: Path, kill_after: int | None) -> int:
    """Run a stage in a child process; SIGKILL it after ``kill_after`` committed batches."""
    code = textwrap.dedent(script).format(study=str(study_file))
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    batches = 0
    for line in process.stdout:
        if line.strip() == "committed":
            batches += 1
            if kill_after is not None and batches >= kill_after:
                process.send_signal(signal.SIGKILL)
                break
    process.wait(timeout=600)
    if kill_after is None:
        assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    else:
        assert process.returncode == -signal.SIGKILL, "the stage finished before it could be killed"
    return batches


def rows(study_file: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(load_settings(study_file).database_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def new_study(folder: Path) -> Path:
    folder.mkdir(parents=True)
    study_file = folder / "study.toml"
    study_file.write_text(
        MINIMAL_STUDY + "\n[analysis]\nmin_topic_size = 5\nsentence_embeddings = true\n",
        encoding="utf-8",
    )
    return study_file


def copy_study(source: Path, target: Path) -> Path:
    shutil.copytree(source.parent, target)
    return target / "study.toml"


IMPORT = """
    from pathlib import Path
    import pipeline.importer as importer
    from pipeline.config import load_settings
    from pipeline.store import connect
    stored = importer.store_documents
    def traced(con, batch, *args, **kwargs):
        added = stored(con, batch, *args, **kwargs)
        print("committed", flush=True)
        return added
    importer.store_documents = traced
    settings = load_settings(Path({study!r}))
    con = connect(settings.database_path)
    importer.import_file(con, settings.root / "corpus.jsonl", importer.resolve_mapping(None, {{}}), fmt="jsonl", batch_size=25)
    con.close()
"""

STAGES = """
    from pathlib import Path
    import sys
    import pipeline.embed as embed
    import pipeline.frames as frames
    from flows.analyze import run_stages
    from pipeline.config import load_settings
    from pipeline.store import connect
    embed.WRITE_BATCH = 16
    frame_sentences = frames.frame_sentences
    frames.frame_sentences = lambda con, detector, **kw: frame_sentences(con, detector, **{{**kw, "batch_documents": 10}})
    write_vectors, write_batch = embed.write_vectors, frames._write_batch
    def traced_vectors(*args, **kwargs):
        write_vectors(*args, **kwargs)
        print("committed", flush=True)
    def traced_frames(*args, **kwargs):
        carried = write_batch(*args, **kwargs)
        print("committed", flush=True)
        return carried
    embed.write_vectors, frames._write_batch = traced_vectors, traced_frames
    settings = load_settings(Path({study!r}))
    con = connect(settings.database_path)
    run_stages(con, settings, only=sys.argv[1:] or None)
    con.close()
"""


def stage_script(*names: str) -> str:
    return STAGES.replace(
        "run_stages(con, settings, only=sys.argv[1:] or None)",
        f"run_stages(con, settings, only={list(names)!r})",
    )


@pytest.fixture(scope="module")
def base_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A study with the corpus imported and the NLP stage done (both uninterrupted)."""
    study_file = new_study(tmp_path_factory.mktemp("crash") / "base")
    write_corpus(study_file.parent / "corpus.jsonl", CORPUS_SIZE)
    con = connect(load_settings(study_file).database_path)
    import_file(con, study_file.parent / "corpus.jsonl", resolve_mapping(None, {}), fmt="jsonl")
    con.close()
    child(stage_script("nlp"), study_file, None)
    return study_file


def test_import_killed_midway(tmp_path: Path) -> None:
    interrupted, reference = new_study(tmp_path / "a"), new_study(tmp_path / "b")
    for study in (interrupted, reference):
        write_corpus(study.parent / "corpus.jsonl", 1000)
    child(IMPORT, interrupted, kill_after=3)
    partial = rows(interrupted, "SELECT count(*) FROM documents")[0][0]
    assert 0 < partial < 1000
    child(IMPORT, interrupted, None)
    child(IMPORT, reference, None)
    query = "SELECT doc_id, outlet, url, title, text, published_at, content_hash, dup_cluster FROM documents ORDER BY doc_id"
    assert rows(interrupted, query) == rows(reference, query)
    assert rows(interrupted, "SELECT count(*), count(DISTINCT doc_id) FROM documents") == [
        (1000, 1000)
    ]


def test_embedding_killed_midway(base_study: Path, tmp_path: Path) -> None:
    interrupted, reference = (
        copy_study(base_study, tmp_path / "a"),
        copy_study(base_study, tmp_path / "b"),
    )
    script = stage_script("embed_documents", "embed_sentences")
    child(script, interrupted, kill_after=4)
    partial = rows(interrupted, "SELECT count(*) FROM embeddings")[0][0]
    child(script, interrupted, None)
    child(script, reference, None)
    query = "SELECT text_hash, model, vector FROM embeddings ORDER BY text_hash, model"
    got, want = rows(interrupted, query), rows(reference, query)
    assert 0 < partial < len(want)
    assert [r[:2] for r in got] == [r[:2] for r in want], (
        "same vectors stored, none twice, none missing"
    )
    assert np.allclose(np.array([r[2] for r in got]), np.array([r[2] for r in want]), atol=1e-5)


def test_framing_killed_midway(base_study: Path, tmp_path: Path) -> None:
    embedded = copy_study(base_study, tmp_path / "embedded")
    child(stage_script("embed_documents", "embed_sentences"), embedded, None)
    interrupted, reference = (
        copy_study(embedded, tmp_path / "a"),
        copy_study(embedded, tmp_path / "b"),
    )
    child(stage_script("frames"), interrupted, kill_after=3)
    partial = rows(interrupted, "SELECT count(DISTINCT doc_id) FROM doc_frames")[0][0]
    child(stage_script("frames"), interrupted, None)
    child(stage_script("frames"), reference, None)
    mentions = "SELECT doc_id, sentence_idx, frame_id, round(score, 5), evidence, speaker_kind FROM frame_mentions ORDER BY ALL"
    shares = "SELECT doc_id, frame_id, mentions, round(share, 6) FROM doc_frames ORDER BY ALL"
    assert rows(interrupted, mentions) == rows(reference, mentions)
    assert rows(interrupted, shares) == rows(reference, shares)
    total = rows(reference, "SELECT count(DISTINCT doc_id) FROM doc_frames")[0][0]
    assert 0 < partial < total
