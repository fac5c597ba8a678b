"""The HTML report: one self-contained page (plotly inlined, no CDN) with the SQL of every chart.

Every string that comes from crawled or imported data is HTML-escaped before it reaches the page or
a chart label, so a title holding ``<script>`` shows as text and never runs.
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import networkx as nx
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from pipeline.charts import CHART_SQL, chart_rows
from pipeline.config import Settings
from pipeline.outputs import REPORT, REPORT_MARKER, check_target, study_places, write_text

MAX_LINES = 10


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _figure_html(figure: go.Figure, div_id: str) -> str:
    figure.update_layout(
        template="plotly_white", height=380, margin={"l": 50, "r": 20, "t": 40, "b": 60}
    )
    return str(pio.to_html(figure, include_plotlyjs=False, full_html=False, div_id=div_id))


def _empty(title: str) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(title=_e(title))
    figure.add_annotation(
        text="No data for this period", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
    )
    return figure


def _lines(rows: list[dict[str, Any]], series: str, x: str, y: str, title: str) -> go.Figure:
    if not rows:
        return _empty(title)
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[_e(row[series])].append(row)
    biggest = sorted(grouped, key=lambda k: -sum(float(r[y] or 0) for r in grouped[k]))[:MAX_LINES]
    figure = go.Figure()
    for name in sorted(biggest):
        points = grouped[name]
        figure.add_trace(
            go.Scatter(
                x=[r[x] for r in points], y=[r[y] for r in points], mode="lines+markers", name=name
            )
        )
    figure.update_layout(title=_e(title), xaxis_title=x, yaxis_title=y)
    return figure


def frame_share_figures(rows: list[dict[str, Any]]) -> list[tuple[str, go.Figure]]:
    """One line chart per frame: the share of each outlet's documents carrying it, by week."""
    by_frame: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_frame[row["frame_id"]].append(row)
    if not by_frame:
        return [("frame_share", _empty("Frame share by outlet"))]
    return [
        (
            f"frame_share_{i}",
            _lines(
                frame_rows,
                "outlet",
                "week",
                "share",
                f"“{frame}”: share of each outlet's documents",
            ),
        )
        for i, (frame, frame_rows) in enumerate(sorted(by_frame.items()))
    ]


def lead_lag_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """Heatmap of median adoption lag (days) of the follower (column) after the leader (row)."""
    if not rows:
        return _empty("Lead/lag (median days)")
    outlets = sorted({r["leader"] for r in rows} | {r["follower"] for r in rows})
    index = {name: i for i, name in enumerate(outlets)}
    z: list[list[float | None]] = [[None] * len(outlets) for _ in outlets]
    text: list[list[str]] = [[""] * len(outlets) for _ in outlets]
    for r in rows:
        z[index[r["leader"]]][index[r["follower"]]] = r["median_lag_days"]
        text[index[r["leader"]]][index[r["follower"]]] = (
            f"{r['median_lag_days']} d over {r['frames']} frame(s)"
        )
    labels = [_e(o) for o in outlets]
    figure = go.Figure(
        go.Heatmap(z=z, x=labels, y=labels, text=text, hoverinfo="text", colorscale="RdBu", zmid=0)
    )
    figure.update_layout(
        title="Lead/lag: days the column outlet adopts a frame after the row outlet"
    )
    return figure


def citation_figure(rows: list[dict[str, Any]]) -> go.Figure:
    """The outlet citation graph (spring layout with a fixed seed); news and Reddit coloured apart."""
    if not rows:
        return _empty("Citation graph")
    graph = nx.DiGraph()
    kinds: dict[str, str] = {}
    for r in rows:
        graph.add_edge(r["citing_outlet"], r["cited_outlet"], weight=r["links"])
        kinds[r["citing_outlet"]], kinds[r["cited_outlet"]] = r["citing_kind"], r["cited_kind"]
    position = nx.spring_layout(graph, seed=7)
    figure = go.Figure()
    for source, target in graph.edges:
        (x0, y0), (x1, y1) = position[source], position[target]
        figure.add_annotation(
            x=x1,
            y=y1,
            ax=x0,
            ay=y0,
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            showarrow=True,
            arrowhead=3,
            arrowwidth=1 + graph.edges[source, target]["weight"] ** 0.5,
        )
    for kind, colour in (("news", "#1f77b4"), ("reddit", "#ff4500")):
        nodes = [n for n in graph.nodes if kinds.get(n) == kind]
        figure.add_trace(
            go.Scatter(
                x=[position[n][0] for n in nodes],
                y=[position[n][1] for n in nodes],
                mode="markers+text",
                text=[_e(n) for n in nodes],
                textposition="top center",
                name=kind,
                marker={"size": 16, "color": colour},
            )
        )
    figure.update_layout(
        title="Citation graph (arrow: citing → cited)", xaxis_visible=False, yaxis_visible=False
    )
    return figure


def _reddit_vs_news(rows: list[dict[str, Any]]) -> go.Figure:
    labelled = [{**r, "series": f"{r['frame_id']} ({r['kind']})"} for r in rows]
    return _lines(
        labelled,
        "series",
        "week",
        "share",
        "Reddit versus news: share of documents carrying each frame",
    )


def _first_users_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>No frame has been used yet.</p>"
    body = "".join(
        f"<tr><td>{_e(r['frame_id'])}</td><td>{_e(r['adoption_rank'])}</td><td>{_e(r['outlet'])}</td>"
        f"<td>{_e(r['kind'])}</td><td>{_e(r['first_at'])}</td>"
        f'<td><a href="{_e(r["url"]) if str(r["url"] or "").startswith("http") else "#"}">{_e(r["title"])}</a></td>'
        f"<td>{_e(r['sentence'])}</td></tr>"
        for r in rows
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("frame", "rank", "outlet", "kind", "first used", "document", "sentence")
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def build_report(
    con: duckdb.DuckDBPyConnection, settings: Settings, first_week: str, last_week: str
) -> str:
    """Render the whole report for the weeks ``first_week`` … ``last_week`` as one HTML string."""
    rows = {name: chart_rows(con, name, first_week, last_week) for name in CHART_SQL}
    sections: list[tuple[str, str, list[tuple[str, go.Figure]], str]] = [
        (
            "Frame share over time, per outlet",
            "frame_share",
            frame_share_figures(rows["frame_share"]),
            "",
        ),
        (
            "Adoption curve and first users",
            "adoption",
            [
                (
                    "adoption",
                    _lines(
                        rows["adoption"],
                        "frame_id",
                        "week",
                        "cumulative_outlets",
                        "Outlets that have used each frame",
                    ),
                )
            ],
            _first_users_table(rows["first_users"]),
        ),
        (
            "Lead/lag between outlets",
            "lead_lag",
            [("lead_lag", lead_lag_figure(rows["lead_lag"]))],
            "",
        ),
        ("Citation graph", "citations", [("citations", citation_figure(rows["citations"]))], ""),
        (
            "Reddit versus news",
            "reddit_vs_news",
            [("reddit_vs_news", _reddit_vs_news(rows["reddit_vs_news"]))],
            "",
        ),
        (
            "Topic trends",
            "topic_trends",
            [
                (
                    "topic_trends",
                    _lines(
                        rows["topic_trends"],
                        "topic",
                        "week",
                        "share",
                        "Share of documents per topic",
                    ),
                )
            ],
            "",
        ),
    ]
    parts = []
    for title, sql_name, figures, extra in sections:
        charts = "".join(
            f'<div class="chart">{_figure_html(fig, div_id)}</div>' for div_id, fig in figures
        )
        sql = (
            CHART_SQL[sql_name]
            if sql_name != "adoption"
            else CHART_SQL["adoption"] + ";\n" + CHART_SQL["first_users"]
        )
        parts.append(
            f"<section><h2>{_e(title)}</h2>{charts}{extra}"
            f"<details><summary>SQL</summary><pre>{_e(sql.strip())}</pre>"
            f"<p>Parameters: {_e(first_week)}, {_e(last_week)}</p></details></section>"
        )
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"{REPORT_MARKER}<title>framewatch report: {_e(settings.study.name)}</title>"
        f"<style>{_CSS}</style><script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{_e(settings.study.name)}</h1>"
        f"<p>Weeks {_e(first_week)} to {_e(last_week)}; made {created} from {_e(settings.database_path.name)}.</p>"
        + "".join(parts)
        + "</body></html>"
    )


def write_report(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    first_week: str,
    last_week: str,
    target: Path,
    *,
    force: bool = False,
) -> Path:
    """Write the report to ``target`` (via a temporary file, so a crash leaves the old one).

    Raises:
        OutputError: When ``target`` is not a place a report may go (see
            :func:`pipeline.outputs.check_target`).
    """
    path = report_target(settings, target, force=force)
    return write_text(path, build_report(con, settings, first_week, last_week))


def report_target(settings: Settings, target: Path, *, force: bool = False) -> Path:
    """The absolute path a report may be written to (relative paths are the study folder's).

    Raises:
        OutputError: When ``target`` is the study file, the database, a folder, outside the
            study, or an existing file that is not a framewatch report (``force``: outside the
            data folder, such a file may be replaced).
    """
    return check_target(target, REPORT, study_places(settings), force=force)


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
section { margin-bottom: 3rem; } table { border-collapse: collapse; font-size: 0.85rem; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: 0.3rem; text-align: left; vertical-align: top; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; } details { margin-top: 0.5rem; }
"""
