"""What reading only cue sentences with the full spaCy model costs and saves, on AllSides articles.

Runs the NLP stage's batch function on a seeded sample twice, ``full_model = "cues"`` (default) and
``"all"``, and compares time and speakers: a speaker found when every sentence is parsed but missed
when only cue sentences are is the price of the shortcut.

    python -m bench.nlp_cues [--sample 200]   # writes the "NLP: full model on cue sentences" section
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.results import write_section

CORPUS = (
    Path(__file__).resolve().parents[2]
    / "shared/data/allsides_article_bias/subset_12topics_3000.jsonl"
)


def run(
    mode: str, docs: list[Any], folder: Path
) -> tuple[float, dict[tuple[str, int], Any], int, int]:
    """Seconds, speakers by sentence, words and entities for one ``full_model`` mode."""
    from models.spacy_pipeline import BUILTIN_ALIASES, load_pipelines
    from pipeline.config import load_settings
    from pipeline.nlp import analyse_batch

    study = folder / f"{mode}.toml"
    study.write_text(
        f'[study]\nname = "b"\n\n[analysis]\nfull_model = "{mode}"\n', encoding="utf-8"
    )
    settings = load_settings(study)
    pipes = load_pipelines(
        settings.models.spacy, dict(BUILTIN_ALIASES), settings.analysis.max_doc_chars
    )
    start = time.perf_counter()
    rows = analyse_batch(docs, pipes, settings)
    seconds = time.perf_counter() - start
    speakers = {(r["doc_id"], r["sentence_idx"]): r["speaker"] for r in rows.sentences}
    return seconds, speakers, rows.counts["words"], rows.counts["entities"]


def main() -> None:
    """Time both modes and write the section."""
    from pipeline.nlp import DocumentInput

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args()
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    picked = np.random.default_rng(5).choice(len(rows), args.sample, replace=False)
    docs = [
        DocumentInput(
            rows[i]["ID"], "article", rows[i]["title"], rows[i]["content_original"], "en", "h", None
        )
        for i in picked
    ]
    with tempfile.TemporaryDirectory() as tmp:
        cue_s, cue, words, cue_ents = run("cues", docs, Path(tmp))
        all_s, every, _, all_ents = run("all", docs, Path(tmp))
    found_all = {k for k, v in every.items() if v}
    found_cue = {k for k, v in cue.items() if v}
    same = sum(1 for k in found_all & found_cue if cue[k] == every[k])
    body = "\n".join(
        [
            f"{args.sample} AllSides articles ({words:,} words), seeded sample; `python -m bench.nlp_cues`.",
            "",
            "| full model reads | seconds | words/s | sentences with a speaker | entities |",
            "|---|---|---|---|---|",
            f"| cue sentences (default) | {cue_s:.1f} | {words / cue_s:,.0f} | {len(found_cue):,} | {cue_ents:,} |",
            f"| every sentence | {all_s:.1f} | {words / all_s:,.0f} | {len(found_all):,} | {all_ents:,} |",
            "",
            f"Cue-only is {all_s / cue_s:.1f}x faster; it finds {len(found_all & found_cue) / max(len(found_all), 1):.1%} "
            f"of the speakers that parsing every sentence finds, the same name for {same / max(len(found_all & found_cue), 1):.1%} "
            "of those (the rest differ through pronouns resolved against more context). The price is in "
            "entities: outside cue sentences only gazetteer names are kept.",
        ]
    )
    write_section("NLP: full model on cue sentences", body)
    print(body)


if __name__ == "__main__":
    main()
