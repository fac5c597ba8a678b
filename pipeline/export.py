"""Weekly exports: topic trends and frame spread as Parquet and CSV, top documents, a manifest.

An export covers whole ISO weeks: one week (``2026-W48``) or the weeks that overlap a date range.
It holds IDs, URLs, titles and the framed sentences, never whole texts, so that it can be shared.
Everything is written into a fresh folder under the study's ``data/exports`` and moved into place
at the end, so a crash never leaves a half-written export behind. In the CSV files a text cell that
a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first) starts with ``'``;
the Parquet files keep every value as stored.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipeline.config import Settings
from pipeline.errors import UsageError
from pipeline.outputs import (
    EXPORT,
    atomic_folder,
    check_target,
    spreadsheet_safe_table,
    study_places,
)
from pipeline.store import framewatch_version, scalar

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
TOP_N = 5


@dataclass(frozen=True)
class Period:
    """A run of whole ISO weeks, from the Monday of ``first`` to the Sunday of ``last``."""

    label: str
    first_week: str
    last_week: str
    start: date
    end: date  # exclusive: the Monday after the last week

    @property
    def weeks(self) -> list[str]:
        """The ISO week strings of the period, in order."""
        days = (self.end - self.start).days
        return [iso_week(self.start + timedelta(days=d)) for d in range(0, days, 7)]


def iso_week(day: date) -> str:
    """``2026-W48`` for a date."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str) -> date:
    """The Monday of an ISO week written ``YYYY-Www``.

    Raises:
        UsageError: When the text is not such a week.
    """
    match = _WEEK.match(text.strip())
    if match:
        try:
            return date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            pass
    raise UsageError(f'week "{text}" is not an ISO week; write it as YYYY-Www, e.g. 2026-W48')


def week_period(week: str) -> Period:
    """The period of one ISO week."""
    monday = parse_week(week)
    return Period(week, week, week, monday, monday + timedelta(days=7))


def last_full_week(today: date | None = None) -> Period:
    """The ISO week before the current one (the default export)."""
    today = today or datetime.now(UTC).date()
    return week_period(iso_week(today - timedelta(days=7)))


def range_period(start: date, end: date) -> Period:
    """The whole ISO weeks that overlap ``start`` … ``end`` (inclusive).

    Raises:
        UsageError: When ``end`` is before ``start``.
    """
    if end < start:
        raise UsageError(f"--to {end} is before --from {start}; swap them")
    monday = start - timedelta(days=start.weekday())
    after = end + timedelta(days=7 - end.weekday())
    return Period(f"{start}_{end}", iso_week(monday), iso_week(end), monday, after)


# Each export table: (name, SQL). Parameters: first week, last week (ISO strings).
TABLES: dict[str, str] = {
    "topic_trends": """
        WITH weekly AS (SELECT week, count(*) AS week_documents FROM dated_documents GROUP BY week)
        SELECT d.week, t.topic_id, any_value(tp.label) AS label, count(*) AS documents,
               any_value(w.week_documents) AS week_documents,
               count(*) / any_value(w.week_documents) AS share,
               count(*) FILTER (WHERE d.is_original) AS documents_dedup
        FROM doc_topics t
        JOIN dated_documents d USING (doc_id)
        JOIN weekly w USING (week)
        LEFT JOIN topics tp ON tp.model = t.model AND tp.topic_id = t.topic_id
        WHERE d.week BETWEEN ? AND ? AND t.model IN (SELECT model FROM topic_model_current)
        GROUP BY d.week, t.topic_id
        ORDER BY d.week, documents DESC, t.topic_id
    """,
    "frame_spread": """
        SELECT * FROM frame_weekly WHERE week BETWEEN ? AND ?
        ORDER BY week, codebook, frame_id, outlet
    """,
    "top_documents_per_topic": f"""
        SELECT t.topic_id, any_value(tp.label) AS label,
               row_number() OVER (PARTITION BY t.topic_id ORDER BY t.probability DESC, d.doc_id) AS rank,
               d.doc_id, any_value(doc.outlet) AS outlet, any_value(doc.url) AS url,
               any_value(doc.title) AS title, any_value(d.published_at) AS published_at,
               any_value(t.probability) AS probability
        FROM doc_topics t
        JOIN dated_documents d USING (doc_id)
        JOIN documents doc USING (doc_id)
        LEFT JOIN topics tp ON tp.model = t.model AND tp.topic_id = t.topic_id
        WHERE d.week BETWEEN ? AND ? AND t.topic_id >= 0
          AND t.model IN (SELECT model FROM topic_model_current)
        GROUP BY t.topic_id, d.doc_id, t.probability
        QUALIFY rank <= {TOP_N}
        ORDER BY t.topic_id, rank
    """,
    "top_documents_per_frame": f"""
        SELECT m.codebook, m.codebook_version, m.frame_id,
               row_number() OVER (
                   PARTITION BY m.codebook, m.codebook_version, m.frame_id
                   ORDER BY count(*) DESC, max(m.score) DESC, m.doc_id) AS rank,
               m.doc_id, any_value(doc.outlet) AS outlet, any_value(doc.url) AS url,
               any_value(doc.title) AS title, any_value(doc.published_at) AS published_at,
               count(*) AS mentions, round(max(m.score), 4) AS top_score,
               string_agg(s.text, ' | ' ORDER BY m.sentence_idx) AS framed_sentences
        FROM frame_mentions m
        JOIN dated_documents d USING (doc_id)
        JOIN documents doc USING (doc_id)
        LEFT JOIN sentences s ON s.doc_id = m.doc_id AND s.sentence_idx = m.sentence_idx
        WHERE d.week BETWEEN ? AND ?
        GROUP BY m.codebook, m.codebook_version, m.frame_id, m.doc_id
        QUALIFY rank <= {TOP_N}
        ORDER BY m.codebook, m.frame_id, rank
    """,
}


@dataclass(frozen=True)
class ExportResult:
    """Where an export went and what it holds."""

    folder: Path
    documents: int
    rows: dict[str, int]


def export_folder(settings: Settings, period: Period) -> Path:
    """Where the export of ``period`` goes: ``DATA/exports/LABEL``.

    Raises:
        OutputError: When something that is not an earlier framewatch export is there.
    """
    target = settings.data_path / "exports" / period.label
    return check_target(target, EXPORT, study_places(settings))


def write_export(
    con: duckdb.DuckDBPyConnection, settings: Settings, period: Period, run_id: str
) -> ExportResult:
    """Write the export of ``period`` into ``DATA/exports/LABEL`` (replacing an older one).

    Returns:
        The folder, the number of documents in the period and the rows of each table.

    Raises:
        OutputError: When the folder holds something framewatch did not write there.
    """
    target = export_folder(settings, period)
    params = [period.first_week, period.last_week]
    rows: dict[str, int] = {}
    with atomic_folder(target) as staging:
        for name, query in TABLES.items():
            table = con.sql(query, params=params).to_arrow_table()
            rows[name] = _write_table(table, staging / name)
        documents = int(
            scalar(con, "SELECT count(*) FROM dated_documents WHERE week BETWEEN ? AND ?", params)
        )
        from pipeline.charts import write_export_charts

        write_export_charts(con, period, staging)
        manifest = _manifest(con, settings, period, run_id, documents, rows, staging)
        (staging / "manifest.json").write_text(
            json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8"
        )
    return ExportResult(target, documents, rows)


def _write_table(table: pa.Table, stem: Path) -> int:
    """Parquet keeps every value as stored; the CSV, meant for spreadsheets, neutralises formulas."""
    pq.write_table(table, stem.with_suffix(".parquet"))
    pacsv.write_csv(spreadsheet_safe_table(table), stem.with_suffix(".csv"))
    return int(table.num_rows)


def _manifest(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    period: Period,
    run_id: str,
    documents: int,
    rows: dict[str, int],
    folder: Path,
) -> dict[str, Any]:
    codebooks = con.execute(
        "SELECT DISTINCT m.codebook, m.codebook_version, m.model FROM frame_mentions m"
        " JOIN dated_documents d USING (doc_id) WHERE d.week BETWEEN ? AND ? ORDER BY ALL",
        [period.first_week, period.last_week],
    ).fetchall()
    last_runs = con.execute(
        "SELECT command, arg_max(run_id, started_at) FROM runs WHERE status IN ('ok', 'partial')"
        " GROUP BY command ORDER BY command"
    ).fetchall()
    files = {
        path.name: {
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "bytes": path.stat().st_size,
        }
        for path in sorted(folder.iterdir())
        if path.is_file()
    }
    return {
        "study": settings.study.name,
        "period": {
            "label": period.label,
            "first_week": period.first_week,
            "last_week": period.last_week,
            "start": period.start,
            "end_exclusive": period.end,
        },
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "framewatch": framewatch_version(),
        "documents": documents,
        "empty": documents == 0,
        "models": {"embedding": settings.models.embedding, "spacy": settings.models.spacy},
        "codebooks": [{"codebook": c, "version": v, "model": m} for c, v, m in codebooks],
        "export_run_id": run_id,
        "last_runs": dict(last_runs),
        "rows": rows,
        "files": files,
    }
