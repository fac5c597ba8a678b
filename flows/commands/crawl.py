"""Crawling commands: crawl (spiders, then ingest and a coverage report) and extract."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flows.app import StudyOption, app, console, reports_errors, study_settings
from pipeline import crawling, ingest
from pipeline.errors import InputFileError


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
        bool,
        typer.Option(
            help="Fetch article pages and whole Reddit threads again even when already stored."
        ),
    ] = False,
) -> None:
    """Crawl the study's outlets and Reddit, store new documents and report coverage per source.

    Feeds, sitemaps and Reddit listings are polled every time; article pages and Reddit threads
    already stored are not fetched again unless --refresh. An interrupted crawl resumes where it
    stopped. The coverage report is kept in the crawl_runs table.

    [bold]Example:[/bold] framewatch crawl --study distillation-study --only news
    """
    settings = study_settings(study)
    from flows.crawl import choose_spiders, crawl_flow

    # Fail before Prefect starts when there is nothing to crawl, or the Reddit credentials would
    # go where they must not (see crawlers.oauth).
    if "reddit" in choose_spiders(settings, only.value):
        from crawlers.oauth import oauth_plan

        oauth_plan(settings.reddit.base_url, settings.reddit.token_url, os.environ)
    with console.status("Crawling (spiders run in their own processes)…"):
        outcome = crawl_flow(str(settings.source), only=only.value, refresh=refresh)
    print_coverage(outcome.coverage, outcome.report)


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
    from crawlers.settings import DOWNLOAD_MAXSIZE
    from pipeline.bounded_io import unpack

    if file.stat().st_size > DOWNLOAD_MAXSIZE:
        raise InputFileError(f"{file}: over {DOWNLOAD_MAXSIZE:,} bytes, more than a crawl fetches")
    try:
        # Unpacked no further than a crawl would download a page (a gzip bomb costs no memory).
        raw = unpack(file.read_bytes(), DOWNLOAD_MAXSIZE)
    except ValueError as exc:
        raise InputFileError(
            f"{file}: not a readable page ({exc}); a crawl would skip it"
        ) from None
    article = extract_article(raw, url)
    if article is None:
        raise InputFileError(
            f"{file}: no article found (under 200 characters of body text); "
            "is this a listing, a video or a paywalled page?"
        )
    console.print_json(json.dumps(article.as_dict(), ensure_ascii=False))
