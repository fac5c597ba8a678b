"""Crawl speed on a local site of 2,000 article pages, with and without extraction.

Run: ``.venv/bin/python -m bench.crawl_speed`` (writes bench/RESULTS.md). The site is served by a
threaded local HTTP server; the news spider discovers the pages from a sitemap and runs with
politeness off (no delay, no AutoThrottle) so the figure is the crawler's own throughput. The
baseline is the same crawl with extraction switched off (``fetch_only``), i.e. the raw fetch rate.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.crawlers.server import Site, serve
from tests.crawlers.sitegen import article_html, run_spider, sitemap

PAGES = 2000
RUNS = 3


def build(site: Site, base: str) -> None:
    paths = [f"/a/{n}.html" for n in range(PAGES)]
    for n, path in enumerate(paths):
        site.add(path, article_html(n % 9 + 1, extra=f" Page {n}."))
    site.add("/sitemap.xml", sitemap(base, paths), content_type="application/xml")
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")


def crawl_once(base: str, fetch_only: bool, workers: int) -> tuple[float, int]:
    outlet = {"name": "bench", "homepage": base, "sitemaps": [f"{base}/sitemap.xml"]}
    config: dict[str, Any] = {
        "outlets": [outlet],
        "fetch_only": fetch_only,
        "extract_workers": workers,
    }
    with tempfile.TemporaryDirectory() as tmp:
        result = run_spider(
            Path(tmp), "news", config, CONCURRENT_REQUESTS=32, CONCURRENT_REQUESTS_PER_DOMAIN=32,
            DOWNLOAD_TIMEOUT=30, LOG_LEVEL="WARNING",
        )  # fmt: skip
    stats = result["stats"]
    pages = int(stats.get("fw/bench/pages_fetched", 0))
    return pages / float(stats["elapsed_time_seconds"]), len(result["items"])


MODES = {
    "raw fetch (baseline, no extraction)": (True, 0),
    "fetch + extraction in the crawler process": (False, 0),
    "fetch + extraction in 1 worker process (default)": (False, 1),
}


def main() -> int:
    from bench.crawling_results import write_subsection

    site = Site()
    with serve(site) as base:
        build(site, base)
        rates: dict[str, list[float]] = {mode: [] for mode in MODES}
        items: dict[str, int] = {}
        for _ in range(RUNS):
            for mode, (fetch_only, workers) in MODES.items():
                rate, items[mode] = crawl_once(base, fetch_only, workers)
                rates[mode].append(rate)
    medians = {mode: statistics.median(r) for mode, r in rates.items()}
    raw = medians["raw fetch (baseline, no extraction)"]
    rows = [f"| {mode} | {rate:.0f} | {rate / raw:.2f}x | {items[mode]:,} |" for mode, rate in medians.items()]  # fmt: skip
    best = max(rate for mode, rate in medians.items() if not MODES[mode][0]) / raw
    body = "\n".join([
        f"Local site of {PAGES:,} article pages (3.5 KB each) from a news sitemap; median of {RUNS} runs; "
        f"politeness off; one threaded Python HTTP server on the same machine ({os.cpu_count()} cores, "
        "shared with other work while measured, so absolute rates are low and noisy).", "",
        "| crawl | pages/s | vs raw fetch | articles |", "|---|---|---|---|", *rows, "",
        f"Target: extraction keeps at least half the raw fetch rate: {'met' if best >= 0.5 else 'NOT met'} "
        f"({best:.2f}x).", "",
        "Re-run: `.venv/bin/python -m bench.crawl_speed`.",
    ])  # fmt: skip
    print(body)
    write_subsection("Crawl speed", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
