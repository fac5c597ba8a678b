"""Reddit dumps: Pushshift / Arctic Shift NDJSON compressed with zstd (long window), streamed.

Each line is one submission or comment as the Reddit API gave it. Lines are filtered by the study's
subreddits, keywords and date window, turned into the same rows the Reddit spider produces, and
stored in batches, one transaction each. The file may be zstd, gzip, bzip2, xz or plain, told by its
first bytes (a name that promises another compression is refused); it is read through
:mod:`pipeline.bounded_io`, so memory stays bounded whatever it unpacks to. A corrupt line (bad JSON,
not an object, no id, longer than any Reddit record) is counted with its line number and skipped; a
truncated or corrupt file stops at the last whole line and says so.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipeline.bounded_io import MAX_LINE_CHARS, SUFFIXES, bounded_lines, open_stream
from pipeline.config import Settings
from pipeline.documents import DocumentRow, plausible_time
from pipeline.errors import InputFileError
from pipeline.importer import Problem
from pipeline.ingest import reddit_rows, store_batch
from pipeline.sources import check_file


@dataclass
class DumpReport:
    """What a dump import did."""

    read: int = 0
    matched: int = 0
    stored: int = 0
    already_stored: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        """Corrupt lines."""
        return len(self.problems)


def read_dump_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Yield ``(line_number, record)`` or ``(line_number, problem)`` from a dump, compressed or plain.

    Raises:
        InputFileError: When the file is missing, its name promises a compression its content does
            not have, or it is broken before its first line.
    """
    check_file(path)
    expect = SUFFIXES.get(path.suffix.lower())
    try:
        stream, reader = open_stream(path, expect=expect)
    except ValueError as exc:
        raise InputFileError(f"{path} {exc}; rename it, or compress it again") from None
    with stream:
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        whole = 0  # the last line read whole
        for line in bounded_lines(text):
            if reader is not None and reader.cut and not line.ended:
                break  # the fragment the cut left: reported below, not as bad JSON
            whole = line.number
            if line.too_long:
                yield (
                    whole,
                    f"a line over {MAX_LINE_CHARS:,} characters; no Reddit record is as long",
                )
            elif line.text.strip():
                yield whole, _parse(line.text)
        if reader is not None and reader.cut:
            if whole == 0:
                raise InputFileError(f"{path}: not a readable dump: {reader.cut}")
            yield whole + 1, f"{reader.cut}; every line from here on is lost"


def check_dump(path: Path) -> None:
    """Refuse, before anything is written, a dump of which not even the first line can be read.

    Raises:
        InputFileError: As :func:`read_dump_lines` does.
    """
    next(read_dump_lines(path), None)


def _parse(line: str) -> dict[str, Any] | str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"invalid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(record, dict) or not record.get("id"):
        return "not a Reddit submission or comment (no id)"
    return record


def dump_item(record: dict[str, Any]) -> dict[str, Any]:
    """A dump record as the item the Reddit spider writes (what :func:`reddit_rows` reads)."""
    is_post = "title" in record or str(record.get("name", "")).startswith("t3_")
    fullname = f"{'t3' if is_post else 't1'}_{record['id']}"
    body = record.get("selftext") if is_post else record.get("body")
    edited = record.get("edited")
    deleted = "removed" if body == "[removed]" else "deleted" if body == "[deleted]" else None
    return {
        "fullname": fullname,
        "kind": "reddit_post" if is_post else "reddit_comment",
        "subreddit": record.get("subreddit") or "",
        "thread_id": fullname if is_post else record.get("link_id"),
        "parent_id": None if is_post else record.get("parent_id"),
        "depth": None,
        "author": record.get("author"),
        "title": record.get("title") if is_post else None,
        "text": body or None,
        "url": "https://www.reddit.com" + str(record.get("permalink") or ""),
        "link_url": None if not is_post or record.get("is_self") else record.get("url"),
        "score": record.get("score"),
        "created_utc": _number(record.get("created_utc")),
        "edited_utc": _number(edited) if edited else None,
        "deleted": deleted,
    }


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def dump_filter(settings: Settings) -> Callable[[dict[str, Any]], bool]:
    """A predicate keeping the records of the study's subreddits, keywords and date window."""
    subs = {s.lower() for s in settings.reddit.subreddits}
    words = [re.escape(k) for k in settings.filters.keywords if k.strip()]
    pattern = re.compile(r"\b(?:" + "|".join(words) + ")", re.I) if words else None
    start, end = settings.filters.start_date, settings.filters.end_date

    def keep(item: dict[str, Any]) -> bool:
        if subs and item["subreddit"].lower() not in subs:
            return False
        created = plausible_time(item["created_utc"])
        day = created.date() if created else None
        if day and ((start and day < start) or (end and day > end)):
            return False
        text = f"{item.get('title') or ''}\n{item.get('text') or ''}"
        return pattern is None or bool(pattern.search(text))

    return keep


def import_dump(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    settings: Settings,
    *,
    run_id: str | None = None,
    batch_size: int = 2000,
    on_progress: Callable[[int], None] | None = None,
) -> DumpReport:
    """Stream a dump into ``documents`` (and link posts into ``links``), batch by batch."""
    report = DumpReport()
    keep = dump_filter(settings)
    rows: list[DocumentRow] = []
    links: list[dict[str, Any]] = []

    def flush() -> None:
        added = store_batch(con, rows, links)
        report.stored += added
        report.already_stored += len(rows) - added
        rows.clear()
        links.clear()
        if on_progress:
            on_progress(report.read)

    for number, record in read_dump_lines(path):
        report.read += 1
        if isinstance(record, str):
            report.problems.append(Problem(number, record))
            continue
        item = dump_item(record)
        if not keep(item):
            continue
        report.matched += 1
        row, item_links = reddit_rows(item, run_id, source="reddit-dump")
        rows.append(row)
        links.extend(item_links)
        if len(rows) >= batch_size:
            flush()
    flush()
    return report
