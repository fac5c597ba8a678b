"""A Reddit search the tests make up: capped at 1,000 items, answering time-sliced queries.

``/search.json`` and ``/r/SUB/search.json`` list the posts matching ``q``, 100 a page with an
``after`` cursor, and stop after 1,000 items as Reddit does. With ``syntax=cloudsearch`` and
``timestamp:START..END`` in ``q`` only posts created in that inclusive range match (unless the
search is told to ignore ranges, as reddit.com has since 2018). ``/comments/ID`` answers a thread
page with the post and no comments.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

CAP = 1000
_RANGE = re.compile(r"timestamp:(\d+)\.\.(\d+)")


def post(n: int, created: int, title: str = "Distillation thread") -> dict[str, Any]:
    """A post's JSON as Reddit lists it."""
    pid = f"p{n:05d}"
    return {"id": pid, "name": f"t3_{pid}", "subreddit": "LocalLLaMA", "title": f"{title} {n}",
            "selftext": "", "author": "someone", "score": 1, "created_utc": float(created),
            "permalink": f"/r/LocalLLaMA/comments/{pid}/x/", "is_self": True,
            "url": f"https://www.reddit.com/r/LocalLLaMA/comments/{pid}/x/"}  # fmt: skip


def _listing(children: list[dict[str, Any]], after: str | None) -> bytes:
    things = [{"kind": "t3", "data": c} for c in children]
    return json.dumps({"kind": "Listing", "data": {"children": things, "after": after}}).encode()


@dataclass
class CappedSearch:
    """Posts a search finds; ``respond`` is a :class:`tests.crawlers.server.Site` dynamic handler."""

    posts: list[dict[str, Any]]
    honours_ranges: bool = True
    queries: list[str] = field(default_factory=list)

    def matches(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        """The posts a query matches, in the order its sort lists them."""
        q = query.get("q", [""])[0]
        self.queries.append(q)
        found = list(self.posts)
        bounds = _RANGE.search(q)
        if bounds and self.honours_ranges and query.get("syntax") == ["cloudsearch"]:
            low, high = int(bounds.group(1)), int(bounds.group(2))
            found = [p for p in found if low <= p["created_utc"] <= high]
        if query.get("sort", ["relevance"])[0] == "new":
            return sorted(found, key=lambda p: (-p["created_utc"], p["id"]))
        return sorted(found, key=lambda p: p["id"][::-1])  # "relevance": unrelated to time

    def respond(
        self, path: str, query: dict[str, list[str]], form: dict[str, list[str]]
    ) -> bytes | None:
        if path.endswith("/search.json"):
            found = self.matches(query)[:CAP]
            after = query.get("after", [None])[0]
            names = [p["name"] for p in found]
            begin = names.index(after) + 1 if after in names else 0
            size = int(query.get("limit", ["25"])[0])
            page = found[begin : begin + size]
            more = begin + size < len(found)
            return _listing(page, page[-1]["name"] if page and more else None)
        match = re.fullmatch(r"/comments/(\w+)\.json", path)
        if match:
            chosen = [p for p in self.posts if p["id"] == match.group(1)]
            return (
                b"[" + _listing(chosen, None) + b"," + _listing([], None) + b"]" if chosen else None
            )
        return None
