"""Another git revision's code beside this checkout's, for side-by-side benchmarks."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def short_commit(revision: str) -> str:
    """The short hash of a git revision of this checkout."""
    done = subprocess.run(
        ["git", "rev-parse", "--short", revision], cwd=ROOT, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return done.stdout.strip()


@contextmanager
def baseline_checkout(commit: str, folder: Path) -> Iterator[Path]:
    """``commit`` checked out in ``folder`` (a detached git worktree), removed afterwards."""
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(folder), commit], cwd=ROOT, check=True
    )
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT)
