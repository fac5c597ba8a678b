"""Load the crawlers' feed files (JSON Lines batches) into ``documents`` and ``links``.

Spiders never open the database: they write batches under ``DATA/crawl/feeds/``. Each batch file is
loaded in one transaction together with its links, its Reddit thread markers (``reddit_threads``)
and a ``feed_files`` row, so an interrupted load loses nothing it committed, a loaded file is never
read again, and a document already stored (same ``doc_id``, that is the same canonical URL or
Reddit fullname) is never stored twice.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.documents import (
    DocumentRow,
    canonical_url,
    content_hash,
    make_doc_id,
    normalise_space,
    plausible_time,
    store_documents,
    url_domain,
)
from pipeline.store import utcnow

FEEDS_DIR = Path("crawl") / "feeds"
_LINK_COLUMNS = ("link_id", "doc_id", "kind", "target_url", "target_outlet", "target_doc_id", "anchor_text")  # fmt: skip


@dataclass
class IngestReport:
    """What loading feed files did, in total and per source (outlet or ``r/NAME``)."""

    files: int = 0
    items: int = 0
    stored: int = 0
    already_stored: int = 0
    bad_lines: int = 0
    links: int = 0
    stored_by_source: Counter[str] = field(default_factory=Counter)
    already_by_source: Counter[str] = field(default_factory=Counter)


def link_id(doc_id: str, kind: str, target_url: str | None, target_outlet: str | None) -> str:
    """The key of a ``links`` row: one row per distinct citation."""
    key = "\n".join((doc_id, kind, target_url or "", target_outlet or ""))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


def _link(doc_id: str, kind: str, url: str | None, outlet: str | None, anchor: str | None) -> dict[str, Any]:  # fmt: skip
    return {"link_id": link_id(doc_id, kind, url, outlet), "doc_id": doc_id, "kind": kind,
            "target_url": url, "target_outlet": outlet, "target_doc_id": None,
            "anchor_text": anchor}  # fmt: skip


def article_rows(
    item: dict[str, Any], run_id: str | None
) -> tuple[DocumentRow, list[dict[str, Any]]]:
    """The document and links rows of one news spider item."""
    title = normalise_space(item.get("title"))
    text = normalise_space(item.get("text"))
    canonical = item.get("canonical_url") or canonical_url(item.get("url"))
    outlet = str(item["source"])
    chash = content_hash(title, text)
    doc_id = make_doc_id(canonical=canonical, fullname=None, outlet=outlet, chash=chash)
    extra = {k: item[k] for k in ("fallbacks",) if item.get(k)}
    row = DocumentRow(
        doc_id=doc_id, kind="article", outlet=outlet, url=item.get("url"), canonical_url=canonical,
        title=title, text=text, author="; ".join(item.get("authors") or []) or None,
        published_at=plausible_time(item.get("published")),
        fetched_at=plausible_time(item.get("fetched_at")) or utcnow(), language=item.get("language"),
        content_hash=chash, thread_id=None, parent_id=None, depth=None, score=None,
        dup_cluster=None, source="crawl", source_id=None, run_id=run_id,
        extra=json.dumps(extra) if extra else None,
    )  # fmt: skip
    links = [_link(doc_id, "href", link["url"], None, link.get("anchor")) for link in item.get("links") or []]  # fmt: skip
    links += [_link(doc_id, "attribution", None, a["outlet"], a.get("phrase")) for a in item.get("attributions") or []]  # fmt: skip
    return row, links


def reddit_rows(
    item: dict[str, Any], run_id: str | None, source: str = "reddit"
) -> tuple[DocumentRow, list[dict[str, Any]]]:
    """The document and links rows of one Reddit post or comment (spider item or dump record)."""
    title = normalise_space(item.get("title"))
    text = normalise_space(item.get("text"))
    fullname = str(item["fullname"])
    chash = content_hash(title, text)
    created = item.get("created_utc")
    edited = item.get("edited_utc")
    row = DocumentRow(
        doc_id=make_doc_id(canonical=None, fullname=fullname, outlet="", chash=chash),
        kind=item["kind"], outlet=f"r/{item['subreddit']}", url=item.get("url"),
        canonical_url=canonical_url(item.get("url")), title=title, text=text,
        author=item.get("author"), published_at=plausible_time(created),
        fetched_at=plausible_time(item.get("fetched_at")) or utcnow(), language=None,
        content_hash=chash, thread_id=item.get("thread_id"), parent_id=item.get("parent_id"),
        depth=item.get("depth"), score=item.get("score"), dup_cluster=None, source=source,
        source_id=fullname, run_id=run_id, extra=None, edited_at=plausible_time(edited),
        deleted=item.get("deleted"),
    )  # fmt: skip
    links = []
    target = canonical_url(item.get("link_url"))
    if target:
        links.append(_link(row.doc_id, "link_post", target, url_domain(target), title))
    return row, links


def rows_of(item: dict[str, Any], run_id: str | None) -> tuple[DocumentRow, list[dict[str, Any]]]:
    """Rows of a feed item of either type.

    Raises:
        KeyError, TypeError, ValueError: When the item lacks what its type needs.
    """
    if item.get("item_type") == "reddit":
        return reddit_rows(item, run_id)
    if item.get("item_type") == "article":
        return article_rows(item, run_id)
    raise ValueError(f"unknown item_type {item.get('item_type')!r}")


def store_batch(
    con: duckdb.DuckDBPyConnection,
    rows: list[DocumentRow],
    links: list[dict[str, Any]],
    also: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> int:
    """Store documents, their links and Reddit markers in one transaction; returns new documents."""

    def write_links(con: duckdb.DuckDBPyConnection) -> None:
        _store_links(con, links)
        if also is not None:
            also(con)

    return store_documents(con, rows, also=write_links)


def _store_links(con: duckdb.DuckDBPyConnection, links: list[dict[str, Any]]) -> None:
    if links:
        table = pa.Table.from_pylist(
            links, schema=pa.schema([(c, pa.string()) for c in _LINK_COLUMNS])
        )
        con.register("incoming_links", table)
        try:
            con.execute(
                f"INSERT INTO links SELECT DISTINCT ON (link_id) {', '.join(_LINK_COLUMNS)} "
                "FROM incoming_links WHERE link_id NOT IN (SELECT link_id FROM links)"
            )
        finally:
            con.unregister("incoming_links")
    resolve_links(con)


def resolve_links(con: duckdb.DuckDBPyConnection) -> None:
    """Point links at the documents and outlets they cite, where the study holds them."""
    con.execute(
        """
        UPDATE links SET target_doc_id = d.doc_id
        FROM documents d
        WHERE links.target_doc_id IS NULL AND links.target_url IS NOT NULL
          AND d.canonical_url = links.target_url AND d.kind = 'article'
        """
    )
    con.execute(
        """
        UPDATE links SET target_outlet = o.outlet
        FROM outlets o
        WHERE links.kind <> 'attribution' AND o.domain IS NOT NULL
          AND regexp_extract(links.target_url, '^https?://(?:www\\.)?([^/:]+)', 1) = o.domain
          AND links.target_outlet IS DISTINCT FROM o.outlet
        """
    )


def read_feed_file(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The items of a JSON Lines feed file and how many lines were not JSON objects (truncated)."""
    items, bad = [], 0
    with path.open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                bad += 1
                continue
            if isinstance(record, dict):
                items.append(record)
            else:
                bad += 1
    return items, bad


def pending_feed_files(con: duckdb.DuckDBPyConnection, data_path: Path) -> list[Path]:
    """Feed files under the data folder that have not been loaded yet, oldest first."""
    folder = data_path / FEEDS_DIR
    loaded = {row[0] for row in con.execute("SELECT path FROM feed_files").fetchall()}
    files = sorted(folder.rglob("*.jsonl"), key=lambda p: (p.stat().st_mtime, str(p)))
    return [p for p in files if str(p.relative_to(data_path)) not in loaded]


def ingest_feed_files(
    con: duckdb.DuckDBPyConnection, data_path: Path, run_id: str | None
) -> IngestReport:
    """Load every pending feed file, each in one transaction."""
    report = IngestReport()
    for path in pending_feed_files(con, data_path):
        _ingest_file(con, path, str(path.relative_to(data_path)), run_id, report)
    return report


def _ingest_file(
    con: duckdb.DuckDBPyConnection, path: Path, rel: str, run_id: str | None, report: IngestReport
) -> None:
    lines, bad = read_feed_file(path)
    report.files += 1
    report.bad_lines += bad
    # A Reddit thread's end marker is not a document: it goes to reddit_threads.
    threads = [i for i in lines if i.get("item_type") == "reddit_thread"]
    items = [i for i in lines if i.get("item_type") != "reddit_thread"]
    thread_rows = thread_marker_rows(threads, run_id)
    report.bad_lines += len(threads) - len(thread_rows)
    rows: dict[str, tuple[DocumentRow, str]] = {}
    links: list[dict[str, Any]] = []
    for item in items:
        try:
            row, item_links = rows_of(item, run_id)
        except (KeyError, TypeError, ValueError):
            report.bad_lines += 1
            continue
        rows.setdefault(row.doc_id, (row, str(item.get("source", row.outlet))))
        links += item_links
    existing = _existing(con, list(rows))

    def record_file(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(
            "INSERT INTO feed_files (path, run_id, items, stored) VALUES (?, ?, ?, ?)",
            [rel, run_id, len(items), len(rows) - len(existing)],
        )
        if thread_rows:
            con.executemany(
                "INSERT OR REPLACE INTO reddit_threads (thread_id, source, comments, fetched_at, run_id)"
                " VALUES (?, ?, ?, ?, ?)",
                thread_rows,
            )

    added = store_batch(con, [r for r, _ in rows.values()], links, also=record_file)
    report.items += len(items)
    report.stored += added
    report.already_stored += len(items) - added
    for doc_id, (_, source) in rows.items():
        target = report.already_by_source if doc_id in existing else report.stored_by_source
        target[source] += 1
    report.links += len(links)


def thread_marker_rows(markers: list[dict[str, Any]], run_id: str | None) -> list[list[Any]]:
    """``reddit_threads`` rows of the spider's thread markers (malformed ones left out)."""
    rows = []
    for marker in markers:
        thread_id, comments = marker.get("thread_id"), marker.get("comments")
        if isinstance(thread_id, str) and thread_id.startswith("t3_") and isinstance(comments, int):
            rows.append([thread_id, str(marker.get("source") or "reddit"), comments,
                         plausible_time(marker.get("fetched_at")), run_id])  # fmt: skip
    return rows


def _existing(con: duckdb.DuckDBPyConnection, doc_ids: Iterable[str]) -> set[str]:
    ids = list(doc_ids)
    if not ids:
        return set()
    found = con.execute(
        "SELECT doc_id FROM documents WHERE list_contains(?, doc_id)", [ids]
    ).fetchall()
    return {row[0] for row in found}


def known_urls(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Canonical URLs of the stored articles (the news spider does not fetch them again)."""
    rows = con.execute(
        "SELECT DISTINCT canonical_url FROM documents WHERE kind = 'article' AND canonical_url IS NOT NULL"
    ).fetchall()
    return [row[0] for row in rows]


def known_threads(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Fullnames of the Reddit threads stored whole (the Reddit spider does not fetch them again)."""
    return [
        row[0] for row in con.execute("SELECT thread_id FROM reddit_threads ORDER BY 1").fetchall()
    ]
