"""Write one benchmark's section of bench/RESULTS.md, keeping the other sections."""

from __future__ import annotations

import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = (
    "# Benchmark results\n\nWritten by the scripts in bench/; each section says how to re-run it.\n"
)


def write_section(title: str, body: str, results: Path = RESULTS) -> None:
    """Replace (or append) the ``## title`` section of RESULTS.md with ``body`` and a date line."""
    text = results.read_text(encoding="utf-8") if results.exists() else HEADER
    stamp = f"_Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, Python {platform.python_version()}._"
    section = f"## {title}\n\n{stamp}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip() + "\n\n" + section
    results.write_text(text.rstrip() + "\n", encoding="utf-8")
