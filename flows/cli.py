"""The ``framewatch`` command that researchers type.

Each command is a thin shell over ``pipeline`` functions; the command modules in
``flows/commands/`` register themselves on the shared Typer app when imported here.
"""

from __future__ import annotations

from flows.app import app
from flows.commands import (
    core,  # noqa: F401  (registers init, import, sql, status, demo)
    frames,  # noqa: F401  (registers frames check/classify/train/evaluate)
)

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``framewatch`` console script."""
    app()
