"""Crawling commands: crawl (spiders, then ingest and a coverage report) and extract."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from flows.app import StudyOption, app, console, reports_errors, study_settings
from pipeline import crawling, ingest
from pipeline.config import Settings
from pipeline.errors import InputFileError, UsageError
from pipeline.neardup import mark_near_duplicates
from pipeline.store import connect, record_run, utcnow

_LOGSTATS = re.compile(r"Crawled (\d+) pages .*scraped (\d+) items")


class Only(StrEnum):
    """Which spiders a crawl runs."""

    all = "all"
    news = "news"
    reddit = "reddit"


@app.command()
@reports_errors
def crawl(
    study: StudyOption = None,
    only: Annotated[
        Only, typer.Option(help="Run only the news or only the Reddit spider.")
    ] = Only.all,
    refresh: Annotated[
        bool, typer.Option(help="Fetch article pages again even when already stored.")
    ] = False,
) -> None:
    """Crawl the study's outlets and Reddit, store new documents and report coverage per source.

    Feeds and sitemaps are polled every time; article pages already stored are not fetched again
    unless --refresh. An interrupted crawl resumes where it stopped. The coverage report is kept
    in the crawl_runs table.

    [bold]Example:[/bold] framewatch crawl --study distillation-study --only news
    """
    settings = study_settings(study)
    spiders = _spiders(settings, only)
    stamp = f"{utcnow():%Y%m%dT%H%M%S}"
    known_file = _write_known_urls(settings, stamp) if not refresh else None
    stats: dict[str, dict[str, Any]] = {}
    for spider in spiders:
        plan = crawling.spider_plan(settings, spider, refresh=refresh, known_urls_file=known_file, stamp=stamp)  # fmt: skip
        stats[spider] = run_spider(crawling.write_plan(plan), plan)
    con = connect(settings.database_path)
    try:
        with record_run(con, "crawl", {"only": only.value, "refresh": refresh}) as run:
            report = ingest.ingest_feed_files(con, settings.data_path, run.run_id)
            near = mark_near_duplicates(con, settings.crawl.near_duplicate_threshold)
            rows = crawling.coverage_rows(stats, report, crawling.study_sources(settings))
            crawling.write_coverage(con, run.run_id, rows)
            run.counts.update(files=report.files, items=report.items, stored=report.stored,
                              already_stored=report.already_stored, near_duplicates=near)  # fmt: skip
            if any(row.errors for row in rows):
                run.status, run.message = "partial", "some requests failed; see crawl_runs"
    finally:
        con.close()
    print_coverage(rows, report)


def _spiders(settings: Settings, only: Only) -> list[str]:
    news = any(o.kind != "reddit" for o in settings.outlets)
    r = settings.reddit
    reddit = bool(r.subreddits or r.searches or r.threads)
    chosen = [
        s for s, has in (("news", news), ("reddit", reddit)) if has and only.value in (s, "all")
    ]
    if not chosen:
        raise UsageError(
            "nothing to crawl: add [[outlets]] with feeds, or subreddits/searches/threads under "
            "[reddit] in study.toml"
        )
    return chosen


def _write_known_urls(settings: Settings, stamp: str) -> Path | None:
    if not settings.database_path.exists():
        return None
    con = connect(settings.database_path, read_only=True)
    try:
        urls = ingest.known_urls(con)
    finally:
        con.close()
    path = settings.data_path / crawling.CRAWL_DIR / "plans" / f"{stamp}-known-urls.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(urls), encoding="utf-8")
    return path


def run_spider(plan_file: Path, plan: dict[str, Any]) -> dict[str, Any]:
    """Run one spider in a subprocess with a progress line; return its final stats."""
    log = Path(plan["settings"]["LOG_FILE"])
    command = [sys.executable, "-m", "crawlers.run", str(plan_file)]
    errors = log.with_suffix(".stderr")
    # stderr goes to a file: a pipe nobody reads while the crawl runs can fill up and stall it.
    with console.status(f"{plan['spider']}: starting") as status, errors.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=dict(os.environ))  # fmt: skip
        while process.poll() is None:
            time.sleep(0.5)
            status.update(f"{plan['spider']}: {_progress(log)}")
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


def print_coverage(rows: list[crawling.Coverage], report: ingest.IngestReport) -> None:
    """Print the coverage table and a one-line summary."""
    table = Table(title="Crawl coverage")
    for column in ("source", "feeds", "pages", "stored", "already", "skipped known",
                   "dropped", "errors", "fallbacks", "no date"):  # fmt: skip
        table.add_column(column, justify="left" if column == "source" else "right")
    for row in rows:
        table.add_row(row.source, *map(str, (row.feeds_polled, row.pages_fetched, row.stored,
                      row.already_stored, row.skipped_known, row.dropped, row.errors,
                      row.extraction_fallbacks, row.date_missing)))  # fmt: skip
    console.print(table)
    reasons = [f"{row.source}: {_reasons(row)}" for row in rows if row.dropped or row.errors]
    for line in reasons:
        console.print(f"  {line}", markup=False, highlight=False)
    console.print(f"Stored {report.stored} new documents ({report.already_stored} already stored) "
                  f"from {report.files} feed files.")  # fmt: skip


def _reasons(row: crawling.Coverage) -> str:
    parts = [f"dropped {k}={v}" for k, v in sorted(row.dropped_reasons.items())]
    parts += [f"error {k}={v}" for k, v in sorted(row.error_reasons.items())]
    return ", ".join(parts)


@app.command()
@reports_errors
def extract(
    file: Annotated[Path, typer.Argument(help="A saved HTML page (may be .gz).")],
    url: Annotated[str, typer.Option(help="The page's URL (resolves links, canonical URL).")],
) -> None:
    """Print, as JSON, what the news spider would store for a saved page.

    Uses the same extraction code as the crawl, so you can check a site before crawling it.

    [bold]Example:[/bold] framewatch extract page.html --url https://www.theverge.com/2026/1/1/story
    """
    from crawlers.extract import extract_article

    if not file.is_file():
        raise InputFileError(
            f"{file}: no such file; save the page first (e.g. curl -o page.html URL)"
        )
    raw = file.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        import gzip

        raw = gzip.decompress(raw)
    article = extract_article(raw, url)
    if article is None:
        raise InputFileError(
            f"{file}: no article found (under 200 characters of body text); "
            "is this a listing, a video or a paywalled page?"
        )
    console.print_json(json.dumps(article.as_dict(), ensure_ascii=False))
