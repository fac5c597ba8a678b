"""Hostile inputs to ``framewatch sql``: several statements, endless queries, Ctrl-C, NaN in JSON.

A query that cannot be answered as asked is refused in one line and changes nothing; a query that
runs too long stops at Ctrl-C or ``--timeout`` and lets go of the database at once, so that a
writer (a crawl, an analysis) never waits behind it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.store import CTRL_C_MESSAGE, reader_queue
from tests.hostile.conftest import _CHILD, assert_refused, run_framewatch, snapshot

# About 10^15 row pairs: no machine finishes it, and DuckDB looks at Python's signals only rarely.
ENDLESS = "SELECT count(*) FROM range(1000000000) a, range(1000000) b WHERE a.range + b.range = 7"

REFUSED = [
    # (query, extra options, what the refusal mentions)
    ("SELECT 1; SELECT 2", [], "2 statements"),
    ("SELECT count(*) FROM documents; DROP TABLE documents", [], "2 statements"),
    ("SELECT 1;;SELECT 2;", [], "2 statements"),
    ("", [], "empty"),
    ("/* only a comment */ ;", [], "empty"),
    (ENDLESS, ["--timeout", "1"], "--timeout"),
    (ENDLESS, ["--timeout", "0.5", "-f", "json"], "--timeout"),
    ("DELETE FROM documents", [], "read-only"),
    ("SELECT * FROM read_csv('/etc/passwd')", [], "failed"),
]


@pytest.mark.parametrize(
    ("query", "extra", "mentions"),
    REFUSED,
    ids=[
        "two-selects",
        "select-then-drop",
        "empty-statement-between",
        "empty",
        "comment-only",
        "timeout",
        "timeout-json",
        "delete",
        "read-file",
    ],
)
def test_sql_refuses_in_one_line_and_changes_nothing(
    hostile_study: Path, query: str, extra: list[str], mentions: str
) -> None:
    before = snapshot(hostile_study)
    outcome = run_framewatch(["sql", query, *extra], hostile_study)
    assert_refused(outcome, mentions=mentions)
    assert outcome.stdout == ""
    assert snapshot(hostile_study) == before


def test_json_prints_nan_and_infinity_as_null(hostile_study: Path) -> None:
    query = (
        "SELECT 'nan'::DOUBLE AS a, 'inf'::DOUBLE AS b, ['-inf'::DOUBLE, 1.5] AS c,"
        " {'x': 'nan'::FLOAT} AS d, -2 AS e"
    )
    outcome = run_framewatch(["sql", query, "-f", "json"], hostile_study)
    assert outcome.returncode == 0, outcome.message

    def strict(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    assert json.loads(outcome.stdout, parse_constant=strict) == [
        {"a": None, "b": None, "c": [None, 1.5], "d": {"x": None}, "e": -2}
    ]


def _start(args: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200", "NO_COLOR": "1"},
    )


def _wait_until(condition: object, proc: subprocess.Popen[bytes]) -> None:
    """Poll ``condition`` until it holds (the child must still be running)."""
    for _ in range(600):
        if callable(condition) and condition():
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    raise AssertionError("the child never got there")


def _holds_open(pid: int, path: Path) -> bool:
    folder = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(folder / fd) == str(path) for fd in os.listdir(folder))
    except OSError:
        return False


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _interrupt(proc: subprocess.Popen[bytes]) -> list[str]:
    proc.send_signal(signal.SIGINT)
    # Without the fix the query went on for good; the bound only keeps a failure from hanging.
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("Ctrl-C did not stop framewatch sql") from None
    return [
        line
        for line in err.decode("utf-8", "replace").splitlines()
        if line.strip() and not line.startswith("@@peak_kib=")
    ]


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc to see open files")
def test_ctrl_c_stops_a_running_query_and_frees_the_database(hostile_study: Path) -> None:
    database = hostile_study / "data" / "framewatch.duckdb"
    before = snapshot(hostile_study)
    proc = _start(["sql", ENDLESS], hostile_study)
    _wait_until(lambda: _holds_open(proc.pid, database), proc)
    opened = _cpu_seconds(proc.pid)
    # Opening and setting up take next to no CPU; a second of it more means the join runs.
    _wait_until(lambda: _cpu_seconds(proc.pid) > opened + 1.0, proc)
    lines = _interrupt(proc)
    assert proc.returncode == 1, lines
    assert lines == [f"Error: {CTRL_C_MESSAGE}"]
    writer = duckdb.connect(str(database))  # no lock left: a writer goes straight in
    writer.close()
    assert snapshot(hostile_study) == before


def test_ctrl_c_while_waiting_for_a_writer_leaves_no_ticket(hostile_study: Path) -> None:
    database = hostile_study / "data" / "framewatch.duckdb"
    writer = duckdb.connect(str(database))  # holds the file, as a crawl would
    try:
        proc = _start(["sql", "SELECT 1", "--wait", "120"], hostile_study)
        queue = reader_queue(database)
        _wait_until(lambda: queue.is_dir() and any(queue.iterdir()), proc)
        lines = _interrupt(proc)
        assert proc.returncode == 1, lines
        assert lines[-1] == f"Error: {CTRL_C_MESSAGE}", lines
        assert "Traceback" not in "\n".join(lines)
        assert not queue.exists() or not any(queue.iterdir()), "a stopped reader left its ticket"
    finally:
        writer.close()
