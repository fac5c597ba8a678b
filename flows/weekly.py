"""The weekly flow (crawl, analyze, export in order) and the study's scheduled deployments.

``framewatch serve`` serves two deployments from one process: the weekly run on the study's
``[schedule] weekly`` cron and a daily crawl on ``[schedule] crawl``, both in the schedule's time
zone. ``prefect.yaml`` describes the same deployments for a Prefect server and a process work pool.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow
from prefect.schedules import Cron

from flows.analyze import run_analysis
from flows.crawl import crawl_flow
from flows.exporting import export_flow
from pipeline.config import Settings, load_settings


@flow(name="framewatch-weekly", log_prints=True, validate_parameters=False)
def weekly_flow(study_file: str, week: str | None = None) -> dict[str, Any]:
    """Crawl, analyze, then export the last full week (or ``week``) and refresh the report.

    Args:
        study_file: Path of the study's ``study.toml``.
        week: ISO week to export (default: the last full week).
    """
    crawled = crawl_flow(study_file)
    analysed = run_analysis(study_file)
    exported = export_flow(study_file, week=week)
    summary = {
        "stored": crawled.report.stored,
        "stages": {r.name: r.counts for r in analysed},
        "export": str(exported.folder),
        "report": str(exported.report),
    }
    print(f"weekly run: {summary}")
    return summary


def study_deployments(settings: Settings) -> list[Any]:
    """The study's deployments for ``serve``: weekly (crawl + analyze + export) and a daily crawl."""
    study_file = str(settings.source)
    name = settings.study.name
    timezone = settings.schedule.timezone
    return [
        weekly_flow.to_deployment(
            name=f"{name}-weekly",
            schedules=[Cron(settings.schedule.weekly, timezone=timezone)],
            parameters={"study_file": study_file},
            description=f"Weekly crawl, analysis and export of study {name!r}.",
            tags=["framewatch", name],
        ),
        crawl_flow.to_deployment(
            name=f"{name}-crawl",
            schedules=[Cron(settings.schedule.crawl, timezone=timezone)],
            parameters={"study_file": study_file},
            description=f"Daily crawl of study {name!r}.",
            tags=["framewatch", name],
        ),
    ]


def serve_study(study_file: Path) -> None:
    """Serve the study's deployments with their schedules until interrupted."""
    from prefect import serve

    serve(*study_deployments(load_settings(study_file)))
