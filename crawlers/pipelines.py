"""Item pipelines: one small concern each, ordered in ``crawlers.settings.ITEM_PIPELINES``.

A dropped item is counted under ``fw/SOURCE/dropped/REASON`` in the crawl stats, which become
the ``dropped_reasons`` of the coverage report. A :class:`RedditThreadItem` (a thread's end marker,
not a document) passes every pipeline untouched.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from crawlers.items import ArticleItem, RedditItem, RedditThreadItem
from pipeline.documents import plausible_time

Item = ArticleItem | RedditItem


def count(stats: StatsCollector | None, source: str, key: str, amount: int = 1) -> None:
    """Add to a per-source coverage counter."""
    if stats is not None:
        stats.inc_value(f"fw/{source}/{key}", amount)


class _Pipeline:
    """Base: keeps the crawler's stats and drops with a counted reason."""

    def __init__(self, stats: StatsCollector | None = None) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls._configure(crawler.settings, crawler.stats)

    @classmethod
    def _configure(cls, settings: Any, stats: StatsCollector | None) -> Any:
        return cls(stats)

    def drop(self, item: Item, reason: str, detail: str) -> DropItem:
        count(self.stats, item.source, f"dropped/{reason}")
        return DropItem(f"{reason}: {detail} ({item.url})")


class RequireTextPipeline(_Pipeline):
    """Drops documents with no text at all (Reddit posts with only a title are kept)."""

    def process_item(
        self, item: Item | RedditThreadItem, spider: Spider | None = None
    ) -> Item | RedditThreadItem:
        if isinstance(item, ArticleItem) and not item.text.strip():
            raise self.drop(item, "no_article", "empty body")
        return item


class LanguagePipeline(_Pipeline):
    """Drops articles in a language the study does not read (unknown language is kept)."""

    def __init__(self, stats: StatsCollector | None = None, languages: list[str] | None = None):
        super().__init__(stats)
        self.languages = set(languages or [])

    @classmethod
    def _configure(cls, settings: Any, stats: StatsCollector | None) -> Any:
        return cls(stats, settings.getlist("FW_LANGUAGES"))

    def process_item(
        self, item: Item | RedditThreadItem, spider: Spider | None = None
    ) -> Item | RedditThreadItem:
        if not isinstance(item, ArticleItem) or not item.language:
            return item
        if self.languages and item.language not in self.languages:
            raise self.drop(item, "language", item.language)
        return item


class DateWindowPipeline(_Pipeline):
    """Drops documents published outside the study's window (undated ones are kept)."""

    def __init__(
        self,
        stats: StatsCollector | None = None,
        start: date | None = None,
        end: date | None = None,
    ):
        super().__init__(stats)
        self.start, self.end = start, end

    @classmethod
    def _configure(cls, settings: Any, stats: StatsCollector | None) -> Any:
        start, end = settings.get("FW_START_DATE"), settings.get("FW_END_DATE")
        return cls(stats, date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None)  # fmt: skip

    def process_item(
        self, item: Item | RedditThreadItem, spider: Spider | None = None
    ) -> Item | RedditThreadItem:
        if isinstance(item, RedditThreadItem):
            return item
        day = _item_date(item)
        if day is not None and not in_window(day, self.start, self.end):
            raise self.drop(item, "date_window", day.isoformat())
        return item


def in_window(day: date, start: date | None, end: date | None) -> bool:
    """Whether a day lies inside an inclusive window with optional ends."""
    return (start is None or day >= start) and (end is None or day <= end)


def _item_date(item: Item) -> date | None:
    if isinstance(item, ArticleItem):
        return datetime.fromisoformat(item.published).date() if item.published else None
    created = plausible_time(item.created_utc)
    return created.date() if created else None


class KeywordPipeline(_Pipeline):
    """Drops documents that mention none of the study's keywords (case-insensitive, whole words).

    Reddit comments are kept whatever they say: the thread was chosen because its post matched.
    """

    def __init__(self, stats: StatsCollector | None = None, keywords: list[str] | None = None):
        super().__init__(stats)
        words = [re.escape(k.strip()) for k in keywords or [] if k.strip()]
        self.pattern = re.compile(r"\b(?:" + "|".join(words) + r")", re.I) if words else None

    @classmethod
    def _configure(cls, settings: Any, stats: StatsCollector | None) -> Any:
        return cls(stats, settings.getlist("FW_KEYWORDS"))

    def process_item(
        self, item: Item | RedditThreadItem, spider: Spider | None = None
    ) -> Item | RedditThreadItem:
        if isinstance(item, RedditThreadItem):
            return item
        if self.pattern is None or (isinstance(item, RedditItem) and item.kind == "reddit_comment"):
            return item
        if not self.pattern.search(f"{item.title or ''}\n{item.text or ''}"):
            raise self.drop(item, "keyword", "no study keyword")
        return item


class CoveragePipeline(_Pipeline):
    """Counts what is kept: items, extraction fallbacks and missing dates per source."""

    def process_item(
        self, item: Item | RedditThreadItem, spider: Spider | None = None
    ) -> Item | RedditThreadItem:
        if isinstance(item, RedditThreadItem):
            return item
        count(self.stats, item.source, "items_scraped")
        if isinstance(item, ArticleItem):
            if item.fallbacks:
                count(self.stats, item.source, "extraction_fallbacks")
            if not item.published:
                count(self.stats, item.source, "date_missing")
        return item
