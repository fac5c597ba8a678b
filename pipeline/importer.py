"""Import an existing corpus (JSON Lines, CSV or Parquet) into ``documents``.

A column mapping says which source column feeds which document field; presets hold the mappings
of common research exports. Rows are read as a stream, checked one by one (a malformed row is
reported with its line number and skipped) and stored in batches, each batch in one transaction,
so a re-run stores only what is missing and an interrupted import loses nothing it committed.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import duckdb
import pyarrow.parquet as pq

from pipeline.documents import (
    KINDS,
    DocumentRow,
    canonical_url,
    content_hash,
    make_doc_id,
    normalise_space,
    parse_published,
    store_documents,
    url_domain,
)
from pipeline.errors import InputFileError, UsageError
from pipeline.store import utcnow

FIELDS = (
    "text",
    "title",
    "url",
    "outlet",
    "author",
    "published_at",
    "language",
    "kind",
    "source_id",
)
FORMATS = ("jsonl", "csv", "parquet")

# Candidate source columns per field, first present wins. Unmapped columns go to documents.extra.
DEFAULT_MAPPING: dict[str, tuple[str, ...]] = {
    "text": ("text", "content", "body", "content_original", "selftext"),
    "title": ("title", "headline"),
    "url": ("url", "link", "canonical_url"),
    "outlet": ("outlet", "source", "media_name", "domain"),
    "author": ("author", "authors", "byline"),
    "published_at": ("published_at", "publish_date", "date", "created_utc", "published"),
    "language": ("language", "lang"),
    "kind": ("kind",),
    "source_id": ("id", "ID", "stories_id"),
}

PRESETS: dict[str, dict[str, tuple[str, ...]]] = {
    # AllSides articles as released by Baly et al. (EMNLP 2020), one JSON object per line.
    "allsides": {
        "text": ("content_original", "content"),
        "title": ("title",),
        "url": ("url",),
        "outlet": ("source",),
        "author": ("authors",),
        "published_at": ("date",),
        "source_id": ("ID",),
    },
    # Media Cloud story lists: the legacy API's CSV (stories_id, media_name, publish_date, …) and
    # the search tool's export (id, media_name, publish_date, indexed_date, …). Stories carry no text.
    "mediacloud": {
        "text": ("text",),
        "title": ("title",),
        "url": ("url",),
        "outlet": ("media_name", "media_url"),
        "published_at": ("publish_date", "indexed_date"),
        "language": ("language",),
        "source_id": ("stories_id", "id"),
    },
}


@dataclass(frozen=True)
class Problem:
    """A row that was skipped (or stored with a field left empty) and why."""

    line: int
    reason: str
    skipped: bool = True


@dataclass
class ImportReport:
    """What an import did."""

    read: int = 0
    stored: int = 0
    already_stored: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """Rows that were not stored because they were malformed."""
        return sum(p.skipped for p in self.problems)


class RowError(ValueError):
    """A row that cannot become a document."""


def parse_mapping(spec: str | None) -> dict[str, str]:
    """Parse ``--map text=content_original,outlet=source`` into ``{field: column}``.

    Raises:
        UsageError: On a malformed pair or an unknown field.
    """
    mapping: dict[str, str] = {}
    for pair in (spec or "").split(","):
        if not pair.strip():
            continue
        target, sep, column = pair.partition("=")
        target, column = target.strip(), column.strip()
        if not sep or not column:
            raise UsageError(f'--map: "{pair}" is not FIELD=COLUMN; write e.g. --map text=body')
        if target not in FIELDS:
            raise UsageError(f'--map: unknown field "{target}"; fields are {", ".join(FIELDS)}')
        mapping[target] = column
    return mapping


def resolve_mapping(preset: str | None, overrides: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Combine the default mapping, a preset and ``--map`` overrides (later wins).

    Raises:
        UsageError: On an unknown preset.
    """
    if preset is not None and preset not in PRESETS:
        raise UsageError(f'--preset: unknown preset "{preset}"; use one of {", ".join(PRESETS)}')
    mapping = dict(DEFAULT_MAPPING)
    if preset:
        mapping.update(PRESETS[preset])
    mapping.update({target: (column,) for target, column in overrides.items()})
    return mapping


def detect_format(path: Path, fmt: str | None) -> str:
    """The file format from ``--format`` or the file name (``.jsonl``, ``.csv``, ``.parquet``, ``.gz``)."""
    if fmt:
        if fmt not in FORMATS:
            raise UsageError(f'--format: unknown format "{fmt}"; use one of {", ".join(FORMATS)}')
        return fmt
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    by_suffix = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
    by_suffix[".parquet"] = "parquet"
    if last not in by_suffix:
        raise UsageError(
            f"{path.name}: cannot tell the format from the name; add --format jsonl, csv or parquet"
        )
    return by_suffix[last]


def read_records(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Yield ``(line_number, record)`` or ``(line_number, error message)`` for each row.

    Line numbers are 1-based physical lines for JSONL and CSV (the header is line 1) and row
    numbers for Parquet.
    """
    if not path.is_file():
        raise InputFileError(f"{path}: no such file; check the path")
    if fmt == "parquet":
        yield from _read_parquet(path)
        return
    gz = path.suffix.lower() == ".gz"
    with cast(IO[bytes], gzip.open(path, "rb") if gz else path.open("rb")) as raw:
        if fmt == "jsonl":
            yield from _read_jsonl(raw)
        else:
            yield from _read_csv(raw)


def _read_jsonl(raw: IO[bytes]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for number, line in enumerate(raw, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except UnicodeDecodeError:
            yield number, "not UTF-8 text"
            continue
        except json.JSONDecodeError as exc:
            yield number, f"invalid JSON ({exc.msg} at column {exc.colno})"
            continue
        if isinstance(record, dict):
            yield number, record
        else:
            yield number, f"a JSON {type(record).__name__}, not an object"


def _read_csv(raw: IO[bytes]) -> Iterator[tuple[int, dict[str, Any] | str]]:
    csv.field_size_limit(sys.maxsize)
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputFileError(f"the CSV header cannot be read ({exc}); is this a CSV file?") from exc
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, f"broken CSV ({exc})"
            continue
        if not values:
            continue
        if len(values) != len(header):
            yield reader.line_num, f"{len(values)} fields where the header has {len(header)}"
            continue
        yield reader.line_num, dict(zip(header, values, strict=True))


def _read_parquet(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise InputFileError(f"{path}: not a readable Parquet file ({exc})") from exc
    number = 0
    for batch in parquet.iter_batches(batch_size=2000):
        for record in batch.to_pylist():
            number += 1
            yield number, record


def _pick(record: Mapping[str, Any], columns: tuple[str, ...]) -> tuple[str | None, Any]:
    for column in columns:
        value = record.get(column)
        if value not in (None, ""):
            return column, value
    return None, None


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return "; ".join(str(v).strip() for v in value if str(v).strip()) or None
    return str(value).strip() or None


def record_to_document(
    record: Mapping[str, Any],
    mapping: Mapping[str, tuple[str, ...]],
    *,
    outlet: str | None,
    run_id: str | None,
) -> tuple[DocumentRow, list[str]]:
    """Turn one source record into a document row.

    Args:
        record: The source row.
        mapping: Candidate source columns per field.
        outlet: Outlet to use when the row names none (default: the URL's domain).
        run_id: The import's run id.

    Returns:
        The row and warnings about values that were dropped (e.g. an unreadable date).

    Raises:
        RowError: When the row has neither title nor text, or no outlet can be found.
    """
    used: set[str] = set()
    values: dict[str, Any] = {}
    for target, columns in mapping.items():
        column, value = _pick(record, columns)
        if column is not None:
            used.add(column)
            values[target] = value
    title = normalise_space(_as_text(values.get("title")))
    text = normalise_space(_as_text(values.get("text")))
    if not title and not text:
        raise RowError("no title and no text; map them with --map title=COLUMN,text=COLUMN")
    url = _as_text(values.get("url"))
    canonical = canonical_url(url)
    name = _as_text(values.get("outlet")) or outlet or url_domain(canonical)
    if not name:
        raise RowError("no outlet; map it with --map outlet=COLUMN or pass --outlet NAME")
    kind = _as_text(values.get("kind")) or "article"
    if kind not in KINDS:
        raise RowError(f'kind "{kind}" is not one of {", ".join(KINDS)}')
    warnings: list[str] = []
    try:
        published = parse_published(values.get("published_at"))
    except ValueError as exc:
        published = None
        warnings.append(f"{exc}; stored without a date")
    chash = content_hash(title, text)
    extra = {k: v for k, v in record.items() if k not in used and v not in (None, "")}
    row = DocumentRow(
        doc_id=make_doc_id(canonical=canonical, fullname=None, outlet=name, chash=chash),
        kind=kind,
        outlet=name,
        url=url,
        canonical_url=canonical,
        title=title,
        text=text,
        author=_as_text(values.get("author")),
        published_at=published,
        fetched_at=utcnow(),
        language=(_as_text(values.get("language")) or "").lower()[:2] or None,
        content_hash=chash,
        thread_id=None,
        parent_id=None,
        depth=None,
        score=None,
        dup_cluster=None,
        source="import",
        source_id=_as_text(values.get("source_id")),
        run_id=run_id,
        extra=json.dumps(extra, default=str, ensure_ascii=False) if extra else None,
    )
    return row, warnings


def import_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    mapping: Mapping[str, tuple[str, ...]],
    *,
    fmt: str,
    outlet: str | None = None,
    run_id: str | None = None,
    batch_size: int = 2000,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import one file into ``documents``, skipping and reporting malformed rows.

    Args:
        con: Writable connection to the study database.
        path: The input file.
        mapping: From :func:`resolve_mapping`.
        fmt: One of :data:`FORMATS`.
        outlet: Outlet for rows that name none.
        run_id: Recorded on every stored row.
        batch_size: Rows per transaction.
        on_progress: Called with the number of rows read so far after each batch.

    Returns:
        Counts and the problems met, with line numbers.
    """
    report = ImportReport()
    batch: list[DocumentRow] = []

    def flush() -> None:
        added = store_documents(con, batch)
        report.stored += added
        report.already_stored += len(batch) - added
        batch.clear()
        if on_progress:
            on_progress(report.read)

    for number, record in read_records(path, fmt):
        report.read += 1
        if isinstance(record, str):
            report.problems.append(Problem(number, record))
            continue
        try:
            row, warnings = record_to_document(record, mapping, outlet=outlet, run_id=run_id)
        except RowError as exc:
            report.problems.append(Problem(number, str(exc)))
            continue
        report.problems.extend(Problem(number, w, skipped=False) for w in warnings)
        batch.append(row)
        if len(batch) >= batch_size:
            flush()
    flush()
    return report
