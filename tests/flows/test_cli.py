"""The framewatch command: help, exit statuses, and each command on a tiny study."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import MINIMAL_STUDY

runner = CliRunner()


def command_names() -> list[str]:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    return sorted(group.commands)


def test_expected_commands_exist() -> None:
    assert {
        "init",
        "import",
        "sql",
        "status",
        "demo",
        "crawl",
        "extract",
        "analyze",
        "frames",
        "export",
        "report",
        "serve",
        "weekly",
    } <= set(command_names())


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help_with_an_example(name: str) -> None:
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"framewatch {name}" in result.output


@pytest.fixture
def study(tmp_path: Path) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(MINIMAL_STUDY, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.jsonl"
    rows = [
        {
            "url": f"https://ledger.example/{n}",
            "outlet": "ledger",
            "title": f"T{n}",
            "text": "x",
            "date": f"2026-10-0{n}",
        }
        for n in range(1, 4)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{broken\n", encoding="utf-8")
    return path


def test_init_writes_a_loadable_study(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "s"), "--name", "My study"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "study.toml").exists()
    assert (tmp_path / "s" / "data").is_dir()
    again = runner.invoke(app, ["init", str(tmp_path / "s")])
    assert again.exit_code == 2
    assert "--force" in again.stderr


def test_import_then_sql_and_status(study: Path, corpus: Path) -> None:
    result = runner.invoke(app, ["import", str(corpus), "--study", str(study)])
    assert result.exit_code == 0, result.output
    assert "stored 3 new documents" in result.output
    assert "line 4: skipped: invalid JSON" in result.output
    problems = list((study.parent / "data" / "problems").glob("import-*.csv"))
    assert len(problems) == 1 and "invalid JSON" in problems[0].read_text()

    out = runner.invoke(
        app,
        [
            "sql",
            "SELECT outlet, count(*) AS n FROM documents GROUP BY 1",
            "-s",
            str(study),
            "-f",
            "csv",
        ],
    )
    assert out.exit_code == 0, out.output
    assert list(csv.reader(io.StringIO(out.stdout))) == [["outlet", "n"], ["ledger", "3"]]

    out = runner.invoke(
        app, ["sql", "SELECT title FROM documents ORDER BY 1", "-s", str(study), "--format", "json"]
    )
    assert json.loads(out.stdout) == [{"title": "T1"}, {"title": "T2"}, {"title": "T3"}]

    status = runner.invoke(app, ["status", "--study", str(study)])
    assert status.exit_code == 0, status.output
    assert "3 documents from 1 outlets" in status.output
    assert "partial" in status.output, "the import skipped a row, so its run is partial"


def test_sql_is_read_only(study: Path, corpus: Path) -> None:
    runner.invoke(app, ["import", str(corpus), "--study", str(study)])
    result = runner.invoke(app, ["sql", "DELETE FROM documents", "--study", str(study)])
    assert result.exit_code == 1
    assert "read-only" in result.stderr
    count = runner.invoke(
        app, ["sql", "SELECT count(*) AS n FROM documents", "-s", str(study), "-f", "json"]
    )
    assert json.loads(count.stdout) == [{"n": 3}]


def test_study_found_in_current_folder(
    study: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(study.parent)
    assert runner.invoke(app, ["import", str(corpus)]).exit_code == 0
    assert "3 documents" in runner.invoke(app, ["status"]).output


def test_bad_study_exits_2_with_one_line(tmp_path: Path, corpus: Path) -> None:
    bad = tmp_path / "bad" / "study.toml"
    bad.parent.mkdir()
    bad.write_text(MINIMAL_STUDY + "colour = 'blue'\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(corpus), "--study", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert 'unknown key "outlets[0] ("ledger").colour"' in result.stderr
    assert not (bad.parent / "data").exists(), "nothing ran"


def test_missing_study_and_bad_options(tmp_path: Path, corpus: Path, study: Path) -> None:
    result = runner.invoke(app, ["status", "--study", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "framewatch init" in result.stderr
    result = runner.invoke(app, ["import", str(corpus), "-s", str(study), "--preset", "nope"])
    assert result.exit_code == 2 and "allsides, mediacloud" in result.stderr
    result = runner.invoke(app, ["import", str(corpus), "-s", str(study), "--map", "body"])
    assert result.exit_code == 2 and "FIELD=COLUMN" in result.stderr
    result = runner.invoke(app, ["sql", "SELECT 1", "-s", str(study)])
    assert result.exit_code == 1 and "no database yet" in result.stderr


def test_export_and_report_options(study: Path, corpus: Path) -> None:
    runner.invoke(app, ["import", str(corpus), "--study", str(study)])
    result = runner.invoke(app, ["export", "--week", "2026-48", "-s", str(study)])
    assert result.exit_code == 2 and "write it as YYYY-Www, e.g. 2026-W48" in result.stderr
    result = runner.invoke(
        app, ["export", "--week", "2026-W41", "--from", "2026-10-01", "-s", str(study)]
    )
    assert result.exit_code == 2 and "not both" in result.stderr
    result = runner.invoke(app, ["export", "--from", "2026-10-01", "-s", str(study)])
    assert result.exit_code == 2 and "needs both --from and --to" in result.stderr
    result = runner.invoke(app, ["report", "--out", "../../elsewhere.html", "-s", str(study)])
    assert result.exit_code == 2 and "outside the study folder" in result.stderr
    result = runner.invoke(app, ["export", "--week", "2026-W41", "-s", str(study)])
    assert result.exit_code == 0, result.output
    assert (study.parent / "data" / "exports" / "2026-W41" / "manifest.json").exists()
    result = runner.invoke(app, ["report", "--out", "data/r.html", "-s", str(study)])
    assert result.exit_code == 0, result.output
    assert (study.parent / "data" / "r.html").stat().st_size > 100_000


def test_sql_waits_while_another_process_writes(study: Path, corpus: Path) -> None:
    import subprocess
    import sys
    import textwrap

    runner.invoke(app, ["import", str(corpus), "--study", str(study)])
    database = study.parent / "data" / "framewatch.duckdb"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import time, duckdb
            con = duckdb.connect({str(database)!r})
            print("writing", flush=True)
            time.sleep(3)
            con.close()
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    busy = runner.invoke(
        app, ["sql", "SELECT count(*) AS n FROM documents", "-s", str(study), "--wait", "0"]
    )
    assert busy.exit_code == 1 and "in use by another process (PID" in busy.stderr
    waited = runner.invoke(
        app,
        [
            "sql",
            "SELECT count(*) AS n FROM documents",
            "-s",
            str(study),
            "-f",
            "json",
            "--wait",
            "60",
        ],
    )
    writer.wait()
    assert waited.exit_code == 0, waited.output
    assert "waiting for it" in waited.stderr
    assert json.loads(waited.stdout) == [{"n": 3}]


def test_sql_cannot_touch_files_unless_asked(study: Path, corpus: Path, tmp_path: Path) -> None:
    runner.invoke(app, ["import", str(corpus), "--study", str(study)])
    target = tmp_path / "leak.csv"
    result = runner.invoke(
        app, ["sql", f"COPY (SELECT * FROM documents) TO '{target}'", "-s", str(study)]
    )
    assert result.exit_code == 1 and "--files" in result.stderr
    assert not target.exists()
    result = runner.invoke(app, ["sql", "SET enable_external_access = true", "-s", str(study)])
    assert result.exit_code == 1
    allowed = runner.invoke(
        app,
        ["sql", f"COPY (SELECT title FROM documents) TO '{target}'", "-s", str(study), "--files"],
    )
    assert allowed.exit_code == 0, allowed.output
    assert target.read_text().splitlines()[0] == "title"
