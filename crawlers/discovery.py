"""Finding article URLs: RSS/Atom feeds (feedparser) and sitemaps (Scrapy's sitemap parser).

Pure functions of a response body, so they are tested on the real saved feeds and sitemaps without
a crawl. A body that is not a feed or a sitemap raises :class:`DiscoveryError`, which the spider
counts in the coverage report instead of crashing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser
from lxml import etree
from scrapy.utils.sitemap import Sitemap

from pipeline.bounded_io import unpack
from pipeline.documents import parse_published

# The sitemaps protocol caps a sitemap at 50 MiB uncompressed; a gzipped one may unpack no further.
SITEMAP_MAX_BYTES = 50 * 2**20
_DEFAULT_PORTS = {"http": 80, "https": 443}


class DiscoveryError(ValueError):
    """A feed or sitemap that cannot be read (HTML instead of XML, malformed XML)."""


@dataclass(frozen=True)
class Entry:
    """One article URL found in a feed or sitemap, with what the listing says about it."""

    url: str
    title: str | None = None
    published: datetime | None = None


def parse_feed(body: bytes, url: str) -> list[Entry]:
    """The entries of an RSS 0.9x/1.0/2.0 or Atom feed, in feed order.

    Raises:
        DiscoveryError: When the body is not a feed (an HTML page, broken XML with no entries).
    """
    parsed: Any = feedparser.parse(body, response_headers={"content-location": url})
    if not parsed.entries:
        reason = parsed.get("bozo_exception") or "no entries"
        version = parsed.get("version") or "not a feed"
        if not parsed.get("version") or parsed.get("bozo"):
            raise DiscoveryError(f"{url}: {version} ({reason})")
        return []
    entries = []
    for item in parsed.entries:
        link = item.get("link") or _alternate_link(item)
        if not link:
            continue
        # dict.get bypasses feedparser's deprecated updated->published alias (and its warning)
        stamp = dict.get(item, "published_parsed") or dict.get(item, "updated_parsed")
        published = datetime(*stamp[:6]) if stamp else None  # feedparser gives UTC
        entries.append(Entry(url=link.strip(), title=item.get("title"), published=published))
    return entries


def _alternate_link(item: Any) -> str | None:
    for link in item.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link["href"])
    return None


def sitemap_body(body: bytes, max_bytes: int = SITEMAP_MAX_BYTES) -> bytes:
    """The XML of a sitemap response: unpacked when compressed (whatever the name says).

    Raises:
        DiscoveryError: When the compressed data is broken or truncated, or unpacks to more than
            ``max_bytes`` (only ``max_bytes + 1`` are ever unpacked: a gzip bomb costs no memory).
    """
    try:
        return unpack(body, max_bytes)
    except ValueError as exc:
        raise DiscoveryError(f"not a readable sitemap: {exc}") from exc


def sitemap_key(url: str) -> str:
    """The form under which a crawl remembers a sitemap it has fetched.

    Only what cannot name another document is normalised: scheme and host case, a default port,
    the fragment (never sent), the order of query arguments and their percent-encoding. Paths and
    query values stay as they are, since ``sitemap.xml?page=2`` is another sitemap and
    ``/sitemap/`` need not be ``/sitemap/index.xml``. A server that answers endless new URLs with
    the same index is bounded by the crawl's depth and count limits instead.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:  # not a number: keep the URL as it is
        return url.strip()
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


@dataclass(frozen=True)
class SitemapPage:
    """A parsed sitemap: article entries for a ``urlset``, child sitemaps for an index."""

    entries: list[Entry]
    children: list[str]


def parse_sitemap(body: bytes, url: str, max_bytes: int = SITEMAP_MAX_BYTES) -> SitemapPage:
    """Parse a sitemap, a news sitemap or a sitemap index (plain or gzipped).

    News sitemaps give each URL a ``news:publication_date`` and ``news:title``; plain ones may
    give ``lastmod``, which is used as the date only when nothing better is known. Scrapy's
    :class:`~scrapy.utils.sitemap.Sitemap` reads the XML (it recovers from small errors, refuses
    external entities and caps the size); the news fields nested one level deeper are read here.

    Raises:
        DiscoveryError: When the body is not sitemap XML, or unpacks to over ``max_bytes``.
    """
    try:
        xml = sitemap_body(body, max_bytes)
    except DiscoveryError as exc:
        raise DiscoveryError(f"{url}: {exc}") from exc
    if not re.search(rb"<(?:\w+:)?(?:urlset|sitemapindex)\b", xml[:4096]):
        raise DiscoveryError(f"{url}: not a sitemap (no <urlset> or <sitemapindex>)")
    try:
        sitemap = NewsSitemap(xml)
        items = list(sitemap)
    except Exception as exc:  # lxml raises several error types for broken XML
        raise DiscoveryError(f"{url}: malformed sitemap XML ({exc})") from exc
    if sitemap.type == "sitemapindex":
        return SitemapPage([], [i["loc"] for i in items if i.get("loc")])
    entries = [
        Entry(
            url=item["loc"],
            title=item.get("news_title") or None,
            published=_date(item.get("news_publication_date")) or _date(item.get("lastmod")),
        )
        for item in items
        if item.get("loc")
    ]
    if not entries and not _well_formed(xml):
        raise DiscoveryError(f"{url}: malformed sitemap XML (no readable <url> entries)")
    return SitemapPage(entries, [])


class NewsSitemap(Sitemap):
    """Scrapy's sitemap reader, also keeping the nested ``news:`` fields of news sitemaps."""

    def _process_sitemap_element(self, elem: Any) -> dict[str, Any] | None:
        news: dict[str, str] = {}
        for el in elem.iter():  # read before Scrapy clears the element
            name = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
            if name in ("publication_date", "title") and el.text and el.text.strip():
                news[f"news_{name}"] = el.text.strip()
        found: dict[str, Any] | None = super()._process_sitemap_element(elem)
        return {**found, **news} if found is not None else None


def _date(value: Any) -> datetime | None:
    try:
        return parse_published(value)
    except ValueError:
        return None


def _well_formed(xml: bytes) -> bool:
    try:
        etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return False
    return True
