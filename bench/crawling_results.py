"""The ``## Crawling and extraction`` section of bench/RESULTS.md, one ``###`` part per script."""

from __future__ import annotations

import re

from bench.results import RESULTS, write_section

TITLE = "Crawling and extraction"


def write_subsection(name: str, body: str) -> None:
    """Replace (or add) ``### name`` inside the crawling section, keeping its other parts."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    match = re.search(rf"^## {TITLE}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    parts = dict(re.findall(r"^### (.+?)\n(.*?)(?=^### |\Z)", match.group(1), re.S | re.M)) if match else {}  # fmt: skip
    parts[name] = body.strip() + "\n"
    write_section(TITLE, "\n".join(f"### {title}\n\n{content.strip()}\n" for title, content in parts.items()))  # fmt: skip
