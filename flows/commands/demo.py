"""``framewatch demo``: the whole pipeline on a generated demo world served on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows import output
from flows.app import app, console, read_database, reports_errors
from pipeline.config import load_settings

DEMO_WEEK = "2026-W47"  # the last week of the demo story


@app.command()
@reports_errors
def demo(
    folder: Annotated[Path, typer.Option("--dir", help="Where the demo study goes.")] = Path(
        "framewatch-demo"
    ),
) -> None:
    """Run framewatch end to end on the embedded demo study (no network needed).

    Serves a generated world (seven fictional outlets with feeds, sitemaps and articles over eight
    weeks, and a subreddit with three threads) on 127.0.0.1, crawls it with the real spiders, runs
    the weekly flow (analysis, framing, export, report) and prints what it found. Run it again: it
    stores nothing twice.

    [bold]Example:[/bold] framewatch demo --dir /tmp/fw-demo
    """
    from flows.demo.server import serve_demo
    from flows.demo.study import check_demo_folder, write_demo_study
    from flows.weekly import weekly_flow

    check_demo_folder(folder)  # before the world is built: it checks again when it writes
    with serve_demo() as server:
        study_file = write_demo_study(folder, server.world.base_url).resolve()
        console.print(f"Demo world served on {server.world.base_url}; study: {study_file}")
        with console.status(
            "Crawling, analysing, framing and exporting (the first run loads the models)…"
        ):
            summary = weekly_flow(str(study_file), week=DEMO_WEEK)
    settings = load_settings(study_file)
    con = read_database(settings, 60)
    try:
        output.print_demo_summary(console, con)
    finally:
        con.close()
    console.print(f"\nStored {summary['stored']} new documents this run.")
    console.print(f"Database: {settings.database_path}")
    console.print(f"Export:   {summary['export']}")
    console.print(f"Report:   {summary['report']}")
    console.print(
        f'Try: framewatch sql --study {folder} "SELECT * FROM frame_first_use ORDER BY frame_id, adoption_rank"'
    )
