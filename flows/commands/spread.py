"""Commands over the spread analytics: export and report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from flows.app import StudyOption, app, console, reports_errors, study_settings, write_database
from pipeline import export, report
from pipeline.errors import UsageError
from pipeline.store import record_run, scalar

WeekOption = Annotated[str | None, typer.Option("--week", help="ISO week, e.g. 2026-W48.")]
REPORT_PATH = Path("data/reports/report.html")
FromOption = Annotated[
    datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First day (YYYY-MM-DD).")
]
ToOption = Annotated[
    datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last day (YYYY-MM-DD).")
]


def choose_period(
    week: str | None, start: datetime | None, end: datetime | None
) -> export.Period | None:
    """The period named by --week or --from/--to; None when neither is given.

    Raises:
        UsageError: When both forms are mixed or only one end of a range is given.
    """
    if week and (start or end):
        raise UsageError("give either --week or --from/--to, not both")
    if week:
        return export.week_period(week)
    if start or end:
        if not (start and end):
            raise UsageError(
                "a date range needs both --from and --to, e.g. --from 2026-10-01 --to 2026-10-31"
            )
        return export.range_period(start.date(), end.date())
    return None


@app.command("export")
@reports_errors
def export_(
    week: WeekOption = None,
    start: FromOption = None,
    end: ToOption = None,
    study: StudyOption = None,
) -> None:
    """Write the weekly export: topic trends and frame spread (Parquet, CSV), top documents, charts, manifest.

    Without options it exports the last full ISO week. The export holds IDs, URLs, titles and framed
    sentences, not whole texts, so it can be shared.

    [bold]Example:[/bold] framewatch export --week 2026-W48

    [bold]Example:[/bold] framewatch export --from 2026-10-01 --to 2026-11-30
    """
    settings = study_settings(study)
    period = choose_period(week, start, end) or export.last_full_week()
    export.export_folder(settings, period)  # refuse before the flow starts; it checks again
    report.report_target(settings, settings.data_path / "reports" / "report.html")
    from flows.exporting import export_flow

    outcome = export_flow(
        str(settings.source),
        week=period.label if week or not (start or end) else None,
        start=start.date().isoformat() if start else None,
        end=end.date().isoformat() if end else None,
    )
    if outcome.documents == 0:
        console.print(f"{period.label} has no documents: wrote an empty export (headers only).")
    console.print(f"Export of {period.label} ({outcome.documents:,} documents): {outcome.folder}")
    for name, count in outcome.rows.items():
        console.print(f"  {name}: {count:,} rows")
    console.print(f"Report: {outcome.report}")


@app.command("report")
@reports_errors
def report_(
    week: WeekOption = None,
    start: FromOption = None,
    end: ToOption = None,
    out: Annotated[
        Path,
        typer.Option(
            help="Where the HTML goes: a .html file inside the study folder (relative to it)."
        ),
    ] = REPORT_PATH,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace a file at --out that is not a framewatch report (never the study "
            "file, the database, a folder or a file in the data folder).",
        ),
    ] = False,
    study: StudyOption = None,
) -> None:
    """Write a self-contained HTML report (works offline): frame share, adoption, lead/lag, citations, topics.

    Without options it covers the whole study. Each chart shows the SQL it came from. An existing
    file at --out is replaced only when it is an earlier framewatch report.

    [bold]Example:[/bold] framewatch report --from 2026-10-01 --to 2026-11-30 --out data/reports/autumn.html
    """
    settings = study_settings(study)
    target = report.report_target(settings, out, force=force)
    period = choose_period(week, start, end)
    con = write_database(settings)
    try:
        if period:
            first, last = period.first_week, period.last_week
        else:
            first = scalar(con, "SELECT coalesce(min(week), '0000-W00') FROM dated_documents")
            last = scalar(con, "SELECT coalesce(max(week), '9999-W99') FROM dated_documents")
        with record_run(
            con, "report", {"first_week": first, "last_week": last, "out": str(target)}
        ):
            report.write_report(con, settings, first, last, target, force=force)
    finally:
        con.close()
    console.print(f"Report for {first} … {last}: {target}")
