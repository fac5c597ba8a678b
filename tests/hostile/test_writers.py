"""Hostile inputs to the commands that write files: report, export, frames train and init.

No command may write over a file it did not create: each case points a writer at the database, its
companion files, the study file, a folder, a link, a file of the researcher's, or a path outside
the study, and asserts a one-line refusal that leaves every file and row as it was (a temporary
``.partial`` file left behind would show up in the snapshot as a new file).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from models.codebook import load_codebook
from tests.conftest import MINIMAL_STUDY
from tests.hostile.conftest import assert_refused, run_framewatch, snapshot

Setup = Callable[[Path], None]


def _nothing(study: Path) -> None:
    pass


def _file(relative: str, text: str = "the researcher's own file\n") -> Setup:
    def make(study: Path) -> None:
        path = study / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    return make


def _folder(relative: str) -> Setup:
    def make(study: Path) -> None:
        (study / relative).mkdir(parents=True, exist_ok=True)
        (study / relative / "keep.txt").write_text("mine", encoding="utf-8")

    return make


def _link(relative: str, to: str) -> Setup:
    def make(study: Path) -> None:
        path = study / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(study / to)

    return make


def _classifier_info() -> str:
    book = load_codebook("ai_distillation")
    return f"data/codebooks/{book.id}.v{book.version}.classifier.json"


REPORT_CASES = [
    # (--out, setup, what the refusal mentions, extra options)
    ("data/framewatch.duckdb", _nothing, "database", []),
    ("data/framewatch.duckdb.wal", _nothing, "database", []),
    ("data/framewatch.duckdb.wal", _nothing, "database", ["--force"]),
    ("study.toml", _nothing, "study file", []),
    ("study.toml", _nothing, "study file", ["--force"]),
    ("data", _nothing, "is a folder", []),
    (".", _nothing, "is a folder", []),
    ("data/reports/", _folder("data/reports"), "is a folder", []),
    ("corpus.csv", _nothing, ".html", []),
    ("corpus.csv/report.html", _nothing, "not a folder", []),
    ("../elsewhere.html", _nothing, "outside the study folder", []),
    ("/tmp/framewatch-hostile-report.html", _nothing, "outside the study folder", []),
    ("notes.html", _file("notes.html"), "not a framewatch report", []),
    ("data/notes.html", _file("data/notes.html"), "keeps its own files", ["--force"]),
    ("link.html", _link("link.html", "study.toml"), "symbolic link", []),
    ("data/db.html", _link("data/db.html", "data/framewatch.duckdb"), "symbolic link", []),
]


@pytest.mark.parametrize(
    ("out", "setup", "mentions", "extra"),
    REPORT_CASES,
    ids=[f"{c[0]}{'+force' if c[3] else ''}" for c in REPORT_CASES],
)
def test_report_out_never_writes_over_what_it_did_not_create(
    hostile_study: Path, out: str, setup: Setup, mentions: str, extra: list[str]
) -> None:
    setup(hostile_study)
    before = snapshot(hostile_study)
    outcome = run_framewatch(["report", "--out", out, *extra], hostile_study)
    assert_refused(outcome, mentions=mentions)
    assert snapshot(hostile_study) == before
    assert not Path("/tmp/framewatch-hostile-report.html").exists()


def test_report_replaces_its_own_report_and_with_force_a_file_outside_data(
    hostile_study: Path,
) -> None:
    for _ in range(2):  # the second run replaces the first report
        outcome = run_framewatch(["report", "--out", "reports/r.html"], hostile_study)
        assert outcome.returncode == 0, outcome.message
    assert "framewatch report" in (hostile_study / "reports" / "r.html").read_text()[:4096]
    (hostile_study / "mine.html").write_text("<p>mine</p>", encoding="utf-8")
    outcome = run_framewatch(["report", "--out", "mine.html", "--force"], hostile_study)
    assert outcome.returncode == 0, outcome.message
    assert "framewatch report" in (hostile_study / "mine.html").read_text()[:4096]
    leftovers = [p.name for p in hostile_study.rglob("*") if ".partial" in p.name]
    assert leftovers == []


EXPORT_CASES = [
    # (setup, what the refusal mentions)
    (_folder("data/exports/2026-W06"), "not a framewatch export"),
    (_file("data/exports/2026-W06"), "is a file"),
    (_link("data/exports/2026-W06", "data"), "symbolic link"),
    (_file("data/exports/2026-W06/manifest.json", '{"study": "x"}'), "not a framewatch"),
    (_file("data/reports/report.html"), "not a framewatch report"),
    (_folder("data/reports/report.html"), "is a folder"),
]


@pytest.mark.parametrize(
    ("setup", "mentions"),
    EXPORT_CASES,
    ids=[
        "user-folder",
        "file",
        "link",
        "foreign-manifest",
        "report-is-users-file",
        "report-is-folder",
    ],
)
def test_export_never_replaces_what_it_did_not_create(
    hostile_study: Path, setup: Setup, mentions: str
) -> None:
    setup(hostile_study)
    before = snapshot(hostile_study)
    outcome = run_framewatch(["export", "--week", "2026-W06"], hostile_study)
    assert_refused(outcome, mentions=mentions)
    assert snapshot(hostile_study) == before


TRAIN_CASES = [
    (_file(_classifier_info()), "not a framewatch classifier"),
    (_folder(_classifier_info()), "is a folder"),
    (_link(_classifier_info(), "study.toml"), "symbolic link"),
]


@pytest.mark.parametrize(
    ("setup", "mentions"), TRAIN_CASES, ids=["users-file", "folder", "link-to-study"]
)
def test_frames_train_never_replaces_what_it_did_not_create(
    hostile_study: Path, setup: Setup, mentions: str
) -> None:
    setup(hostile_study)
    (hostile_study / "labels.csv").write_text("text,labels\nThey copied it.,theft\n")
    before = snapshot(hostile_study)
    outcome = run_framewatch(["frames", "train", "--labels", "labels.csv"], hostile_study)
    assert_refused(outcome, mentions=mentions)
    assert snapshot(hostile_study) == before


INIT_CASES = [
    # (argument, setup, what the refusal mentions)
    ("corpus.csv", _nothing, "is a file, not a folder"),
    ("corpus.csv/sub", _nothing, "is a file, not a folder"),
    (".", _nothing, "pass --force"),
    ("other", _folder("other/study.toml"), "not a study file"),
    ("other", _link("other/study.toml", "corpus.csv"), "not a study file"),
]


@pytest.mark.parametrize(
    ("folder", "setup", "mentions"),
    INIT_CASES,
    ids=["on-a-file", "under-a-file", "existing-study", "study-is-folder", "study-is-link"],
)
def test_init_never_writes_over_a_file(
    hostile_study: Path, folder: str, setup: Setup, mentions: str
) -> None:
    setup(hostile_study)
    before = snapshot(hostile_study)
    outcome = run_framewatch(["init", folder], hostile_study)
    assert_refused(outcome, mentions=mentions)
    assert snapshot(hostile_study) == before


BAD_STUDIES = [
    # (what replaces the study file, what the refusal mentions)
    (MINIMAL_STUDY.replace("test study", "caf\xe9").encode("latin-1"), "not UTF-8"),
    (MINIMAL_STUDY.encode("utf-16"), "not UTF-8"),
    (
        MINIMAL_STUDY.replace('name = "test study"', 'name = "s"\ndatabase = "../../x.duckdb"'),
        "outside the study folder",
    ),
    (
        MINIMAL_STUDY.replace('name = "test study"', 'name = "s"\ndata_dir = "../../"'),
        "outside the study folder",
    ),
    (
        MINIMAL_STUDY.replace('name = "test study"', 'name = "s"\ndatabase = "/tmp/fw.duckdb"'),
        "absolute path",
    ),
]


@pytest.mark.parametrize("command", [["status"], ["report"]])
@pytest.mark.parametrize(
    ("study_text", "mentions"),
    BAD_STUDIES,
    ids=["latin-1", "utf-16", "database-up", "data-dir-up", "database-absolute"],
)
def test_a_bad_study_file_is_one_line_and_writes_nothing(
    hostile_study: Path, command: list[str], study_text: str | bytes, mentions: str
) -> None:
    study = hostile_study / "study.toml"
    if isinstance(study_text, bytes):
        study.write_bytes(study_text)
    else:
        study.write_text(study_text, encoding="utf-8")
    outside = hostile_study.parent.parent
    before = snapshot(hostile_study), sorted(os.listdir(outside))
    outcome = run_framewatch(command, hostile_study)
    assert_refused(outcome, mentions=mentions)
    assert (snapshot(hostile_study), sorted(os.listdir(outside))) == before


def test_allow_outside_names_the_place_on_every_run(hostile_study: Path) -> None:
    text = MINIMAL_STUDY.replace(
        'name = "test study"', 'name = "s"\ndata_dir = "../shared-data"\nallow_outside = true'
    )
    (hostile_study / "study.toml").write_text(text, encoding="utf-8")
    for _ in range(2):
        outcome = run_framewatch(["status"], hostile_study)
        assert outcome.returncode == 0, outcome.message
        assert outcome.stderr_lines == [
            "Note: study.data_dir is outside the study folder: "
            f"{(hostile_study.parent / 'shared-data').resolve()}"
        ]


DEMO_CASES = [
    # (--dir, setup, what the refusal mentions)
    (".", _nothing, "did not write"),
    ("corpus.csv", _nothing, "is a file, not a folder"),
    ("other", _folder("other/study.toml"), "link or a folder"),
]


@pytest.mark.parametrize(
    ("folder", "setup", "mentions"), DEMO_CASES, ids=["researchers-study", "file", "folder"]
)
def test_demo_never_writes_over_a_study_it_did_not_write(
    hostile_study: Path, folder: str, setup: Setup, mentions: str
) -> None:
    setup(hostile_study)
    before = snapshot(hostile_study)
    outcome = run_framewatch(["demo", "--dir", folder], hostile_study)
    assert_refused(outcome, mentions=mentions)
    assert snapshot(hostile_study) == before
