"""A small news site the tests write themselves: articles, a feed, a sitemap and bad pages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.crawlers.server import Route, Site

PARAGRAPHS = [
    "The laboratory said on Monday that a rival had used distillation to copy the behaviour of "
    "its largest model, training a smaller system on millions of its answers.",
    "According to The Verge, the company noticed unusual traffic patterns weeks before it went "
    "public with the accusation, and it has since cut off several accounts.",
    "Researchers were divided. Some called the practice theft of intellectual property; others "
    "said distilling a model is ordinary engineering that every laboratory relies on.",
    "A Reddit thread on r/LocalLLaMA collected examples of outputs that looked nearly identical, "
    "and several users argued that the accusation was itself a form of narrative control.",
    "The dispute is likely to reach regulators, who have so far said little about how model "
    "outputs may be reused, and lawyers expect the first cases to be filed within months.",
]


def article_html(n: int, *, day: str = "2026-03-0{n}", extra: str = "") -> str:
    """An article page with JSON-LD, a byline, a date and outbound links."""
    date = day.format(n=n)
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    ld = {"@context": "https://schema.org", "@type": "NewsArticle",
          "headline": f"Lab accuses rival of distillation, part {n}",
          "datePublished": f"{date}T09:30:00Z", "author": {"@type": "Person", "name": "Ada Writer"}}  # fmt: skip
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Lab accuses rival of distillation, part {n} | Ledger</title>
<script type="application/ld+json">{json.dumps(ld)}</script></head>
<body><nav><a href="/">Home</a> <a href="/private/secret.html">Members</a></nav>
<article><h1>Lab accuses rival of distillation, part {n}</h1><p class="byline">By Ada Writer</p>
{body}<p>Read the <a href="https://www.theverge.com/ai/123/distillation">original report</a> and
<a href="https://www.reddit.com/r/LocalLLaMA/comments/abc/thread/">the thread</a>.{extra}</p></article>
<footer>Copyright Ledger</footer></body></html>"""


def rss(base: str, paths: list[str]) -> str:
    """An RSS 2.0 feed listing the given article paths."""
    items = "".join(
        f"<item><title>Item {i}</title><link>{base}{p}</link>"
        f"<pubDate>Mon, 0{i + 1} Mar 2026 09:30:00 GMT</pubDate></item>"
        for i, p in enumerate(paths)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Ledger</title>{items}</channel></rss>'


def sitemap(base: str, paths: list[str]) -> str:
    """A Google News sitemap of the given paths."""
    urls = "".join(
        f"<url><loc>{base}{p}</loc><news:news><news:publication_date>2026-03-05T10:00:00Z"
        "</news:publication_date><news:title>T</news:title></news:news></url>"
        for p in paths
    )
    return ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>')  # fmt: skip


def build_site(site: Site, base: str) -> None:
    """Five good articles and one of each kind of bad input."""
    for n in range(1, 6):
        site.add(f"/news/{n}.html", article_html(n))
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    feed_paths = ["/news/1.html", "/news/2.html", "/news/3.html", "/private/secret.html",
                  "/missing.html", "/broken.html", "/slow.html", "/loop-a.html", "/report.pdf",
                  "/photo.jpg", "/about.html", "/busy.html"]  # fmt: skip
    site.add("/rss.xml", rss(base, feed_paths), content_type="application/rss+xml")
    site.add("/news-sitemap.xml", sitemap(base, ["/news/4.html", "/news/5.html"]), content_type="application/xml")  # fmt: skip
    site.add("/feed-as-html.xml", "<html><body><h1>Welcome</h1><p>No feed here.</p></body></html>")
    site.add("/bad-sitemap.xml", '<?xml version="1.0"?><urlset><url><loc>http://x/</loc></url', content_type="application/xml")  # fmt: skip
    site.add("/broken.html", "<html>error</html>", status=500)
    site.routes["/slow.html"] = Route(article_html(9).encode(), delay=8.0)
    site.add("/loop-a.html", "", status=302, headers={"Location": "/loop-b.html"})
    site.add("/loop-b.html", "", status=302, headers={"Location": "/loop-a.html"})
    site.add("/report.pdf", b"%PDF-1.4 binary", content_type="application/pdf")
    site.add("/photo.jpg", b"\xff\xd8\xff\xe0 jpeg", content_type="image/jpeg")
    site.add("/about.html", "<html><body><h1>About us</h1><p>We are a newsroom.</p></body></html>")
    site.routes["/busy.html"] = Route(article_html(6).encode(), fail_first=1, headers={"Retry-After": "1"})  # fmt: skip
    site.add("/private/secret.html", article_html(7))


def run_spider(tmp: Path, spider: str, config: dict[str, Any], **settings: Any) -> dict[str, Any]:
    """Run one spider through ``python -m crawlers.run``; return its stats and the items written."""
    tmp.mkdir(parents=True, exist_ok=True)
    config_file, plan_file = tmp / f"{spider}-config.json", tmp / f"{spider}-plan.json"
    config_file.write_text(json.dumps(config))
    feeds = tmp / "feeds" / spider
    plan = {
        "spider": spider, "config": str(config_file), "stats_file": str(tmp / f"{spider}-stats.json"),
        "settings": {
            "FEEDS": {str(feeds / "%(batch_id)05d.jsonl"): {"format": "jsonlines", "batch_item_count": 1000}},
            "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_TIMEOUT": 10,
            "RETRY_TIMES": 0, "FW_BACKOFF_BASE": 0.1, "LOG_LEVEL": "INFO",
            "LOG_FILE": str(tmp / f"{spider}.log"), "CONCURRENT_REQUESTS_PER_DOMAIN": 8, **settings,
        },
    }  # fmt: skip
    plan_file.write_text(json.dumps(plan))
    subprocess.run([sys.executable, "-m", "crawlers.run", str(plan_file)], check=True, timeout=120)
    items = [json.loads(line) for f in sorted(feeds.glob("*.jsonl")) for line in f.read_text().splitlines() if line.strip()]  # fmt: skip
    return {"stats": json.loads((tmp / f"{spider}-stats.json").read_text()), "items": items}
