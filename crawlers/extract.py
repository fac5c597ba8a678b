"""Article extraction: pure functions of ``(html, url)``.

The news spider and ``framewatch extract`` call :func:`extract_article`, so what a researcher sees
when checking a site is exactly what a crawl stores. trafilatura finds the body and metadata;
JSON-LD (``NewsArticle``) is preferred for the headline, authors and date because publishers fill it
for search engines, and is a fallback for the body; htmldate is the last resort for the date.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import htmldate
import lxml.html
import trafilatura
from lxml import etree

from pipeline.documents import canonical_url, parse_published
from pipeline.errors import InputFileError

_ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "blogposting",
    "liveblogposting",
    "report",
    "webpage",
}
# Outlet names: up to four capitalised words, optionally led by "The" ("The Verge", "Ars Technica").
_NAME = r"((?:The |the )?[A-Z][\w&'-]*(?: (?:[A-Z][\w&'-]*|of|de|du|der|die)){0,3})"
_SUBREDDIT = re.compile(r"\br/([A-Za-z0-9_]{2,21})\b")
_ATTRIBUTION_PATTERNS = [
    re.compile(
        r"\b(?i:according to (?:a |an )?(?:\w+ )?(?:report|story|article|post) (?:in|by|from|on)) "
        + _NAME
    ),
    re.compile(r"\b(?i:according to) " + _NAME),
    re.compile(r"\b(?i:(?:first |originally |as )?reported by) " + _NAME),
    re.compile(r"\b(?i:told|confirmed to|in an interview with) " + _NAME),
    re.compile(_NAME + r" (?:first |previously |earlier |also )?(?:reported|reports)\b"),
]
# Capitalised words that start sentences or name people more often than outlets.
_NOT_OUTLETS = frozenset(
    [
        "The",
        "He",
        "She",
        "They",
        "It",
        "We",
        "I",
        "A",
        "An",
        "This",
        "That",
        "His",
        "Her",
        "Officials",
        "Police",
        "Researchers",
        "Analysts",
        "Sources",
        "Authorities",
        "Reports",
        "Media",
        "Witnesses",
        "Users",
        "Critics",
        "Experts",
        "Scientists",
        "Regulators",
        "Lawyers",
        "Prosecutors",
        "Residents",
        "Investigators",
        "Others",
        "Some",
        "Many",
        "Several",
    ]
)
_MIN_BODY_CHARS = 200
# libxml2's HTML parser stops nesting elements at 256 levels and drops what lies deeper, so a tree
# that deep is a cut page; no real article nests anywhere near it.
MAX_DEPTH = 256
_AT_MAX_DEPTH = etree.XPath("boolean(" + "/*" * MAX_DEPTH + ")")


class PageTooDeep(InputFileError):
    """A page nested deeper than the HTML parser reads: what it holds past that depth is lost."""


@dataclass
class Article:
    """What the news spider stores for one page.

    Attributes:
        fallbacks: Parts that did not come from trafilatura (``jsonld_body``, ``jsonld_date``,
            ``htmldate``), counted in the crawl's coverage report.
    """

    url: str
    canonical_url: str | None
    title: str | None
    text: str
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    language: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)
    attributions: list[dict[str, str]] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``framewatch extract`` prints)."""
        return asdict(self)


def extract_article(html: str | bytes, url: str) -> Article | None:
    """Extract the article of a page, or None when the page holds no article.

    Args:
        html: The page (bytes are decoded by trafilatura's encoding detection).
        url: The page URL, used to resolve relative links and as the canonical URL fallback.

    Raises:
        PageTooDeep: When the page nests elements :data:`MAX_DEPTH` levels deep (the parser cut it).
    """
    tree = _parse(html)
    if tree is None:
        return None
    if _AT_MAX_DEPTH(tree):
        raise PageTooDeep(
            f"{url}: elements nested {MAX_DEPTH} levels deep or more, past what the HTML parser "
            "reads; the page is broken or hostile and cannot be extracted"
        )
    ld = jsonld_article(tree)
    doc = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_links=True,
        include_tables=True, favor_precision=False, deduplicate=False,
    )  # fmt: skip
    if isinstance(doc, dict):  # older trafilatura returned a dict
        doc = None
    meta: dict[str, Any] = doc.as_dict() if doc is not None else {}
    fallbacks: list[str] = []
    text = _clean_text(meta.get("text"))
    ld_body = _clean_text(ld.get("articleBody"))
    if ld_body and len(ld_body) > 1.3 * len(text or ""):
        # trafilatura cut a paywalled or script-rendered body short; the publisher's JSON-LD has it whole.
        text = ld_body
        fallbacks.append("jsonld_body")
    if not text or len(text) < _MIN_BODY_CHARS:
        return None
    published = _published(ld, meta, tree, url, fallbacks)
    title = _first_text(meta.get("title"), ld.get("headline"))
    body = doc.body if doc is not None else None
    return Article(
        url=url,
        canonical_url=canonical_url(meta.get("url") or url) or canonical_url(url),
        title=title,
        text=text,
        authors=_authors(ld, meta.get("author")),
        published=published,
        language=_language(tree, meta.get("language")),
        links=body_links(body, url) if body is not None else [],
        attributions=find_attributions(text),
        fallbacks=fallbacks,
    )


def _parse(html: str | bytes) -> Any:
    if isinstance(html, bytes):
        html = trafilatura.utils.decode_file(html)
    if not html or not html.strip():
        return None
    try:
        return trafilatura.load_html(html)
    except (etree.ParserError, ValueError):
        return None


def _clean_text(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    text = re.sub(r"\[([^\]]*)\]\((?:[^)\s]*)\)", r"\1", value)  # markdown links from include_links
    paragraphs = [re.sub(r"[ \t\r\f\v]+", " ", p).strip() for p in text.split("\n")]
    return "\n\n".join(p for p in paragraphs if p)


def _first_text(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return re.sub(r"\s+", " ", htmllib.unescape(value)).strip()
    return None


def jsonld_article(tree: Any) -> dict[str, Any]:
    """The first JSON-LD object of an article type on the page (``{}`` when there is none)."""
    for script in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(script, strict=False)
        except ValueError:
            continue
        for node in _walk_jsonld(data):
            types = node.get("@type")
            names = types if isinstance(types, list) else [types]
            if any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES for t in names) and (
                node.get("articleBody") or node.get("datePublished") or node.get("headline")
            ):
                return node
    return {}


def _walk_jsonld(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [node for item in data for node in _walk_jsonld(item)]
    if not isinstance(data, dict):
        return []
    return [data, *_walk_jsonld(data.get("@graph", []))]


def _published(
    ld: dict[str, Any], meta: dict[str, Any], tree: Any, url: str, fallbacks: list[str]
) -> str | None:
    # JSON-LD first: it is what the publisher states; it counts as a fallback only when
    # trafilatura found no date of its own.
    date = _iso(ld.get("datePublished")) or _iso(meta.get("date"))
    if date:
        if not _iso(meta.get("date")):
            fallbacks.append("jsonld_date")
        return date
    found = htmldate.find_date(tree, url=url, original_date=True, extensive_search=False)
    date = _iso(found)
    if date:
        fallbacks.append("htmldate")
    return date


def _iso(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        parsed = parse_published(value)
    except ValueError:
        return None
    return parsed.isoformat() if parsed else None


def _authors(ld: dict[str, Any], fallback: Any) -> list[str]:
    raw = ld.get("author")
    nodes = raw if isinstance(raw, list) else [raw]
    names = []
    for node in nodes:
        name = node.get("name") if isinstance(node, dict) else node
        if isinstance(name, str) and name.strip() and not name.startswith("http"):
            names.append(re.sub(r"\s+", " ", htmllib.unescape(name)).strip())
    if not names and isinstance(fallback, str):
        names = [n.strip() for n in re.split(r";|\band\b|,", fallback) if n.strip()]
    return list(dict.fromkeys(names))


def _language(tree: Any, detected: Any) -> str | None:
    lang = tree.get("lang") or tree.get("xml:lang") or detected
    if isinstance(lang, str) and re.match(r"^[A-Za-z]{2}\b", lang):
        return lang[:2].lower()
    return None


def body_links(body: Any, url: str) -> list[dict[str, str]]:
    """Outbound links of the article body: ``{"url", "anchor"}``, absolute and de-duplicated.

    Links to the page's own host are left out: they are navigation, not citations.
    """
    own = (urlsplit(url).hostname or "").removeprefix("www.")
    seen: dict[str, dict[str, str]] = {}
    for ref in body.iter("ref"):
        target = ref.get("target")
        if not target:
            continue
        absolute = canonical_url(urljoin(url, target))
        host = (urlsplit(absolute or "").hostname or "").removeprefix("www.")
        if absolute and host and host != own and absolute not in seen:
            anchor = re.sub(r"\s+", " ", "".join(ref.itertext())).strip()
            seen[absolute] = {"url": absolute, "anchor": anchor}
    return list(seen.values())


def page_links(html: str | bytes, url: str) -> list[str]:
    """Every absolute http(s) link on a page (for following links from start URLs)."""
    try:
        doc = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    links = []
    for href in doc.xpath("//a/@href"):
        absolute = urljoin(url, str(href).strip())
        if absolute.startswith(("http://", "https://")):
            links.append(absolute.split("#", 1)[0])
    return list(dict.fromkeys(links))


def find_attributions(text: str) -> list[dict[str, str]]:
    """In-text citations: ``{"outlet", "phrase"}`` for "according to The Verge" and the like.

    Subreddits named as ``r/NAME`` are cited as outlet ``r/NAME`` (the Reddit outlet naming).
    """
    found: dict[str, dict[str, str]] = {}
    for pattern in _ATTRIBUTION_PATTERNS:
        for match in pattern.finditer(text):
            name = match.group(1).strip().rstrip(".,'")
            name = re.sub(r"'s$", "", name)
            if name in _NOT_OUTLETS or name.removeprefix("The ") in _NOT_OUTLETS:
                continue
            phrase = re.sub(r"\s+", " ", match.group(0)).strip()
            found.setdefault(name.lower(), {"outlet": name, "phrase": phrase})
    for match in _SUBREDDIT.finditer(text):
        name = f"r/{match.group(1)}"
        # The phrase runs from the start of its sentence ("A Reddit thread on r/LocalLLaMA").
        start = max(text.rfind(". ", 0, match.start()) + 2, match.start() - 60, 0)
        start = max(start, text.rfind("\n", 0, match.start()) + 1)
        phrase = re.sub(r"\s+", " ", text[start : match.end()]).strip()
        found.setdefault(name.lower(), {"outlet": name, "phrase": phrase})
    return list(found.values())
