"""What both spiders share: the run configuration file and counting failures per source."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Spider
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure

from crawlers.middlewares import OffsiteRequest
from crawlers.pipelines import count


def load_config(path: str | None) -> dict[str, Any]:
    """The JSON run configuration ``framewatch crawl`` writes for a spider (``{}`` without one)."""
    if not path:
        return {}
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def now_iso() -> str:
    """Current UTC time, ISO 8601 without zone (how the database stores times)."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def failure_reason(failure: Failure) -> tuple[str, str]:
    """``("error" | "dropped", reason)`` for a failed request, for the coverage report.

    Every reason is one of :mod:`crawlers.coverage`; a failure of no known kind is
    ``download_failed`` (its exception is in the crawl log).
    """
    exc = failure.value
    if isinstance(exc, HttpError):
        return "error", f"http_{exc.response.status}"
    if isinstance(exc, TimeoutError | TCPTimedOutError) or "timeout" in type(exc).__name__.lower():
        return "error", "timeout"
    connection = (DNSLookupError, ConnectionRefusedError, CannotResolveHostError,
                  DownloadConnectionRefusedError)  # fmt: skip
    if isinstance(exc, connection):
        return "error", "connection"
    if isinstance(exc, DownloadCancelledError):
        # Scrapy cancels a download when the body passes DOWNLOAD_MAXSIZE (announced or received).
        return "dropped", "too_large"
    if isinstance(exc, IgnoreRequest):
        text = str(exc).lower()
        if "robots" in text:
            return "dropped", "robots_txt"
        if "redirect" in text:
            return "error", "redirect_loop"
        if "maxsize" in text or "size" in text:
            return "dropped", "too_large"
        return "dropped", "ignored"
    return "error", "download_failed"


class CountingSpider(Spider):
    """A spider whose failures and drops are counted per source in the crawl stats."""

    def note(self, source: str, key: str, amount: int = 1) -> None:
        """Add to a per-source coverage counter."""
        count(self.crawler.stats if hasattr(self, "crawler") else None, source, key, amount)

    def on_error(self, failure: Failure) -> None:
        """Errback of every request: count the failure under its source and go on."""
        if isinstance(failure.value, OffsiteRequest):
            return  # counted and logged by the middleware that refused it
        request = getattr(failure, "request", None)
        meta: Mapping[str, Any] = request.meta if request is not None else {}
        source = str(meta.get("source", "unknown"))
        bucket, reason = failure_reason(failure)
        self.note(source, f"{'errors' if bucket == 'error' else 'dropped'}/{reason}")
        self.logger.info("%s %s: %s (%r)", bucket, reason,
                         request.url if request is not None else "?", failure.value)  # fmt: skip
