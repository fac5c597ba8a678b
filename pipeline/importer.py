"""Import an existing corpus (JSON Lines, CSV or Parquet) into ``documents``.

A column mapping says which source column feeds which document field; presets hold the mappings
of common research exports. Rows are read as a stream (:mod:`pipeline.sources`), checked one by one
(a malformed row is reported with its line number and skipped) and stored in batches, each batch in
one transaction, so a re-run stores only what is missing and an interrupted import loses nothing it
committed. A re-run also fills in the text of documents that an earlier import stored without one
(a wrong ``--map``), and touches no document whose text is stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.bounded_io import SUFFIXES
from pipeline.documents import (
    KINDS,
    DocumentRow,
    PartialDateError,
    canonical_url,
    content_hash,
    make_doc_id,
    normalise_space,
    parse_published,
    store_documents,
    url_domain,
)
from pipeline.errors import UsageError
from pipeline.sources import RowReader, SourceFile, inspect_source
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
    """What an import did.

    Attributes:
        filled: Documents stored earlier without text whose text this import filled in.
        partial_dates: Rows kept without a date because theirs lacked a year, month or day.
        partial_date_example: The first such date, as ``(line, value)``.
        cut: Why a compressed file ended early, if it did.
        undecodable: Lines skipped because they are not valid text in the file's encoding.
    """

    read: int = 0
    stored: int = 0
    already_stored: int = 0
    filled: int = 0
    problems: list[Problem] = field(default_factory=list)
    partial_dates: int = 0
    partial_date_example: tuple[int, str] | None = None
    cut: str | None = None
    undecodable: list[int] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """Rows that were not stored because they were malformed."""
        return sum(p.skipped for p in self.problems)

    def warnings(self, source: SourceFile) -> list[str]:
        """One line for each thing the researcher should know: truncation, encoding, dates."""
        lines = []
        if self.cut:
            lines.append(f"{source.path.name}: {self.cut}; every whole line before it was imported")
        if self.undecodable:
            shown = ", ".join(str(n) for n in self.undecodable[:10])
            more = ", …" if len(self.undecodable) > 10 else ""
            lines.append(
                f"{len(self.undecodable):,} row(s) are not valid {source.encoding_found.split(' ')[0]}"
                f" text and were skipped (lines {shown}{more}); if the file uses another "
                "encoding, import it again with --encoding, e.g. --encoding cp1252"
            )
        if self.partial_date_example:
            line, value = self.partial_date_example
            lines.append(
                f'{self.partial_dates:,} date(s) lack a year, month or day (e.g. "{value}" on line '
                f"{line}); those rows were stored without a date"
            )
        return lines


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
    """The file format from ``--format`` or the file name (``.jsonl``, ``.csv``, ``.parquet``).

    A compression suffix (``.gz``, ``.bz2``, ``.xz``, ``.zst``) is looked through.
    """
    if fmt:
        if fmt not in FORMATS:
            raise UsageError(f'--format: unknown format "{fmt}"; use one of {", ".join(FORMATS)}')
        return fmt
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in SUFFIXES]
    last = suffixes[-1] if suffixes else ""
    by_suffix = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}
    by_suffix[".parquet"] = "parquet"
    if last not in by_suffix:
        raise UsageError(
            f"{path.name}: cannot tell the format from the name; add --format jsonl, csv or parquet"
        )
    return by_suffix[last]


def check_mapping(source: SourceFile, overrides: Mapping[str, str], preset: str | None) -> None:
    """Refuse a ``--map`` column the file does not have, or a mapped column that holds bytes.

    For JSON Lines the columns are those of the first rows. Raises:
        UsageError: Naming the column and listing those present.
    """
    present = set(source.columns)
    for target, column in overrides.items():
        if column not in present:
            shown = ", ".join(source.columns[:40]) + (", …" if len(source.columns) > 40 else "")
            where = (
                f"the first rows of {source.path.name} have"
                if source.fmt == "jsonl"
                else f"{source.path.name} has"
            )
            raise UsageError(
                f'--map {target}={column}: {where} no column "{column}"; '
                f"the columns are: {shown or '(none)'}"
            )
    mapping = resolve_mapping(preset, overrides)
    for target, columns in mapping.items():
        for column in set(columns) & set(source.binary_columns):
            raise UsageError(
                f'{source.path.name}: column "{column}" (for {target}) holds bytes, not text; '
                f"convert it to text, or map {target} to another column with --map {target}=COLUMN"
            )


def _pick(record: Mapping[str, Any], columns: tuple[str, ...]) -> tuple[str | None, Any]:
    for column in columns:
        value = record.get(column)
        if value not in (None, ""):
            return column, value
    return None, None


def _as_text(column: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        raise RowError(f'column "{column}" holds bytes, not text; convert it or map another column')
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return "; ".join(str(v).strip() for v in value if str(v).strip()) or None
    if isinstance(value, dict | list):
        # Nested JSON (or a Parquet struct or list) is kept as JSON text, not as Python's repr.
        return json.dumps(value, ensure_ascii=False, default=_json_value(column))
    return str(value).strip() or None


def _json_value(column: str) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, bytes | bytearray):
            raise RowError(f'column "{column}" holds bytes, not text; convert it or map another column')  # fmt: skip
        return str(value)

    return convert


def _extra(record: Mapping[str, Any], used: set[str]) -> str | None:
    extra = {}
    for key, value in record.items():
        if key in used or value in (None, ""):
            continue
        try:
            extra[key] = json.loads(json.dumps(value, default=_json_value(key)))
        except RowError:
            continue  # bytes are not kept in extra (the check before the import says which)
    return json.dumps(extra, ensure_ascii=False) if extra else None


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
        RowError: When the row has neither title nor text, no outlet can be found, or a field's
            column holds bytes.

    A date lacking its year, month or day is dropped with a warning starting with
    :data:`PARTIAL_DATE`.
    """
    used: set[str] = set()
    values: dict[str, str | None] = {}
    raw: dict[str, Any] = {}
    for target, columns in mapping.items():
        column, value = _pick(record, columns)
        if column is not None:
            used.add(column)
            raw[target] = value
            values[target] = _as_text(column, value)
    title = normalise_space(values.get("title"))
    text = normalise_space(values.get("text"))
    if not title and not text:
        raise RowError("no title and no text; map them with --map title=COLUMN,text=COLUMN")
    url = values.get("url")
    canonical = canonical_url(url)
    name = values.get("outlet") or outlet or url_domain(canonical)
    if not name:
        raise RowError("no outlet; map it with --map outlet=COLUMN or pass --outlet NAME")
    kind = values.get("kind") or "article"
    if kind not in KINDS:
        raise RowError(f'kind "{kind}" is not one of {", ".join(KINDS)}')
    warnings: list[str] = []
    try:
        published = parse_published(raw.get("published_at"))
    except PartialDateError:
        published = None
        warnings.append(PARTIAL_DATE + str(raw.get("published_at")))
    except ValueError as exc:
        published = None
        warnings.append(f"{exc}; stored without a date")
    chash = content_hash(title, text)
    row = DocumentRow(
        doc_id=make_doc_id(canonical=canonical, fullname=None, outlet=name, chash=chash),
        kind=kind,
        outlet=name,
        url=url,
        canonical_url=canonical,
        title=title,
        text=text,
        author=values.get("author"),
        published_at=published,
        fetched_at=utcnow(),
        language=(values.get("language") or "").lower()[:2] or None,
        content_hash=chash,
        thread_id=None,
        parent_id=None,
        depth=None,
        score=None,
        dup_cluster=None,
        source="import",
        source_id=values.get("source_id"),
        run_id=run_id,
        extra=_extra(record, used),
    )
    return row, warnings


# Prefix of the warning for a date that lacks its year, month or day; counted, not listed.
PARTIAL_DATE = "partial date: "


def fill_empty_texts(
    con: duckdb.DuckDBPyConnection, rows: list[DocumentRow]
) -> tuple[list[DocumentRow], int]:
    """Fill in the text of stored documents that have none, from rows that carry it.

    A document stored without text (an import with a wrong ``--map``) has the same id as the row
    with its text when it has a URL. Without a URL its id came from its title alone: the row is
    pointed at that id, now and on every later re-import, so that it is never stored a second
    time. Documents whose text is stored are left alone.

    Returns:
        The rows (those that belong to a document stored under its title-only id now carry that
        id) and how many documents were filled in.
    """
    bare = {r.doc_id: (_bare_id(r), r.content_hash) for r in rows if r.text and not r.canonical_url}
    ids = [r.doc_id for r in rows if r.text] + [bare_id for bare_id, _ in bare.values()]
    if not ids:
        return rows, 0
    # The stored content hash of each id, None where the stored text is empty.
    stored = dict(
        con.execute(
            "SELECT doc_id, CASE WHEN coalesce(text, '') = '' THEN NULL ELSE content_hash END"
            " FROM documents WHERE list_contains(?, doc_id)",
            [sorted(set(ids))],
        ).fetchall()
    )
    moved: dict[str, str] = {}
    for doc_id, (bare_id, row_hash) in bare.items():
        if doc_id not in stored and bare_id in stored and stored[bare_id] in (None, row_hash):
            moved[doc_id] = bare_id
    rows = [replace(r, doc_id=moved[r.doc_id]) if r.doc_id in moved else r for r in rows]
    fills = {r.doc_id: r for r in rows if r.text and r.doc_id in stored and stored[r.doc_id] is None}  # fmt: skip
    if not fills:
        return rows, 0
    table = pa.table({"doc_id": list(fills), "text": [r.text for r in fills.values()],
                      "content_hash": [r.content_hash for r in fills.values()]})  # fmt: skip
    con.register("filled_texts", table)
    try:
        filled = con.execute(
            "UPDATE documents SET text = f.text, content_hash = f.content_hash FROM filled_texts f"
            " WHERE documents.doc_id = f.doc_id AND coalesce(documents.text, '') = ''"
        ).fetchall()[0][0]
    finally:
        con.unregister("filled_texts")
    return rows, int(filled)


def _bare_id(row: DocumentRow) -> str:
    """The id a URL-less row would have had without its text."""
    chash = content_hash(row.title, None)
    return make_doc_id(canonical=None, fullname=None, outlet=row.outlet, chash=chash)


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
    source: SourceFile | None = None,
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
        source: The file as :func:`~pipeline.sources.inspect_source` found it (default: inspect
            it now, with the encoding from a byte-order mark and the delimiter from the header).

    Returns:
        Counts and the problems met, with line numbers.

    Raises:
        InputFileError: When the file cannot be imported at all (see :func:`inspect_source`).
    """
    source = source or inspect_source(path, fmt)
    report = ImportReport()
    batch: list[DocumentRow] = []

    def flush() -> None:
        rows, filled = fill_empty_texts(con, batch)
        added = store_documents(con, rows)
        report.filled += filled
        report.stored += added
        report.already_stored += len(rows) - added - filled
        batch.clear()
        if on_progress:
            on_progress(report.read)

    reader = RowReader(source)
    for number, record in reader:
        report.read += 1
        if isinstance(record, str):
            report.problems.append(Problem(number, record))
            continue
        try:
            row, warnings = record_to_document(record, mapping, outlet=outlet, run_id=run_id)
        except RowError as exc:
            report.problems.append(Problem(number, str(exc)))
            continue
        for warning in warnings:
            if warning.startswith(PARTIAL_DATE):
                report.partial_dates += 1
                report.partial_date_example = report.partial_date_example or (number, warning.removeprefix(PARTIAL_DATE))  # fmt: skip
            else:
                report.problems.append(Problem(number, warning, skipped=False))
        batch.append(row)
        if len(batch) >= batch_size:
            flush()
    flush()
    report.undecodable = reader.undecodable
    if reader.cut:
        report.cut = reader.cut
        report.problems.append(Problem(reader.cut_line, reader.cut))
    return report
