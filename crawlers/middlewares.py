"""Downloader middleware: stay on the outlet's domains, and back off when a server asks us to.

:class:`OutletOffsiteMiddleware` checks every request as it is scheduled, so the target of a
redirect (HTTP 301/302/303/307/308 or meta refresh) is checked like any link before it is fetched.

A 429 is retried after its ``Retry-After``; a 5xx after an exponentially growing pause; a response
whose ``X-Ratelimit-Remaining`` is spent makes the next request of that slot wait until
``X-Ratelimit-Reset``. Waiting happens inside the download slot, so the whole domain slows down,
which is the point. Every pause is capped by ``FW_BACKOFF_MAX`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.dupefilters import RFPDupeFilter
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis.dupefilter import RFPDupeFilter as RedisDupeFilter

from crawlers.domains import on_domains
from crawlers.pipelines import count

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | str | None, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (a number of seconds; dates use the default)."""
    if value is None:
        return default
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    try:
        return max(0.0, float(text.strip()))
    except ValueError:
        return default


def ratelimit_pause(headers: Any) -> float:
    """Seconds to wait before the next request when ``X-Ratelimit-Remaining`` is used up."""
    remaining = headers.get(b"X-Ratelimit-Remaining")
    reset = headers.get(b"X-Ratelimit-Reset")
    if remaining is None or reset is None:
        return 0.0
    try:
        if float(remaining) >= 1:
            return 0.0
        return max(0.0, float(reset))
    except ValueError:
        return 0.0


class OffsiteRequest(IgnoreRequest):
    """A request :class:`OutletOffsiteMiddleware` refused; it is already counted and logged."""


class OutletOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's offsite downloader middleware, checking each outlet's own domains.

    Scrapy runs it on every request as it is scheduled, redirects included: ``RedirectMiddleware``
    and ``MetaRefreshMiddleware`` hand the request for a redirect's target back to the scheduler. A
    request that carries a ``source`` the spider lists in ``source_domains`` must be on that
    outlet's domains (``www.`` and other subdomains included); any other request (robots.txt) on
    the spider's ``allowed_domains``, as in Scrapy. A spider with neither allows everything.

    Unlike Scrapy's, this one does not let ``dont_filter`` through: the news spider sets it on
    feeds, sitemaps and refreshed pages so that they are fetched again, never to leave the study,
    and a redirect inherits it. Only the ``allow_offsite`` meta key lets a request through.

    A refused redirect is counted as ``dropped/offsite_redirect`` under its source, any other
    refused request as ``dropped/off_domain``; each is logged with where it was going and why. A
    request of no source (robots.txt) is logged only.
    """

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        """Raise :class:`OffsiteRequest` for a request off its outlet's domains."""
        crawler_spider = self.crawler.spider
        assert crawler_spider is not None
        if request.meta.get("allow_offsite") or self.should_follow(request, crawler_spider):
            return
        source = request.meta.get("source")
        origins = request.meta.get("redirect_urls") or []
        host = urlparse_cached(request).hostname
        owner = f"outlet {source!r}" if source else "any outlet"
        # A request of no source (robots.txt) is no page of the study: logged, not counted.
        stats = self.stats if source else None
        if origins:
            count(stats, str(source), "dropped/offsite_redirect")
            logger.info(
                "Not following the redirect from %s to %s: %r is not a domain of %s; set "
                "[crawl] follow_offsite = true in study.toml to follow redirects to other sites",
                origins[-1], request.url, host, owner,
            )  # fmt: skip
        else:
            count(stats, str(source), "dropped/off_domain")
            logger.info("Not requesting %s: %r is not a domain of %s", request.url, host, owner)
        self.stats.inc_value("offsite/filtered")
        raise OffsiteRequest(f"Filtered offsite request to {host!r}")

    def should_follow(self, request: Request, spider: Spider) -> bool:
        """Whether the request is on the domains of its outlet (or of the spider)."""
        domains = getattr(spider, "source_domains", {}).get(request.meta.get("source"))
        if domains is None:
            return super().should_follow(request, spider)
        return on_domains(request.url, domains)


class BackoffMiddleware:
    """Retries 429 and 5xx politely and honours ``X-Ratelimit-*`` headers."""

    def __init__(self, stats: StatsCollector, base: float, cap: float, times: int) -> None:
        self.stats, self.base, self.cap, self.times = stats, base, cap, times

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffMiddleware:
        s = crawler.settings
        return cls(
            crawler.stats,
            s.getfloat("FW_BACKOFF_BASE"),
            s.getfloat("FW_BACKOFF_MAX"),
            s.getint("FW_BACKOFF_TIMES"),
        )

    async def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        """Wait and retry on 429/5xx (up to ``FW_BACKOFF_TIMES``), else pass the response on."""
        pause = ratelimit_pause(response.headers)
        status = response.status
        tries = int(request.meta.get("fw_backoff", 0))
        if status == 429 or 500 <= status < 600:
            if tries >= self.times:
                return response  # the spider's errback counts it as an error
            if status == 429:
                pause = retry_after_seconds(response.headers.get(b"Retry-After"), self.base)
            else:
                pause = self.base * 2**tries
            source = request.meta.get("source", "unknown")
            self.stats.inc_value(f"fw/{source}/backoffs")
            await asyncio.sleep(min(pause, self.cap))
            retry = request.replace(dont_filter=True)
            retry.meta["fw_backoff"] = tries + 1
            return retry
        if pause:
            self.stats.inc_value(f"fw/{request.meta.get('source', 'unknown')}/backoffs")
            await asyncio.sleep(min(pause, self.cap))
        return response


class CountingDupeFilter(RFPDupeFilter):
    """Scrapy's duplicate filter, also counting per source what it filters.

    A redirect back to a page already requested in this crawl is a redirect loop: it is counted
    as an error. Other filtered requests are pages fetched by an earlier crawl (JOBDIR remembers
    them), counted as ``skipped_known``.
    """

    def log(self, request: Request, spider: Spider) -> None:
        """Count the filtered request, then log it as Scrapy does."""
        super().log(request, spider)
        count_filtered(request, spider)


def count_filtered(request: Request, spider: Spider) -> None:
    """Count a request the duplicate filter dropped, per source."""
    source = request.meta.get("source", "unknown")
    key = "errors/redirect_loop" if request.meta.get("redirect_times") else "skipped_known"
    spider.crawler.stats.inc_value(f"fw/{source}/{key}")


class RedisCountingDupeFilter(RedisDupeFilter):  # type: ignore[misc]
    """scrapy-redis's shared duplicate filter, counting what it filters like :class:`CountingDupeFilter`."""

    def log(self, request: Request, spider: Spider) -> None:
        """Count the filtered request, then log it as scrapy-redis does."""
        super().log(request, spider)
        count_filtered(request, spider)
