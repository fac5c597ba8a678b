"""Property-based tests for what the crawlers parse: feeds, sitemaps, Reddit JSON, dumps, pages.

Each runs 1,000 examples. A parser may refuse its input only with its documented error
(DiscoveryError for feeds and sitemaps, ValueError for Reddit payloads); page extraction returns an
article or None; a dump import accounts for every line it read and stores no row twice.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import zstandard
from hypothesis import example, given
from hypothesis import strategies as st

from crawlers.discovery import DiscoveryError, parse_feed, parse_sitemap
from crawlers.extract import extract_article
from crawlers.threads import ThreadAssembler, parse_listing
from pipeline.config import load_settings
from pipeline.reddit_dump import import_dump
from pipeline.store import connect, scalar
from tests.conftest import MINIMAL_STUDY
from tests.fuzz import FUZZ

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "kind",
                    "data",
                    "children",
                    "after",
                    "name",
                    "id",
                    "replies",
                    "parent_id",
                    "body",
                    "json",
                    "things",
                    "t1",
                    "more",
                    "Listing",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


def thing(kind: str, **data: Any) -> dict[str, Any]:
    return {"kind": kind, "data": data}


comment = st.builds(
    lambda cid, body, parent, replies: thing("t1", id=cid, name=f"t1_{cid}", body=body, parent_id=parent, replies=replies),
    st.text("abcdef0123", min_size=1, max_size=5), st.text(max_size=20), st.sampled_from(["t3_x", "t1_a", "t1_b"]),
    st.just("") | json_values,
)  # fmt: skip
reddit_like = st.one_of(
    json_values,
    st.lists(comment | json_values, max_size=5).map(
        lambda things: {"kind": "Listing", "data": {"children": things, "after": None}}
    ),
)

XML_PIECES = ["<?xml version='1.0'?>", "<rss version='2.0'>", "<channel>", "<item>", "<title>", "</title>", "<link>http://a.example/1</link>",
              "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>", "<url>", "<loc>http://a.example/2</loc>", "</url>", "</urlset>",
              "<sitemapindex>", "<sitemap>", "<news:news>", "<pubDate>Tue, 10 Jun 2025 04:00:00 GMT</pubDate>", "</item>", "</channel>", "</rss>",
              "<feed xmlns='http://www.w3.org/2005/Atom'>", "<entry>", "</entry>", "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>", "&e;", "<html>"]  # fmt: skip
xmlish = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(XML_PIECES) | st.text(max_size=10), max_size=15).map(
        lambda p: "".join(p).encode()
    ),
)


@FUZZ
@given(body=xmlish)
def test_feeds(body: bytes) -> None:
    try:
        entries = parse_feed(body, "http://a.example/feed")
    except DiscoveryError:
        return
    assert all(entry.url for entry in entries)


@FUZZ
@given(body=xmlish)
def test_sitemaps(body: bytes) -> None:
    try:
        page = parse_sitemap(body, "http://a.example/sitemap.xml")
    except DiscoveryError:
        return
    assert all(entry.url for entry in page.entries)
    assert all(b"root:" not in entry.url.encode() for entry in page.entries), "no external entities"


@FUZZ
@given(payload=reddit_like, more=reddit_like)
def test_reddit_payloads(payload: Any, more: Any) -> None:
    assembler = ThreadAssembler("t3_x")
    for add in (lambda: parse_listing(payload), lambda: assembler.add_thread_page([payload, payload]),
                lambda: assembler.add_morechildren({"json": {"data": {"things": [more]}}}), lambda: assembler.add_morechildren(more)):  # fmt: skip
        with contextlib.suppress(ValueError):  # the documented refusal
            add()
    assert all(name.startswith("t1_") for name in assembler.comments)
    assert len(assembler.next_morechildren()) <= 100


@FUZZ
@given(html=st.one_of(st.binary(max_size=400), st.lists(st.sampled_from(["<html>", "<body>", "<article>", "<p>", "</p>", "<script>", "</script>",
       '<script type="application/ld+json">', '{"@type": "NewsArticle", "datePublished": "2026-13-45"}', "<title>", "</title>",
       "<a href='//x'>", "</a>", "According to The Verge,"]) | st.text(max_size=40), max_size=30).map(lambda p: "".join(p))))  # fmt: skip
def test_extraction(html: str | bytes) -> None:
    article = extract_article(html, "http://a.example/story")
    assert article is None or isinstance(article.text, str)


@pytest.fixture(scope="module")
def dump_study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, duckdb.DuckDBPyConnection]:
    folder = tmp_path_factory.mktemp("dump")
    (folder / "study.toml").write_text(MINIMAL_STUDY, encoding="utf-8")
    settings_ = load_settings(folder / "study.toml")
    return folder, connect(settings_.database_path)


record = st.fixed_dictionaries(
    {"id": st.text("abc123", min_size=1, max_size=4)},
    optional={"subreddit": st.sampled_from(["LocalLLaMA", "x"]), "body": st.text(max_size=30), "title": st.text(max_size=20),
              "created_utc": st.one_of(st.integers(0, 2_000_000_000), st.floats(), st.from_regex(r"-?[0-9]{1,4}(\.[0-9])?(E[0-9]{1,3})?", fullmatch=True), st.text(max_size=5), st.none()), "link_id": st.just("t3_abc"),
              "parent_id": st.just("t3_abc"), "edited": st.one_of(st.booleans(), st.integers(0, 2_000_000_000), st.floats(), st.text(max_size=5)), "author": st.text(max_size=8)},
)  # fmt: skip
dump_lines = st.lists(st.one_of(record.map(json.dumps), st.dictionaries(st.text(max_size=5), json_values, max_size=3).map(json.dumps), st.text(max_size=30).filter(lambda t: "\n" not in t and "\r" not in t)), max_size=10)  # fmt: skip


@FUZZ
@given(lines=dump_lines)
@example(lines=['{"id": "1", "created_utc": "1E100"}'])  # found by CI: out of range for time_t
def test_reddit_dumps(dump_study: tuple[Path, duckdb.DuckDBPyConnection], lines: list[str]) -> None:
    folder, con = dump_study
    path = folder / "dump.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(("\n".join(lines) + "\n").encode()))
    before = scalar(con, "SELECT count(*) FROM documents")
    report = import_dump(con, path, load_settings(folder / "study.toml"))
    assert report.read == sum(1 for line in lines if line.strip())
    assert report.matched + len(report.problems) <= report.read
    assert scalar(con, "SELECT count(*) FROM documents") == before + report.stored
    assert scalar(con, "SELECT count(*) - count(DISTINCT doc_id) FROM documents") == 0
