"""Terminal output of the CLI: tables, CSV/JSON, progress and reports (rich)."""

from __future__ import annotations

import csv
import enum
import json
import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.config import Settings
from pipeline.importer import ImportReport, Problem
from pipeline.outputs import atomic_file, spreadsheet_safe

MAX_PROBLEMS_SHOWN = 50


class Format(enum.StrEnum):
    """Output formats of ``framewatch sql``."""

    table = "table"
    csv = "csv"
    json = "json"


@contextmanager
def row_progress(console: Console) -> Iterator[Callable[[int], None]]:
    """A progress display for long imports; yields a callback taking rows read so far."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("Importing", total=None)
        yield lambda rows: progress.update(task, completed=rows)


def print_rows(
    console: Console, columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: Format
) -> None:
    """Print query results as a rich table, CSV or a JSON array of objects."""
    if fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt is Format.json:
        records = [dict(zip(columns, map(_json_safe, row), strict=True)) for row in rows]
        text = json.dumps(records, default=str, ensure_ascii=False, indent=2, allow_nan=False)
        sys.stdout.write(text + "\n")
    else:
        table = Table(*columns, show_lines=False)
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        console.print(table)
        console.print(f"{len(rows)} row(s)", style="dim")


def _json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities (inside lists and structs too) as None: strict JSON has no
    such numbers, and parsers such as ``jq`` and JavaScript's reject them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def write_problems(data_path: Path, run_id: str, problems: list[Problem]) -> Path | None:
    """Write every problem of an import to ``DATA/problems/import-RUN.csv``; None if there were none."""
    if not problems:
        return None
    folder = data_path / "problems"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"import-{run_id}.csv"
    with atomic_file(target) as temp, temp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "skipped", "reason"])
        writer.writerows((p.line, p.skipped, spreadsheet_safe(p.reason)) for p in problems)
    return target


def print_import_report(
    console: Console, file: Path, report: ImportReport, problems_file: Path | None
) -> None:
    """Summarise an import: counts, then the problems with their line numbers."""
    console.print(
        f"[bold]{file.name}[/bold]: read {report.read:,} rows, stored {report.stored:,} new "
        f"documents, {report.already_stored:,} already stored, {report.skipped:,} skipped."
    )
    for problem in report.problems[:MAX_PROBLEMS_SHOWN]:
        verb = "skipped" if problem.skipped else "warning"
        console.print(f"  line {problem.line}: {verb}: {problem.reason}", markup=False)
    hidden = len(report.problems) - MAX_PROBLEMS_SHOWN
    if hidden > 0:
        console.print(f"  … and {hidden:,} more")
    if problems_file:
        console.print(f"All problems: {problems_file}")


def print_status(console: Console, con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Print what a study holds: per outlet and kind, the date range, and the last runs."""
    console.print(f"Study [bold]{settings.study.name}[/bold] — {settings.database_path}")
    totals = con.execute(
        "SELECT count(*), min(published_at), max(published_at), count(DISTINCT outlet) FROM documents"
    ).fetchall()[0]
    if not totals[0]:
        console.print("No documents yet. Run `framewatch import FILE` or `framewatch crawl`.")
    else:
        console.print(
            f"{totals[0]:,} documents from {totals[3]:,} outlets, "
            f"published {_day(totals[1])} … {_day(totals[2])}"
        )
        table = Table(
            "outlet",
            "articles",
            "reddit posts",
            "reddit comments",
            "duplicates",
            "first",
            "last",
            title="Documents per outlet and kind",
        )
        for row in con.execute(
            "SELECT outlet, articles, reddit_posts, reddit_comments, duplicates,"
            " first_published, last_published FROM outlet_summary ORDER BY outlet"
        ).fetchall():
            table.add_row(row[0], *(f"{v:,}" for v in row[1:5]), _day(row[5]), _day(row[6]))
        console.print(table)
    runs = Table(
        "run", "command", "status", "started (UTC)", "seconds", "counts", title="Last runs"
    )
    for run_id, command, state, started, seconds, counts in con.execute(
        "SELECT run_id, command, status, started_at,"
        " round(epoch(finished_at) - epoch(started_at), 1), counts"
        " FROM runs ORDER BY started_at DESC LIMIT 5"
    ).fetchall():
        runs.add_row(
            run_id,
            command,
            state,
            f"{started:%Y-%m-%d %H:%M}",
            "" if seconds is None else str(seconds),
            _counts(counts),
        )
    console.print(runs)


def _day(value: Any) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d}"


def _counts(raw: str | None) -> str:
    if not raw:
        return ""
    return ", ".join(f"{k} {v:,}" for k, v in json.loads(raw).items())


def print_demo_summary(console: Console, con: duckdb.DuckDBPyConnection) -> None:
    """Frame share by outlet and week, who used each frame first, and the topics."""
    weeks = [
        r[0] for r in con.execute("SELECT DISTINCT week FROM frame_weekly ORDER BY 1").fetchall()
    ]
    share = Table(
        "outlet",
        "frame",
        *(w[-3:] for w in weeks),
        title="Share of each outlet's documents carrying a frame, by ISO week",
    )
    cells: dict[tuple[str, str], dict[str, float]] = {}
    for week, outlet, frame, value in con.execute(
        "SELECT week, outlet, frame_id, share FROM frame_weekly ORDER BY outlet, frame_id"
    ).fetchall():
        cells.setdefault((outlet, frame), {})[week] = value
    for (outlet, frame), by_week in cells.items():
        share.add_row(outlet, frame, *(f"{by_week[w]:.0%}" if w in by_week else "" for w in weeks))
    console.print(share)
    first = Table("frame", "first used by", "on", "then", title="Who used each frame first")
    for frame, outlets, first_at in con.execute(
        "SELECT frame_id, list(outlet ORDER BY adoption_rank, outlet), min(first_at)"
        " FROM frame_first_use GROUP BY frame_id ORDER BY min(first_at)"
    ).fetchall():
        first.add_row(frame, outlets[0], _day(first_at), ", ".join(outlets[1:]))
    console.print(first)
    topics = Table("topic", "label", "documents", "first seen", title="Topics")
    for topic_id, label, size, seen in con.execute(
        "SELECT topic_id, label, size, first_seen_week FROM topics"
        " WHERE model IN (SELECT model FROM topic_model_current) AND topic_id >= 0 ORDER BY size DESC LIMIT 10"
    ).fetchall():
        topics.add_row(str(topic_id), label, str(size), seen or "")
    console.print(topics)
