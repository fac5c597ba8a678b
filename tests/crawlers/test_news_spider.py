"""The news spider on its own: following links from start pages, resuming, refreshing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from crawlers.domains import on_domains, outlet_domains
from tests.conftest import shared_data
from tests.crawlers.server import Site, serve
from tests.crawlers.sitegen import article_html, rss, run_spider, sitemap


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


@pytest.mark.slow
def test_real_feeds_sitemaps_and_pages_from_a_local_server(tmp_path: Path) -> None:
    """Real Guardian feed, NYT news sitemap and fundus article pages, served locally."""
    feeds = shared_data("rss_feeds_rss_parser", "input")
    sitemaps = shared_data("sitemaps_fixtures", "advertools")
    fundus = shared_data("fundus_parser_testdata")
    cases = [json.loads(line) for line in (fundus / "cases.jsonl").read_text().splitlines()]
    pages = [c for c in cases if c["country_group"] in ("us", "uk")][:12]
    site = Site()
    with serve(site) as base:
        # The real files, with their publisher's host pointed at the local server (in memory only).
        guardian = (feeds / "guardian.rss").read_text().replace("https://www.theguardian.com", base)
        nyt = (sitemaps / "news_sitemap.xml").read_text().replace("https://www.nytimes.com", base)
        site.add("/guardian.rss", guardian, content_type="application/rss+xml")
        site.add("/news_sitemap.xml", nyt, content_type="application/xml")
        for n, case in enumerate(pages):
            site.add(
                f"/fundus/{n}.html", gzip.decompress((fundus / case["html_file"]).read_bytes())
            )
        site.add("/fundus-sitemap.xml", sitemap(base, [f"/fundus/{n}.html" for n in range(len(pages))]), content_type="application/xml")  # fmt: skip
        outlet = {"name": "replay", "homepage": base,
                  "feeds": [f"{base}/guardian.rss"],
                  "sitemaps": [f"{base}/news_sitemap.xml", f"{base}/fundus-sitemap.xml"]}  # fmt: skip
        config = {"outlets": [outlet], "start_date": "2019-01-01"}
        result = run_spider(
            tmp_path, "news", config, FW_START_DATE="2019-01-01", DOWNLOAD_TIMEOUT=20
        )
    stats = result["stats"]
    assert stats["fw/replay/feeds_polled"] == 3
    # The Guardian's 55 items are from January 2018: dropped from the feed's dates, never fetched.
    assert stats["fw/replay/dropped/date_window"] >= 55
    assert not any(
        r.startswith(("/us-news", "/world", "/uk-news", "/sport")) for r in site.requests
    )
    assert stats["fw/replay/errors/http_404"] == 6  # the NYT pages are not on this server
    assert stats["fw/replay/pages_fetched"] == len(pages)  # answered pages; the 404s are errors
    recent = [c for c in pages if c["expected"]["publishing_date"][:4] >= "2019"]
    assert len(result["items"]) >= len(recent) - 1
    expected_titles = {" ".join(c["expected"]["title"].split()) for c in pages}
    assert sum(i["title"] in expected_titles for i in result["items"]) >= len(result["items"]) * 0.6
    assert all(i["text"] and i["canonical_url"] for i in result["items"])
    # Most pages name their canonical URL on the publisher's site, not the local copy's.
    assert (
        sum(i["canonical_url"].startswith("https://") for i in result["items"])
        >= len(result["items"]) * 0.6
    )


def moved(location: str, status: int = 301) -> dict[str, object]:
    return {"status": status, "headers": {"Location": location}}


@pytest.mark.slow
def test_redirects_are_followed_only_within_the_outlets_domains(tmp_path: Path) -> None:
    site, other_host, elsewhere = Site(), Site(), Site()
    with (
        serve(site) as base,
        serve(other_host, host="127.0.0.3") as mirror,  # the outlet's too: its homepage is there
        serve(elsewhere, host="127.0.0.2") as offsite,
    ):
        for path in ("/stolen.html", "/sitemap.xml", "/robots.txt"):
            elsewhere.add(path, article_html(9))
        site.add("/moved.html", "", **moved(f"{offsite}/stolen.html"))
        site.add("/temporary.html", "", **moved(f"{offsite}/stolen.html", 307))
        refresh = f'<html><head><meta http-equiv="refresh" content="0; url={offsite}/stolen.html"></head></html>'  # fmt: skip
        site.add("/refresh.html", refresh)
        site.add("/old.html", "", **moved("/news/1.html", 308))
        site.add("/news/1.html", article_html(1))
        site.add("/to-mirror.html", "", **moved(f"{mirror}/news/2.html", 302))
        other_host.add("/news/2.html", article_html(2))
        paths = ["/moved.html", "/temporary.html", "/refresh.html", "/old.html", "/to-mirror.html"]
        site.add("/rss.xml", rss(base, paths), content_type="application/rss+xml")
        # A listing is requested with dont_filter (polled every crawl): its redirect is checked too.
        site.add("/sitemap.xml", "", **moved(f"{offsite}/sitemap.xml", 302))
        outlet = {"name": "ledger", "homepage": f"{mirror}/", "feeds": [f"{base}/rss.xml"],
                  "sitemaps": [f"{base}/sitemap.xml"]}  # fmt: skip
        result = run_spider(tmp_path, "news", {"outlets": [outlet]})
    assert elsewhere.requests == []  # not even its robots.txt
    stats = result["stats"]
    assert stats["fw/ledger/dropped/offsite_redirect"] == 4
    assert "fw/ledger/dropped/ignored" not in stats  # counted once, by the middleware
    urls = sorted((i["url"], i["canonical_url"]) for i in result["items"])
    assert urls == [(f"{base}/news/1.html",) * 2, (f"{mirror}/news/2.html",) * 2]
    log = (tmp_path / "news.log").read_text()
    assert (
        f"Not following the redirect from {base}/moved.html to {offsite}/stolen.html: "
        f"'127.0.0.2' is not a domain of outlet 'ledger'; set [crawl] follow_offsite = true"
    ) in log


@pytest.mark.slow
def test_follow_offsite_follows_a_redirect_to_another_site(tmp_path: Path) -> None:
    site, elsewhere = Site(), Site()
    with serve(site) as base, serve(elsewhere, host="127.0.0.2") as offsite:
        elsewhere.add("/story.html", article_html(1))
        site.add("/moved.html", "", **moved(f"{offsite}/story.html"))
        site.add("/rss.xml", rss(base, ["/moved.html"]), content_type="application/rss+xml")
        config = {"outlets": [{"name": "ledger", "feeds": [f"{base}/rss.xml"]}], "follow_offsite": True}  # fmt: skip
        result = run_spider(tmp_path, "news", config)
    assert "/story.html" in elsewhere.requests
    assert [i["url"] for i in result["items"]] == [f"{offsite}/story.html"]
