"""Crawl plans from the study and the coverage report from crawl stats."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pipeline.config import Settings, load_settings
from pipeline.crawling import (
    coverage_rows,
    spider_plan,
    study_sources,
    user_agent,
    write_coverage,
    write_plan,
)
from pipeline.ingest import IngestReport

STUDY = """\
[study]
name = "plan"

[filters]
keywords = ["distillation"]
start_date = 2026-01-01

[crawl]
contact = "mailto:me@uni.example"
concurrency_per_domain = 2
max_minutes = 1.5

[[outlets]]
name = "ledger"
feeds = ["https://ledger.example/rss"]

[reddit]
subreddits = ["LocalLLaMA"]
"""


def test_plan_carries_the_study_settings(tmp_path: Path) -> None:
    (tmp_path / "study.toml").write_text(STUDY)
    settings = load_settings(tmp_path / "study.toml")
    plan = spider_plan(settings, "news", refresh=False, known_urls_file=None, stamp="S")
    s = plan["settings"]
    assert s["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2 and s["CLOSESPIDER_TIMEOUT"] == 90
    assert s["FW_KEYWORDS"] == ["distillation"] and s["FW_START_DATE"] == "2026-01-01"
    assert s["JOBDIR"].endswith("crawl/jobs/news")
    assert "mailto:me@uni.example" in user_agent(settings) and "plan" in user_agent(settings)
    assert plan["config_data"]["outlets"][0]["feeds"] == ["https://ledger.example/rss"]
    plan_file = write_plan(plan)
    assert json.loads(plan_file.read_text())["spider"] == "news"
    assert json.loads(Path(plan["config"]).read_text())["start_date"] == "2026-01-01"
    reddit = spider_plan(settings, "reddit", refresh=True, known_urls_file=None, stamp="S")
    assert "JOBDIR" not in reddit["settings"]  # threads are re-read for new comments
    assert study_sources(settings) == [("ledger", "news"), ("r/LocalLLaMA", "reddit")]


def test_coverage_rows_from_stats_and_ingest(settings: Settings, con: duckdb.DuckDBPyConnection) -> None:  # fmt: skip
    stats = {"news": {"fw/ledger/feeds_polled": 2, "fw/ledger/pages_fetched": 9,
                      "fw/ledger/dropped/no_article": 1, "fw/ledger/errors/http_404": 2,
                      "fw/ledger/skipped_known": 4, "fw/ledger/backoffs": 1, "finish_reason": "finished",
                      "downloader/request_count": 12},
             "reddit": {"fw/r/Local_LLaMA/errors/bad_json": 1, "fw/search:ai models/feeds_polled": 3,
                        "finish_reason": "shutdown"}}  # fmt: skip
    report = IngestReport(bad_lines=2)
    report.stored_by_source["ledger"] = 5
    report.already_by_source["ledger"] = 1
    rows = {
        r.source: r for r in coverage_rows(stats, report, [("ledger", "news"), ("quiet", "news")])
    }
    ledger = rows["ledger"]
    assert (ledger.feeds_polled, ledger.pages_fetched, ledger.stored, ledger.already_stored) == (
        2,
        9,
        5,
        1,
    )
    assert (ledger.dropped, ledger.errors, ledger.skipped_known, ledger.backoffs) == (1, 2, 4, 1)
    assert rows["quiet"].pages_fetched == 0  # listed even when nothing happened
    assert rows["r/Local_LLaMA"].error_reasons == {"bad_json": 1}
    assert rows["search:ai models"].feeds_polled == 3
    assert rows["(reddit)"].error_reasons == {"finish_shutdown": 1}
    assert rows["(ingest)"].error_reasons == {"truncated_json": 2}
    write_coverage(con, "run1", list(rows.values()))
    stored = con.execute("SELECT stored, dropped_reasons, error_reasons FROM crawl_runs WHERE source = 'ledger'").fetchall()  # fmt: skip
    assert stored[0][0] == 5 and json.loads(stored[0][1]) == {"no_article": 1}
    assert json.loads(stored[0][2]) == {"http_404": 2}


def test_crawl_schema_is_commented_and_documented(con: duckdb.DuckDBPyConnection) -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "schema.md").read_text()
    columns = con.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE table_name IN ('crawl_runs', 'feed_files') "
        "OR (table_name = 'documents' AND column_name IN ('edited_at', 'deleted', 'near_dup_cluster'))"
    ).fetchall()
    assert len(columns) == 24
    assert all(comment for _, _, comment in columns)
    assert all(f"| {column} |" in docs for _, column, _ in columns if column != "run_id")
    assert "### `crawl_runs` (0003)" in docs and "### `feed_files` (0003)" in docs
