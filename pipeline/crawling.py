"""Crawl plans from the study, and the per-source coverage report from the crawl stats.

``framewatch crawl`` writes one plan per spider (what to crawl, the Scrapy settings that carry the
study's politeness and filters, where feed files and stats go), runs ``python -m crawlers.run`` on
it, loads the feed files with :mod:`pipeline.ingest`, and stores :func:`coverage_rows` in
``crawl_runs``. Nothing here imports Scrapy: the plan is plain JSON.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipeline.config import Settings
from pipeline.ingest import FEEDS_DIR, IngestReport

CRAWL_DIR = Path("crawl")
_STAT = re.compile(r"^fw/(?P<source>.+?)/(?:(?P<bucket>dropped|errors)/(?P<reason>[\w.-]+)|(?P<key>\w+))$")  # fmt: skip
_COUNTERS = ("feeds_polled", "pages_fetched", "items_scraped", "skipped_known",
             "extraction_fallbacks", "date_missing", "backoffs")  # fmt: skip


def user_agent(settings: Settings) -> str:
    """A descriptive User-Agent naming framewatch, the study and how to reach its researcher."""
    contact = f"; {settings.crawl.contact}" if settings.crawl.contact else ""
    return f"framewatch/0.1 (media research crawler; study {settings.study.name!r}{contact}; obeys robots.txt)"  # fmt: skip


def spider_plan(
    settings: Settings,
    spider: str,
    *,
    refresh: bool,
    known_urls_file: Path | None,
    stamp: str,
    known_threads_file: Path | None = None,
) -> dict[str, Any]:
    """The plan ``crawlers.run`` executes for one spider ("news" or "reddit")."""
    root = settings.data_path / CRAWL_DIR
    c, f = settings.crawl, settings.filters
    config = {
        "outlets": [o.model_dump(mode="json") for o in settings.outlets if o.kind != "reddit"],
        "reddit": settings.reddit.model_dump(mode="json"),
        "refresh": refresh,
        "follow_offsite": c.follow_offsite,
        "extract_workers": c.extract_workers,
        "known_urls_file": str(known_urls_file) if known_urls_file else None,
        "known_threads_file": str(known_threads_file) if known_threads_file else None,
        # The Reddit spider journals threads in progress here, so an interrupted crawl resumes them.
        "state_dir": str(root / "jobs" / spider) if spider == "reddit" else None,
        "start_date": f.start_date.isoformat() if f.start_date else None,
        "end_date": f.end_date.isoformat() if f.end_date else None,
    }
    scrapy_settings: dict[str, Any] = {
        "FEEDS": {
            str(settings.data_path / FEEDS_DIR / spider / f"{stamp}-%(batch_id)05d.jsonl"): {
                "format": "jsonlines", "encoding": "utf8", "batch_item_count": 500,
            }
        },
        "USER_AGENT": user_agent(settings),
        "CONCURRENT_REQUESTS_PER_DOMAIN": c.concurrency_per_domain,
        "CONCURRENT_REQUESTS": max(16, 2 * c.concurrency_per_domain),
        "DOWNLOAD_DELAY": c.download_delay,
        "AUTOTHROTTLE_ENABLED": c.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(c.download_delay, 0.1),
        "DOWNLOAD_TIMEOUT": c.timeout,
        "FW_BACKOFF_BASE": c.retry_backoff,
        "FW_SITEMAP_MAX_DEPTH": c.sitemap_max_depth,
        "FW_SITEMAPS_PER_OUTLET": c.sitemaps_per_outlet,
        "CLOSESPIDER_TIMEOUT": int(c.max_minutes * 60),
        "FW_KEYWORDS": list(f.keywords),
        "FW_START_DATE": config["start_date"],
        "FW_END_DATE": config["end_date"],
        "FW_LANGUAGES": list(settings.study.languages),
        "LOG_FILE": str(root / "logs" / f"{stamp}-{spider}.log"),
    }  # fmt: skip
    if c.redis_url or os.environ.get("FRAMEWATCH_REDIS_URL"):
        scrapy_settings.update(redis_frontier(settings, spider))
    elif spider == "news":
        # Resumable: an interrupted crawl continues where it stopped, and fetched pages are remembered.
        scrapy_settings["JOBDIR"] = str(root / "jobs" / spider)
    return {
        "spider": spider,
        "config": str(root / "plans" / f"{stamp}-{spider}-config.json"),
        "config_data": config,
        "settings": scrapy_settings,
        "stats_file": str(root / "plans" / f"{stamp}-{spider}-stats.json"),
    }


def redis_frontier(settings: Settings, spider: str) -> dict[str, Any]:
    """Scrapy settings that share the request queue and duplicate filter through Redis (scrapy-redis).

    Several crawler processes (or machines) running the same study then split one frontier. The
    URL comes from ``[crawl] redis_url`` or, when it needs a password, ``FRAMEWATCH_REDIS_URL``
    (read by the spider process from its environment, never written to a plan file).
    """
    study = re.sub(r"\W+", "-", settings.study.name).strip("-").lower() or "study"
    frontier: dict[str, Any] = {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_PERSIST": False,  # a finished crawl clears its queue; an interrupted one resumes
        "DUPEFILTER_CLASS": "crawlers.middlewares.RedisCountingDupeFilter",
        "SCHEDULER_QUEUE_KEY": f"framewatch:{study}:{spider}:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"framewatch:{study}:{spider}:dupefilter",
    }
    if settings.crawl.redis_url:
        frontier["REDIS_URL"] = settings.crawl.redis_url
    return frontier


def write_plan(plan: dict[str, Any]) -> Path:
    """Write the plan and its spider configuration; return the plan file."""
    config_file = Path(plan["config"])
    config_file.parent.mkdir(parents=True, exist_ok=True)
    Path(plan["settings"]["LOG_FILE"]).parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(json.dumps(plan["config_data"], indent=1), encoding="utf-8")
    plan_file = config_file.with_name(config_file.name.replace("-config.json", "-plan.json"))
    plan_file.write_text(json.dumps({k: v for k, v in plan.items() if k != "config_data"}, indent=1), encoding="utf-8")  # fmt: skip
    return plan_file


@dataclass
class Coverage:
    """One row of ``crawl_runs``: what a crawl did for one source."""

    source: str
    spider: str
    feeds_polled: int = 0
    pages_fetched: int = 0
    items_scraped: int = 0
    stored: int = 0
    already_stored: int = 0
    skipped_known: int = 0
    dropped_reasons: Counter[str] = field(default_factory=Counter)
    error_reasons: Counter[str] = field(default_factory=Counter)
    extraction_fallbacks: int = 0
    date_missing: int = 0
    backoffs: int = 0

    @property
    def dropped(self) -> int:
        """Pages fetched but not stored."""
        return sum(self.dropped_reasons.values())

    @property
    def errors(self) -> int:
        """Failed requests and unreadable responses."""
        return sum(self.error_reasons.values())


def coverage_rows(
    stats_by_spider: dict[str, dict[str, Any]], report: IngestReport, sources: list[tuple[str, str]]
) -> list[Coverage]:
    """Per-source coverage from the spiders' stats and what ingest stored.

    Args:
        stats_by_spider: Final Scrapy stats of each spider that ran.
        report: What ingest stored, per source.
        sources: ``(source, spider)`` of the study's sources, listed even when nothing happened.
    """
    rows: dict[str, Coverage] = {name: Coverage(name, spider) for name, spider in sources}
    for spider, stats in stats_by_spider.items():
        for key, value in stats.items():
            match = _STAT.match(key)
            if not match or not isinstance(value, int):
                continue
            row = rows.setdefault(match["source"], Coverage(match["source"], spider))
            if match["bucket"] == "dropped":
                row.dropped_reasons[match["reason"]] += value
            elif match["bucket"] == "errors":
                row.error_reasons[match["reason"]] += value
            elif match["key"] in _COUNTERS:
                setattr(row, match["key"], getattr(row, match["key"]) + value)
        if stats.get("finish_reason") not in (None, "finished", "closespider_timeout"):
            rows.setdefault(f"({spider})", Coverage(f"({spider})", spider)).error_reasons[
                f"finish_{stats['finish_reason']}"
            ] += 1
    for source, stored in report.stored_by_source.items():
        rows.setdefault(source, Coverage(source, "ingest")).stored += stored
    for source, already in report.already_by_source.items():
        rows.setdefault(source, Coverage(source, "ingest")).already_stored += already
    if report.bad_lines:
        rows.setdefault("(ingest)", Coverage("(ingest)", "ingest")).error_reasons["truncated_json"] += report.bad_lines  # fmt: skip
    return list(rows.values())


def write_coverage(con: duckdb.DuckDBPyConnection, run_id: str, rows: list[Coverage]) -> None:
    """Store the coverage rows of a crawl in ``crawl_runs`` (one transaction)."""
    con.execute("BEGIN TRANSACTION")
    try:
        for row in rows:
            con.execute(
                """INSERT INTO crawl_runs (run_id, source, spider, feeds_polled, pages_fetched,
                     items_scraped, stored, already_stored, skipped_known, dropped, dropped_reasons,
                     errors, error_reasons, extraction_fallbacks, date_missing, backoffs)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [run_id, row.source, row.spider, row.feeds_polled, row.pages_fetched,
                 row.items_scraped, row.stored, row.already_stored, row.skipped_known, row.dropped,
                 json.dumps(dict(row.dropped_reasons)), row.errors,
                 json.dumps(dict(row.error_reasons)), row.extraction_fallbacks, row.date_missing,
                 row.backoffs],
            )  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def study_sources(settings: Settings) -> list[tuple[str, str]]:
    """``(source, spider)`` for every outlet, subreddit and search of the study."""
    sources = [(o.name, "news") for o in settings.outlets if o.kind != "reddit"]
    sources += [(f"r/{s}", "reddit") for s in settings.reddit.subreddits]
    sources += [(f"search:{s.query}", "reddit") for s in settings.reddit.searches]
    return sources
