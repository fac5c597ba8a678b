"""Hostile sites against the news spider: sitemap loops, bombs, huge and pathologically deep pages.

Each runs the real spider process against a local server and asserts what the server saw, what the
coverage stats count and, for decompression, the spider process's peak memory.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DownloadCancelledError, DownloadFailedError
from twisted.python.failure import Failure

from crawlers.coverage import DROPPED, ERRORS, known_reason
from crawlers.discovery import SITEMAP_MAX_BYTES, DiscoveryError, parse_sitemap, sitemap_key
from crawlers.spiders.base import failure_reason
from tests.crawlers.server import Site, serve
from tests.crawlers.sitegen import article_html, sitemap

CRAWLERS = Path(__file__).resolve().parents[2] / "crawlers"

# The spider process measures its own peak resident memory and prints it last on stderr.
_MEASURED = textwrap.dedent(
    """
    import resource, runpy, sys
    sys.argv = ["crawlers.run", sys.argv[1]]
    try:
        runpy.run_module("crawlers.run", run_name="__main__")
    finally:
        # VmHWM is this process's own peak; ru_maxrss would carry the forking parent's (pytest's).
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            with open("/proc/self/status") as status:
                peak = next(int(x.split()[1]) for x in status if x.startswith("VmHWM:"))
        except (OSError, StopIteration, ValueError):
            pass
        sys.stderr.write(f"@@peak_kib={peak}\\n")
    """
)


def crawl(tmp: Path, outlet: dict[str, Any], **settings: Any) -> tuple[dict[str, Any], float]:
    """Run the news spider on one outlet; return its stats and its peak memory in MiB."""
    config, plan = tmp / "news-config.json", tmp / "news-plan.json"
    config.write_text(json.dumps({"outlets": [{"name": "ledger", **outlet}]}))
    plan.write_text(json.dumps({"spider": "news", "config": str(config),
        "stats_file": str(tmp / "stats.json"), "settings": {
            "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_TIMEOUT": 20,
            "RETRY_TIMES": 0, "LOG_FILE": str(tmp / "news.log"),
            "FEEDS": {str(tmp / "feeds" / "%(batch_id)05d.jsonl"): {"format": "jsonlines"}},
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8, **settings}}))  # fmt: skip
    done = subprocess.run([sys.executable, "-c", _MEASURED, str(plan)], capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    peak = re.findall(r"@@peak_kib=(\d+)", done.stderr)
    stats = json.loads((tmp / "stats.json").read_text())
    return {k.removeprefix("fw/ledger/"): v for k, v in stats.items()}, int(peak[-1]) / 1024


def index(urls: list[str]) -> str:
    locs = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{locs}</sitemapindex>")  # fmt: skip


def sitemap_requests(site: Site) -> list[str]:
    return [r for r in site.requests if ".xml" in r]


@pytest.mark.slow
def test_an_index_listing_itself_is_read_once(tmp_path: Path) -> None:
    site = Site()
    with serve(site) as base:
        upper = base.replace("http://", "HTTP://")
        site.add("/a.xml", index([f"{base}/a.xml", f"{upper}/a.xml#top", f"{base}/a.xml?x=1",
                                  f"{base}/b.xml"]))  # fmt: skip
        site.add("/b.xml", index([f"{base}/a.xml", f"{base}/b.xml", f"{base}/a.xml?x=1"]))
        stats, _ = crawl(tmp_path, {"homepage": base, "sitemaps": [f"{base}/a.xml"]})
    # ?x=1 may be another sitemap (as ?page=2 is), so it is read, once; nothing else repeats.
    assert sorted(sitemap_requests(site)) == ["/a.xml", "/a.xml?x=1", "/b.xml"]
    assert stats["feeds_polled"] == 3 and "errors/sitemap_limit" not in stats


@pytest.mark.slow
def test_endless_new_indexes_stop_at_the_depth_limit(tmp_path: Path) -> None:
    def chain(path: str, query: dict[str, list[str]], form: Any) -> bytes | None:
        step = int(query.get("n", ["0"])[0])
        return index([f"{base}/chain.xml?n={step + 1}"]).encode() if path == "/chain.xml" else None

    site = Site(dynamic=chain)
    with serve(site) as base:
        stats, _ = crawl(tmp_path, {"homepage": base, "sitemaps": [f"{base}/chain.xml?n=0"]},
                         FW_SITEMAP_MAX_DEPTH=3)  # fmt: skip
    assert sitemap_requests(site) == [f"/chain.xml?n={n}" for n in range(4)]
    assert stats["errors/sitemap_limit"] == 1


@pytest.mark.slow
def test_sitemaps_per_outlet_are_capped(tmp_path: Path) -> None:
    site = Site()
    with serve(site) as base:
        site.add("/wide.xml", index([f"{base}/s{n}.xml" for n in range(30)]))
        for n in range(30):
            site.add(f"/s{n}.xml", sitemap(base, []))
        stats, _ = crawl(tmp_path, {"homepage": base, "sitemaps": [f"{base}/wide.xml"]},
                         FW_SITEMAPS_PER_OUTLET=10)  # fmt: skip
    assert len(sitemap_requests(site)) == 10  # the index and 9 of its sitemaps
    assert stats["errors/sitemap_limit"] == 21


def gzip_bomb(unpacked_mib: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    parts = [packer.compress(head)]
    parts += [packer.compress(b" " * 2**20) for _ in range(unpacked_mib)]
    return b"".join(parts) + packer.flush()


@pytest.mark.slow
def test_a_gzip_bomb_sitemap_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    bomb = gzip_bomb(1024)  # 1 MiB on the wire, 1 GiB unpacked
    assert len(bomb) < 2**21
    site = Site()
    site.add("/news.xml.gz", bomb, content_type="application/x-gzip")
    with serve(site) as base:
        stats, peak = crawl(tmp_path, {"homepage": base, "sitemaps": [f"{base}/news.xml.gz"]})
    assert stats["errors/bad_sitemap"] == 1
    # The spider itself takes ~150 MiB; at most 50 MiB + 1 byte is unpacked, then refused. The old
    # gunzip held the whole GiB (and a copy).
    assert peak < 450, f"peak {peak:.0f} MiB"


@pytest.mark.slow
def test_a_page_over_the_size_cap_counts_as_too_large(tmp_path: Path) -> None:
    site = Site()
    with serve(site) as base:
        site.add("/big.html", "<html><body>" + "<p>x</p>" * 300_000 + "</body></html>")
        site.add("/s.xml", sitemap(base, ["/big.html"]))
        stats, _ = crawl(tmp_path, {"homepage": base, "sitemaps": [f"{base}/s.xml"]},
                         DOWNLOAD_MAXSIZE=2**20, DOWNLOAD_WARNSIZE=2**19)  # fmt: skip
    assert stats["dropped/too_large"] == 1
    assert not any(k.startswith("errors/") for k in stats), stats


@pytest.mark.slow
def test_a_pathologically_deep_page_counts_as_too_deep(tmp_path: Path) -> None:
    site = Site()
    with serve(site) as base:
        deep = "<html><body>" + "<div>" * 100_000 + article_html(1) + "</div>" * 100_000
        site.add("/deep.html", deep + "</body></html>")
        site.add("/ok.html", article_html(2))
        site.add("/s.xml", sitemap(base, ["/deep.html", "/ok.html"]))
        stats, _ = crawl(tmp_path, {"homepage": base, "sitemaps": [f"{base}/s.xml"]})
    assert stats["dropped/too_deep"] == 1 and "dropped/no_article" not in stats
    assert stats["items_scraped"] == 1  # the crawl went on


def test_sitemap_key_merges_only_spellings_of_one_url() -> None:
    same = ["https://Ex.COM:443/s.xml?b=2&a=1#top", "HTTPS://ex.com/s.xml?a=1&b=2"]
    assert len({sitemap_key(u) for u in same}) == 1
    different = ["https://ex.com/s.xml?page=2", "https://ex.com/s.xml?page=3",
                 "https://ex.com/S.xml", "http://ex.com/s.xml", "https://ex.com:8443/s.xml",
                 "https://ex.com/s/", "https://ex.com/s/index.xml"]  # fmt: skip
    assert len({sitemap_key(u) for u in different}) == len(different)


def test_parse_sitemap_refuses_a_bomb_past_the_protocol_limit() -> None:
    with pytest.raises(DiscoveryError, match=f"over {SITEMAP_MAX_BYTES:,} bytes unpacked"):
        parse_sitemap(gzip_bomb(60), "https://x/s.xml.gz")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (DownloadCancelledError("Received 31457280 bytes which is larger than download max size"),
         ("dropped", "too_large")),
        (DownloadCancelledError(), ("dropped", "too_large")),
        (DownloadFailedError("connection lost"), ("error", "download_failed")),
        (RuntimeError("anything else"), ("error", "download_failed")),
    ],
)  # fmt: skip
def test_failures_get_documented_reasons(exc: Exception, expected: tuple[str, str]) -> None:
    assert failure_reason(Failure(exc)) == expected  # type: ignore[no-untyped-call]


def test_every_reason_the_crawlers_count_is_documented() -> None:
    emitted: set[tuple[str, str]] = set()
    for path in CRAWLERS.rglob("*.py"):
        source = path.read_text()
        emitted |= set(re.findall(r'"(dropped|errors)/(\w+)"', source))
        emitted |= {("dropped", r) for r in re.findall(r'self\.drop\(item, "(\w+)"', source)}
        for bucket, reason in re.findall(r'return "(error|dropped)", f?"(\w+)', source):
            emitted.add(("errors" if bucket == "error" else "dropped", reason))
    emitted = {(b, "http_200" if r == "http_" else r) for b, r in emitted}
    assert len(emitted) >= 20  # the scan found the spiders, pipelines and middlewares
    assert {e for e in emitted if not known_reason(*e)} == set()
    assert {"too_large", "too_deep"} <= set(DROPPED) and "sitemap_limit" in ERRORS
