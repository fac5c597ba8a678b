"""`framewatch crawl` end to end against local servers: a written site, and recorded Reddit threads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import shared_data
from tests.crawlers.reddit_replay import RedditReplay
from tests.crawlers.server import Site, serve
from tests.crawlers.sitegen import article_html, build_site, rss

runner = CliRunner()

STUDY = """\
[study]
name = "crawl test"

[filters]
keywords = ["distillation"]
start_date = 2026-01-01

[crawl]
download_delay = 0
autothrottle = false
timeout = 4
retry_backoff = 0.1
concurrency_per_domain = 8

[[outlets]]
name = "ledger"
homepage = "{base}/"
feeds = ["{base}/rss.xml", "{base}/feed-as-html.xml"]
sitemaps = ["{base}/news-sitemap.xml", "{base}/bad-sitemap.xml"]
"""


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[Site, str]]:
    site = Site()
    with serve(site) as base:
        build_site(site, base)
        yield site, base


def crawl(study: Path, *args: str) -> str:
    result = runner.invoke(app, ["crawl", "--study", str(study), *args])
    assert result.exit_code == 0, result.output
    return result.output


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_crawl_stores_articles_counts_bad_input_and_second_crawl_adds_nothing(
    site: tuple[Site, str], tmp_path: Path
) -> None:
    server, base = site
    study = tmp_path / "study.toml"
    study.write_text(STUDY.format(base=base))
    db = tmp_path / "data" / "framewatch.duckdb"

    output = crawl(study)
    assert "Crawl coverage" in output and "ledger" in output
    titles = sorted(r[0] for r in query(db, "SELECT title FROM documents WHERE kind = 'article'"))
    assert titles == [f"Lab accuses rival of distillation, part {n}" for n in range(1, 7)]
    row = query(db, "SELECT author, published_at, language FROM documents WHERE url LIKE '%/news/1.html'")  # fmt: skip
    assert (
        row[0][0] == "Ada Writer" and str(row[0][1]) == "2026-03-01 09:30:00" and row[0][2] == "en"
    )
    links = dict(query(db, "SELECT kind, count(*) FROM links GROUP BY 1"))
    assert links == {"href": 12, "attribution": 12}  # 2 links and 2 attributions in each of 6
    cited = {r[0] for r in query(db, "SELECT DISTINCT target_outlet FROM links WHERE kind = 'attribution'")}  # fmt: skip
    assert cited == {"The Verge", "r/LocalLLaMA"}

    cov = query(db, "SELECT feeds_polled, stored, dropped_reasons, error_reasons, backoffs FROM crawl_runs WHERE source = 'ledger'")  # fmt: skip
    feeds, stored, dropped, errors, backoffs = cov[0]
    assert (feeds, stored) == (3, 6)
    assert json.loads(str(dropped)) == {"no_article": 1, "not_html": 2, "off_domain": 1, "robots_txt": 1}  # fmt: skip
    assert json.loads(str(errors)) == {"bad_feed": 1, "http_404": 1, "http_500": 1, "redirect_loop": 1, "timeout": 1}  # fmt: skip
    assert backoffs >= 1  # the 429 with Retry-After, then the 500's retries
    assert "/private/secret.html" not in server.requests  # disallowed by robots.txt
    assert query(db, "SELECT status FROM runs WHERE command = 'crawl'") == [("partial",)]

    before = len(server.requests)
    crawl(study)
    again = server.requests[before:]
    assert set(again) <= {"/robots.txt", "/rss.xml", "/feed-as-html.xml", "/news-sitemap.xml", "/bad-sitemap.xml"}  # fmt: skip
    assert query(db, "SELECT count(*) FROM documents") == [(6,)]
    second = query(db, "SELECT skipped_known, stored FROM crawl_runs WHERE source = 'ledger' ORDER BY run_id DESC LIMIT 1")  # fmt: skip
    assert second[0][1] == 0 and second[0][0] >= 6


REDIRECT_STUDY = """\
[study]
name = "redirect test"

[crawl]
download_delay = 0
autothrottle = false

[[outlets]]
name = "ledger"
feeds = ["{base}/rss.xml"]
"""


@pytest.mark.slow
def test_a_redirect_off_the_outlet_is_never_requested_and_is_counted(tmp_path: Path) -> None:
    site, elsewhere = Site(), Site()
    with serve(site) as base, serve(elsewhere, host="127.0.0.2") as offsite:
        elsewhere.add("/copy.html", article_html(2))
        site.add("/moved.html", "", status=301, headers={"Location": f"{offsite}/copy.html"})
        site.add("/old.html", "", status=302, headers={"Location": "/news/1.html?utm_source=rss"})
        site.add("/news/1.html", article_html(1))
        site.add("/rss.xml", rss(base, ["/moved.html", "/old.html"]), content_type="application/rss+xml")  # fmt: skip
        study = tmp_path / "study.toml"
        study.write_text(REDIRECT_STUDY.format(base=base))
        output = crawl(study)
    assert elsewhere.requests == []
    db = tmp_path / "data" / "framewatch.duckdb"
    assert query(db, "SELECT url, canonical_url FROM documents") == [
        (f"{base}/news/1.html?utm_source=rss", f"{base}/news/1.html")
    ]
    cov = query(db, "SELECT stored, dropped, dropped_reasons FROM crawl_runs WHERE source = 'ledger'")  # fmt: skip
    assert cov[0][:2] == (1, 1) and json.loads(str(cov[0][2])) == {"offsite_redirect": 1}
    assert "offsite_redirect=1" in output


REDDIT_STUDY = """\
[study]
name = "reddit test"

[crawl]
download_delay = 0
autothrottle = false
concurrency_per_domain = 8

[reddit]
base_url = "{base}"
threads = ["https://www.reddit.com/r/funny/comments/3hahrw/ba_dum_tsss/",
           "https://www.reddit.com/r/announcements/comments/n49rw/were_back/"]
"""


@pytest.mark.slow
def test_crawl_assembles_whole_reddit_threads_from_recorded_responses(tmp_path: Path) -> None:
    cassettes = shared_data("reddit_praw_cassettes")
    replay = RedditReplay.load(
        cassettes / "thread_3hahrw_funny_full_expansion",
        cassettes / "thread_n49rw_announcements_full_expansion",
    )
    site = Site(dynamic=replay.respond)
    with serve(site) as base:
        study = tmp_path / "study.toml"
        study.write_text(REDDIT_STUDY.format(base=base))
        crawl(study)
    db = tmp_path / "data" / "framewatch.duckdb"
    counts = dict(query(db, "SELECT thread_id, count(*) FROM documents WHERE kind = 'reddit_comment' GROUP BY 1"))  # fmt: skip
    assert counts == {"t3_3hahrw": 541, "t3_n49rw": 1428}
    assert query(db, "SELECT count(*) FROM documents WHERE kind = 'reddit_post'") == [(2,)]
    # Every parent is the post or a stored comment of the same thread, and depth follows parents.
    orphans = query(db, """
        SELECT count(*) FROM documents c LEFT JOIN documents p ON p.doc_id = c.parent_id
        WHERE c.kind = 'reddit_comment' AND (p.doc_id IS NULL OR p.thread_id <> c.thread_id
              OR p.depth IS DISTINCT FROM CASE WHEN c.depth = 0 THEN NULL ELSE c.depth - 1 END)""")  # fmt: skip
    assert orphans == [(0,)]
    requests = [r for r in site.requests if "morechildren" in r]
    assert requests and all(len(r.split("children=")[1].split("&")[0].split("%2C")) <= 100 for r in requests)  # fmt: skip
    # Every request was a thread part, counted; the API spider does not read robots.txt.
    assert "/robots.txt" not in site.requests
    assert query(db, "SELECT sum(pages_fetched) FROM crawl_runs") == [(len(site.requests),)]
