"""The one atomic writer, the overwrite guard and spreadsheet-safe CSV cells."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.config import Settings
from pipeline.outputs import (
    REPORT,
    REPORT_MARKER,
    OutputError,
    atomic_file,
    atomic_folder,
    check_target,
    spreadsheet_safe,
    spreadsheet_safe_table,
    study_places,
    write_text,
)


@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_a_failed_write_leaves_the_old_file_and_nothing_partial(
    tmp_path: Path, error: BaseException
) -> None:
    target = write_text(tmp_path / "out.html", "old")
    with pytest.raises(type(error)), atomic_file(target) as temp:
        temp.write_text("half")
        raise error
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.html"]


def test_a_failed_folder_leaves_the_old_folder_and_nothing_partial(tmp_path: Path) -> None:
    target = tmp_path / "exports" / "2026-W06"
    with atomic_folder(target) as staging:
        (staging / "a.csv").write_text("first")
    with pytest.raises(RuntimeError), atomic_folder(target) as staging:
        (staging / "a.csv").write_text("second")
        raise RuntimeError("crash")
    assert (target / "a.csv").read_text() == "first"
    assert [p.name for p in target.parent.iterdir()] == ["2026-W06"]
    with atomic_folder(target) as staging:
        (staging / "b.csv").write_text("third")
    assert [p.name for p in target.iterdir()] == ["b.csv"]
    assert [p.name for p in target.parent.iterdir()] == ["2026-W06"]


def test_a_written_file_has_the_usual_permissions(tmp_path: Path) -> None:
    target = write_text(tmp_path / "r.html", "x")
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_hard_link_to_the_database_is_the_database(settings: Settings) -> None:
    settings.database_path.parent.mkdir(parents=True)
    settings.database_path.write_bytes(b"DUCK")
    os.link(settings.database_path, settings.root / "copy.html")
    with pytest.raises(OutputError, match="database"):
        check_target(Path("copy.html"), REPORT, study_places(settings))


def test_a_report_replaces_its_own_kind_only(settings: Settings) -> None:
    places = study_places(settings)
    (settings.root / "ours.html").write_text(f"<html><head>{REPORT_MARKER}</head></html>")
    assert check_target(Path("ours.html"), REPORT, places) == settings.root / "ours.html"
    (settings.root / "theirs.html").write_text("<html>the researcher's</html>")
    with pytest.raises(OutputError, match="pass --force"):
        check_target(Path("theirs.html"), REPORT, places)
    assert check_target(Path("theirs.html"), REPORT, places, force=True).name == "theirs.html"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain = text", "plain = text"),
        ("", ""),
    ],
)
def test_spreadsheet_safe_cells(cell: str, expected: str) -> None:
    assert spreadsheet_safe(cell) == expected
    table = spreadsheet_safe_table(pa.table({"c": [cell]}))
    assert table.column("c").to_pylist() == [expected]


def test_only_text_columns_are_neutralised() -> None:
    table = pa.table(
        {
            "n": [-5, 3],
            "x": [-1.5, None],
            "s": ["-5", None],
            "b": pa.array(["=1", "a"]).cast(pa.large_string()),
        }
    )
    safe = spreadsheet_safe_table(table)
    assert safe.schema == table.schema
    assert safe.to_pydict() == {
        "n": [-5, 3],
        "x": [-1.5, None],
        "s": ["'-5", None],
        "b": ["'=1", "a"],
    }


def test_a_saved_classifier_may_be_replaced_by_the_next_training(settings: Settings) -> None:
    import numpy as np

    from models.classifier import classifier_paths, save_classifier, train_classifier
    from pipeline.outputs import check_classifier_targets

    rng = np.random.default_rng(0)
    vectors = np.vstack([rng.normal(0, 0.1, (20, 4)) + 1, rng.normal(0, 0.1, (20, 4)) - 1])
    labels = [{"a"}] * 20 + [{"b"}] * 20
    model = train_classifier(
        vectors, labels, ["a", "b"], single_label=True, codebook_ref="x", embedding_model="m"
    )
    weights, info = classifier_paths(settings.data_path / "codebooks", "tiny", "1")
    save_classifier(model, weights, info)
    check_classifier_targets(study_places(settings), weights, info)  # ours: no refusal
    info.write_text('{"mine": true}')
    with pytest.raises(OutputError, match="not a framewatch classifier"):
        check_classifier_targets(study_places(settings), weights, info)
