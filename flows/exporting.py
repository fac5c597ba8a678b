"""The export flow: the weekly export and the HTML report, as Prefect tasks over ``pipeline``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline import export, report
from pipeline.config import load_settings
from pipeline.store import connect_writer, record_run, scalar


@dataclass(frozen=True)
class ExportOutcome:
    """Where the export and the report went."""

    folder: Path
    documents: int
    rows: dict[str, int]
    report: Path


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5, timeout_seconds=1800)
def export_task(study_file: str, period: export.Period) -> export.ExportResult:
    """Write the export of one period, logged as a ``runs`` row."""
    settings = load_settings(Path(study_file))
    con = connect_writer(settings.database_path)
    try:
        with record_run(con, "export", {"period": period.label}) as run:
            result = export.write_export(con, settings, period, run.run_id)
            run.counts.update(documents=result.documents, **result.rows)
    finally:
        con.close()
    get_run_logger().info(
        "export %s: %s documents, rows %s", period.label, result.documents, result.rows
    )
    return result


@task(cache_policy=NO_CACHE, timeout_seconds=1800)
def report_task(
    study_file: str, target: Path, first_week: str | None, last_week: str | None
) -> Path:
    """Write the HTML report (whole study when no weeks are given)."""
    settings = load_settings(Path(study_file))
    con = connect_writer(settings.database_path)
    try:
        first = first_week or scalar(
            con, "SELECT coalesce(min(week), '0000-W00') FROM dated_documents"
        )
        last = last_week or scalar(
            con, "SELECT coalesce(max(week), '9999-W99') FROM dated_documents"
        )
        with record_run(
            con, "report", {"first_week": first, "last_week": last, "out": str(target)}
        ):
            report.write_report(con, settings, first, last, target)
    finally:
        con.close()
    get_run_logger().info("report %s … %s: %s", first, last, target)
    return target


@flow(name="framewatch-export", log_prints=True, validate_parameters=False)
def export_flow(
    study_file: str, week: str | None = None, start: str | None = None, end: str | None = None
) -> ExportOutcome:
    """Export a week (default: the last full ISO week) or a date range, then refresh the report.

    Args:
        study_file: Path of the study's ``study.toml``.
        week: ISO week such as ``2026-W48``.
        start: First day ``YYYY-MM-DD`` of a range (with ``end``).
        end: Last day ``YYYY-MM-DD`` of a range.
    """
    from datetime import date

    if start and end:
        period = export.range_period(date.fromisoformat(start), date.fromisoformat(end))
    else:
        period = export.week_period(week) if week else export.last_full_week()
    settings = load_settings(Path(study_file))
    result = export_task(study_file, period)
    target = report_task(study_file, settings.data_path / "reports" / "report.html", None, None)
    return ExportOutcome(result.folder, result.documents, result.rows, target)
