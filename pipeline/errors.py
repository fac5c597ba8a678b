"""The one exception family of framewatch.

Every error a researcher can cause (a bad study file, a wrong option, a broken input file) derives
from :class:`FramewatchError`, and its message says what was wrong and what to do about it. The CLI
prints the message on one line and exits with :attr:`FramewatchError.exit_code`.
"""

from __future__ import annotations


class FramewatchError(Exception):
    """Base class of the errors that framewatch reports to the user.

    Attributes:
        exit_code: Process exit status the CLI uses for this error.
    """

    exit_code = 1

    def __init__(self, message: str = "") -> None:
        # Values quoted from the user's input (a language code, an outlet name) may hold a
        # newline or another control character; shown escaped, the message stays one line.
        super().__init__(one_line(message))


def one_line(text: str) -> str:
    """``text`` with every unprintable character (newline, tab, NUL, …) written as its escape."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text)
    )


class StudyError(FramewatchError):
    """The study file is missing, unreadable or holds a bad value (exit status 2)."""

    exit_code = 2


class UsageError(FramewatchError):
    """A command-line option is wrong (exit status 2)."""

    exit_code = 2


class InputFileError(FramewatchError):
    """An input file cannot be read at all (missing, wrong format)."""

    exit_code = 1


class StoreError(FramewatchError):
    """The study database cannot be opened or migrated."""

    exit_code = 1


class ModelError(FramewatchError):
    """A model, spaCy pipeline or codebook cannot be loaded."""

    exit_code = 1
