"""Run one spider in this process and write its stats: ``python -m crawlers.run PLAN.json``.

``framewatch crawl`` starts this as a subprocess (the Twisted reactor cannot be restarted inside
one process). The plan names the spider, its run configuration file, the settings that override
``crawlers.settings`` (feed folder, JOBDIR, filters) and where to write the final stats as JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawlers import settings as default_settings
from crawlers.oauth import oauth_plan
from crawlers.spiders.news import NewsSpider
from crawlers.spiders.reddit import RedditSpider
from pipeline.errors import FramewatchError

SPIDERS = {"news": NewsSpider, "reddit": RedditSpider}


def run(plan: dict[str, Any]) -> dict[str, Any]:
    """Crawl with one spider until it finishes; return its stats (JSON-ready)."""
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.update(plan.get("settings", {}), priority="cmdline")
    if os.environ.get("FRAMEWATCH_REDIS_URL") and settings.get("SCHEDULER", "").startswith(
        "scrapy_redis"
    ):
        settings.set("REDIS_URL", os.environ["FRAMEWATCH_REDIS_URL"], priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SPIDERS[plan["spider"]])
    process.crawl(crawler, config=plan["config"])
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return {key: value if isinstance(value, int | float | str) else str(value)
            for key, value in stats.items()}  # fmt: skip


def check_plan(plan: dict[str, Any]) -> None:
    """Refuse a plan that would send the Reddit credentials where they must not go.

    Raises:
        StudyError: From :func:`crawlers.oauth.oauth_plan`.
    """
    if plan["spider"] == "reddit":
        reddit = json.loads(Path(plan["config"]).read_text(encoding="utf-8")).get("reddit", {})
        oauth_plan(reddit.get("base_url", "https://www.reddit.com"), reddit.get("token_url"),
                   os.environ)  # fmt: skip


def main(argv: list[str]) -> int:
    """Entry point: read the plan, crawl, write the stats file."""
    plan = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    try:
        check_plan(plan)
    except FramewatchError as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return exc.exit_code
    stats = run(plan)
    Path(plan["stats_file"]).write_text(json.dumps(stats, indent=1, sort_keys=True), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
