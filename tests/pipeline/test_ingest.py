"""Loading crawler feed files: one transaction per file, idempotent, links resolved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipeline import ingest
from pipeline.config import Settings
from pipeline.ingest import FEEDS_DIR, ingest_feed_files, known_threads, known_urls
from pipeline.store import scalar


def article(n: int, **changes: Any) -> dict[str, Any]:
    item = {"item_type": "article", "source": "ledger", "url": f"https://ledger.example/{n}?utm_source=rss",
            "canonical_url": f"https://ledger.example/{n}", "title": f"Story {n}", "text": f"Body of story {n}.",
            "authors": ["Ada", "Bo"], "published": "2026-03-01T09:30:00", "language": "en",
            "links": [{"url": "https://www.theverge.com/x", "anchor": "report"}],
            "attributions": [{"outlet": "The Verge", "phrase": "according to The Verge"}],
            "fallbacks": [], "fetched_at": "2026-03-02T00:00:00"}  # fmt: skip
    item.update(changes)
    return item


def post(**changes: Any) -> dict[str, Any]:
    item = {"item_type": "reddit", "source": "r/LocalLLaMA", "fullname": "t3_abc", "kind": "reddit_post",
            "subreddit": "LocalLLaMA", "thread_id": "t3_abc", "parent_id": None, "depth": None,
            "author": "u1", "title": "Story 1 is out", "text": None, "url": "https://www.reddit.com/r/x/comments/abc/",
            "link_url": "https://ledger.example/1", "score": 5, "created_utc": 1772400000.0,
            "edited_utc": 1772403600.0, "deleted": None}  # fmt: skip
    item.update(changes)
    return item


def write_feed(settings: Settings, name: str, items: list[dict[str, Any]], tail: str = "") -> Path:
    path = settings.data_path / FEEDS_DIR / "news" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(i) + "\n" for i in items) + tail)
    return path


def test_ingest_stores_documents_links_and_is_idempotent(settings: Settings, con: duckdb.DuckDBPyConnection) -> None:  # fmt: skip
    write_feed(settings, "a.jsonl", [article(1), article(2), article(1)])
    write_feed(settings, "b.jsonl", [post(), article(3)], tail='{"item_type": "article", "sou')
    report = ingest_feed_files(con, settings.data_path, "run1")
    assert (report.files, report.items, report.stored, report.bad_lines) == (2, 5, 4, 1)
    assert report.stored_by_source == {"ledger": 3, "r/LocalLLaMA": 1}
    row = con.execute("SELECT author, published_at, source, canonical_url FROM documents WHERE title = 'Story 1'").fetchall()  # fmt: skip
    assert row == [("Ada; Bo", __import__("datetime").datetime(2026, 3, 1, 9, 30), "crawl", "https://ledger.example/1")]  # fmt: skip
    assert scalar(con, "SELECT count(*) FROM links WHERE kind = 'attribution'") == 3
    # The link post is joined to the article it points at.
    assert con.execute("SELECT target_doc_id IS NOT NULL FROM links WHERE kind = 'link_post'").fetchall() == [(True,)]  # fmt: skip
    assert scalar(con, "SELECT target_outlet FROM links WHERE kind = 'link_post'") == "ledger"
    assert con.execute("SELECT outlet, edited_at IS NOT NULL FROM documents WHERE doc_id = 't3_abc'").fetchall() == [("r/LocalLLaMA", True)]  # fmt: skip

    again = ingest_feed_files(con, settings.data_path, "run2")
    assert again.files == 0 and scalar(con, "SELECT count(*) FROM documents") == 4
    # A new file repeating stored documents stores nothing more.
    write_feed(settings, "c.jsonl", [article(1), post()])
    third = ingest_feed_files(con, settings.data_path, "run3")
    assert (third.stored, third.already_stored) == (0, 2)
    assert third.already_by_source == {"ledger": 1, "r/LocalLLaMA": 1}
    assert scalar(con, "SELECT count(*) FROM links") == 7
    assert sorted(known_urls(con)) == [f"https://ledger.example/{n}" for n in (1, 2, 3)]


def test_an_unreadable_date_is_stored_as_null(settings: Settings, con: duckdb.DuckDBPyConnection) -> None:  # fmt: skip
    write_feed(settings, "d.jsonl", [article(1), article(2, published="not a date")])
    assert ingest_feed_files(con, settings.data_path, "r").stored == 2
    assert scalar(con, "SELECT count(*) FROM documents WHERE published_at IS NULL") == 1


def test_a_failing_batch_leaves_nothing_behind(
    settings: Settings, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_feed(settings, "a.jsonl", [article(1), article(2)])

    def broken(con: duckdb.DuckDBPyConnection, links: list[dict[str, Any]]) -> None:
        raise duckdb.IOException("disk full")

    monkeypatch.setattr(ingest, "_store_links", broken)
    with pytest.raises(duckdb.IOException):
        ingest_feed_files(con, settings.data_path, "r")
    assert scalar(con, "SELECT count(*) FROM documents") == 0
    assert scalar(con, "SELECT count(*) FROM feed_files") == 0
    monkeypatch.undo()
    assert ingest_feed_files(con, settings.data_path, "r").stored == 2


def test_items_without_required_fields_are_counted(settings: Settings, con: duckdb.DuckDBPyConnection) -> None:  # fmt: skip
    items: list[Any] = [{"item_type": "reddit", "source": "r/x"}, {"item_type": "other"}, [1]]
    write_feed(settings, "x.jsonl", items)
    report = ingest_feed_files(con, settings.data_path, "r")
    assert (report.stored, report.bad_lines) == (0, 3)


def test_thread_markers_are_recorded_not_stored_as_documents(settings: Settings, con: duckdb.DuckDBPyConnection) -> None:  # fmt: skip
    comment = post(
        fullname="t1_c", kind="reddit_comment", parent_id="t3_abc", title=None, text="Yes"
    )
    marker = {"item_type": "reddit_thread", "source": "r/LocalLLaMA", "thread_id": "t3_abc",
              "comments": 1, "fetched_at": "2026-03-02T00:00:00"}  # fmt: skip
    broken = {"item_type": "reddit_thread", "source": "r/x", "thread_id": "abc"}
    write_feed(settings, "a.jsonl", [post(), comment, marker, broken])
    report = ingest_feed_files(con, settings.data_path, "run1")
    assert (report.items, report.stored, report.already_stored, report.bad_lines) == (2, 2, 0, 1)
    assert known_threads(con) == ["t3_abc"]
    row = con.execute("SELECT source, comments, fetched_at, run_id FROM reddit_threads").fetchall()
    assert row == [("r/LocalLLaMA", 1, __import__("datetime").datetime(2026, 3, 2), "run1")]
    # Fetched whole again (after --refresh): one row, the latest.
    write_feed(settings, "b.jsonl", [post(), comment, {**marker, "comments": 3}])
    ingest_feed_files(con, settings.data_path, "run2")
    assert con.execute("SELECT comments, run_id FROM reddit_threads").fetchall() == [(3, "run2")]
