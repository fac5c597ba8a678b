"""The news spider on its own: following links from start pages, resuming, refreshing."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers.spiders.news import on_domains, outlet_domains
from tests.crawlers.server import Site, serve
from tests.crawlers.sitegen import article_html, run_spider


def test_outlet_domains_cover_subdomains_only() -> None:
    outlet = {
        "homepage": "https://www.ledger.example/",
        "feeds": ["https://feeds.ledger.example/rss"],
    }
    domains = outlet_domains(outlet)
    assert domains == {"ledger.example", "feeds.ledger.example"}
    assert on_domains("https://news.ledger.example/a", domains)
    assert not on_domains("https://ledger.example.evil.com/a", domains)
    assert not on_domains("https://notledger.example/a", domains)


def link_page(*paths: str) -> str:
    return "<html><body>" + "".join(f'<a href="{p}">{p}</a> ' for p in paths) + "</body></html>"


@pytest.mark.slow
def test_start_urls_follow_allowed_links_to_the_set_depth(tmp_path: Path) -> None:
    site = Site()
    site.add("/index.html", link_page("/tag/ai.html", "/news/1.html", "/video/clip.html",
                                      "https://elsewhere.example/news/9.html"))  # fmt: skip
    site.add("/tag/ai.html", link_page("/news/2.html", "/tag/more.html"))
    site.add("/tag/more.html", link_page("/news/3.html"))  # depth 3: never reached
    for n in (1, 2, 3):
        site.add(f"/news/{n}.html", article_html(n))
    site.add("/video/clip.html", article_html(4))
    with serve(site) as base:
        outlet = {"name": "ledger", "start_urls": [f"{base}/index.html"], "allow": ["/news/", "/tag/"],
                  "deny": ["/video/"], "depth": 2}  # fmt: skip
        result = run_spider(tmp_path, "news", {"outlets": [outlet]})
    assert sorted(i["url"].removeprefix(base) for i in result["items"]) == ["/news/1.html", "/news/2.html"]  # fmt: skip
    assert "/video/clip.html" not in site.requests and "/news/3.html" not in site.requests
    # Pages whose links are followed are not missing articles; the one at the depth limit is.
    assert result["stats"]["fw/ledger/dropped/no_article"] == 1


@pytest.mark.slow
def test_a_resumed_crawl_does_not_fetch_pages_again_unless_refreshed(tmp_path: Path) -> None:
    site = Site()
    site.add("/rss.xml", "", content_type="application/rss+xml")
    for n in (1, 2):
        site.add(f"/news/{n}.html", article_html(n))
    with serve(site) as base:
        from tests.crawlers.sitegen import rss

        site.add("/rss.xml", rss(base, ["/news/1.html", "/news/2.html"]), content_type="application/rss+xml")  # fmt: skip
        outlet = {"name": "ledger", "feeds": [f"{base}/rss.xml"]}
        jobdir = str(tmp_path / "job")
        first = run_spider(tmp_path / "a", "news", {"outlets": [outlet]}, JOBDIR=jobdir)
        second = run_spider(tmp_path / "b", "news", {"outlets": [outlet]}, JOBDIR=jobdir)
        third = run_spider(
            tmp_path / "c", "news", {"outlets": [outlet], "refresh": True}, JOBDIR=jobdir
        )
    assert len(first["items"]) == 2 and second["items"] == [] and len(third["items"]) == 2
    assert second["stats"]["fw/ledger/skipped_known"] == 2
    assert site.requests.count("/news/1.html") == 2 and site.requests.count("/rss.xml") == 3
