"""Extraction quality of ``crawlers.extract.extract_article`` against plain trafilatura.

Run: ``.venv/bin/python -m bench.extraction`` (needs ../shared/data; writes bench/RESULTS.md).

- fundus_parser_testdata: per page, body token F1 (bag of lower-cased word tokens against the
  expected summary + section headlines + paragraphs), title exact match, author set match and
  publication day (UTC) match; English pages (us, uk, ca, au, za, ind, my, na, ls, tz) and all.
- trafilatura_eval: the upstream scoring (snippets that must / must not appear in the text).

The baseline is ``trafilatura.bare_extraction`` with its defaults and no JSON-LD or htmldate
fallbacks, which is what a crawler would do without framewatch's extraction layer.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trafilatura

from crawlers.extract import extract_article
from pipeline.documents import parse_published

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ENGLISH = {"us", "uk", "ca", "au", "za", "ind", "my", "na", "ls", "tz"}
_TOKEN = re.compile(r"\w+", re.UNICODE)

Extracted = dict[str, Any]


def ours(html: bytes, url: str) -> Extracted:
    article = extract_article(html, url)
    return article.as_dict() if article else {}


def baseline(html: bytes, url: str) -> Extracted:
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if doc is None:
        return {}
    meta = doc if isinstance(doc, dict) else doc.as_dict()
    author = meta.get("author") or ""
    return {"title": meta.get("title"), "text": meta.get("text") or "", "published": meta.get("date"),
            "authors": [a.strip() for a in re.split(r";|,", author) if a.strip()]}  # fmt: skip


def token_f1(got: str, expected: str) -> float:
    a, b = Counter(_TOKEN.findall(got.lower())), Counter(_TOKEN.findall(expected.lower()))
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(a.values()), overlap / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def _day(value: Any) -> str | None:
    try:
        parsed = parse_published(value)
    except ValueError:
        return None
    return parsed.date().isoformat() if parsed else None


def _norm(value: Any) -> str:
    return " ".join(str(value or "").split())


@dataclass
class Scores:
    pages: int = 0
    f1: float = 0.0
    title: int = 0
    authors: int = 0
    date: int = 0
    seconds: float = 0.0
    per_page: list[float] = field(default_factory=list)

    def row(self, name: str) -> str:
        n = max(self.pages, 1)
        return (f"| {name} | {self.pages} | {self.f1 / n:.3f} | {self.title / n:.3f} | "
                f"{self.authors / n:.3f} | {self.date / n:.3f} | {1000 * self.seconds / n:.1f} |")  # fmt: skip


def score_fundus(extract: Callable[[bytes, str], Extracted], english_only: bool) -> Scores:
    folder = DATA / "fundus_parser_testdata"
    scores = Scores()
    for line in (folder / "cases.jsonl").read_text().splitlines():
        case = json.loads(line)
        if english_only and case["country_group"] not in ENGLISH:
            continue
        html = gzip.decompress((folder / case["html_file"]).read_bytes())
        started = time.perf_counter()
        got = extract(html, case["url"])
        scores.seconds += time.perf_counter() - started
        exp = case["expected"]
        body = exp["body"]
        expected_text = " ".join([*body.get("summary", []), *(t for s in body.get("sections", []) for t in [*s.get("headline", []), *s.get("paragraphs", [])])])  # fmt: skip
        f1 = token_f1(got.get("text") or "", expected_text)
        scores.pages += 1
        scores.f1 += f1
        scores.per_page.append(f1)
        scores.title += _norm(got.get("title")) == _norm(exp.get("title"))
        want = {_norm(a).lower() for a in exp.get("authors") or []}
        scores.authors += {_norm(a).lower() for a in got.get("authors") or []} == want
        scores.date += _day(got.get("published")) == _day(exp.get("publishing_date"))
    return scores


def score_trafilatura_eval(extract: Callable[[bytes, str], Extracted]) -> dict[str, float]:
    folder = DATA / "trafilatura_eval"
    evaldata = json.loads((folder / "evaldata.json").read_text())
    tp = fn = fp = tn = 0
    started = time.perf_counter()
    for url, entry in evaldata.items():
        html = gzip.decompress((folder / "html" / f"{entry['file']}.gz").read_bytes())
        text = " ".join((extract(html, url).get("text") or "").split())
        for snippet in entry.get("with", []):
            found = " ".join(snippet.split()) in text
            tp, fn = tp + found, fn + (not found)
        for snippet in entry.get("without", []):
            found = " ".join(snippet.split()) in text
            fp, tn = fp + found, tn + (not found)
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return {"precision": precision, "recall": recall, "f1": 2 * tp / max(2 * tp + fp + fn, 1),
            "docs": len(evaldata), "seconds": time.perf_counter() - started}  # fmt: skip


def main() -> int:
    if not DATA.exists():
        print(f"{DATA} is absent; the benchmark needs the shared real data", file=sys.stderr)
        return 1
    from bench.crawling_results import write_subsection

    lines = ["Fundus pages (expected values are fundus' own parser output):", "",
             "| extractor | pages | body token F1 | title | authors | date (UTC day) | ms/page |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    figures: dict[str, Scores] = {}
    for label, english in (("English", True), ("all languages", False)):
        for name, fn in (("framewatch", ours), ("trafilatura baseline", baseline)):
            figures[f"{name} {label}"] = scores = score_fundus(fn, english)
            lines.append(scores.row(f"{name}, {label}"))
    ours_en, base_en = figures["framewatch English"], figures["trafilatura baseline English"]
    lines += ["", f"English: body F1 ratio framewatch/baseline {ours_en.f1 / max(base_en.f1, 1e-9):.2f}, "
              f"date accuracy ratio {ours_en.date / max(base_en.date, 1):.2f}. "
              f"Targets: body F1 >= 0.90 ({'met' if ours_en.f1 / ours_en.pages >= 0.90 else 'NOT met'}), "
              f"date >= 0.85 ({'met' if ours_en.date / ours_en.pages >= 0.85 else 'NOT met'}).", "",
              "trafilatura_eval (990 pages, mostly German; upstream scoring):", "",
              "| extractor | precision | recall | F1 | seconds |", "|---|---|---|---|---|"]  # fmt: skip
    for name, fn in (("framewatch", ours), ("trafilatura baseline", baseline)):
        r = score_trafilatura_eval(fn)
        lines.append(f"| {name} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['seconds']:.1f} |")  # fmt: skip
    lines += ["", "Re-run: `.venv/bin/python -m bench.extraction`."]
    body = "\n".join(lines)
    print(body)
    write_subsection("Extraction quality", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
