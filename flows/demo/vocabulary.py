"""The demo world's cast and phrasebook, written for framewatch (no text is copied from anywhere).

A fictional AI lab accuses fictional rivals of "distilling" its model; fictional outlets frame it in
different ways. Each frame has sentence templates in several registers, so the generator can write
articles and comments whose framing is known.
"""

from __future__ import annotations

from dataclasses import dataclass

ACCUSER = "Meridian AI"
RIVALS = ("Kestrel AI", "Lumen Systems")
SUBREDDIT = "LocalModels"


@dataclass(frozen=True)
class DemoOutlet:
    """A fictional outlet: its slug, name, domain, frame mix and when it joins the story."""

    slug: str
    name: str
    domain: str
    frames: tuple[str, ...]
    first_week: int  # 0-based week of the eight-week story
    articles: int
    syndicates: str | None = None  # slug of the outlet whose first article it reprints


OUTLETS = (
    DemoOutlet("circuit", "The Circuit", "thecircuit.example", ("theft",), 0, 4),
    DemoOutlet(
        "bytewire",
        "ByteWire",
        "bytewire.example",
        ("theft", "security"),
        0,
        3,
        syndicates="circuit",
    ),
    DemoOutlet(
        "ledger",
        "Northbridge Ledger",
        "northbridgeledger.example",
        ("common_practice", "narrative_control"),
        1,
        4,
    ),
    DemoOutlet("civic", "The Civic Post", "civicpost.example", ("security",), 2, 4),
    DemoOutlet("lattice", "Lattice Daily", "latticedaily.example", ("innovation",), 2, 4),
    DemoOutlet(
        "signal",
        "Signal and Noise",
        "signalnoise.example",
        ("hypocrisy", "narrative_control"),
        3,
        3,
    ),
    DemoOutlet("harbor", "Harbor Tribune", "harbortribune.example", ("theft", "innovation"), 4, 3),
)

# Sentence templates per frame. Slots: {accuser}, {rival}, {other}.
FRAME_SENTENCES: dict[str, tuple[str, ...]] = {
    "theft": (
        "{accuser} says {rival} siphoned millions of answers from its chatbot to build a copy of it.",
        "The lab describes the scheme as a raid on years of its research, carried out through fake accounts.",
        "People familiar with the investigation said the copying amounted to taking the model without paying for it.",
        "{accuser} accuses {rival} of lifting its work wholesale and passing it off as its own.",
        "Critics call the harvesting of outputs plain theft of intellectual property.",
        "The company says its terms of service were broken on an industrial scale to pilfer its technology.",
    ),
    "innovation": (
        "{rival} trained a capable model on a fraction of the usual compute budget.",
        "Engineers at {rival} found clever shortcuts in data curation that larger labs had overlooked.",
        "Independent benchmarks show {rival}'s system solving problems that copying alone would not explain.",
        "The efficiency gains look like genuine homegrown ingenuity rather than imitation.",
        "Other labs have already started to adopt the training tricks that {rival} published.",
        "{rival}'s progress shows how quickly a small, focused team can catch up.",
    ),
    "security": (
        "Lawmakers warn that copying models through an API lets rival states sidestep export controls.",
        "A senator said access to frontier models should be treated as a national security matter.",
        "Officials are weighing new restrictions on foreign customers of large AI services.",
        "Defense analysts say the episode shows that strategic technology can leak through a chat window.",
        "The dispute has revived calls for know-your-customer rules on high-volume AI accounts.",
        "Policy experts see the case as one more front in the technology rivalry between governments.",
    ),
    "hypocrisy": (
        "{accuser} built its own systems on text it gathered from millions of websites without asking anyone.",
        "Critics point out that the lab complaining about copying has never paid the authors whose books it used.",
        "The outrage is selective: the same borrowing is called research when {accuser} does it.",
        "Rules about taking other people's work seem to apply only when {accuser} is the one being taken from.",
        "Observers note a double standard in a company that defends scraping in court while condemning it here.",
    ),
    "common_practice": (
        "Training a smaller model on the outputs of a larger one is a textbook technique that dates back a decade.",
        "Every major lab, {accuser} included, has released compact models distilled from bigger ones.",
        "Lawyers say learning from a paid service's answers is not clearly illegal.",
        "Paying for API access and using the results to train software is routine across the industry.",
        "Practitioners shrugged at the announcement, calling distillation an everyday engineering step.",
    ),
    "narrative_control": (
        "The announcement arrived days before {accuser} opened a large funding round.",
        "Several analysts read the statement as messaging aimed at investors and regulators rather than a legal complaint.",
        "The timing, just ahead of a congressional hearing, suggests a campaign to shape policy.",
        "Both sides now brief reporters daily in a contest for public opinion.",
        "Communications staff have turned a technical dispute into a story about who deserves trust.",
    ),
}

NEUTRAL_SENTENCES = (
    "The dispute began with a post on {accuser}'s company blog on a Monday morning.",
    "{rival} did not respond to several requests for comment.",
    "The company employs about four hundred people, most of them in engineering.",
    "Shares of chip suppliers moved little on the news.",
    "The statement named three companies but gave details about only one of them.",
    "A hearing on artificial intelligence is scheduled for later this month.",
    "The model in question was released to the public in the spring.",
    "Researchers have studied the method for more than ten years.",
)

QUOTE_SPEAKERS = (
    "a spokesperson for {accuser}",
    "an engineer at {rival}",
    "a policy analyst in Washington",
    "a professor of computer science",
)

HEADLINES: dict[str, tuple[str, ...]] = {
    "theft": (
        "{accuser} says rivals copied its model",
        "Inside the raid on {accuser}'s chatbot",
        "{accuser} traces fake accounts to {rival}",
        "How a model was lifted one answer at a time",
    ),
    "innovation": (
        "{rival}'s lean model is the real story",
        "How {rival} did more with less",
        "The training tricks everyone is now copying from {rival}",
        "A small team, a small budget, a strong model",
    ),
    "security": (
        "Model copying becomes a security question",
        "Lawmakers eye limits on AI access",
        "Export controls have a chatbot-shaped hole",
        "Hearing puts AI access on the security agenda",
    ),
    "hypocrisy": (
        "Who scraped whom?",
        "{accuser}'s selective outrage",
        "The double standard at the heart of the copying row",
    ),
    "common_practice": (
        "Distillation is how the field works",
        "Why engineers shrugged at {accuser}'s claims",
        "Lawyers see little that is new in the copying complaint",
        "An old technique gets a new villain",
    ),
    "narrative_control": (
        "Why the accusation landed before a funding round",
        "The battle over the distillation story",
        "A technical dispute turns into a messaging war",
    ),
}

COMMENT_OPENERS = ("Honestly,", "Hot take:", "Eh,", "Look,", "As someone who trains models,", "")
