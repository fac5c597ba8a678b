"""The crawl flow: each spider in its own process (Scrapy's reactor cannot restart), then ingest.

Spiders never open the database: they write feed files, and the ingest task loads them, clusters
near-duplicates and stores the per-source coverage report in ``crawl_runs``. ``framewatch crawl``
and the scheduled deployments run this same flow.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline import crawling, ingest
from pipeline.config import Settings, load_settings
from pipeline.errors import InputFileError, UsageError
from pipeline.neardup import mark_near_duplicates
from pipeline.store import WRITER_WAIT_SECONDS, connect, connect_writer, record_run, utcnow

_LOGSTATS = re.compile(r"Crawled (\d+) pages .*scraped (\d+) items")
SPIDERS = ("news", "reddit")


@dataclass(frozen=True)
class CrawlOutcome:
    """What a crawl stored, per source."""

    coverage: list[crawling.Coverage]
    report: ingest.IngestReport
    near_duplicates: int


def choose_spiders(settings: Settings, only: str) -> list[str]:
    """The spiders the study needs, limited by ``only`` (all, news, reddit).

    Raises:
        UsageError: When the study names nothing to crawl.
    """
    news = any(o.kind != "reddit" for o in settings.outlets)
    r = settings.reddit
    reddit = bool(r.subreddits or r.searches or r.threads)
    chosen = [s for s, has in (("news", news), ("reddit", reddit)) if has and only in (s, "all")]
    if not chosen:
        raise UsageError(
            "nothing to crawl: add [[outlets]] with feeds, or subreddits/searches/threads under "
            "[reddit] in study.toml"
        )
    return chosen


def write_known_urls(settings: Settings, stamp: str) -> Path | None:
    """Write the URLs already stored, so the spiders skip them (None for a new study)."""
    return _write_known(settings, f"{stamp}-known-urls.txt", ingest.known_urls)


def write_known_threads(settings: Settings, stamp: str) -> Path | None:
    """Write the Reddit threads already stored whole, so the spider skips them (None for a new study)."""
    return _write_known(settings, f"{stamp}-known-threads.txt", ingest.known_threads)


def _write_known(
    settings: Settings, name: str, read: Callable[[duckdb.DuckDBPyConnection], list[str]]
) -> Path | None:
    if not settings.database_path.exists():
        return None
    con = connect(
        settings.database_path, read_only=True, wait_seconds=WRITER_WAIT_SECONDS, on_wait=print
    )
    try:
        known = read(con)
    finally:
        con.close()
    path = settings.data_path / crawling.CRAWL_DIR / "plans" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(known), encoding="utf-8")
    return path


def run_spider(
    plan_file: Path, plan: dict[str, Any], progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Run one spider in a subprocess; return its final stats.

    Raises:
        InputFileError: When the spider process fails or leaves no stats.
    """
    log = Path(plan["settings"]["LOG_FILE"])
    command = [sys.executable, "-m", "crawlers.run", str(plan_file)]
    errors = log.with_suffix(".stderr")
    # stderr goes to a file: a pipe nobody reads while the crawl runs can fill up and stall it.
    with errors.open("wb") as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=stderr, env=dict(os.environ)
        )
        while process.poll() is None:
            time.sleep(0.5)
            if progress:
                progress(f"{plan['spider']}: {_progress(log)}")
    stats_file = Path(plan["stats_file"])
    if process.returncode != 0 or not stats_file.exists():
        tail = errors.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        raise InputFileError(
            f"the {plan['spider']} spider stopped with status {process.returncode} "
            f"({' / '.join(tail) or 'no message'}); see {log}"
        )
    data: dict[str, Any] = json.loads(stats_file.read_text(encoding="utf-8"))
    return data


def _progress(log: Path) -> str:
    try:
        tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
    except OSError:
        return "starting"
    found = _LOGSTATS.findall(tail)
    return f"{found[-1][0]} pages fetched, {found[-1][1]} documents" if found else "running"


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=30, task_run_name="spider:{spider}")
def spider_task(
    study_file: str,
    spider: str,
    refresh: bool,
    known_file: str | None,
    stamp: str,
    threads_file: str | None = None,
) -> dict[str, Any]:
    """Crawl with one spider (retried: network trouble is often transient; both spiders resume)."""
    settings = load_settings(Path(study_file))
    plan = crawling.spider_plan(
        settings,
        spider,
        refresh=refresh,
        known_urls_file=Path(known_file) if known_file else None,
        stamp=stamp,
        known_threads_file=Path(threads_file) if threads_file else None,
    )
    stats = run_spider(crawling.write_plan(plan), plan)
    get_run_logger().info(
        "%s spider finished: %s",
        spider,
        {k: v for k, v in stats.items() if not k.startswith("fw/")},
    )
    return stats


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=10)
def ingest_task(
    study_file: str, stats: dict[str, dict[str, Any]], params: dict[str, Any]
) -> CrawlOutcome:
    """Load the feed files, cluster near-duplicates and store the coverage report."""
    settings = load_settings(Path(study_file))
    con = connect_writer(settings.database_path)
    try:
        with record_run(con, "crawl", params) as run:
            report = ingest.ingest_feed_files(con, settings.data_path, run.run_id)
            near = mark_near_duplicates(con, settings.crawl.near_duplicate_threshold)
            rows = crawling.coverage_rows(stats, report, crawling.study_sources(settings))
            crawling.write_coverage(con, run.run_id, rows)
            run.counts.update(
                files=report.files,
                items=report.items,
                stored=report.stored,
                already_stored=report.already_stored,
                near_duplicates=near,
            )
            if any(row.errors for row in rows):
                run.status, run.message = "partial", "some requests failed; see crawl_runs"
    finally:
        con.close()
    get_run_logger().info(
        "stored %s new documents (%s already stored)", report.stored, report.already_stored
    )
    return CrawlOutcome(rows, report, near)


@flow(name="framewatch-crawl", log_prints=True, validate_parameters=False)
def crawl_flow(study_file: str, only: str = "all", refresh: bool = False) -> CrawlOutcome:
    """Crawl the study's outlets and Reddit, then load what the spiders wrote.

    Args:
        study_file: Path of the study's ``study.toml``.
        only: ``all``, ``news`` or ``reddit``.
        refresh: Fetch article pages again even when already stored.
    """
    settings = load_settings(Path(study_file))
    spiders = choose_spiders(settings, only)
    stamp = f"{utcnow():%Y%m%dT%H%M%S}"
    known = None if refresh else write_known_urls(settings, stamp)
    threads = None if refresh or "reddit" not in spiders else write_known_threads(settings, stamp)
    stats = {
        s: spider_task(
            study_file, s, refresh, str(known) if known else None, stamp,
            str(threads) if threads else None,
        )
        for s in spiders
    }  # fmt: skip
    return ingest_task(study_file, stats, {"only": only, "refresh": refresh})
