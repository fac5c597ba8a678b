"""Core commands: init, import, sql, status, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from flows import output
from flows.app import (
    StudyOption,
    WaitOption,
    app,
    console,
    err_console,
    read_database,
    reports_errors,
    study_settings,
    write_database,
)
from pipeline import importer, reddit_dump
from pipeline.config import Settings, load_settings, write_study_template
from pipeline.errors import StoreError, UsageError
from pipeline.sources import SourceFile, check_file, inspect_source
from pipeline.store import (
    CTRL_C_MESSAGE,
    QueryStopped,
    check_single_statement,
    record_run,
    stoppable_query,
)


@app.command()
@reports_errors
def init(
    folder: Annotated[Path, typer.Argument(help="Folder for the new study (created if needed).")],
    name: Annotated[
        str | None, typer.Option(help="Study name. Default: the folder's name.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing study.toml.")] = False,
) -> None:
    """Create a study folder with a commented study.toml.

    [bold]Example:[/bold] framewatch init distillation-study --name "AI distillation 2026"
    """
    target = write_study_template(folder, name or folder.resolve().name, force=force)
    settings = load_settings(target)
    settings.data_path.mkdir(parents=True, exist_ok=True)
    console.print(f"Wrote [bold]{target}[/bold]. Edit its outlets, then run:")
    console.print(f"  cd {folder} && framewatch status")


@app.command("import")
@reports_errors
def import_(
    file: Annotated[
        Path | None, typer.Argument(help="JSON Lines, CSV or Parquet file (may be .gz).")
    ] = None,
    preset: Annotated[
        str | None,
        typer.Option(help=f"Ready mapping for a known export: {', '.join(importer.PRESETS)}."),
    ] = None,
    map_: Annotated[
        str | None,
        typer.Option(
            "--map",
            help="Column mapping FIELD=COLUMN,…; fields: " + ", ".join(importer.FIELDS) + ".",
        ),
    ] = None,
    format_: Annotated[
        str | None,
        typer.Option("--format", help="jsonl, csv or parquet. Default: from the file name."),
    ] = None,
    outlet: Annotated[
        str | None, typer.Option(help="Outlet for rows that name none (default: the URL's domain).")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            help="Text encoding of a CSV or JSON Lines file, e.g. cp1252. "
            "Default: from a byte-order mark, else UTF-8."
        ),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(help="CSV delimiter, e.g. ';'. Default: found from the header."),
    ] = None,
    reddit_dump: Annotated[
        Path | None,
        typer.Option(
            "--reddit-dump",
            help="A Pushshift / Arctic Shift dump (.zst NDJSON), filtered by the study's "
            "subreddits, keywords and dates.",
        ),
    ] = None,
    study: StudyOption = None,
) -> None:
    """Load an existing corpus into the documents table.

    A document already stored (same canonical URL) is not stored again, except that a document
    stored without text gets the text it lacked; a malformed row, or one that is not valid text in
    the file's encoding, is reported with its line number and skipped.

    [bold]Example:[/bold] framewatch import articles.jsonl --preset allsides

    [bold]Example:[/bold] framewatch import stories.csv --map text=body,outlet=site,published_at=date

    [bold]Example:[/bold] framewatch import --reddit-dump LocalLLaMA_submissions.zst
    """
    settings = study_settings(study)
    if reddit_dump is not None:
        if file is not None:
            raise UsageError("give either FILE or --reddit-dump, not both; run the command twice")
        run_dump_import(settings, reddit_dump)
        return
    if file is None:
        raise UsageError("name the file to import, e.g. framewatch import articles.jsonl")
    overrides = importer.parse_mapping(map_)
    mapping = importer.resolve_mapping(preset, overrides)
    check_file(file)
    fmt = importer.detect_format(file, format_)
    # Everything that can be refused is refused before the database is opened.
    source = inspect_source(file, fmt, encoding=encoding, delimiter=delimiter)
    importer.check_mapping(source, overrides, preset)
    run_import(settings, file, mapping, fmt=fmt, outlet=outlet, preset=preset, map_spec=map_, source=source)  # fmt: skip


def run_import(
    settings: Settings,
    file: Path,
    mapping: dict[str, tuple[str, ...]],
    *,
    fmt: str,
    outlet: str | None = None,
    preset: str | None = None,
    map_spec: str | None = None,
    source: SourceFile | None = None,
) -> importer.ImportReport:
    """Import one file into the study database, log the run and print the report."""
    source = source or inspect_source(file, fmt)
    params = {"file": str(file), "preset": preset, "map": map_spec, "format": fmt,
              "read_as": source.describe()}  # fmt: skip
    console.print(f"Reading {file.name} as {source.describe()}.", markup=False)
    con = write_database(settings)
    try:
        with record_run(con, "import", params) as run, output.row_progress(console) as progress:
            report = importer.import_file(
                con, file, mapping, fmt=fmt, outlet=outlet, run_id=run.run_id,
                on_progress=progress, source=source,
            )  # fmt: skip
            run.counts.update(read=report.read, stored=report.stored, filled=report.filled,
                              already_stored=report.already_stored, skipped=report.skipped,
                              partial_dates=report.partial_dates)  # fmt: skip
            if report.skipped:
                run.status = "partial"
                run.message = report.cut or f"{report.skipped} malformed rows skipped"
        problems_file = output.write_problems(settings.data_path, run.run_id, report.problems)
    finally:
        con.close()
    output.print_import_report(console, file, report, problems_file)
    if report.filled:
        console.print(f"Filled in the text of {report.filled:,} documents stored without it.")
    for warning in report.warnings(source):
        err_console.print(f"Warning: {warning}", style="yellow", markup=False, highlight=False)
    return report


def run_dump_import(settings: Settings, dump: Path) -> reddit_dump.DumpReport:
    """Import a Reddit dump into the study database, log the run and print the report."""
    reddit_dump.check_dump(dump)  # an unreadable dump is refused before the database is opened
    con = write_database(settings)
    try:
        with record_run(con, "import", {"reddit_dump": str(dump)}) as run, output.row_progress(console) as progress:  # fmt: skip
            report = reddit_dump.import_dump(con, dump, settings, run_id=run.run_id, on_progress=progress)  # fmt: skip
            run.counts.update(read=report.read, matched=report.matched, stored=report.stored,
                              already_stored=report.already_stored, skipped=report.skipped)  # fmt: skip
            if report.skipped:
                run.status = "partial"
                run.message = f"{report.skipped} corrupt lines skipped"
        problems_file = output.write_problems(settings.data_path, run.run_id, report.problems)
    finally:
        con.close()
    console.print(
        f"Read {report.read} lines of {dump.name}: {report.matched} matched the study, "
        f"{report.stored} stored, {report.already_stored} already stored, "
        f"{report.skipped} corrupt lines skipped."
    )
    if problems_file is not None:
        console.print(f"Problems are listed in {problems_file}")
    return report


@app.command()
@reports_errors
def sql(
    query: Annotated[str, typer.Argument(help="A read-only SQL query.")],
    format_: Annotated[
        output.Format, typer.Option("--format", "-f", help="Output format.")
    ] = output.Format.table,
    files: Annotated[
        bool,
        typer.Option(
            "--files",
            help="Let the query read and write files (read_parquet, COPY … TO); off by default.",
        ),
    ] = False,
    wait: WaitOption = 120.0,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", min=0, help="Stop the query after this many seconds (0: no limit)."
        ),
    ] = 0.0,
    study: StudyOption = None,
) -> None:
    """Run one read-only SQL statement against the study database and print the result.

    The database is opened read-only, and the query cannot touch other files unless --files.
    Ctrl-C or --timeout stops a long query; -f json prints NaN and infinities as null.

    [bold]Example:[/bold] framewatch sql "SELECT outlet, count(*) FROM documents GROUP BY 1" -f csv

    [bold]Example:[/bold] framewatch sql --files "SELECT * FROM 'data/exports/2026-W47/frame_spread.parquet'"
    """
    settings = study_settings(study)
    check_single_statement(query)
    try:
        columns, rows = run_query(settings, query, files=files, wait=wait, timeout=timeout)
    except KeyboardInterrupt:  # Ctrl-C while waiting for the database: the same one line
        raise QueryStopped(CTRL_C_MESSAGE) from None
    output.print_rows(console, columns, rows, format_)


def run_query(
    settings: Settings, query: str, *, files: bool, wait: float, timeout: float
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one query on a read-only connection that Ctrl-C or ``timeout`` stops; columns, rows."""
    con = read_database(settings, wait)
    try:
        if not files:
            # Read-only also for the file system: no COPY … TO, no reading other files, locked.
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
        try:
            with stoppable_query(con, timeout):
                cursor = con.execute(query)
                return [d[0] for d in cursor.description or []], cursor.fetchall()
        except QueryStopped:
            raise
        except Exception as exc:  # duckdb raises many unrelated error types for bad SQL
            raise StoreError(
                f"the query failed: {str(exc).splitlines()[0]}; "
                "`framewatch sql` is read-only (add --files to use other files), see README for the tables"
            ) from None
    finally:
        con.close()


@app.command()
@reports_errors
def status(wait: WaitOption = 120.0, study: StudyOption = None) -> None:
    """Show what the study holds: documents per outlet and kind, date range and the last runs.

    [bold]Example:[/bold] framewatch status --study distillation-study
    """
    settings = study_settings(study)
    if not settings.database_path.exists():
        console.print(f"Study [bold]{settings.study.name}[/bold]: no database yet.")
        console.print("Run `framewatch import FILE` (or a crawl) to fill it.")
        return
    con = read_database(settings, wait)
    try:
        output.print_status(console, con, settings)
    finally:
        con.close()
