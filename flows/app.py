"""The Typer application, shared options and error reporting of the ``framewatch`` command.

Command modules under ``flows/commands/`` register themselves on :data:`app`; ``flows/cli.py``
imports them all. Errors that the user can fix are printed on one line with what to do, and exit
with status 2 (bad study file or option) or 1 (bad input, database in use).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import duckdb
import typer
from rich.console import Console

from pipeline.config import Settings, find_study_file, load_settings
from pipeline.errors import FramewatchError
from pipeline.store import connect, connect_writer

app = typer.Typer(
    name="framewatch",
    help="Track how a story is framed and how that framing spreads across outlets and Reddit.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")

StudyOption = Annotated[
    Path | None,
    typer.Option(
        "--study",
        "-s",
        help="The study file (or its folder). Default: study.toml in the current folder.",
        show_default=False,
    ),
]


WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        help="While a crawl or analysis is writing the database, wait up to this many seconds.",
    ),
]


def write_database(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open the study database to write, waiting (and saying why) while another process holds it."""
    return connect_writer(
        settings.database_path,
        on_wait=lambda why: err_console.print(why, style="yellow", markup=False),
    )


def read_database(settings: Settings, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """Open the study database read-only, waiting (and saying why) while another process writes."""
    return connect(
        settings.database_path,
        read_only=True,
        wait_seconds=wait_seconds,
        on_wait=lambda why: err_console.print(why, style="yellow", markup=False),
    )


def reports_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Print a :class:`FramewatchError` on one line and exit with its status."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except FramewatchError as exc:
            err_console.print(f"Error: {exc}", style="red", markup=False, highlight=False)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def study_settings(study: Path | None) -> Settings:
    """Load the study named by ``--study`` or found in the current folder.

    A study that keeps its database or data folder outside its folder (``allow_outside``) has
    that said on stderr on every run, so that no write there goes unnoticed.
    """
    settings = load_settings(find_study_file(study))
    for line in settings.outside_paths():
        err_console.print(line, style="yellow", markup=False, highlight=False)
    return settings
