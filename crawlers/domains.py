"""Which hosts an outlet's pages may live on: the one definition of "on site" for the crawlers.

The news spider uses it to drop feed entries and links to other sites before they are requested,
and :class:`crawlers.middlewares.OutletOffsiteMiddleware` uses it again on every request about to
be scheduled, which is where the targets of redirects are checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit


def outlet_domains(outlet: dict[str, Any]) -> set[str]:
    """Hosts (without ``www.``) an outlet's articles may live on: those of its configured URLs."""
    urls = [outlet.get("homepage"), *outlet.get("feeds", ()), *outlet.get("sitemaps", ())]
    urls += list(outlet.get("start_urls", ()))
    return {(urlsplit(u).hostname or "").removeprefix("www.") for u in urls if u} - {""}


def on_domains(url: str, domains: Iterable[str]) -> bool:
    """Whether a URL's host is one of the domains or a subdomain of one."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return any(host == d or host.endswith("." + d) for d in domains)
