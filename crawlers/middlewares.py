"""Downloader middleware: back off when a server asks us to.

A 429 is retried after its ``Retry-After``; a 5xx after an exponentially growing pause; a response
whose ``X-Ratelimit-Remaining`` is spent makes the next request of that slot wait until
``X-Ratelimit-Reset``. Waiting happens inside the download slot, so the whole domain slows down,
which is the point. Every pause is capped by ``FW_BACKOFF_MAX`` seconds.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from scrapy_redis.dupefilter import RFPDupeFilter as RedisDupeFilter


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
