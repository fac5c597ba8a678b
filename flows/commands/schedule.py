"""Scheduling commands: serve the study's deployments, or run the weekly flow once."""

from __future__ import annotations

from typing import Annotated

import typer

from flows.app import StudyOption, app, console, reports_errors, study_settings


@app.command()
@reports_errors
def serve(study: StudyOption = None) -> None:
    """Serve the study's scheduled deployments (weekly run and daily crawl) from this process.

    Needs a Prefect API to schedule against: start one with `prefect server start` and set
    PREFECT_API_URL=http://127.0.0.1:4200/api, then open that address to see runs in the Prefect UI.
    Stop with Ctrl-C.

    [bold]Example:[/bold] framewatch serve --study distillation-study
    """
    settings = study_settings(study)
    from flows.weekly import serve_study, study_deployments

    for deployment in study_deployments(settings):
        crons = ", ".join(
            f"{s.schedule.cron} ({s.schedule.timezone})" for s in deployment.schedules
        )
        console.print(f"Serving [bold]{deployment.name}[/bold]: {crons}")
    serve_study(settings.source)


@app.command()
@reports_errors
def weekly(
    week: Annotated[
        str | None, typer.Option(help="ISO week to export (default: the last full week).")
    ] = None,
    study: StudyOption = None,
) -> None:
    """Run the weekly flow once now: crawl, analyze, export and report.

    [bold]Example:[/bold] framewatch weekly --week 2026-W47
    """
    settings = study_settings(study)
    from flows.weekly import weekly_flow

    if week:
        from pipeline.export import parse_week

        parse_week(week)
    with console.status("Weekly run: crawl, analyze, export…"):
        summary = weekly_flow(str(settings.source), week=week)
    console.print(
        f"Stored {summary['stored']} new documents; export {summary['export']}; report {summary['report']}"
    )
