"""Feed and sitemap discovery on real saved feeds and sitemaps."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from crawlers.discovery import DiscoveryError, parse_feed, parse_sitemap
from tests.conftest import shared_data

FEEDS = ["atom-customfields.atom", "content-encoded.rss", "craigslist.rss", "customfields.rss",
         "encoding.rss", "feedburner.atom", "guardian.rss", "heise.atom", "many-links.rss",
         "reddit-atom.rss", "reddit-home.rss", "reddit.rss", "rss-1.rss", "uolNoticias.rss"]  # fmt: skip


def expected_items(folder: Path, name: str) -> list[dict[str, str]]:
    raw = (folder / "expected_output" / f"{name.rsplit('.', 1)[0]}.json").read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # encoding.json is stored as Latin-1 upstream
        text = raw.decode("latin-1")
    items: list[dict[str, str]] = json.loads(text)["feed"]["items"]
    return items


@pytest.mark.parametrize("name", FEEDS)
def test_real_feeds_give_every_item_with_its_link_and_date(name: str) -> None:
    folder = shared_data("rss_feeds_rss_parser")
    expected = expected_items(folder, name)
    entries = parse_feed((folder / "input" / name).read_bytes(), f"https://feeds.example/{name}")
    assert [e.url for e in entries] == [item["link"] for item in expected]
    dated = [(e.published, item["isoDate"]) for e, item in zip(entries, expected, strict=True) if item.get("isoDate")]  # fmt: skip
    assert all(p is not None and p.isoformat() == iso[:19] for p, iso in dated)


def test_guardian_feed_titles_match() -> None:
    folder = shared_data("rss_feeds_rss_parser")
    entries = parse_feed((folder / "input" / "guardian.rss").read_bytes(), "https://g/rss")
    assert [e.title for e in entries] == [
        i["title"] for i in expected_items(folder, "guardian.rss")
    ]


def test_a_page_served_as_a_feed_is_an_error() -> None:
    with pytest.raises(DiscoveryError, match="not a feed"):
        parse_feed(b"<html><body><h1>Welcome</h1></body></html>", "https://x/rss")


@pytest.mark.parametrize(
    ("path", "urls", "children"),
    [
        ("advertools/news_sitemap.xml", 6, 0),
        ("advertools/regular_sitemap.xml", 5, 0),
        ("advertools/regular_sitemap.xml.gz", 5, 0),  # plain XML despite the name
        ("advertools/zipped_sitemap.xml.gz", 5, 0),
        ("advertools/sitemap_index.xml", 0, 4),
        ("advertools/video_sitemap.xml", 6, 0),
        ("trafilatura/sitemap.xml", 84, 0),
        ("trafilatura/sitemap.xml.gz", 84, 0),
        ("trafilatura/sitemap2.xml", 0, 2),  # one entry in CDATA
        ("trafilatura/sitemap-hreflang.xml", 4, 0),
    ],
)
def test_real_sitemaps_give_their_urls(path: str, urls: int, children: int) -> None:
    file = shared_data("sitemaps_fixtures", *path.split("/"))
    page = parse_sitemap(file.read_bytes(), f"https://x/{path}")
    assert (len(page.entries), len(page.children)) == (urls, children)
    assert all(u.startswith("http") and u == u.strip() for u in [*(e.url for e in page.entries), *page.children])  # fmt: skip


def test_news_sitemap_gives_publication_date_and_title() -> None:
    file = shared_data("sitemaps_fixtures", "advertools", "news_sitemap.xml")
    first = parse_sitemap(file.read_bytes(), "https://nyt/news.xml").entries[0]
    assert first.url.endswith("/quarantine-insanity.html")
    assert first.published is not None and first.published.isoformat() == "2020-05-11T09:00:01"
    assert first.title is not None and first.title.startswith("Quarantine Was Driving Me Crazy")


def test_gzipped_sitemap_equals_plain() -> None:
    folder = shared_data("sitemaps_fixtures", "trafilatura")
    plain = parse_sitemap((folder / "sitemap.xml").read_bytes(), "https://x/s.xml")
    zipped = parse_sitemap((folder / "sitemap.xml.gz").read_bytes(), "https://x/s.xml.gz")
    assert zipped == plain


def test_malformed_sitemap_is_an_error() -> None:
    file = shared_data("sitemaps_fixtures", "advertools", "error_sitemap.xml")
    with pytest.raises(DiscoveryError, match="malformed"):
        parse_sitemap(file.read_bytes(), "https://x/error.xml")


def test_html_and_broken_gzip_are_not_sitemaps() -> None:
    with pytest.raises(DiscoveryError, match="not a sitemap"):
        parse_sitemap(b"<html><body>hi</body></html>", "https://x/s.xml")
    with pytest.raises(DiscoveryError, match=r"gzip|malformed"):
        parse_sitemap(gzip.compress(b"<urlset>" * 100)[:30], "https://x/s.xml.gz")
