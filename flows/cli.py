"""The ``framewatch`` command that researchers type.

Each command is a thin shell over ``pipeline`` functions; the command modules in
``flows/commands/`` register themselves on the shared Typer app when imported here.
"""

from __future__ import annotations

from flows.app import app
from flows.commands import analyze, core  # noqa: F401  (register their commands)

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``framewatch`` console script."""
    app()
