"""Where framewatch may write a file, and how it writes one.

Every file framewatch writes goes through :func:`atomic_file` (or :func:`atomic_folder` for a
folder of files): the content goes to a hidden temporary sibling, is flushed to disk, and only
then replaces the target with ``os.replace``. After a failure or Ctrl-C nothing partial remains.

Before a command writes to a place the user named (``report --out``) or replaces an earlier
output (``export``, ``frames train``), :func:`check_target` decides whether it may. framewatch
writes over an existing file only when it recognises the file as its own output of the same kind
(a report, an export folder, a trained classifier). It never writes over the study file, the
database or its companion files, a folder, or through a symbolic link; outside the study's data
folder, ``--force`` lets a report replace another file.

Files meant to be shared as CSV go through :func:`spreadsheet_safe` first: a text cell that a
spreadsheet would run as a formula gets a leading single quote (OWASP's CSV-injection advice).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import UsageError

if TYPE_CHECKING:
    import pyarrow as pa

# A report names itself in its <head>; reports written before this marker began the same way.
REPORT_MARKER = '<meta name="generator" content="framewatch report">'
_LEGACY_REPORT_START = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>framewatch report:'
)
_SNIFF_BYTES = 4096
# Files a file browser leaves in a folder it showed: an export folder may hold them.
_FILE_BROWSER_LITTER = {".DS_Store", "Thumbs.db", "desktop.ini"}
# Characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")


class OutputError(UsageError):
    """framewatch will not write there: the target is not its own output (exit status 2)."""


@dataclass(frozen=True)
class OutputKind:
    """One kind of output: its name in messages, the suffixes it may have, how to recognise one.

    Attributes:
        name: What the output is called in messages ("report").
        suffixes: Allowed file-name endings (lower case); empty for a folder.
        recognise: Whether an existing path is framewatch's own output of this kind.
        folder: Whether the output is a folder of files rather than one file.
    """

    name: str
    suffixes: tuple[str, ...]
    recognise: Callable[[Path], bool]
    folder: bool = False


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except OSError:
        return b""


def is_report(path: Path) -> bool:
    """Whether ``path`` is an HTML report that framewatch wrote."""
    head = _head(path).decode("utf-8", "replace")
    return REPORT_MARKER in head or head.startswith(_LEGACY_REPORT_START)


def is_export_folder(path: Path) -> bool:
    """Whether ``path`` is an export folder that framewatch wrote: a manifest that lists every file."""
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        entries = list(path.iterdir())
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict) or "export_run_id" not in manifest:
        return False
    listed = set(manifest.get("files") or {}) | {"manifest.json"} | _FILE_BROWSER_LITTER
    return all(e.name in listed and e.is_file() and not e.is_symlink() for e in entries)


def is_classifier_weights(path: Path) -> bool:
    """Whether ``path`` holds a classifier's weights as framewatch saves them (NumPy ``.npz``)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "coef.npy" in archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False


def is_classifier_info(path: Path) -> bool:
    """Whether ``path`` is a classifier's description as framewatch saves it (JSON)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and {"model_id", "frame_ids"} <= document.keys()


REPORT = OutputKind("report", (".html", ".htm"), is_report)
EXPORT = OutputKind("export", (), is_export_folder, folder=True)
CLASSIFIER_WEIGHTS = OutputKind("classifier", (".npz",), is_classifier_weights)
CLASSIFIER_INFO = OutputKind("classifier", (".json",), is_classifier_info)


@dataclass(frozen=True)
class StudyPlaces:
    """The places of one study that the guard protects (see :func:`study_places`)."""

    root: Path
    study_file: Path
    database: Path
    data: Path


def study_places(settings: Any) -> StudyPlaces:
    """The study folder, study file, database and data folder of a :class:`~pipeline.config.Settings`."""
    return StudyPlaces(
        settings.root.resolve(),
        settings.source.resolve(),
        settings.database_path.resolve(),
        settings.data_path.resolve(),
    )


def check_target(
    target: Path, kind: OutputKind, places: StudyPlaces, *, force: bool = False
) -> Path:
    """Decide whether framewatch may write ``kind`` to ``target``; the absolute path if it may.

    Refused: a symbolic link; a folder (for a file) or a file (for a folder); a name without the
    kind's suffix; a path outside the study folder and its data folder; the study file; the
    database and every file beside it named after it (``.wal``, ``.writer.json``, …); and an
    existing file that is not framewatch's output of this kind. ``force`` lets a report replace
    such a file only outside the data folder, which framewatch keeps for its own files.

    Raises:
        OutputError: One line saying why and what to write instead.
    """
    path = _absolute(target, places.root)
    shown = str(target)
    if path.is_symlink():
        raise OutputError(
            f"{shown} is a symbolic link; framewatch does not write through links: name a plain path"
        )
    _check_ancestors(path, shown)
    if not (path.is_relative_to(places.root) or path.is_relative_to(places.data)):
        raise OutputError(f"{shown} is outside the study folder {places.root}; write inside it")
    _check_protected(path, shown, places)
    exists = os.path.lexists(path)
    if exists and path.is_dir() and not kind.folder:
        example = Path(shown) / f"{kind.name}{kind.suffixes[0]}"
        raise OutputError(f"{shown} is a folder; name a file inside it, e.g. {example}")
    if exists and kind.folder and not path.is_dir():
        raise OutputError(f"{shown} is a file, not an earlier {kind.name}; move it away first")
    if kind.suffixes and path.suffix.lower() not in kind.suffixes:
        raise OutputError(
            f"{shown}: a {kind.name} is written to a {' or '.join(kind.suffixes)} file; "
            f"name one such as {path.stem}{kind.suffixes[0]}"
        )
    if not exists:
        return path
    if kind.recognise(path):
        return path
    owned = path.is_relative_to(places.data)
    if force and not owned and not kind.folder:
        return path
    if kind.folder:
        advice = "move it away (or delete it), then run this again"
    elif owned:
        advice = "framewatch keeps its own files there: choose a new name"
    else:
        advice = "choose another path, or pass --force to replace it"
    raise OutputError(f"{shown} exists and is not a framewatch {kind.name}; {advice}")


def check_classifier_targets(places: StudyPlaces, weights: Path, info: Path) -> None:
    """Refuse to train when a classifier's two files may not be written (see :func:`check_target`).

    Raises:
        OutputError: When either path is refused.
    """
    check_target(weights, CLASSIFIER_WEIGHTS, places)
    check_target(info, CLASSIFIER_INFO, places)


def _absolute(target: Path, root: Path) -> Path:
    """``target`` made absolute against ``root``, its folders resolved but not its last part."""
    joined = target if target.is_absolute() else root / target
    parent = joined.parent.resolve()
    name = joined.name
    if name in {"", ".", ".."}:
        return joined.resolve()
    return parent / name


def _check_ancestors(path: Path, shown: str) -> None:
    for ancestor in path.parents:
        if os.path.lexists(ancestor):
            if not ancestor.is_dir():
                raise OutputError(f"{shown}: {ancestor} is a file, not a folder; name another path")
            return


def _check_protected(path: Path, shown: str, places: StudyPlaces) -> None:
    if _same(path, places.study_file):
        raise OutputError(f"{shown} is the study file; choose another path")
    db = places.database
    if _same(path, db) or (path.parent == db.parent and path.name.startswith(db.name + ".")):
        raise OutputError(
            f"{shown} is the study's database or a file DuckDB keeps beside it; choose another path"
        )


def _same(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)  # a hard link, or a path spelt another way
    except OSError:
        return False


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``target`` to write; when the block ends it replaces ``target``.

    The temporary file is hidden (``.NAME.XXXX.partial``), flushed to disk before the rename, and
    removed when the block raises (Ctrl-C included), so ``target`` is either the old file or the
    whole new one.

    Raises:
        OutputError: When the file cannot be written (no space, no permission, …).
    """
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".partial")
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        _fsync(temp)
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, target)
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    _fsync_folder(parent)


def write_text(target: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically (see :func:`atomic_file`)."""
    with atomic_file(target) as temp:
        temp.write_text(text, encoding="utf-8")
    return target


@contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder to fill; when the block ends it replaces ``target``.

    An older ``target`` is moved aside first and removed once the new one is in place; when the
    block raises, the temporary folder is removed and ``target`` is left as it was.

    Raises:
        OutputError: When the folder cannot be written.
    """
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.", suffix=".partial"))
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    old: Path | None = None
    try:
        yield staging
        for path in staging.rglob("*"):
            if path.is_file():
                _fsync(path)
        os.chmod(staging, 0o777 & ~_umask())
        if os.path.lexists(target):
            old = Path(tempfile.mkdtemp(dir=parent, prefix=f".{target.name}.", suffix=".old"))
            os.replace(target, old)
        os.replace(staging, target)
    except OSError as exc:
        if old is not None and not os.path.lexists(target):
            os.replace(old, target)  # put the earlier export back
            old = None
        raise _cannot_write(target, exc) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    _fsync_folder(parent)


def _cannot_write(target: Path, exc: OSError) -> OutputError:
    return OutputError(
        f"{target}: cannot write it ({exc.strerror or exc}); check the path and space"
    )


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    # Read, not set: os.umask() would change it for every thread for a moment.
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def spreadsheet_safe(value: str) -> str:
    """A text cell a spreadsheet will show as text: a leading ``= + - @``, tab or CR gets a ``'``."""
    return "'" + value if _FORMULA_START.match(value) else value


def spreadsheet_safe_table(table: pa.Table) -> pa.Table:
    """``table`` with :func:`spreadsheet_safe` applied to every text column (numbers stay numbers)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = pc.replace_substring_regex(
                column, pattern=r"^([=+\-@\t\r])", replacement=r"'\1", max_replacements=1
            )
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=table.schema)
