"""Each item pipeline on its own: process_item keeps or drops, and counts why."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from scrapy.exceptions import DropItem
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawlers.items import ArticleItem, RedditItem, RedditThreadItem
from crawlers.pipelines import (
    CoveragePipeline,
    DateWindowPipeline,
    KeywordPipeline,
    LanguagePipeline,
    RequireTextPipeline,
)


def article(**changes: Any) -> ArticleItem:
    values: dict[str, Any] = {"source": "ledger", "url": "https://l/1", "canonical_url": "https://l/1",
                              "title": "Distillation row", "text": "A long body about models.",
                              "published": "2026-03-01T09:00:00", "language": "en"}  # fmt: skip
    values.update(changes)
    return ArticleItem(**values)


def comment(**changes: Any) -> RedditItem:
    values: dict[str, Any] = {"source": "r/x", "fullname": "t1_a", "kind": "reddit_comment",
                              "subreddit": "x", "thread_id": "t3_b", "parent_id": "t3_b", "depth": 0,
                              "author": "u", "title": None, "text": "unrelated words", "url": "u",
                              "link_url": None, "score": 1, "created_utc": 1767225600.0}  # fmt: skip
    values.update(changes)
    return RedditItem(**values)


@pytest.fixture
def stats() -> MemoryStatsCollector:
    return MemoryStatsCollector(get_crawler())


def test_require_text(stats: MemoryStatsCollector) -> None:
    pipeline = RequireTextPipeline(stats)
    assert pipeline.process_item(article()) is not None
    with pytest.raises(DropItem, match="no_article"):
        pipeline.process_item(article(text="  "))
    assert stats.get_value("fw/ledger/dropped/no_article") == 1


def test_language(stats: MemoryStatsCollector) -> None:
    pipeline = LanguagePipeline(stats, ["en"])
    unknown = article(language=None)
    assert pipeline.process_item(unknown) is unknown  # an unknown language is kept
    with pytest.raises(DropItem, match="language"):
        pipeline.process_item(article(language="de"))
    assert stats.get_value("fw/ledger/dropped/language") == 1


def test_date_window(stats: MemoryStatsCollector) -> None:
    pipeline = DateWindowPipeline(stats, date(2026, 1, 1), date(2026, 6, 30))
    pipeline.process_item(article())
    pipeline.process_item(article(published=None))
    pipeline.process_item(comment())  # 2026-01-01 00:00 UTC, on the first day
    with pytest.raises(DropItem, match="date_window"):
        pipeline.process_item(article(published="2025-12-31T23:59:00"))
    with pytest.raises(DropItem):
        pipeline.process_item(comment(created_utc=1783000000.0))  # July 2026
    assert stats.get_value("fw/ledger/dropped/date_window") == 1
    assert stats.get_value("fw/r/x/dropped/date_window") == 1


def test_keywords_match_words_case_insensitively_and_spare_comments(stats: MemoryStatsCollector) -> None:  # fmt: skip
    pipeline = KeywordPipeline(stats, ["distill"])
    pipeline.process_item(article())  # "Distillation" in the title
    pipeline.process_item(comment())  # comments belong to a matching thread
    with pytest.raises(DropItem, match="keyword"):
        pipeline.process_item(article(title="Weather", text="Sunny with rain later."))
    with pytest.raises(DropItem):
        pipeline.process_item(
            article(title="Weather", text="Undistilled water")
        )  # not a word start
    assert stats.get_value("fw/ledger/dropped/keyword") == 2
    assert KeywordPipeline(stats, []).process_item(article(title="x", text="y")) is not None


def test_coverage_counts_kept_items_fallbacks_and_missing_dates(
    stats: MemoryStatsCollector,
) -> None:
    pipeline = CoveragePipeline(stats)
    pipeline.process_item(article())
    pipeline.process_item(article(published=None, fallbacks=["htmldate"]))
    pipeline.process_item(comment())
    assert stats.get_value("fw/ledger/items_scraped") == 2
    assert stats.get_value("fw/ledger/extraction_fallbacks") == 1
    assert stats.get_value("fw/ledger/date_missing") == 1
    assert stats.get_value("fw/r/x/items_scraped") == 1


def test_pipelines_read_their_settings_from_the_crawler() -> None:
    crawler = get_crawler(settings_dict={"FW_KEYWORDS": ["model"], "FW_LANGUAGES": ["de"],
                                         "FW_START_DATE": "2026-02-01", "FW_END_DATE": None})  # fmt: skip
    assert KeywordPipeline.from_crawler(crawler).pattern.search("Models")
    assert LanguagePipeline.from_crawler(crawler).languages == {"de"}
    assert DateWindowPipeline.from_crawler(crawler).start == date(2026, 2, 1)


def test_a_thread_marker_passes_every_pipeline_uncounted(stats: MemoryStatsCollector) -> None:
    marker = RedditThreadItem("r/x", "t3_b", comments=2)
    pipelines: list[Any] = [RequireTextPipeline(stats), LanguagePipeline(stats, ["de"]),
                 DateWindowPipeline(stats, date(2030, 1, 1), None), KeywordPipeline(stats, ["zzz"]),
                 CoveragePipeline(stats)]  # fmt: skip
    for pipeline in pipelines:
        assert pipeline.process_item(marker) is marker
    assert stats.get_stats() == {}
