"""Speaker accuracy of the NLP stage on the project's own gold set (tests/fixtures/speakers_gold.tsv).

Each row is read as one short document (its context sentences, then the sentence) by the NLP stage's
own batch function, with the default settings, so the cue gate, the gazetteer and NER-on-speakers
all take part. The speaker stored for the last sentence is compared with the gold speaker.

Gold file columns: ``context`` (preceding sentences, may be empty), ``sentence``, ``gold_speaker``
(empty: the document's own voice or no named speaker; ``|`` separates names that all count, for a
group that may be named by the whole phrase or by its organisation), ``kind`` (article, post or
comment), ``author`` (the Reddit author of the document) and ``op`` (the author of the thread's post,
whom "OP" and "the post" name).

Matching rule (:func:`same_speaker`): both names are compared after lower-casing, folding curly
apostrophes, dropping a leading "the"/"a"/"an", a trailing possessive, a leading "u/" and outer
punctuation. A capitalised one-word prediction also matches a gold name that ends with it ("Altman"
for "Sam Altman"): the same person named by surname.

    python -m bench.speakers [--misses]   # writes the "Speakers" section of RESULTS.md
"""

from __future__ import annotations

import argparse
import csv
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GOLD = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "speakers_gold.tsv"
_KINDS = {"article": "article", "post": "reddit_post", "comment": "reddit_comment"}
_LEADING = re.compile(r"^(?:the|a|an)\s+")
_POSSESSIVE = re.compile(r"'s?$")


@dataclass(frozen=True)
class GoldRow:
    """One sentence of the gold set, with the sentences before it."""

    context: str
    sentence: str
    gold: tuple[str, ...]  # accepted names; empty for no speaker
    kind: str
    author: str | None
    op: str | None


def load_gold(path: Path = GOLD) -> list[GoldRow]:
    """The gold rows of a speaker TSV file (see the module docstring for the columns)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            GoldRow(
                context=row["context"].strip(),
                sentence=row["sentence"].strip(),
                gold=tuple(n.strip() for n in row["gold_speaker"].split("|") if n.strip()),
                kind=row["kind"].strip(),
                author=row["author"].strip() or None,
                op=row["op"].strip() or None,
            )
            for row in reader
        ]


def normalise_speaker(name: str) -> str:
    """The form two speaker names are compared in."""
    text = " ".join(name.replace("’", "'").lower().split()).strip(' .,;:"“”')
    text = _POSSESSIVE.sub("", _LEADING.sub("", text))
    return text.removeprefix("u/")


def same_speaker(predicted: str | None, gold: tuple[str, ...]) -> bool:
    """Whether a prediction names the gold speaker (both empty also counts)."""
    if not gold:
        return not predicted
    if not predicted:
        return False
    guess = normalise_speaker(predicted)
    for name in gold:
        wanted = normalise_speaker(name)
        if guess == wanted:
            return True
        surname = predicted[:1].isupper() and " " not in guess and wanted.endswith(" " + guess)
        if surname:
            return True
    return False


def score_speakers(rows: list[GoldRow], predicted: list[str | None]) -> dict[str, float]:
    """Accuracy overall and with a gold speaker; precision and recall of "no speaker"."""
    right = [same_speaker(p, r.gold) for r, p in zip(rows, predicted, strict=True)]
    voiced = [ok for ok, r in zip(right, rows, strict=True) if r.gold]
    said_none = [not r.gold for r, p in zip(rows, predicted, strict=True) if not p]
    gold_none = [not p for r, p in zip(rows, predicted, strict=True) if not r.gold]
    return {
        "rows": len(rows),
        "accuracy": sum(right) / max(len(rows), 1),
        "with_speaker": len(voiced),
        "speaker_accuracy": sum(voiced) / max(len(voiced), 1),
        "none_precision": sum(said_none) / max(len(said_none), 1),
        "none_recall": sum(gold_none) / max(len(gold_none), 1),
    }


def predict_speakers(rows: list[GoldRow], pipelines: Any, settings: Any) -> list[str | None]:
    """The speaker the NLP stage stores for each row's sentence (read after its context)."""
    from pipeline.nlp import DocumentInput, analyse_batch

    docs = []
    for i, row in enumerate(rows):
        text = f"{row.context} {row.sentence}".strip()
        kind = _KINDS[row.kind]
        docs.append(DocumentInput(f"g{i}", kind, None, text, "en", "h", None, row.op))
    starts = {f"g{i}": len(f"{row.context} ".lstrip()) for i, row in enumerate(rows)}
    found: dict[str, str | None] = {}
    for record in analyse_batch(docs, pipelines, settings).sentences:
        doc_id = record["doc_id"]
        if record["end_char"] > starts[doc_id] and not found.get(doc_id):
            found[doc_id] = record["speaker"]
    return [found.get(f"g{i}") for i in range(len(rows))]


def run_gold(path: Path = GOLD) -> tuple[list[GoldRow], list[str | None]]:
    """Read the gold set with the default settings and the real spaCy model."""
    from models.spacy_pipeline import BUILTIN_ALIASES, load_pipelines
    from pipeline.config import load_settings

    rows = load_gold(path)
    with tempfile.TemporaryDirectory() as tmp:
        study = Path(tmp) / "study.toml"
        study.write_text('[study]\nname = "speakers"\n', encoding="utf-8")
        settings = load_settings(study)
    analysis = settings.analysis
    pipelines = load_pipelines(
        settings.models.spacy, dict(BUILTIN_ALIASES), analysis.max_doc_chars, analysis.ner
    )
    return rows, predict_speakers(rows, pipelines, settings)


def main() -> None:
    """Score the gold set and write the section."""
    from bench.results import write_section

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="print every wrong row")
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    rows, predicted = run_gold()
    if args.misses:
        for row, guess in zip(rows, predicted, strict=True):
            if not same_speaker(guess, row.gold):
                print(f"{guess!r:32} gold {'|'.join(row.gold)!r:30} {row.sentence}")
    s = score_speakers(rows, predicted)
    body = "\n".join(
        [
            f"{s['rows']:.0f} sentences written for the project (tests/fixtures/speakers_gold.tsv), "
            f"{s['with_speaker']:.0f} with a speaker; each read after its context sentences by the "
            "NLP stage with the default settings (cue gate, gazetteer, NER on speakers); "
            "`python -m bench.speakers`. Matching rule in the script's docstring.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| accuracy, all sentences | {s['accuracy']:.3f} |",
            f"| accuracy, sentences with a gold speaker | {s['speaker_accuracy']:.3f} |",
            f"| no-speaker precision (predicted none, gold none) | {s['none_precision']:.3f} |",
            f"| no-speaker recall (gold none, predicted none) | {s['none_recall']:.3f} |",
            "",
            "The rules before this gold set (commit 1d0f873) scored 0.651 overall, 0.578 with a "
            "gold speaker, no-speaker precision 0.542 and recall 0.833. The gold set was written "
            "before the rules, but the rules were then refined while reading its misses, so it "
            "is a development set. Cost: the added reporting verbs (call, label, describe, urge, "
            "reject …) send 40.3% of the sentences of 300 AllSides articles to the full model, "
            'against 35.7% before; a pronoun or "the company" has NER read the three sentences '
            "before it once. In the first four misses below the small model's NER does not find "
            "the organisation in the sentence before. These are the misses left:",
            "",
            *[
                f"- {row.sentence} (gold {' | '.join(row.gold) or 'none'}, got {guess or 'none'})"
                for row, guess in zip(rows, predicted, strict=True)
                if not same_speaker(guess, row.gold)
            ],
        ]
    )
    if not args.no_write:
        write_section("Speakers", body)
    print(body)


if __name__ == "__main__":
    main()
