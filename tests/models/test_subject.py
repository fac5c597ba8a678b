"""The subject gate: what is about the story gets framed, what is not costs nothing and counts nothing.

The documents in tests/fixtures/subject_gate_documents.jsonl were written for the project (30 on the
story, 50 off it, many of them hard: whisky distillation, figurative "distilled", AI news that is not
the story, "model" in other senses, IP theft outside AI). The gate's words were chosen while reading
its misses on that file, so its floors guard against regressions; AllSides (real articles nobody
here wrote, none about the story) is the check that was not looked at while choosing them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from models.codebook import load_codebook
from models.subject import Subject, SubjectGate
from tests.conftest import shared_data

DOCUMENTS = Path(__file__).parents[1] / "fixtures" / "subject_gate_documents.jsonl"


@pytest.fixture(scope="module")
def gate() -> SubjectGate:
    return SubjectGate(load_codebook("ai_distillation").subject)


@pytest.fixture(scope="module")
def sentencizer() -> Any:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def sentences_of(nlp: Any, text: str) -> list[str]:
    return [s.text for s in nlp(text).sents]


def test_a_term_needs_the_story_s_field_in_the_document(gate: SubjectGate) -> None:
    whisky = ["The plant distilled more whisky than ever.", "Its stills run day and night."]
    assert gate.decide(whisky).scope == "no_context"
    story = ["OpenAI says DeepSeek distilled its models.", "DeepSeek did not reply."]
    decision = gate.decide(story)
    assert decision.on_subject and decision.scope == "whole"
    assert decision.sentences == (0, 1)


def test_an_act_and_its_object_in_one_sentence_name_the_story_without_the_word(
    gate: SubjectGate,
) -> None:
    text = ["Anthropic said rival labs harvested millions of Claude answers to train models."]
    assert gate.decide(text).on_subject
    apart = ["The lab collected new funding.", "Its chatbot answers questions about taxes."]
    assert not gate.decide(apart).on_subject


def test_a_long_article_that_mentions_the_story_once_frames_only_that_passage(
    gate: SubjectGate,
) -> None:
    filler = [f"The budget debate went on for a {n}th day in the Senate." for n in range(20)]
    text = [*filler[:10], "OpenAI accused DeepSeek of distilling its AI models.", *filler[10:]]
    decision = gate.decide(text)
    assert decision.scope == "passage"
    assert decision.sentences == (8, 9, 10, 11, 12)
    assert decision.score == pytest.approx(5 / 21)


def test_a_term_in_the_title_makes_the_whole_article_on_subject(gate: SubjectGate) -> None:
    filler = [f"The figure rose for the {n}th week." for n in range(12)]
    decision = gate.decide(filler, "Is AI distillation theft? Labs disagree")
    assert decision.scope == "whole" and len(decision.sentences) == 12


def test_a_reply_in_an_on_subject_thread_is_on_subject_whole(gate: SubjectGate) -> None:
    reply = ["lol they trained on the whole internet and now they complain"]
    assert not gate.decide(reply).on_subject
    assert gate.decide(reply, thread_on_subject=True).scope == "thread"


def test_a_codebook_without_subject_frames_everything() -> None:
    gate = SubjectGate(load_codebook("policy_frames").subject)
    decision = gate.decide(["Anything at all.", "And more."])
    assert not gate.gated
    assert (decision.on_subject, decision.scope, decision.sentences) == (True, "ungated", (0, 1))


def test_terms_match_every_inflection_and_not_inside_other_words() -> None:
    gate = SubjectGate(Subject(description="d", terms=("distil",), context=("AI",)))
    assert gate.anchors(["They distilled it.", "Distilling AI.", "distils", "undistilledness"]) == [
        True,
        True,
        True,
        False,
    ]


def test_the_codebook_s_own_examples_pass_the_gate(gate: SubjectGate) -> None:
    subject = load_codebook("ai_distillation").subject
    assert subject is not None
    assert all(gate.decide([text]).on_subject for text in subject.on_examples)
    assert not any(gate.decide([text]).on_subject for text in subject.off_examples)


def test_precision_and_recall_on_the_project_s_documents(
    gate: SubjectGate, sentencizer: Any
) -> None:
    rows = [json.loads(line) for line in DOCUMENTS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 80
    hits = [
        (row["label"] == "on", gate.decide(sentences_of(sentencizer, row["text"]), row["title"]))
        for row in rows
    ]
    tp = sum(gold and d.on_subject for gold, d in hits)
    fp = sum(not gold and d.on_subject for gold, d in hits)
    fn = sum(gold and not d.on_subject for gold, d in hits)
    assert tp / (tp + fn) >= 0.95  # recall: 1.00 when pinned
    assert tp / (tp + fp) >= 0.85  # precision: 0.86 when pinned


def test_allsides_politics_is_off_the_subject(gate: SubjectGate, sentencizer: Any) -> None:
    path = shared_data("allsides_article_bias", "subset_12topics_3000.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()[::7]  # 422 articles over every topic
    on = 0
    for line in lines:
        row = json.loads(line)
        text = row.get("content_original") or row.get("content") or ""
        on += gate.decide(sentences_of(sentencizer, text), row.get("title")).on_subject
    assert len(lines) > 400
    assert on <= 0.01 * len(lines)


def test_frames_check_refuses_a_subject_whose_own_examples_fail(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app
    from models.codebook import CODEBOOK_DIR

    shipped = (CODEBOOK_DIR / "ai_distillation.yaml").read_text(encoding="utf-8")
    (tmp_path / "ai_distillation.examples.tsv").write_text("labels\tsentence\n", encoding="utf-8")
    bad = shipped.replace(
        "  off_examples:\n",
        '  off_examples:\n    - "OpenAI says DeepSeek distilled its chatbot."\n',
    )
    (tmp_path / "book.yaml").write_text(bad, encoding="utf-8")
    result = CliRunner().invoke(app, ["frames", "check", str(tmp_path / "book.yaml")])
    assert result.exit_code != 0
    assert "off-subject example let through" in result.output
    good = CliRunner().invoke(app, ["frames", "check", "ai_distillation"])
    assert good.exit_code == 0 and "off-subject examples pass" in good.output
