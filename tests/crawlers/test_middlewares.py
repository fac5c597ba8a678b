"""Back-off on 429, 5xx and spent rate limits."""

from __future__ import annotations

import asyncio
import time

from scrapy import Request
from scrapy.http import Response
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawlers.middlewares import BackoffMiddleware, ratelimit_pause, retry_after_seconds


def middleware() -> tuple[BackoffMiddleware, MemoryStatsCollector]:
    stats = MemoryStatsCollector(get_crawler())
    return BackoffMiddleware(stats, base=0.05, cap=0.3, times=2), stats


def respond(mw: BackoffMiddleware, request: Request, status: int, headers: dict[str, str]) -> Request | Response:  # fmt: skip
    response = Response(request.url, status=status, headers=headers, request=request)
    return asyncio.run(mw.process_response(request, response))


def test_retry_after_and_ratelimit_headers() -> None:
    assert retry_after_seconds(b"7", 1.0) == 7.0
    assert retry_after_seconds(b"Wed, 21 Oct 2026 07:28:00 GMT", 1.0) == 1.0
    assert retry_after_seconds(None, 2.0) == 2.0
    assert ratelimit_pause({b"X-Ratelimit-Remaining": b"0.0", b"X-Ratelimit-Reset": b"42"}) == 42.0
    assert ratelimit_pause({b"X-Ratelimit-Remaining": b"10", b"X-Ratelimit-Reset": b"42"}) == 0.0
    assert ratelimit_pause({}) == 0.0


def test_429_waits_for_retry_after_then_retries_until_it_gives_up() -> None:
    mw, stats = middleware()
    request = Request("http://x/a", meta={"source": "ledger"})
    started = time.monotonic()
    retry = respond(mw, request, 429, {"Retry-After": "0.2"})
    assert isinstance(retry, Request) and retry.dont_filter and retry.meta["fw_backoff"] == 1
    assert time.monotonic() - started >= 0.2
    again = respond(mw, retry, 503, {})
    assert isinstance(again, Request) and again.meta["fw_backoff"] == 2
    final = respond(mw, again, 503, {})
    assert isinstance(final, Response) and final.status == 503  # the errback counts it
    assert stats.get_value("fw/ledger/backoffs") == 2


def test_retry_after_is_capped_and_ok_responses_pass() -> None:
    mw, _ = middleware()
    request = Request("http://x/a", meta={"source": "s"})
    started = time.monotonic()
    respond(mw, request, 429, {"Retry-After": "3600"})
    assert time.monotonic() - started < 1.0
    ok = respond(mw, request, 200, {})
    assert isinstance(ok, Response) and ok.status == 200
