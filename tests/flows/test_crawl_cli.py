"""`framewatch extract` and the crawl command's refusals."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from typer.testing import CliRunner

from flows.cli import app
from tests.crawlers.sitegen import article_html

runner = CliRunner()


def test_extract_prints_what_the_spider_would_store(tmp_path: Path) -> None:
    page = tmp_path / "page.html.gz"
    page.write_bytes(gzip.compress(article_html(2).encode()))
    result = runner.invoke(
        app, ["extract", str(page), "--url", "https://ledger.example/news/2.html"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["title"] == "Lab accuses rival of distillation, part 2"
    assert data["published"] == "2026-03-02T09:30:00" and data["authors"] == ["Ada Writer"]
    assert {a["outlet"] for a in data["attributions"]} == {"The Verge", "r/LocalLLaMA"}


def test_extract_explains_a_page_without_an_article(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text("<html><body><nav>Home</nav></body></html>")
    result = runner.invoke(app, ["extract", str(page), "--url", "https://x.example/"])
    assert result.exit_code == 1 and "no article found" in result.output
    missing = runner.invoke(app, ["extract", str(tmp_path / "nope.html"), "--url", "https://x/"])
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_crawl_with_nothing_to_crawl_says_what_to_add(tmp_path: Path) -> None:
    study = tmp_path / "study.toml"
    study.write_text('[study]\nname = "empty"\n')
    result = runner.invoke(app, ["crawl", "--study", str(study)])
    assert result.exit_code == 2 and "nothing to crawl" in result.output


def test_a_spider_that_dies_is_reported_with_its_log(tmp_path: Path) -> None:
    import pytest

    from flows.crawl import run_spider
    from pipeline.errors import InputFileError

    log = tmp_path / "logs" / "x.log"
    log.parent.mkdir()
    plan = {"spider": "nosuch", "config": "", "settings": {"LOG_FILE": str(log)},
            "stats_file": str(tmp_path / "stats.json")}  # fmt: skip
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan))
    with pytest.raises(InputFileError, match=r"nosuch spider stopped with status 1 \(.*KeyError"):
        run_spider(plan_file, plan)
