"""Weekly exports and the HTML report over a corpus whose spread is known."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from lxml import html as lxml_html

from pipeline import export, report
from pipeline.config import Settings
from pipeline.errors import UsageError
from pipeline.outputs import OutputError
from tests import spread_corpus as corpus
from tests.spread_corpus import A1, C1

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
INJECTED = '<script>document.body.setAttribute("data-pwned", "1")</script><img src=x onerror="document.body.setAttribute(\'data-pwned\', \'2\')">'


@pytest.fixture
def spread(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    corpus.build(con)
    con.execute("UPDATE documents SET title = ? WHERE doc_id = ?", [INJECTED, A1])
    return con


def test_parse_week_and_periods() -> None:
    assert export.parse_week("2026-W48") == date(2026, 11, 23)
    assert export.week_period("2026-W01").start == date(2025, 12, 29)
    for bad in ("2026-48", "2026-W6", "2025-W53", "W48"):
        with pytest.raises(UsageError, match=r"write it as YYYY-Www, e\.g\. 2026-W48"):
            export.parse_week(bad)
    assert export.last_full_week(date(2026, 11, 29)).label == "2026-W47"  # Sunday: W48 is not over
    assert export.last_full_week(date(2026, 11, 30)).label == "2026-W48"
    period = export.range_period(date(2026, 10, 1), date(2026, 10, 14))
    assert (period.first_week, period.last_week, period.start, period.end) == (
        "2026-W40",
        "2026-W42",
        date(2026, 9, 28),
        date(2026, 10, 19),
    )
    assert period.weeks == ["2026-W40", "2026-W41", "2026-W42"]
    with pytest.raises(UsageError, match="swap them"):
        export.range_period(date(2026, 10, 14), date(2026, 10, 1))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_week_export(spread: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    result = export.write_export(spread, settings, export.week_period("2026-W42"), "run-1")
    folder = settings.data_path / "exports" / "2026-W42"
    assert result.folder == folder and result.documents == 4
    assert result.rows == {
        "topic_trends": 1,
        "frame_spread": 3,
        "top_documents_per_topic": 4,
        "top_documents_per_frame": 4,
    }
    spread_rows = read_csv(folder / "frame_spread.csv")
    assert [
        (r["outlet"], r["frame_id"], r["documents"], r["outlet_documents"]) for r in spread_rows
    ] == [
        ("gamma", "innovation", "1", "1"),
        ("r/LocalLLaMA", "innovation", "2", "3"),
        ("r/LocalLLaMA", "theft", "1", "3"),
    ]
    assert pq.read_table(folder / "frame_spread.parquet").num_rows == 3
    topics = read_csv(folder / "topic_trends.csv")
    assert [(r["week"], r["topic_id"], r["documents"], r["share"]) for r in topics] == [
        ("2026-W42", "1", "4", "1")
    ]
    framed = read_csv(folder / "top_documents_per_frame.csv")
    # Equal mentions and scores: ties are broken by doc_id.
    assert [(r["frame_id"], r["rank"], r["doc_id"]) for r in framed] == [
        ("innovation", "1", "t1_c2"),
        ("innovation", "2", "t3_p1"),
        ("innovation", "3", C1),
        ("theft", "1", "t1_c1"),
    ]
    assert {r["framed_sentences"] for r in framed if r["doc_id"] == "t1_c1"} == {
        "They copied it, plain and simple."
    }
    assert "text" not in framed[0], "exports carry sentences, not whole texts"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (
        manifest["period"]["first_week"] == "2026-W42"
        and manifest["documents"] == 4
        and not manifest["empty"]
    )
    assert manifest["codebooks"] == [
        {"codebook": "ai_distillation", "version": "1", "model": "test"}
    ]
    for name, meta in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == meta["sha256"]
    assert {"frame_share.png", "adoption.png", "frame_spread.csv", "topic_trends.parquet"} <= set(
        manifest["files"]
    )
    assert (folder / "frame_share.png").read_bytes()[:4] == b"\x89PNG"


def test_export_of_an_empty_week(spread: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    result = export.write_export(spread, settings, export.week_period("2026-W10"), "run-2")
    assert result.documents == 0 and set(result.rows.values()) == {0}
    table = pq.read_table(result.folder / "frame_spread.parquet")
    assert table.num_rows == 0 and "share_dedup" in table.column_names
    assert read_csv(result.folder / "topic_trends.csv") == []
    assert json.loads((result.folder / "manifest.json").read_text())["empty"] is True


FORMULA = '=HYPERLINK("http://evil.example/","click")'


def test_csv_cells_cannot_carry_spreadsheet_formulas(
    spread: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    spread.execute("UPDATE documents SET title = ? WHERE doc_id = ?", [FORMULA, C1])
    spread.execute("UPDATE sentences SET text = '@SUM(A1:A9)' WHERE doc_id = 't1_c1'")
    result = export.write_export(spread, settings, export.week_period("2026-W42"), "run-1")
    framed = read_csv(result.folder / "top_documents_per_frame.csv")
    titles = {r["doc_id"]: r["title"] for r in framed}
    assert titles[C1] == "'" + FORMULA
    assert {r["framed_sentences"] for r in framed if r["doc_id"] == "t1_c1"} == {"'@SUM(A1:A9)"}
    assert [r["rank"] for r in framed] == ["1", "2", "3", "1"], "numbers stay numbers"
    raw = pq.read_table(result.folder / "top_documents_per_frame.parquet").to_pylist()
    assert {r["doc_id"]: r["title"] for r in raw}[C1] == FORMULA, "Parquet keeps the raw value"


def test_reexport_replaces_and_leaves_no_partial(
    spread: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    first = export.write_export(spread, settings, export.week_period("2026-W41"), "run-1")
    (first.folder / ".DS_Store").write_text("a file browser's, not the researcher's")
    second = export.write_export(spread, settings, export.week_period("2026-W41"), "run-2")
    manifest = json.loads((second.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["export_run_id"] == "run-2"
    assert not (second.folder / ".DS_Store").exists()
    assert [p.name for p in first.folder.parent.iterdir()] == ["2026-W41"]


def test_reexport_keeps_a_folder_holding_files_framewatch_did_not_write(
    spread: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    first = export.write_export(spread, settings, export.week_period("2026-W41"), "run-1")
    (first.folder / "my-notes.txt").write_text("the researcher's")
    with pytest.raises(OutputError, match="is not a framewatch export; move it away"):
        export.write_export(spread, settings, export.week_period("2026-W41"), "run-2")
    assert (first.folder / "my-notes.txt").read_text() == "the researcher's"
    manifest = json.loads((first.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["export_run_id"] == "run-1"
    assert [p.name for p in first.folder.parent.iterdir()] == ["2026-W41"]


def test_report_escapes_crawled_text_and_shows_sql(
    spread: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    page = report.build_report(spread, settings, "2026-W40", "2026-W42")
    assert INJECTED not in page
    assert "&lt;script&gt;document.body.setAttribute" in page
    assert "<script src" not in page and "<link" not in page, "the page must work offline"
    assert page.count("<details><summary>SQL</summary>") == 6
    assert "FROM frame_lead_lag" in page and "FROM citation_edges" in page
    for div in (
        "frame_share_0",
        "frame_share_1",
        "adoption",
        "lead_lag",
        "citations",
        "reddit_vs_news",
        "topic_trends",
    ):
        assert f'id="{div}"' in page


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("chromium is not installed (make test installs Debian's chromium where it can)")
    return found


def test_report_renders_in_headless_chromium(
    spread: duckdb.DuckDBPyConnection, settings: Settings, tmp_path: Path
) -> None:
    browser = chromium()
    target = report.write_report(
        spread, settings, "2026-W40", "2026-W42", settings.data_path / "report.html"
    )
    flags = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=10000",
    ]
    dom = subprocess.run(
        [*flags, "--dump-dom", target.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    tree = lxml_html.fromstring(dom)
    charts = tree.xpath('//div[contains(@class, "plotly-graph-div")]')
    assert len(charts) == 7
    for chart in charts:
        assert chart.xpath('.//svg[contains(@class, "main-svg")]'), (
            f"chart {chart.get('id')} did not draw"
        )
    body = tree.xpath("//body")[0]
    assert body.get("data-pwned") is None, "a script from a crawled title ran in the report"
    assert (
        INJECTED.split(">")[1].startswith("document.body") and "data-pwned" in tree.text_content()
    )
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    subprocess.run(
        [*flags, "--window-size=1200,3000", f"--screenshot={shot}", target.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 10_000
