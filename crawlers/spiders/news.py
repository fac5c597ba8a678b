"""The news spider: one generic spider driven by the study's outlets.

It polls each outlet's feeds and sitemaps (every crawl, so new articles are found), follows links
from its start URLs within its allow/deny patterns and depth, and fetches each article page once:
URLs the database already holds are skipped unless the crawl refreshes. It never leaves an outlet's
own domains: off-site entries and links are dropped here, and every request, the targets of HTTP and
meta-refresh redirects included, is checked again by
:class:`crawlers.middlewares.OutletOffsiteMiddleware`. Extraction is
:func:`crawlers.extract.extract_article`, the same code as ``framewatch extract``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import re
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import Response, TextResponse

from crawlers.discovery import DiscoveryError, Entry, parse_feed, parse_sitemap, sitemap_key
from crawlers.domains import on_domains, outlet_domains
from crawlers.extract import Article, PageTooDeep, extract_article, page_links
from crawlers.items import ArticleItem
from crawlers.pipelines import in_window
from crawlers.spiders.base import CountingSpider, load_config, now_iso
from pipeline.documents import canonical_url

_HTML_TYPES = (b"text/html", b"application/xhtml")


class NewsSpider(CountingSpider):
    """Crawls the outlets named in the run configuration (``-a config=FILE``)."""

    name = "news"

    def __init__(self, config: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        cfg = load_config(config)
        self.outlets: dict[str, dict[str, Any]] = {o["name"]: o for o in cfg.get("outlets", [])}
        self.refresh = bool(cfg.get("refresh", False))
        self.offsite = bool(cfg.get("follow_offsite", False))
        # What OutletOffsiteMiddleware checks every request against, redirects included: each
        # outlet's own domains; Scrapy's ``allowed_domains`` (their union) for requests of no
        # outlet, such as robots.txt. Both empty when the study follows links to other sites.
        self.source_domains: dict[str, set[str]] = {}
        if not self.offsite:
            self.source_domains = {n: outlet_domains(o) for n, o in self.outlets.items()}
        self.allowed_domains = sorted({d for ds in self.source_domains.values() for d in ds})
        # Fetch pages without extracting them: measures the raw fetch rate (bench/crawl_speed.py).
        self.fetch_only = bool(cfg.get("fetch_only", False))
        self.workers = int(cfg.get("extract_workers", 0))
        self._pool: ProcessPoolExecutor | None = None
        known = cfg.get("known_urls_file")
        self.known: set[str] = set()
        if known and Path(known).exists():
            self.known = set(Path(known).read_text(encoding="utf-8").split())
        start, end = cfg.get("start_date"), cfg.get("end_date")
        self.start_day = date.fromisoformat(start) if start else None
        self.end_day = date.fromisoformat(end) if end else None
        # Sitemaps asked for in this crawl, per outlet (see sitemap_key): an index that lists itself
        # or another index that lists it back is read once.
        self.sitemaps: dict[str, set[str]] = {}
        self.sitemaps_refused: dict[str, set[str]] = {}  # past a limit: counted once each

    async def start(self) -> AsyncIterator[Request]:
        """Feeds, sitemaps and start URLs of every outlet (always fetched, never de-duplicated)."""
        for name, outlet in self.outlets.items():
            for url in outlet.get("feeds", ()):
                yield self._listing(url, name, self.parse_feed)
            for url in outlet.get("sitemaps", ()):
                if request := self._sitemap(url, name, depth=0):
                    yield request
            for url in outlet.get("start_urls", ()):
                yield Request(url, self.parse_page, errback=self.on_error, dont_filter=True,
                              meta={"source": name, "depth_left": outlet.get("depth", 2)})  # fmt: skip

    def _listing(self, url: str, source: str, callback: Any, **meta: Any) -> Request:
        return Request(url, callback, errback=self.on_error, dont_filter=True,
                       meta={"source": source, **meta})  # fmt: skip

    def _sitemap(self, url: str, source: str, depth: int) -> Request | None:
        """A sitemap's request, unless this crawl asked for it already or it is past a limit.

        ``depth`` counts the indexes above it, from 0 for a sitemap the study names. A sitemap past
        ``FW_SITEMAP_MAX_DEPTH`` or ``FW_SITEMAPS_PER_OUTLET`` is counted as ``sitemap_limit``.
        """
        seen = self.sitemaps.setdefault(source, set())
        refused = self.sitemaps_refused.setdefault(source, set())
        key = sitemap_key(url)
        if key in seen or key in refused:
            return None
        over_depth = depth > self.settings.getint("FW_SITEMAP_MAX_DEPTH")
        if over_depth or len(seen) >= self.settings.getint("FW_SITEMAPS_PER_OUTLET"):
            refused.add(key)
            self.note(source, "errors/sitemap_limit")
            limit = "sitemap_max_depth" if over_depth else "sitemaps_per_outlet"
            self.logger.warning("sitemap not read (past [crawl] %s): %s", limit, url)
            return None
        seen.add(key)
        return self._listing(url, source, self.parse_sitemap, sitemap_depth=depth)

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """Queue the articles of an RSS/Atom feed."""
        source = response.meta["source"]
        try:
            entries = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            self.note(source, "errors/bad_feed")
            self.logger.warning("bad feed: %s", exc)
            return
        self.note(source, "feeds_polled")
        yield from self._articles(entries, source)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """Queue the articles of a sitemap, or the sitemaps of a sitemap index."""
        source = response.meta["source"]
        try:
            page = parse_sitemap(response.body, response.url)
        except DiscoveryError as exc:
            self.note(source, "errors/bad_sitemap")
            self.logger.warning("bad sitemap: %s", exc)
            return
        self.note(source, "feeds_polled")
        depth = response.meta.get("sitemap_depth", 0) + 1
        domains = outlet_domains(self.outlets[source])
        for child in page.children:
            if (self.offsite or on_domains(child, domains)) and (
                request := self._sitemap(child, source, depth)
            ):
                yield request
        yield from self._articles(page.entries, source)

    def _articles(self, entries: list[Entry], source: str) -> Iterator[Request]:
        domains = outlet_domains(self.outlets[source])
        for entry in entries:
            if not self.offsite and not on_domains(entry.url, domains):
                self.note(source, "dropped/off_domain")
            elif entry.published and not in_window(
                entry.published.date(), self.start_day, self.end_day
            ):
                # The listing already says it is outside the window: no need to fetch it.
                self.note(source, "dropped/date_window")
            elif request := self._article_request(entry.url, source, depth_left=0):
                yield request

    def _article_request(self, url: str, source: str, depth_left: int) -> Request | None:
        if not self.refresh and canonical_url(url) in self.known:
            self.note(source, "skipped_known")
            return None
        return Request(url, self.parse_page, errback=self.on_error, dont_filter=self.refresh,
                       meta={"source": source, "depth_left": depth_left})  # fmt: skip

    async def parse_page(self, response: Response) -> AsyncIterator[ArticleItem | Request]:
        """Extract the article of a page, and follow its links while depth is left."""
        source = response.meta["source"]
        self.note(source, "pages_fetched")
        content_type = response.headers.get(b"Content-Type") or b""
        if not isinstance(response, TextResponse) or not any(t in content_type.lower() for t in _HTML_TYPES):  # fmt: skip
            self.note(source, "dropped/not_html")
            return
        if self.fetch_only:
            return
        try:
            article = await self._extract(response.body, response.url)
        except PageTooDeep as exc:
            self.note(source, "dropped/too_deep")
            self.logger.warning("%s", exc)
            return
        following = response.meta.get("depth_left", 0) > 0
        if article is not None:
            yield ArticleItem(source=source, fetched_at=now_iso(), **article.as_dict())
        elif not following:  # a listing page we only follow links from is not a missing article
            self.note(source, "dropped/no_article")
        if following:
            for request in self._follow(response, source):
                yield request

    async def _extract(self, body: bytes, url: str) -> Article | None:
        # Extraction is CPU-bound; in worker processes it no longer stalls the downloader.
        if not self.workers:
            return extract_article(body, url)
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return await asyncio.wrap_future(self._pool.submit(extract_article, body, url))

    def closed(self, reason: str) -> None:
        """Stop the extraction workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _follow(self, response: Response, source: str) -> Iterator[Request]:
        outlet = self.outlets[source]
        domains = outlet_domains(outlet)
        allow = [re.compile(p) for p in outlet.get("allow", ())]
        deny = [re.compile(p) for p in outlet.get("deny", ())]
        for url in page_links(response.body, response.url):
            if not (self.offsite or on_domains(url, domains)):
                continue
            if (allow and not any(p.search(url) for p in allow)) or any(
                p.search(url) for p in deny
            ):
                continue
            if request := self._article_request(url, source, response.meta["depth_left"] - 1):
                yield request
