"""The ``framewatch`` command that researchers type.

Each command is a thin shell over ``pipeline`` functions; the command modules in
``flows/commands/`` register themselves on the shared Typer app when imported here.
"""

from __future__ import annotations

from flows.app import app
from flows.commands import (  # each module registers its commands
    analyze,  # noqa: F401  (analyze)
    core,  # noqa: F401  (init, import, sql, status)
    crawl,  # noqa: F401  (crawl, extract)
    demo,  # noqa: F401  (demo)
    frames,  # noqa: F401  (frames check/classify/train/evaluate)
    schedule,  # noqa: F401  (serve, weekly)
    spread,  # noqa: F401  (export, report)
)

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``framewatch`` console script."""
    app()
