"""Back-off on 429, 5xx and spent rate limits; the per-outlet offsite check."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawlers.middlewares import (
    BackoffMiddleware,
    OffsiteRequest,
    OutletOffsiteMiddleware,
    ratelimit_pause,
    retry_after_seconds,
)
from crawlers.spiders.news import NewsSpider


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


OUTLETS = [
    {"name": "ledger", "homepage": "https://www.ledger.example/", "feeds": ["https://feeds.ledger.example/rss"]},
    {"name": "herald", "homepage": "https://herald.example/"},
]  # fmt: skip


def offsite(tmp_path: Path, **config: Any) -> OutletOffsiteMiddleware:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps({"outlets": OUTLETS, **config}))
    crawler = get_crawler(NewsSpider)
    crawler.spider = NewsSpider.from_crawler(crawler, config=str(config_file))
    mw = OutletOffsiteMiddleware.from_crawler(crawler)
    mw.spider_opened(crawler.spider)
    return mw


def redirect(url: str, source: str | None = "ledger", **meta: Any) -> Request:
    """The request RedirectMiddleware schedules for a redirect's target (``dont_filter`` inherited)."""
    if source is not None:
        meta["source"] = source
    meta["redirect_urls"] = ["https://www.ledger.example/old"]
    return Request(url, dont_filter=True, meta=meta)


@pytest.mark.parametrize(
    "url",
    [
        "https://ledger.example/news/1",
        "https://www.ledger.example/news/1",
        "https://live.ledger.example/news/1",
        "https://feeds.ledger.example/item/1",
    ],
)
def test_a_redirect_within_the_outlet_passes(tmp_path: Path, url: str) -> None:
    mw = offsite(tmp_path)
    mw.process_request(redirect(url))  # raises if refused
    assert not [k for k in mw.stats.get_stats() if k.startswith("fw/")]


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/news/1",
        "https://ledger.example.evil.example/news/1",
        "https://herald.example/news/1",  # another outlet of the study is not this outlet's site
    ],
)
def test_a_redirect_off_the_outlet_is_refused_and_counted_even_with_dont_filter(
    tmp_path: Path, url: str
) -> None:
    mw = offsite(tmp_path)
    with pytest.raises(OffsiteRequest):
        mw.process_request(redirect(url))
    assert mw.stats.get_value("fw/ledger/dropped/offsite_redirect") == 1
    request = Request(url, meta={"source": "ledger"})  # not a redirect: a link the spider let by
    with pytest.raises(OffsiteRequest):
        mw.process_request(request)
    assert mw.stats.get_value("fw/ledger/dropped/off_domain") == 1


def test_requests_of_no_outlet_are_held_to_the_study_domains_uncounted(tmp_path: Path) -> None:
    mw = offsite(tmp_path)
    mw.process_request(redirect("https://herald.example/robots.txt", source=None))
    with pytest.raises(OffsiteRequest):
        mw.process_request(redirect("https://evil.example/robots.txt", source=None))
    assert not [k for k in mw.stats.get_stats() if k.startswith("fw/")]


def test_follow_offsite_or_allow_offsite_lets_a_redirect_leave(tmp_path: Path) -> None:
    offsite(tmp_path, follow_offsite=True).process_request(redirect("https://evil.example/"))
    offsite(tmp_path).process_request(redirect("https://evil.example/", allow_offsite=True))
