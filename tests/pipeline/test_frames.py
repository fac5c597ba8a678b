"""The framing stage over the NLP stage's tables: speakers, targets, shares, incremental re-runs."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import numpy as np
import pytest

from models.classifier import classifier_paths, save_classifier, train_classifier
from models.codebook import load_codebook
from models.detector import FrameDetector, build_detector
from pipeline import frames as frames_stage
from pipeline.config import Settings
from pipeline.errors import ModelError
from pipeline.frames import actor_patterns, frame_sentences, name_target
from pipeline.store import scalar
from tests.contract_tables import add_document, create_contract_tables

pytestmark = pytest.mark.slow

# A headline that puts a test document on the ai_distillation codebook's subject, whole.
STORY = "AI labs and distillation: the dispute"


@pytest.fixture
def db(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    create_contract_tables(con)
    add_document(
        con,
        "u_article",
        [
            (
                "Anthropic says DeepSeek stole its work by distilling Claude.",
                "Anthropic",
                "reported",
            ),
            "The lab released a new version of its assistant on Tuesday.",
            ("\u201cThis is not theft,\u201d the researcher said.", "a researcher", "quoted"),
            "Export controls on advanced chips must be tightened to protect national security.",
        ],
        outlet="ledger",
    )
    add_document(
        con,
        "t1_comment",
        [
            "lol they trained on everyone's books without asking and now they cry when their AI gets distilled"
        ],
        kind="reddit_comment",
        outlet="r/LocalLLaMA",
        author="throwaway42",
    )
    return con


def mentions(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT doc_id, sentence_idx, frame_id, speaker, speaker_kind, target, evidence "
        "FROM frame_mentions ORDER BY doc_id, sentence_idx, frame_id"
    ).fetchall()


def test_frames_are_voiced_by_the_reported_speaker_the_outlet_or_the_author(
    db: duckdb.DuckDBPyConnection, distillation_detector: FrameDetector
) -> None:
    counts = frame_sentences(db, distillation_detector)
    assert (counts.documents, counts.sentences, counts.embedded) == (2, 5, 5)
    rows = {(r[0], r[1], r[2]): r[3:] for r in mentions(db)}
    assert rows[("u_article", 0, "theft")][:3] == ("Anthropic", "reported", "DeepSeek")
    assert "cue" in rows[("u_article", 0, "theft")][3]
    assert rows[("u_article", 3, "security")][:2] == ("ledger", "outlet")
    assert rows[("t1_comment", 0, "hypocrisy")][:2] == ("throwaway42", "author")
    assert not [key for key in rows if key[:2] in {("u_article", 1), ("u_article", 2)}]
    rebuttal = db.execute("SELECT frame_id, speaker, speaker_kind FROM frame_rebuttals").fetchall()
    assert rebuttal == [("theft", "a researcher", "quoted")]


def test_document_shares_and_the_frames_table(
    db: duckdb.DuckDBPyConnection, distillation_detector: FrameDetector
) -> None:
    frame_sentences(db, distillation_detector)
    share = db.execute(
        "SELECT mentions, sentences, share FROM doc_frames WHERE doc_id = 'u_article' AND frame_id = 'theft'"
    ).fetchall()
    assert share == [(1, 4, 0.25)]
    frames = db.execute(
        "SELECT frame_id, codebook_version FROM frames WHERE codebook = 'ai_distillation' ORDER BY frame_id"
    ).fetchall()
    assert len(frames) == 6 and frames[0] == ("common_practice", "2")


def test_a_rerun_does_no_repeated_work_and_new_sentences_are_framed(
    db: duckdb.DuckDBPyConnection, distillation_detector: FrameDetector
) -> None:
    frame_sentences(db, distillation_detector)
    before = mentions(db)
    again = frame_sentences(db, distillation_detector)
    assert (again.documents, again.sentences, again.embedded) == (0, 0, 0)
    assert mentions(db) == before
    add_document(db, "u_second", ["The firm called it intellectual property theft."], title=STORY)
    third = frame_sentences(db, distillation_detector)
    assert (third.documents, third.embedded) == (1, 1)
    assert scalar(db, "SELECT count(*) FROM frame_mentions WHERE doc_id = 'u_second'") == 1


def texts_embedded(detector: FrameDetector, monkeypatch: Any) -> list[str]:
    """The texts the detector's embedder is asked to embed from now on, in order."""
    embedder = detector.embedder
    seen: list[str] = []
    original = embedder.embed

    def counting(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return np.asarray(original(texts))

    monkeypatch.setattr(embedder, "embed", counting)
    return seen


def test_a_sentence_repeated_in_a_batch_is_embedded_once(
    db: duckdb.DuckDBPyConnection, distillation_detector: FrameDetector, monkeypatch: Any
) -> None:
    repeated = "The firm called it intellectual property theft."
    add_document(db, "u_copy_a", [repeated, "Shares rose on Monday."], title=STORY)
    add_document(db, "u_copy_b", [repeated], title=STORY)
    seen = texts_embedded(distillation_detector, monkeypatch)
    counts = frame_sentences(db, distillation_detector)
    assert seen.count(repeated) == 1 and len(seen) == len(set(seen)) == 7
    assert counts.sentences == 8 and counts.embedded == 7
    hits = db.execute(
        "SELECT doc_id FROM frame_mentions WHERE doc_id LIKE 'u_copy_%' AND frame_id = 'theft' "
        "ORDER BY doc_id"
    ).fetchall()
    assert hits == [("u_copy_a",), ("u_copy_b",)]


def test_a_sentence_shared_by_neighbouring_batches_is_embedded_once(
    db: duckdb.DuckDBPyConnection, distillation_detector: FrameDetector, monkeypatch: Any
) -> None:
    """The next batch is read while the one before is still being embedded: a sentence both
    hold must still be embedded once, and framed as when batches ran one after the other."""
    repeated = "The firm called it intellectual property theft."
    add_document(db, "u_copy_a", [repeated, "Shares rose on Monday."], title=STORY)
    add_document(db, "u_copy_b", [repeated, "Shares rose on Monday."], title=STORY)
    seen = texts_embedded(distillation_detector, monkeypatch)
    counts = frame_sentences(db, distillation_detector, batch_documents=1)
    assert seen.count(repeated) == 1 and len(seen) == len(set(seen)) == 7
    assert (counts.documents, counts.sentences, counts.embedded) == (4, 9, 7)
    assert scalar(db, "SELECT count(*) FROM embeddings") == 7
    one_by_one = mentions(db)
    assert [r[:3] for r in one_by_one if r[0].startswith("u_copy")] == [
        ("u_copy_a", 0, "theft"),
        ("u_copy_b", 0, "theft"),
    ]
    db.execute("DELETE FROM framed_documents")
    again = frame_sentences(db, distillation_detector)
    assert (again.documents, again.embedded) == (4, 0)
    assert mentions(db) == one_by_one


def test_a_new_codebook_version_recomputes_only_the_framing_rows(
    db: duckdb.DuckDBPyConnection,
    distillation_detector: FrameDetector,
    frames_embedder: Any,
    frames_nlp: Any,
) -> None:
    frame_sentences(db, distillation_detector)
    stored = scalar(db, "SELECT count(*) FROM embeddings")
    book = load_codebook("ai_distillation").model_copy(update={"version": "3"})
    counts = frame_sentences(db, build_detector(book, frames_embedder, frames_nlp))
    assert (counts.documents, counts.sentences, counts.embedded) == (2, 5, 0)
    assert scalar(db, "SELECT count(*) FROM embeddings") == stored
    versions = db.execute(
        "SELECT codebook_version, count(*) FROM frame_mentions GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert versions[0][1] == versions[1][1] and [v[0] for v in versions] == ["2", "3"]


def test_stored_embeddings_are_used_instead_of_embedding_again(
    db: duckdb.DuckDBPyConnection, distillation_detector: FrameDetector
) -> None:
    frame_sentences(db, distillation_detector)
    db.execute("DELETE FROM framed_documents")
    counts = frame_sentences(db, distillation_detector)
    assert counts.sentences == 5 and counts.embedded == 0


def test_the_target_is_the_actor_named_other_than_the_speaker() -> None:
    actors = actor_patterns(load_codebook("ai_distillation"))
    text = "Anthropic says DeepSeek stole its work."
    assert name_target(text, actors, "Anthropic") == "DeepSeek"
    assert name_target(text, actors, "ledger") == "Anthropic"
    assert name_target("Nobody is named here.", actors, "ledger") is None


def test_frame_study_logs_its_run_with_codebook_and_model(
    db: duckdb.DuckDBPyConnection,
    settings: Settings,
    distillation_detector: FrameDetector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(frames_stage, "load_detector", lambda _settings: distillation_detector)
    counts = frames_stage.frame_study(settings, db)
    assert counts["documents"] == 2 and counts["mentions"] >= 3
    status, versions = db.execute(
        "SELECT status, versions FROM runs WHERE command = 'frames'"
    ).fetchall()[0]
    assert status == "ok"
    assert json.loads(versions)["codebook"] == "codebook.ai_distillation.v2"


def test_a_classifier_trained_on_another_embedding_model_is_refused(
    settings: Settings, frames_embedder: Any, frames_nlp: Any
) -> None:
    book = load_codebook("ai_distillation")
    rng = np.random.default_rng(0)
    model = train_classifier(
        rng.normal(size=(12, 4)),
        [{book.frame_ids[i % 2]} for i in range(12)],
        book.frame_ids,
        single_label=True,
        codebook_ref=book.ref,
        embedding_model="some-other-model",
    )
    save_classifier(
        model, *classifier_paths(frames_stage.classifier_folder(settings), book.id, book.version)
    )
    with pytest.raises(ModelError, match="run `framewatch frames train` again"):
        frames_stage.load_detector(settings, embedder=frames_embedder, nlp=frames_nlp)


OFF_TOPIC_SUBJECTS = (
    "The bakery",
    "Our hiking club",
    "The village choir",
    "My neighbour",
    "The museum",
)
OFF_TOPIC_ACTS = (
    "opened a second shop near the harbour",
    "walked twelve miles along the river last weekend",
    "rehearsed carols for the winter concert",
    "planted tulips and roses in the front garden",
    "showed paintings of lighthouses and fishing boats",
    "baked rye bread with caraway seeds on Sunday",
    "repainted the old wooden fence a pale blue",
    "collected rainwater in barrels for the vegetable beds",
)


def test_the_screen_spares_the_full_model_sentences_that_carry_no_frame(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    distillation_detector: FrameDetector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.conftest import FIXTURES

    create_contract_tables(con)
    framed = [
        row["text"]
        for row in __import__("csv").DictReader(
            (FIXTURES / "ai_distillation_eval.csv").open(encoding="utf-8")
        )
    ]
    plain = [f"{s} {a}." for s in OFF_TOPIC_SUBJECTS for a in OFF_TOPIC_ACTS] * 3
    plain = [f"{t[:-1]} in week {i}." for i, t in enumerate(plain)]  # 120 distinct sentences
    texts = framed + plain
    for start in range(0, len(texts), 10):
        add_document(con, f"d{start:04d}", texts[start : start + 10], title=STORY)
    # the reference: the full model on every sentence
    reference = frame_sentences(con, distillation_detector)
    expected = set(
        con.execute("SELECT doc_id, sentence_idx, frame_id FROM frame_mentions").fetchall()
    )
    for table in ("frame_mentions", "frame_rebuttals", "doc_frames", "framed_documents"):
        con.execute(f"DELETE FROM {table}")
    con.execute("DELETE FROM embeddings")
    monkeypatch.setattr(frames_stage, "SCREEN_SAMPLE", 150)
    study = settings.model_copy(
        update={
            "analysis": settings.analysis.model_copy(
                update={"screen": True, "screen_min_sentences": 100}
            )
        }
    )
    screen = frames_stage.prepare_screen(con, study, distillation_detector)
    assert screen is not None and screen.fit.sample == 150 and screen.fit.recall >= 0.98
    assert frames_stage.screen_path(study, distillation_detector).exists()
    counts = frame_sentences(con, distillation_detector, screen=screen)
    got = set(con.execute("SELECT doc_id, sentence_idx, frame_id FROM frame_mentions").fetchall())
    assert counts.sentences == reference.sentences == len(texts)
    assert counts.screened_out > 20  # most of the plain sentences never reach the full model
    assert counts.embedded + counts.screened_out == len(texts) - 150
    assert got <= expected and len(got) >= 0.9 * len(expected)
    stored = con.execute("SELECT count(*) FROM embeddings").fetchall()[0][0]
    assert stored == len(texts) - counts.screened_out
    # the next run reuses the saved screen, and there is nothing left to frame
    again = frames_stage.prepare_screen(con, study, distillation_detector)
    assert again is None or again.fit == screen.fit
    assert frame_sentences(con, distillation_detector, screen=again).documents == 0


def test_analyze_and_classify_give_one_answer_per_sentence(
    con: duckdb.DuckDBPyConnection, distillation_detector: FrameDetector
) -> None:
    """The stored frames and scores of a few hundred sentences are what scoring them alone gives."""
    from models.evaluation import read_labels
    from tests.models.test_detector import EVAL_SET

    create_contract_tables(con)
    texts = read_labels(EVAL_SET, distillation_detector.frame_ids).texts
    assert len(texts) >= 150
    for start in range(0, len(texts), 20):
        add_document(con, f"u_{start}", texts[start : start + 20], title=STORY)
    frame_sentences(con, distillation_detector)
    stored = {
        (doc, idx, frame): score
        for doc, idx, frame, score in con.execute(
            "SELECT doc_id, sentence_idx, frame_id, score FROM frame_mentions"
        ).fetchall()
    }
    alone = distillation_detector.score(texts, distillation_detector.embedder.embed(texts))
    near = np.abs(alone.probs - alone.thresholds) < 1e-3  # batch padding moves the 4th decimal
    for i in range(len(texts)):
        key = (f"u_{i - i % 20}", i % 20)
        for f, frame in enumerate(alone.frame_ids):
            if near[i, f]:
                continue
            assert ((*key, frame) in stored) == bool(alone.detected[i, f]), texts[i]
            if alone.detected[i, f]:
                assert stored[(*key, frame)] == pytest.approx(alone.probs[i, f], abs=2e-3)


def test_off_subject_documents_are_neither_embedded_nor_framed(
    con: duckdb.DuckDBPyConnection, distillation_detector: FrameDetector
) -> None:
    create_contract_tables(con)
    add_document(con, "u_whisky", ["The plant distilled more whisky than ever.", "Sales rose."])
    add_document(con, "u_senate", ["The Senate passed the budget.", "It was a security threat."])
    add_document(
        con,
        "u_story",
        ["OpenAI accused DeepSeek of distilling its AI models.", "It called that theft."],
    )
    counts = frame_sentences(con, distillation_detector)
    assert (counts.documents, counts.off_subject_documents, counts.embedded) == (3, 2, 2)
    assert {r[0] for r in con.execute("SELECT doc_id FROM frame_mentions").fetchall()} == {
        "u_story"
    }
    decided = con.execute(
        "SELECT doc_id, on_subject, scope, sentence_idxs FROM subject_documents ORDER BY 1"
    ).fetchall()
    assert decided == [
        ("u_senate", False, "no_term", []),
        ("u_story", True, "whole", [0, 1]),
        ("u_whisky", False, "no_context", []),
    ]


def test_allsides_articles_carry_no_frame(
    con: duckdb.DuckDBPyConnection, distillation_detector: FrameDetector
) -> None:
    """A few hundred real politics articles, none about the story: at most 1% framed."""
    import spacy

    from tests.conftest import shared_data

    path = shared_data("allsides_article_bias", "subset_12topics_3000.jsonl")
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    create_contract_tables(con)
    lines = path.read_text(encoding="utf-8").splitlines()[::10]
    for n, line in enumerate(lines):
        row = json.loads(line)
        text = row.get("content_original") or row.get("content") or ""
        sentences = [s.text for s in nlp(text[:20_000]).sents if s.text.strip()]
        if sentences:
            add_document(con, f"u_{n}", sentences, title=row.get("title"))
    counts = frame_sentences(con, distillation_detector)
    framed = scalar(con, "SELECT count(DISTINCT doc_id) FROM frame_mentions")
    assert counts.documents >= 290
    assert framed <= 0.01 * counts.documents
    assert counts.off_subject_documents >= 0.99 * counts.documents
