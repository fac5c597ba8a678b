"""Reddit dumps: Pushshift / Arctic Shift NDJSON compressed with zstd (long window), streamed.

Each line is one submission or comment as the Reddit API gave it. Lines are filtered by the study's
subreddits, keywords and date window, turned into the same rows the Reddit spider produces, and
stored in batches, one transaction each. A corrupt line (bad JSON, not an object, no id) is counted
with its line number and skipped; a truncated file stops at the last whole line.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import duckdb
import zstandard

from pipeline.config import Settings
from pipeline.documents import DocumentRow, plausible_time
from pipeline.errors import InputFileError
from pipeline.importer import Problem
from pipeline.ingest import reddit_rows, store_batch

# Dumps are written with --long=31; the decoder needs a window that large.
MAX_WINDOW = 2**31


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
    """Yield ``(line_number, record)`` or ``(line_number, problem)`` from a ``.zst`` (or plain) dump."""
    if not path.is_file():
        raise InputFileError(f"{path}: no such file; check the path")
    with path.open("rb") as raw:
        stream: IO[bytes] = raw
        if raw.read(4) == b"\x28\xb5\x2f\xfd":
            raw.seek(0)
            stream = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW).stream_reader(raw)
        else:
            raw.seek(0)
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
        number = 0
        try:
            for number, line in enumerate(text, start=1):
                if line.strip():
                    yield number, _parse(line)
        except zstandard.ZstdError as exc:
            yield (
                number + 1,
                f"the compressed stream ends or breaks here ({exc}); later lines are lost",
            )


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
