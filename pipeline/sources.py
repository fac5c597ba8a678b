"""The file an import reads: what it is (format, compression, encoding, delimiter, columns), row by row.

:func:`inspect_source` looks at a file before anything is written: it refuses what is not a
readable corpus (a folder, a device, an empty or binary file, a ``.gz`` that is not gzip, a header
naming one column twice) with one line saying what the file is, and finds the text encoding (from
a byte-order mark, or ``--encoding``) and the CSV delimiter (from the header, or ``--delimiter``).
:class:`RowReader` then yields the rows. One rule holds for every format: a row that is not valid
text in the file's encoding is skipped and reported with its line number, never stored with
replacement characters; a compressed file that ends early keeps every whole line before the cut.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.bounded_io import MAX_LINE_CHARS, SUFFIXES, Line, bounded_lines, open_stream
from pipeline.errors import InputFileError, UsageError

Record = dict[str, Any] | str
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_DELIMITERS = ",;\t|"
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# Undecodable bytes come back as these lone surrogates (errors="surrogateescape").
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_PEEK_ROWS = 100


@dataclass(frozen=True)
class SourceFile:
    """What :func:`inspect_source` found out about an input file."""

    path: Path
    fmt: str
    compression: str | None = None
    encoding: str = "utf-8"
    encoding_found: str = "UTF-8"
    delimiter: str = ","
    delimiter_found: str = ""
    columns: tuple[str, ...] = ()
    binary_columns: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line on how the file is read, e.g. ``CSV, UTF-16 (byte-order mark), delimiter ';'``."""
        parts = [{"csv": "CSV", "jsonl": "JSON Lines", "parquet": "Parquet"}[self.fmt]]
        if self.compression:
            parts.append(f"{self.compression}-compressed")
        if self.fmt != "parquet":
            parts.append(self.encoding_found)
        if self.fmt == "csv":
            parts.append(f"{_DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-separated ({self.delimiter_found})")  # fmt: skip
        return ", ".join(parts)


def _blank(text: str | bytes) -> bool:
    """Whether a line holds only ASCII whitespace (what a blank line is, in every format)."""
    if isinstance(text, bytes):
        return not text.strip(b" \t\n\r\x0b\x0c")
    return not text.strip(" \t\n\r\x0b\x0c")


def check_file(path: Path) -> None:
    """Refuse a path that is not a regular file, saying what it is.

    Raises:
        InputFileError: When the path is missing, a folder, or a device, pipe or socket.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file; check the path") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror}); check the path") from None
    if stat.S_ISDIR(mode):
        raise InputFileError(f"{path}: is a folder; give a file in it")
    if not stat.S_ISREG(mode):
        raise InputFileError(
            f"{path}: is not a regular file (a device, pipe or socket); give a file"
        )


def inspect_source(
    path: Path, fmt: str, *, encoding: str | None = None, delimiter: str | None = None
) -> SourceFile:
    """Look at a file before importing it: what it holds and how to read it.

    Args:
        path: The input file.
        fmt: ``jsonl``, ``csv`` or ``parquet``.
        encoding: The text encoding (``--encoding``); default: from a byte-order mark, else UTF-8.
        delimiter: The CSV delimiter (``--delimiter``); default: found from the header.

    Raises:
        InputFileError: When the file cannot be imported at all, with what it is.
        UsageError: On an unknown encoding, or a delimiter that is not one character.
    """
    check_file(path)
    if fmt == "parquet":
        if encoding or delimiter:
            raise UsageError("--encoding and --delimiter apply to CSV and JSON Lines, not Parquet")
        return _inspect_parquet(path)
    if delimiter is not None and (fmt != "csv" or len(delimiter) != 1):
        raise UsageError("--delimiter takes one character, for CSV files: e.g. --delimiter ';'")
    if encoding is not None:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise UsageError(f'--encoding: unknown encoding "{encoding}"; e.g. utf-8, cp1252, utf-16') from None  # fmt: skip
    head, compression = _head(path)
    enc, enc_found = _encoding_of(path, head, encoding, fmt)
    source = SourceFile(path, fmt, compression, enc, enc_found)
    try:
        with _open_text(source) as (text, reader):
            lines = bounded_lines(text)
            try:
                if fmt == "csv":
                    return _inspect_csv(source, lines, delimiter)
                return _inspect_jsonl(source, lines)
            except InputFileError:
                if reader is not None and reader.cut:  # the cut, not what is left, is the news
                    raise InputFileError(f"{path.name}: {reader.cut}; no whole row comes before it") from None  # fmt: skip
                raise
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path.name}: is not {enc_found.split(' ')[0]} text ({exc.reason}); give its encoding with --encoding"
        ) from None


def _head(path: Path) -> tuple[bytes, str | None]:
    expect = SUFFIXES.get(path.suffix.lower())
    try:
        stream, reader = open_stream(path, expect=expect)
    except ValueError as exc:
        raise InputFileError(f"{path.name}: {exc}; rename it or compress it again") from None
    with stream:
        head = stream.read(4096)
    if reader is not None and reader.cut and not head:
        raise InputFileError(f"{path.name}: {reader.cut}; nothing can be read from it")
    return head, reader.codec if reader else None


def _encoding_of(path: Path, head: bytes, given: str | None, fmt: str) -> tuple[str, str]:
    if _blank(head):
        raise InputFileError(f"{path.name}: is empty; nothing to import")
    if given:
        return given, f"{given} (--encoding)"
    for bom, codec, name in _BOMS:
        if head.startswith(bom):
            return codec, f"{name} (byte-order mark)"
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if len(head) >= 8 and min(even, odd) == 0 and max(even, odd) >= 0.3 * (len(head) // 2):
        codec = "utf-16-le" if odd else "utf-16-be"
        return codec, f"{codec.upper()} (no byte-order mark; NUL bytes between the characters)"
    if b"\x00" in head and fmt == "csv":
        # A JSON Lines file keeps its other rows: a raw NUL is not JSON, so that row is skipped.
        raise InputFileError(
            f"{path.name}: holds binary data (NUL bytes), not text; is it the right file?"
        )
    return "utf-8", "UTF-8"


class _TextSource:
    def __init__(self, source: SourceFile) -> None:
        self.source = source

    def __enter__(self) -> tuple[IO[str], Any]:
        stream, self.reader = open_stream(self.source.path)
        self.text = io.TextIOWrapper(
            stream, encoding=self.source.encoding, errors="surrogateescape", newline=""
        )
        return self.text, self.reader

    def __exit__(self, *exc: object) -> None:
        self.text.close()


def _open_text(source: SourceFile) -> _TextSource:
    return _TextSource(source)


def _refuse_line(source: SourceFile, line: Line, what: str) -> InputFileError:
    if line.too_long:
        why = f"line {line.number} is longer than {MAX_LINE_CHARS:,} characters"
    else:
        why = f"line {line.number} is not valid {source.encoding_found.split(' ')[0]} text"
        what += (
            "; if the file uses another encoding, give it with --encoding, e.g. --encoding cp1252"
        )
    return InputFileError(f"{source.path.name}: {why}; {what}")


def _inspect_csv(source: SourceFile, lines: Iterator[Line], delimiter: str | None) -> SourceFile:
    first = next((line for line in lines if not _blank(line.text) or line.too_long), None)
    if first is None:
        raise InputFileError(f"{source.path.name}: is empty; nothing to import")
    if first.too_long or _UNDECODABLE.search(first.text):
        raise _refuse_line(source, first, "is it a CSV file?")
    if "\x00" in first.text:
        raise InputFileError(f"{source.path.name}: holds binary data, not a CSV header")
    found = "--delimiter" if delimiter else "found in the header"
    delimiter = delimiter or _find_delimiter(first.text.lstrip("\ufeff"))
    header = next(csv.reader([first.text.lstrip("\ufeff")], delimiter=delimiter), [])
    header = [h.strip() for h in header]
    seen: dict[str, int] = {}
    for index, name in enumerate(header, start=1):
        if name in seen:
            raise InputFileError(
                f'{source.path.name}: the header names column "{name}" twice (columns '
                f"{seen[name]} and {index}); rename one so that no value is lost"
            )
        seen[name] = index
    if not any(not _blank(line.text) or line.too_long for line in lines):
        raise InputFileError(f"{source.path.name}: has a header but no rows; nothing to import")
    return replace(source, delimiter=delimiter, delimiter_found=found, columns=tuple(header))


def _find_delimiter(header: str) -> str:
    """The delimiter that splits the header into the most columns (comma when none splits it)."""
    counts = {d: len(next(csv.reader([header], delimiter=d), [])) for d in _DELIMITERS}
    best = max(counts.values())
    return next(d for d in _DELIMITERS if counts[d] == best) if best > 1 else ","


def _inspect_jsonl(source: SourceFile, lines: Iterator[Line]) -> SourceFile:
    columns: dict[str, None] = {}
    first_problem: Line | None = None
    records = 0
    for line in lines:
        if records >= _PEEK_ROWS or line.number > 10 * _PEEK_ROWS:
            break
        if _blank(line.text) and not line.too_long:
            continue
        if line.too_long or _UNDECODABLE.search(line.text):
            first_problem = first_problem or line
            continue
        record = _json_record(line.text)
        if isinstance(record, dict):
            records += 1
            columns.update(dict.fromkeys(record))
        elif first_problem is None:
            first_problem = line
    if records:
        return replace(source, columns=tuple(columns))
    if first_problem is None:
        raise InputFileError(f"{source.path.name}: is empty; nothing to import")
    if first_problem.too_long or _UNDECODABLE.search(first_problem.text):
        raise _refuse_line(source, first_problem, "no JSON object could be read")
    raise InputFileError(
        f"{source.path.name}: no JSON object in its first lines (line {first_problem.number}: "
        f"{_json_record(first_problem.text)}); is it a JSON Lines file?"
    )


def _inspect_parquet(path: Path) -> SourceFile:
    try:
        schema = pq.read_schema(path)
        rows = pq.ParquetFile(path).metadata.num_rows
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise InputFileError(f"{path}: not a readable Parquet file ({exc})") from exc
    names = list(schema.names)
    for name in names:
        if names.count(name) > 1:
            raise InputFileError(f'{path.name}: names column "{name}" twice; rename one so that no value is lost')  # fmt: skip
    if not rows:
        raise InputFileError(f"{path.name}: has no rows; nothing to import")
    binary = tuple(f.name for f in schema if _is_binary(f.type))
    return SourceFile(path, "parquet", columns=tuple(names), binary_columns=binary)


def _is_binary(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
        or pa.types.is_fixed_size_binary(kind)
    )


def _json_record(text: str) -> Record:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"invalid JSON ({exc.msg} at column {exc.colno})"
    except RecursionError:
        return "invalid JSON (nested too deeply)"
    if isinstance(record, dict):
        return record
    return f"a JSON {type(record).__name__}, not an object"


class RowReader:
    """The rows of an inspected file: ``(line_number, record)`` or ``(line_number, problem)``.

    Line numbers are 1-based physical lines for JSON Lines and CSV (the header is line 1) and row
    numbers for Parquet. After iterating, :attr:`cut` says whether a compressed file ended early
    (at line :attr:`cut_line`) and :attr:`undecodable` lists the lines that were not valid text in
    the file's encoding.
    """

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.cut: str | None = None
        self.cut_line = 0
        self.undecodable: list[int] = []

    def __iter__(self) -> Iterator[tuple[int, Record]]:
        if self.source.fmt == "parquet":
            yield from _parquet_rows(self.source.path)
            return
        with _open_text(self.source) as (text, reader):
            lines = self._whole_lines(bounded_lines(text), reader)
            if self.source.fmt == "jsonl":
                yield from self._jsonl(lines)
            else:
                yield from self._csv(lines)

    def _whole_lines(self, lines: Iterator[Line], reader: Any) -> Iterator[Line]:
        # A line without a line break at the end of a compressed stream that was cut is a piece.
        number = 0
        try:
            for line in lines:
                if not line.ended and reader is not None and reader.cut:
                    break
                number = line.number
                yield line
        except UnicodeDecodeError as exc:
            self.cut = (
                f"the text is not valid {self.source.encoding} after line {number} ({exc.reason})"
            )
        if reader is not None and reader.cut:
            self.cut = reader.cut
        self.cut_line = number + 1

    def _bad_line(self, line: Line) -> str | None:
        if line.too_long:
            return f"longer than {MAX_LINE_CHARS:,} characters; skipped unread"
        if _UNDECODABLE.search(line.text):
            self.undecodable.append(line.number)
            return f"not valid {self.source.encoding_found.split(' ')[0]} text"
        return None

    def _jsonl(self, lines: Iterator[Line]) -> Iterator[tuple[int, Record]]:
        for line in lines:
            if _blank(line.text) and not line.too_long:
                continue
            yield line.number, self._bad_line(line) or _json_record(line.text)

    def _csv(self, lines: Iterator[Line]) -> Iterator[tuple[int, Record]]:
        bad: dict[int, str] = {}

        def texts() -> Iterator[str]:
            for line in lines:
                problem = self._bad_line(line)
                if problem:
                    bad[line.number] = problem
                    yield "\n" if line.too_long else line.text
                else:
                    yield line.text

        csv.field_size_limit(MAX_LINE_CHARS)
        reader = csv.reader(texts(), delimiter=self.source.delimiter)
        header: list[str] | None = None
        last = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                last = reader.line_num
                yield reader.line_num, f"broken CSV ({exc})"
                continue
            span, last = range(last + 1, reader.line_num + 1), reader.line_num
            if header is None:
                if values:
                    header = [h.strip().lstrip("\ufeff") for h in values]
                continue
            problem = next((bad[n] for n in span if n in bad), None)
            if problem:
                yield span[0], problem
            elif not values:
                continue
            elif len(values) != len(header):
                yield reader.line_num, f"{len(values)} fields where the header has {len(header)}"
            else:
                yield reader.line_num, dict(zip(header, values, strict=True))


def _parquet_rows(path: Path) -> Iterator[tuple[int, Record]]:
    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=2000):
        try:
            records = batch.to_pylist()
        except UnicodeDecodeError:
            records = [_parquet_row(batch.slice(i, 1)) for i in range(batch.num_rows)]
        for record in records:
            number += 1
            yield number, record


def _parquet_row(row: pa.RecordBatch) -> Record:
    try:
        return dict(row.to_pylist()[0])
    except UnicodeDecodeError:
        return "not valid UTF-8 text"
