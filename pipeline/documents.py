"""Documents: stable ids, canonical URLs, content hashes, dates, and storing them once.

Everything that puts rows into ``documents`` (file import, crawl ingest, Reddit dumps) builds
:class:`DocumentRow` values with the pure helpers here and hands them to :func:`store_documents`,
which inserts only the documents the database does not hold yet, in one transaction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import courlan
import duckdb
import pyarrow as pa
from dateutil import parser as dateparser

from pipeline.store import scalar

KINDS = ("article", "reddit_post", "reddit_comment")
_SPACES = re.compile(r"\s+")
_REDDIT_FULLNAME = re.compile(r"^t[13]_[0-9a-z]+$")
# Dates outside this window are treated as unknown: sources write 0001-01-01 or 1970-01-01 for "no date".
_EARLIEST = datetime(1990, 1, 1)


@dataclass(frozen=True)
class DocumentRow:
    """One row of ``documents``, in column order."""

    doc_id: str
    kind: str
    outlet: str
    url: str | None
    canonical_url: str | None
    title: str | None
    text: str | None
    author: str | None
    published_at: datetime | None
    fetched_at: datetime
    language: str | None
    content_hash: str
    thread_id: str | None
    parent_id: str | None
    depth: int | None
    score: int | None
    dup_cluster: str | None
    source: str
    source_id: str | None
    run_id: str | None
    extra: str | None
    edited_at: datetime | None = None
    deleted: str | None = None


_ARROW_TYPES = {
    "published_at": pa.timestamp("us"),
    "fetched_at": pa.timestamp("us"),
    "edited_at": pa.timestamp("us"),
    "depth": pa.int32(),
    "score": pa.int32(),
}
_ARROW_SCHEMA = pa.schema(
    [(f.name, _ARROW_TYPES.get(f.name, pa.string())) for f in fields(DocumentRow)]
)
_COLUMNS = ", ".join(f.name for f in fields(DocumentRow))


def canonical_url(url: str | None) -> str | None:
    """Normalise a URL so that two spellings of one page compare equal.

    Lower-cases scheme and host, drops default ports, tracking parameters (utm_*, fbclid, …) and the
    fragment, and sorts the query (courlan's normaliser). Returns None for anything that is not an
    absolute http(s) URL.
    """
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    try:
        normalised: str = courlan.normalize_url(url)
    except ValueError:
        return None
    return normalised.split("#", 1)[0]


def url_domain(url: str | None) -> str | None:
    """The host of a URL without a leading ``www.`` (``theverge.com``), or None."""
    if not url:
        return None
    host = urlsplit(url.strip()).hostname
    if not host:
        return None
    return host.removeprefix("www.")


def normalise_space(text: str | None) -> str | None:
    """Collapse runs of whitespace inside a line, keep paragraph breaks, strip the ends."""
    if text is None:
        return None
    paragraphs = [_SPACES.sub(" ", p).strip() for p in re.split(r"\n\s*\n", text)]
    joined = "\n\n".join(p for p in paragraphs if p)
    return joined or None


def content_hash(title: str | None, text: str | None) -> str:
    """SHA-1 of the whitespace-normalised, lower-cased title and text."""
    body = " ".join(_SPACES.sub(" ", part or "").strip().lower() for part in (title, text))
    return hashlib.sha1(body.encode("utf-8")).hexdigest()


def text_hash(text: str) -> str:
    """SHA-1 of a stripped text: the key of stored embeddings and of sentences."""
    return hashlib.sha1(text.strip().encode("utf-8")).hexdigest()


def make_doc_id(*, canonical: str | None, fullname: str | None, outlet: str, chash: str) -> str:
    """The stable document id: the Reddit fullname, else a hash of the canonical URL, else of content.

    Args:
        canonical: The canonical URL, if any.
        fullname: A Reddit fullname such as ``t3_abc123`` or ``t1_def456``.
        outlet: Outlet name (only used when there is neither URL nor fullname).
        chash: The content hash (only used when there is neither URL nor fullname).
    """
    if fullname and _REDDIT_FULLNAME.match(fullname):
        return fullname
    if canonical:
        return "u_" + hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:20]
    return "h_" + hashlib.sha1(f"{outlet}\n{chash}".encode()).hexdigest()[:20]


def parse_published(value: Any) -> datetime | None:
    """Parse a publication date into naive UTC.

    Accepts datetimes, dates, Unix timestamps (seconds) and strings in ISO 8601 or the common
    written forms (``5/24/12``, ``Tue, 24 May 2012 10:00:00 GMT``). Returns None for empty values.
    A written date must name its year, month and day: nothing is filled in from today.

    Raises:
        PartialDateError: When a written date lacks its year, month or day (``"2026"``, ``"10:30"``).
        ValueError: When the value is not a date, or lies before 1990 or in the future.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            parsed = datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"date {value!r} is not a plausible Unix time") from None
    elif isinstance(value, str):
        parsed = _parse_written_date(value.strip())
    else:
        raise ValueError(f"date {value!r} is not a date")
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    latest = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=2)
    if parsed < _EARLIEST or parsed > latest:
        raise ValueError(f'date "{value}" is implausible (before 1990 or in the future)')
    return parsed


class PartialDateError(ValueError):
    """A written date that lacks its year, month or day (``"2026"``, ``"Nov"``, ``"10:30"``)."""


# Two leap years whose months and days differ: a part missing from a written date comes from the
# default, so the two parses of a partial date disagree (and 29 February parses under both).
_DEFAULTS = (datetime(2000, 1, 1), datetime(2004, 2, 2))


def _parse_written_date(text: str) -> datetime:
    try:
        first, second = (dateparser.parse(text, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f'date "{text}" is not understood') from exc
    if first.date() != second.date():
        raise PartialDateError(f'date "{text}" lacks a year, month or day')
    parsed: datetime = first
    return parsed


def plausible_time(value: Any) -> datetime | None:
    """:func:`parse_published`, with None where the value is not a plausible date.

    For fields that are optional in what a source sends (a Reddit ``created_utc``, a dump's
    ``edited``): an implausible value is treated as missing rather than failing the row.
    """
    try:
        return parse_published(value)
    except ValueError:
        return None


def to_arrow(rows: list[DocumentRow]) -> pa.Table:
    """Turn rows into an Arrow table with the ``documents`` column types."""
    columns = {f.name: [getattr(r, f.name) for r in rows] for f in fields(DocumentRow)}
    return pa.Table.from_pydict(columns, schema=_ARROW_SCHEMA)


def store_documents(
    con: duckdb.DuckDBPyConnection,
    rows: list[DocumentRow],
    also: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> int:
    """Insert the rows whose ``doc_id`` is not stored yet, in one transaction.

    Also registers outlets seen for the first time and assigns exact copies (same content hash)
    to the duplicate cluster of the earliest copy.

    Args:
        con: Writable connection.
        rows: The documents.
        also: Further writes that belong to the same batch (links, the loaded feed file); they
            run inside the same transaction, so the batch is stored whole or not at all.

    Returns:
        How many documents were new.
    """
    if not rows and also is None:
        return 0
    batch = to_arrow(rows)
    con.register("incoming_documents", batch)
    try:
        con.execute("BEGIN TRANSACTION")
        before = _count(con)
        con.execute(
            f"""
            INSERT INTO documents ({_COLUMNS})
            SELECT {_COLUMNS} FROM incoming_documents i
            WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.doc_id = i.doc_id)
            QUALIFY row_number() OVER (PARTITION BY doc_id ORDER BY fetched_at) = 1
            """
        )
        added = _count(con) - before
        _register_outlets(con)
        _assign_exact_duplicates(con)
        if also is not None:
            also(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("incoming_documents")
    return added


def _count(con: duckdb.DuckDBPyConnection) -> int:
    return int(scalar(con, "SELECT count(*) FROM documents"))


def _register_outlets(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        INSERT INTO outlets (outlet, kind, domain)
        SELECT outlet,
               CASE WHEN bool_or(kind <> 'article') THEN 'reddit' ELSE 'news' END,
               mode(regexp_extract(canonical_url, '^https?://(?:www\\.)?([^/:]+)', 1))
        FROM incoming_documents
        WHERE outlet NOT IN (SELECT outlet FROM outlets)
        GROUP BY outlet
        """
    )


def _assign_exact_duplicates(con: duckdb.DuckDBPyConnection) -> None:
    # Articles: the earliest copy (by publication, then id) heads the cluster; re-running leaves it
    # unchanged. Reddit posts and comments are each their own original: two people writing "+1" is
    # not syndication.
    con.execute(
        """
        UPDATE documents d SET dup_cluster = heads.head
        FROM (
            SELECT content_hash,
                   arg_min(doc_id, (coalesce(published_at, TIMESTAMP '9999-01-01'), doc_id)) AS head
            FROM documents
            WHERE kind = 'article'
              AND content_hash IN (SELECT content_hash FROM incoming_documents)
            GROUP BY content_hash
        ) heads
        WHERE d.kind = 'article'
          AND d.content_hash = heads.content_hash
          AND d.dup_cluster IS DISTINCT FROM heads.head
        """
    )
    con.execute(
        """
        UPDATE documents SET dup_cluster = doc_id
        WHERE kind <> 'article' AND dup_cluster IS NULL
          AND doc_id IN (SELECT doc_id FROM incoming_documents)
        """
    )
