"""Labels files and evaluation figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.evaluation import evaluate, format_report, macro_f1, read_labels
from pipeline.errors import InputFileError

FRAMES = ["theft", "innovation"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "labels.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_labels_are_read_with_multi_labels_and_none(tmp_path: Path) -> None:
    path = write(tmp_path, "text,labels\nA,theft\nB,theft;innovation\nC,\nD,none\n")
    labelled = read_labels(path, FRAMES)
    assert labelled.labels == [{"theft"}, {"theft", "innovation"}, set(), set()]
    assert labelled.lines == [2, 3, 4, 5]
    assert not labelled.single_label


def test_an_unknown_frame_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "text,labels\nA,theft\nB,heist\n")
    with pytest.raises(
        InputFileError, match=r'labels\.csv:3: unknown frame "heist"; use one of theft, innovation'
    ):
        read_labels(path, FRAMES)


def test_an_empty_labels_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="has no rows"):
        read_labels(write(tmp_path, "text,labels\n"), FRAMES)


def test_labels_of_one_class_only_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match='every text is labelled "theft"'):
        read_labels(write(tmp_path, "text,labels\nA,theft\nB,theft\n"), FRAMES)


def test_missing_columns_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="needs the columns text and labels"):
        read_labels(write(tmp_path, "sentence,code\nA,1\n"), FRAMES)


def test_per_frame_figures_macro_f1_accuracy_and_confusion() -> None:
    gold = np.array([[1, 0], [1, 0], [0, 1], [0, 0]], dtype=bool)
    predicted = np.array([[1, 0], [0, 1], [0, 1], [0, 0]], dtype=bool)
    proba = predicted.astype(float)
    report = evaluate(FRAMES, gold, predicted, proba)
    assert report.precision.tolist() == [1.0, 0.5]
    assert report.recall.tolist() == [0.5, 1.0]
    assert report.f1 == pytest.approx([2 / 3, 2 / 3])
    assert report.macro_f1 == pytest.approx(2 / 3)
    assert report.accuracy == 0.75
    assert report.confusion.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    text = "\n".join(format_report(report))
    assert "macro" in text and "accuracy 0.750" in text


def test_macro_f1_ignores_frames_without_gold_examples() -> None:
    gold = np.array([[1, 0], [0, 0]], dtype=bool)
    assert macro_f1(gold, gold) == 1.0
