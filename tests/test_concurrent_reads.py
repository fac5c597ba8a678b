"""A researcher's query while a real crawl or analysis runs in another process.

During a crawl the spiders never open the database, so a query succeeds at once. An analysis holds
DuckDB's write lock, so a query waits and says which run it waits for; the analysis lets it in where
it has committed a batch, so the answer comes while the analysis still runs, and the analysis itself
loses nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from pipeline.config import load_settings
from pipeline.store import utcnow
from tests.conftest import MINIMAL_STUDY
from tests.crawlers.server import Site, serve
from tests.crawlers.sitegen import article_html, rss
from tests.test_crash_safety import write_corpus

pytestmark = pytest.mark.slow

FRAMEWATCH = Path(sys.executable).with_name("framewatch")
runner = CliRunner()

CRAWL_STUDY = """\
[study]
name = "query while crawling"

[crawl]
download_delay = 0
autothrottle = false
concurrency_per_domain = 1

[[outlets]]
name = "ledger"
homepage = "{base}/"
feeds = ["{base}/rss.xml"]
"""
ARTICLES = 4
SLOW = 2.0  # seconds the server takes per article page


def count_documents(study: Path, wait: str) -> tuple[int, str, list[dict[str, int]] | None]:
    """``framewatch sql`` as a researcher types it: exit code, stderr and the rows."""
    result = runner.invoke(
        app, ["sql", "SELECT count(*) AS n FROM documents", "-s", str(study), "-f", "json", "--wait", wait]
    )  # fmt: skip
    rows = json.loads(result.stdout) if result.exit_code == 0 else None
    return result.exit_code, result.stderr, rows


def start(command: str, study: Path) -> subprocess.Popen[str]:
    """``framewatch COMMAND --study STUDY`` in its own process, as a schedule would run it."""
    return subprocess.Popen(
        [str(FRAMEWATCH), command, "--study", str(study)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def slow_site() -> Iterator[tuple[Site, str]]:
    site = Site()
    with serve(site) as base:
        paths = [f"/news/{n}.html" for n in range(1, ARTICLES + 1)]
        site.add("/rss.xml", rss(base, paths), content_type="application/rss+xml")
        for n, path in enumerate(paths, start=1):
            site.add(path, article_html(n), delay=SLOW)
        yield site, base


def test_queries_succeed_while_a_crawl_runs(slow_site: tuple[Site, str], tmp_path: Path) -> None:
    site, base = slow_site
    study = tmp_path / "study.toml"
    study.write_text(CRAWL_STUDY.format(base=base), encoding="utf-8")
    corpus = tmp_path / "earlier.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({"url": f"{base}/old/{n}", "outlet": "ledger", "title": f"Old story {n}",
                        "text": "An earlier story about model distillation.", "date": "2026-02-01"}) + "\n"
            for n in range(3)
        ),
        encoding="utf-8",
    )  # fmt: skip
    assert runner.invoke(app, ["import", str(corpus), "--study", str(study)]).exit_code == 0
    crawl = start("crawl", study)
    try:
        deadline = time.monotonic() + 180
        while not any(path.startswith("/news/") for path in site.requests):
            assert crawl.poll() is None, crawl.stdout.read() if crawl.stdout else ""
            assert time.monotonic() < deadline, "the crawl never asked for an article"
            time.sleep(0.1)
        answers = [count_documents(study, "0") for _ in range(3)]
        assert crawl.poll() is None, "the spider was still fetching while the researcher queried"
        assert answers == [(0, "", [{"n": 3}])] * 3, "no lock error, no waiting, the stored rows"
        output, _ = crawl.communicate(timeout=300)
    finally:
        if crawl.poll() is None:
            crawl.kill()
    assert crawl.returncode == 0, output
    assert count_documents(study, "0")[2] == [{"n": 3 + ARTICLES}]


def test_a_query_during_analysis_waits_says_why_and_is_let_in_between_batches(
    tmp_path: Path,
) -> None:
    study = tmp_path / "study.toml"
    study.write_text(MINIMAL_STUDY + "\n[analysis]\nmin_topic_size = 5\n", encoding="utf-8")
    write_corpus(tmp_path / "corpus.jsonl", 200)
    imported = runner.invoke(app, ["import", str(tmp_path / "corpus.jsonl"), "--study", str(study)])
    assert imported.exit_code == 0, imported.output
    database = load_settings(study).database_path
    analysis = start("analyze", study)
    try:
        wait_for_write_lock(database, analysis)
        code, stderr, rows = count_documents(study, "900")
        answered = utcnow()
        output, _ = analysis.communicate(timeout=900)
    finally:
        if analysis.poll() is None:
            analysis.kill()
    assert analysis.returncode == 0, output
    assert (code, rows) == (0, [{"n": 200}])
    assert "The database is in use by framewatch's `analyze:" in stderr, stderr
    assert f"PID {analysis.pid}" in stderr and "waiting for it" in stderr
    assert "which lets waiting readers in between batches" in stderr, stderr
    assert "1 reader(s) wait for the database: letting them in" in output, output
    con = duckdb.connect(str(database), read_only=True)
    try:
        stages = con.execute(
            "SELECT command, status, finished_at FROM runs WHERE command LIKE 'analyze:%' ORDER BY started_at"
        ).fetchall()
        # every stage did all of its work: nothing was lost while the reader was let in
        missing = con.execute(
            "SELECT count(*) FILTER (WHERE n.doc_id IS NULL), count(*) FILTER (WHERE t.doc_id IS NULL), "
            "count(*) FILTER (WHERE k.doc_id IS NULL), count(*) FILTER (WHERE f.doc_id IS NULL) "
            "FROM documents d LEFT JOIN nlp_documents n USING (doc_id) "
            "LEFT JOIN doc_embedding_texts t USING (doc_id) LEFT JOIN doc_topics k USING (doc_id) "
            "LEFT JOIN framed_documents f USING (doc_id)"
        ).fetchone()
    finally:
        con.close()
    assert [status for _, status, _ in stages] == ["ok"] * 5, stages
    assert answered < max(finished for _, _, finished in stages), (
        "answered before the analysis ended"
    )
    assert missing == (0, 0, 0, 0)


def wait_for_write_lock(database: Path, process: subprocess.Popen[str]) -> None:
    """Return once a stage of the analysis holds the database (its run is in the writer's note)."""
    deadline = time.monotonic() + 300
    note = database.with_name(database.name + ".writer.json")
    while not note.exists():
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "the analysis never started a stage"
        time.sleep(0.05)
