"""Every reason the crawlers count a page as dropped or a request as failed, with what it means.

These are the keys of ``dropped_reasons`` and ``error_reasons`` in ``crawl_runs``. A spider counts
only reasons listed here (a test reads the spiders' source to hold them to it), so a researcher can
look each one up; :func:`known_reason` also accepts the numbered and prefixed families.
"""

from __future__ import annotations

import re

DROPPED = {
    "no_article": "a page with no article (under 200 characters of body text)",
    "not_html": "a PDF, image or other answer that is not an HTML page",
    "keyword": "no study keyword in the title or text",
    "date_window": "published outside the study's start_date … end_date",
    "language": "not in one of the study's languages",
    "off_domain": "a link or listing entry on another site than the outlet's",
    "offsite_redirect": "a redirect to another site, not followed",
    "robots_txt": "disallowed by the site's robots.txt, never requested",
    "too_large": "a page over the download size cap (20 MiB), not read",
    "too_deep": "a page nested deeper than the HTML parser reads (256 levels), not extracted",
    "ignored": "a request Scrapy refused for another reason (see the crawl log)",
}

ERRORS = {
    "http_NNN": "the server answered with this HTTP status (after retries for 429 and 5xx)",
    "timeout": "no answer within [crawl] timeout seconds, after two retries",
    "connection": "the host could not be resolved or refused the connection",
    "download_failed": "the connection broke during the download",
    "redirect_loop": "redirected in a loop or over 5 times",
    "bad_feed": "a feed that is not RSS or Atom (HTML, broken XML)",
    "bad_sitemap": "a sitemap that is not sitemap XML, broken gzip, or over 50 MiB unpacked",
    "sitemap_limit": "a sitemap not read: nested deeper than [crawl] sitemap_max_depth, or past "
    "[crawl] sitemaps_per_outlet",
    "bad_json": "a Reddit answer that is not the JSON expected (truncated, HTML)",
    "bad_token": "Reddit gave no OAuth token; the crawl went on anonymously",
    "credentials_refused": "Reddit credentials not sent to a server the study did not name for them",
    "listing_capped": "a Reddit listing or search reached Reddit's ~1,000-item limit",
    "slices_unsupported": "the server ignored a sliced search's time range",
    "looping_cursor": "a Reddit listing gave the same `after` cursor again",
    "truncated_json": "an unreadable line in a crawler feed file (source `(ingest)`)",
    "finish_REASON": "a spider that stopped abnormally (source `(news)` or `(reddit)`)",
}

_FAMILIES = {"http_NNN": re.compile(r"http_\d{3}"), "finish_REASON": re.compile(r"finish_\w+")}


def known_reason(bucket: str, reason: str) -> bool:
    """Whether ``reason`` is a documented reason of ``bucket`` (``dropped`` or ``errors``)."""
    listed = DROPPED if bucket == "dropped" else ERRORS
    if reason in listed:
        return True
    return any(p.fullmatch(reason) for name, p in _FAMILIES.items() if name in listed)
