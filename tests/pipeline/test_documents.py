"""Document ids, canonical URLs, hashes, dates, and storing documents once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import duckdb
import pytest

from pipeline.documents import (
    DocumentRow,
    canonical_url,
    content_hash,
    make_doc_id,
    normalise_space,
    parse_published,
    store_documents,
    url_domain,
)
from pipeline.store import scalar


def doc(
    url: str, text: str, outlet: str = "ledger", published: str | None = "2026-10-01"
) -> DocumentRow:
    canonical = canonical_url(url)
    chash = content_hash("Title", text)
    return DocumentRow(
        doc_id=make_doc_id(canonical=canonical, fullname=None, outlet=outlet, chash=chash),
        kind="article",
        outlet=outlet,
        url=url,
        canonical_url=canonical,
        title="Title",
        text=text,
        author=None,
        published_at=parse_published(published),
        fetched_at=datetime(2026, 11, 29),
        language="en",
        content_hash=chash,
        thread_id=None,
        parent_id=None,
        depth=None,
        score=None,
        dup_cluster=None,
        source="import",
        source_id=None,
        run_id=None,
        extra=None,
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTP://WWW.Example.com:80/a/b?utm_source=x&b=2&a=1#frag",
            "http://www.example.com/a/b?a=1&b=2",
        ),
        ("https://example.com/story?fbclid=abc&id=5", "https://example.com/story?id=5"),
        ("https://example.com/story/", "https://example.com/story/"),
        ("mailto:someone@example.com", None),
        ("/relative/path", None),
        ("", None),
        (None, None),
    ],
)
def test_canonical_url(url: str | None, expected: str | None) -> None:
    assert canonical_url(url) == expected


def test_url_domain() -> None:
    assert url_domain("https://www.theverge.com/2026/1/1/x") == "theverge.com"
    assert url_domain("not a url") is None


def test_doc_id_prefers_fullname_then_url_then_content() -> None:
    assert (
        make_doc_id(canonical="https://a.example/x", fullname="t3_abc12", outlet="o", chash="h")
        == "t3_abc12"
    )
    by_url = make_doc_id(canonical="https://a.example/x", fullname=None, outlet="o", chash="h")
    assert by_url.startswith("u_")
    assert by_url == make_doc_id(
        canonical="https://a.example/x", fullname=None, outlet="other", chash="z"
    )
    by_content = make_doc_id(canonical=None, fullname=None, outlet="o", chash="h")
    assert by_content.startswith("h_")
    assert by_content != make_doc_id(canonical=None, fullname=None, outlet="p", chash="h")


def test_content_hash_ignores_case_and_spacing() -> None:
    assert content_hash("A  Title", "Some\n text ") == content_hash("a title", "some text")
    assert content_hash("A Title", "Some text") != content_hash("A Title", "Other text")


def test_normalise_space_keeps_paragraphs() -> None:
    assert normalise_space("  one   two \n three\n\n\n four  ") == "one two three\n\nfour"
    assert normalise_space("   ") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2012-05-24", datetime(2012, 5, 24)),
        ("5/24/12", datetime(2012, 5, 24)),
        ("Tue, 24 May 2016 10:00:00 +0200", datetime(2016, 5, 24, 8, 0)),
        ("2026-09-29T08:10:00Z", datetime(2026, 9, 29, 8, 10)),
        (1_700_000_000, datetime(2023, 11, 14, 22, 13, 20)),
        ("", None),
        (None, None),
    ],
)
def test_parse_published(value: object, expected: datetime | None) -> None:
    assert parse_published(value) == expected


@pytest.mark.parametrize("value", ["0001-11-30", "yesterday-ish", "2999-01-01", [2020]])
def test_parse_published_rejects_non_dates(value: object) -> None:
    with pytest.raises(ValueError, match="date"):
        parse_published(value)


def test_store_documents_is_idempotent_and_clusters_copies(con: duckdb.DuckDBPyConnection) -> None:
    original = doc("https://a.example/story", "The lab accused its rivals.", published="2026-10-01")
    syndicated = doc(
        "https://b.example/wire/story",
        "The lab accused its rivals.",
        outlet="tribune",
        published="2026-10-02",
    )
    other = doc("https://a.example/other", "Something else entirely.")
    assert store_documents(con, [original, syndicated, other]) == 3
    assert store_documents(con, [original, replace(other, fetched_at=datetime(2026, 12, 1))]) == 0
    same_url_twice = doc("https://a.example/new?utm_campaign=x", "New text.")
    assert store_documents(con, [same_url_twice, doc("https://a.example/new", "New text.")]) == 1
    clusters = dict(con.execute("SELECT doc_id, dup_cluster FROM documents").fetchall())
    assert clusters[syndicated.doc_id] == original.doc_id
    assert clusters[original.doc_id] == original.doc_id
    assert clusters[other.doc_id] == other.doc_id
    outlets = con.execute("SELECT outlet, kind, domain FROM outlets ORDER BY 1").fetchall()
    assert outlets == [("ledger", "news", "a.example"), ("tribune", "news", "b.example")]
    assert scalar(con, "SELECT count(*) FROM documents") == 4


def test_store_documents_rolls_back_on_error(con: duckdb.DuckDBPyConnection) -> None:
    good = doc("https://a.example/1", "fine")
    bad = replace(
        doc("https://a.example/2", "broken"), kind="tweet"
    )  # violates the CHECK constraint
    with pytest.raises(duckdb.ConstraintException):
        store_documents(con, [good, bad])
    assert scalar(con, "SELECT count(*) FROM documents") == 0
    assert store_documents(con, [good]) == 1
