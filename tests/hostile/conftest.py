"""The hostile-input harness: run one ``framewatch`` command the way a careless or hostile user would.

Every case asserts the same three things:

- the command fails cleanly: exit status 1 or 2, one line on stderr that says what to do, no traceback;
- nothing already stored changes: row counts of every table and the bytes of every file in the study;
- where decompression or long lines are involved, the process stays under a memory bound (its peak
  resident set, read with ``resource.getrusage`` inside the child process).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.conftest import MINIMAL_STUDY

# The child runs the CLI and then prints its own peak RSS (KiB on Linux) on a marker line of stderr.
_CHILD = textwrap.dedent(
    """
    import resource, sys
    from flows.cli import app
    code = 0
    try:
        app(args=sys.argv[1:], prog_name="framewatch", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        # VmHWM is this process's own peak; ru_maxrss would carry the forking parent's (pytest's).
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            with open("/proc/self/status") as status:
                peak = next(int(x.split()[1]) for x in status if x.startswith("VmHWM:"))
        except (OSError, StopIteration, ValueError):
            pass
        sys.stderr.write(f"\\n@@peak_kib={peak}\\n")
    sys.exit(code)
    """
)


@dataclass(frozen=True)
class Outcome:
    """What one hostile run left behind."""

    returncode: int
    stdout: str
    stderr_lines: list[str]
    peak_mib: float

    @property
    def message(self) -> str:
        return "\n".join(self.stderr_lines)


def run_framewatch(
    args: list[str], cwd: Path, *, stdin: bytes | None = None, timeout: float = 300
) -> Outcome:
    """Run ``framewatch ARGS`` in a child process in ``cwd`` and measure its peak memory."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200", "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    err = proc.stderr.decode("utf-8", "replace")
    peak = 0.0
    lines = []
    for line in err.splitlines():
        if line.startswith("@@peak_kib="):
            peak = int(line.split("=", 1)[1]) / 1024
        elif line.strip():
            lines.append(line.rstrip())
    return Outcome(proc.returncode, proc.stdout.decode("utf-8", "replace"), lines, peak)


def snapshot(folder: Path) -> dict[str, object]:
    """Row counts of every table in every DuckDB file under ``folder`` and a hash of every file."""
    state: dict[str, object] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix in {".wal", ".tmp"} or ".prefect" in path.parts:
            continue
        if path.suffix == ".duckdb":
            con = duckdb.connect(str(path), read_only=True)
            try:
                tables = con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
                ).fetchall()
                state[str(path)] = {
                    t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # type: ignore[index]
                    for (t,) in tables
                }
            finally:
                con.close()
        else:
            state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def assert_refused(outcome: Outcome, *, mentions: str | None = None) -> None:
    """A clean refusal: status 1 or 2, one line on stderr, no traceback."""
    detail = json.dumps({"rc": outcome.returncode, "stderr": outcome.stderr_lines})
    assert outcome.returncode in (1, 2), detail
    assert "Traceback" not in outcome.message, detail
    assert len(outcome.stderr_lines) == 1, detail
    if mentions is not None:
        assert mentions.lower() in outcome.message.lower(), detail


@pytest.fixture
def hostile_study(tmp_path: Path) -> Path:
    """A study folder with an initialised database holding two documents."""
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "study.toml").write_text(MINIMAL_STUDY, encoding="utf-8")
    corpus = folder / "corpus.csv"
    corpus.write_text(
        "url,title,text,published_at,outlet\n"
        "https://a.example/1,One,The lab said its rival copied the model.,2026-02-03,ledger\n"
        "https://a.example/2,Two,Engineers praised the efficient design.,2026-02-10,ledger\n",
        encoding="utf-8",
    )
    result = run_framewatch(["import", "corpus.csv"], folder)
    assert result.returncode == 0, result.message
    return folder
