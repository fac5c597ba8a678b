"""The shipped detector on prose as news writes it: attribution, rebuttal, two frames in a sentence.

Every sentence here was written for these tests. The development set (news-style sentences that
nobody here wrote, under ../shared/data) pins a floor where it is present.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.detector import FrameDetector
from tests.conftest import shared_data

pytestmark = pytest.mark.slow

DEV_MACRO_F1_FLOOR = 0.72  # 0.756 when pinned (0.529 before the subject gate and the examples)
DEV_CLASS_FLOOR = 0.6  # the weakest class (none or narrative_control) was at 0.69


def frames_of(detector: FrameDetector, texts: list[str]) -> list[set[str]]:
    scores = detector.score(texts, detector.embedder.embed(texts))
    return [
        {f for f, hit in zip(scores.frame_ids, row, strict=True) if hit} for row in scores.detected
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Anthropic called it theft.",
        "The company has called the practice theft and wants it stopped.",
        "OpenAI labelled the copying of its models intellectual property theft.",
        "The lab described the campaign as outright theft of its research.",
        "Executives accused DeepSeek of stealing the capabilities of their model.",
        "DeepSeek was accused by OpenAI of stealing its work.",
        "Anthropic claims the three labs improperly used Claude to train their own systems.",
        "OpenAI will argue that the Chinese startup stole its intellectual property.",
    ],
)
def test_attributed_theft_carries_the_frame(
    distillation_detector: FrameDetector, text: str
) -> None:
    assert "theft" in frames_of(distillation_detector, [text])[0]


@pytest.mark.parametrize(
    "text",
    [
        "Calling it theft is absurd.",
        "Critics who call it theft misunderstand the technique.",
        "This is not theft, whatever the lab says.",
        "The so-called theft was a paid use of a public API.",
        "It was never stealing; customers paid for every answer.",
    ],
)
def test_a_rejection_of_the_frame_is_a_rebuttal(
    distillation_detector: FrameDetector, text: str
) -> None:
    scores = distillation_detector.score([text], distillation_detector.embedder.embed([text]))
    theft = scores.frame_ids.index("theft")
    assert not scores.detected[0, theft]


def test_a_sentence_keeps_both_of_its_frames(distillation_detector: FrameDetector) -> None:
    text = (
        "The firm has called the practice a form of intellectual property theft and has urged U.S. "
        "regulators to tighten export controls on advanced AI chips."
    )
    assert {"theft", "security"} <= frames_of(distillation_detector, [text])[0]


def test_plain_facts_on_the_subject_carry_no_frame(distillation_detector: FrameDetector) -> None:
    facts = [
        "The company published its findings in a blog post on Monday.",
        "DeepSeek did not respond to a request for comment.",
        "The report runs to fourteen pages and names three companies.",
    ]
    assert frames_of(distillation_detector, facts) == [set(), set(), set()]


def dev_rows() -> list[list[str]]:
    path = shared_data("framing_dev_news_style", "sentences.tsv")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]


def macro_f1(gold: list[set[str]], pred: list[set[str]], classes: list[str]) -> list[float]:
    f1s = []
    for c in [*classes, "none"]:
        g = [not x if c == "none" else c in x for x in gold]
        p = [not x if c == "none" else c in x for x in pred]
        tp = sum(a and b for a, b in zip(g, p, strict=True))
        fp = sum(b and not a for a, b in zip(g, p, strict=True))
        fn = sum(a and not b for a, b in zip(g, p, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return f1s


def test_the_news_style_development_set_stays_above_its_floor(
    distillation_detector: FrameDetector,
) -> None:
    rows = dev_rows()
    gold = [set() if r[0] == "none" else set(r[0].split(";")) for r in rows]
    pred = frames_of(distillation_detector, [r[1] for r in rows])
    f1s = macro_f1(gold, pred, sorted({f for g in gold for f in g}))
    assert float(np.mean(f1s)) >= DEV_MACRO_F1_FLOOR
    assert min(f1s) >= DEV_CLASS_FLOOR


def test_classify_gives_the_detector_s_frames_and_scores(
    distillation_detector: FrameDetector, tmp_path: Path
) -> None:
    """`frames classify` outside a study embeds as a new study would: the same scores."""
    texts = [
        "Anthropic called it theft.",
        "Their engineers found a far cheaper way to train a strong model.",
        "Washington must keep advanced chips away from Beijing.",
    ]
    (tmp_path / "in.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from flows.cli import main; main()",
            "frames",
            "classify",
            "--codebook",
            "ai_distillation",
            str(tmp_path / "in.txt"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["text"] for r in records] == texts
    assert all(r["model"].startswith("codebook.ai_distillation.v2.") for r in records)
    assert set(records[0]["frames"]) == {"theft"}
