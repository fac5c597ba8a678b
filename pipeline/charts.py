"""The charts of the report and the weekly export: their SQL, and PNG renderings (matplotlib).

Each chart is defined once by the SQL it comes from (:data:`CHART_SQL`); the HTML report draws it
with plotly and prints that SQL beside it, and the export saves PNG versions of the main charts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    from pipeline.export import Period

# Parameters: first week, last week (ISO strings). Keep each query readable: researchers see it.
CHART_SQL: dict[str, str] = {
    "frame_share": """
SELECT week, outlet, kind, frame_id, share, documents, outlet_documents
FROM frame_weekly
WHERE week BETWEEN ? AND ?
ORDER BY frame_id, outlet, week""",
    "frame_share_overall": """
WITH weekly AS (SELECT week, count(*) AS n FROM dated_documents GROUP BY week)
SELECT f.week, f.frame_id, count(DISTINCT f.doc_id) AS documents,
       any_value(w.n) AS all_documents, count(DISTINCT f.doc_id) / any_value(w.n) AS share
FROM frame_document_weeks f
JOIN weekly w USING (week)
WHERE f.week BETWEEN ? AND ?
GROUP BY ALL
ORDER BY f.frame_id, f.week""",
    "adoption": """
SELECT week, frame_id, new_outlets, cumulative_outlets, new_outlet_names
FROM frame_adoption
WHERE week BETWEEN ? AND ?
ORDER BY frame_id, week""",
    "first_users": """
SELECT frame_id, adoption_rank, outlet, kind, first_at, url, title, sentence
FROM frame_first_use
WHERE week BETWEEN ? AND ?
ORDER BY frame_id, adoption_rank, outlet""",
    "lead_lag": """
SELECT leader, follower, median_lag_days, frames
FROM frame_lead_lag  -- the matrix covers the whole study
ORDER BY leader, follower""",
    "citations": """
SELECT citing_outlet, cited_outlet, citing_kind, cited_kind, links, same_frame_links
FROM citation_edges
WHERE strftime(first_cited_at, '%G-W%V') BETWEEN ? AND ?
ORDER BY links DESC""",
    "reddit_vs_news": """
SELECT week, kind, frame_id,
       sum(documents) AS documents, sum(outlet_documents) AS all_documents,
       sum(documents) / sum(outlet_documents) AS share
FROM frame_weekly
WHERE week BETWEEN ? AND ?
GROUP BY ALL
ORDER BY frame_id, kind, week""",
    "topic_trends": """
WITH weekly AS (SELECT week, count(*) AS n FROM dated_documents GROUP BY week)
SELECT d.week, coalesce(tp.label, 'topic ' || t.topic_id) AS topic,
       count(*) AS documents, count(*) / any_value(w.n) AS share
FROM doc_topics t
JOIN dated_documents d USING (doc_id)
JOIN weekly w USING (week)
LEFT JOIN topics tp ON tp.model = t.model AND tp.topic_id = t.topic_id
WHERE t.topic_id >= 0 AND d.week BETWEEN ? AND ?
  AND t.model IN (SELECT model FROM topic_model_current)
GROUP BY ALL
ORDER BY topic, d.week""",
}


def chart_rows(
    con: duckdb.DuckDBPyConnection, name: str, first_week: str, last_week: str
) -> list[dict[str, Any]]:
    """Run one chart's SQL for a span of weeks (if it takes them) and return its rows as dicts."""
    sql = CHART_SQL[name]
    cursor = con.execute(sql, [first_week, last_week] if "?" in sql else [])
    columns = [d[0] for d in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def write_export_charts(con: duckdb.DuckDBPyConnection, period: Period, folder: Path) -> None:
    """Write ``frame_share.png`` and ``adoption.png`` for the eight weeks up to the period's end."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    weeks = _trailing_weeks(period, 8)
    share = chart_rows(con, "frame_share_overall", weeks[0], weeks[-1])
    adoption = chart_rows(con, "adoption", weeks[0], weeks[-1])
    for name, rows, draw in (
        ("frame_share", share, _draw_frame_share),
        ("adoption", adoption, _draw_adoption),
    ):
        figure, axes = plt.subplots(figsize=(9, 4.5), dpi=100)
        if rows:
            draw(axes, rows, weeks)
        else:
            axes.text(0.5, 0.5, f"No data for {period.label}", ha="center", va="center")
            axes.set_axis_off()
        figure.tight_layout()
        figure.savefig(folder / f"{name}.png")
        plt.close(figure)


def _trailing_weeks(period: Period, count: int) -> list[str]:
    from datetime import timedelta

    from pipeline.export import iso_week

    weeks = period.weeks
    if len(weeks) >= count:
        return weeks
    last_monday = period.end - timedelta(days=7)
    return [iso_week(last_monday - timedelta(days=7 * i)) for i in range(count - 1, -1, -1)]


def _draw_frame_share(axes: Any, rows: list[dict[str, Any]], weeks: list[str]) -> None:
    shares = {(row["frame_id"], row["week"]): row["share"] for row in rows}
    for frame in sorted({frame for frame, _ in shares}):
        axes.plot(weeks, [shares.get((frame, w), 0.0) for w in weeks], marker="o", label=frame)
    axes.set_ylabel("share of all documents")
    axes.set_title("Frame share by week")
    axes.tick_params(axis="x", rotation=45)
    axes.legend(fontsize="small")


def _draw_adoption(axes: Any, rows: list[dict[str, Any]], weeks: list[str]) -> None:
    by_frame: dict[str, dict[str, int]] = {}
    for row in rows:
        by_frame.setdefault(row["frame_id"], {})[row["week"]] = row["cumulative_outlets"]
    for frame, series in sorted(by_frame.items()):
        values, last = [], 0
        for week in weeks:  # weeks after the study's last document keep the last count
            last = series.get(week, last)
            values.append(last)
        axes.step(weeks, values, where="post", label=frame)
    axes.set_ylabel("outlets that have used the frame")
    axes.set_title("Adoption curve")
    axes.tick_params(axis="x", rotation=45)
    axes.legend(fontsize="small")
