"""Replays the recorded Reddit API responses of ../shared/data/reddit_praw_cassettes.

Thread pages and "continue this thread" pages are served by path. ``/api/morechildren`` is answered
per comment id rather than per recorded request: PRAW asked for up to 478 ids a call in 2016, the
crawler asks for at most 100, so each recorded response is split into the subtrees of the ids that
were asked for, and a request gets the subtrees of the ids it names (what Reddit itself returns).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class RedditReplay:
    """The recorded responses of one or more cassette folders, indexed for lookup."""

    pages: dict[str, bytes] = field(default_factory=dict)
    subtrees: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    listings: dict[str | None, bytes] = field(default_factory=dict)

    @classmethod
    def load(cls, *folders: Path) -> RedditReplay:
        replay = cls()
        for folder in folders:
            for line in (folder / "manifest.jsonl").read_text().splitlines():
                entry = json.loads(line)
                body = (folder / entry["file"]).read_bytes()
                path = urlsplit(entry["uri"]).path.rstrip("/")
                query = parse_qs(urlsplit(entry["uri"]).query)
                if "/api/morechildren" in path:
                    asked = parse_qs(entry["request_body"])["children"][0].split(",")
                    replay._index_morechildren(asked, json.loads(body))
                elif "/comments/" in path:
                    replay.pages[path] = body
                else:
                    replay.listings[query.get("after", [None])[0]] = body
        return replay

    def _index_morechildren(self, asked: list[str], payload: dict[str, Any]) -> None:
        things = payload["json"]["data"]["things"]
        parents = {t["data"].get("name"): t["data"].get("parent_id") for t in things}
        asked_names = {f"t1_{a}" for a in asked}
        for thing in things:
            node = (
                thing["data"].get("name") if thing["kind"] == "t1" else thing["data"]["parent_id"]
            )
            while node in parents and node not in asked_names:
                node = parents[node]
            if node in asked_names:
                bucket = self.subtrees.setdefault(node, [])
                if thing not in bucket:
                    bucket.append(thing)

    def morechildren(self, children: list[str]) -> bytes:
        things: list[dict[str, Any]] = []
        seen: set[str] = set()
        for child in children:
            for thing in self.subtrees.get(f"t1_{child}", []):
                key = thing["data"].get("name") or json.dumps(thing, sort_keys=True)
                if key not in seen:
                    seen.add(key)
                    things.append(thing)
        return json.dumps({"json": {"errors": [], "data": {"things": things}}}).encode()

    def respond(
        self, path: str, query: dict[str, list[str]], form: dict[str, list[str]]
    ) -> bytes | None:
        path = re.sub(r"\.json$", "", path.rstrip("/")).rstrip("/")
        if path.endswith("/api/morechildren"):
            args = {**form, **query}
            return self.morechildren(args.get("children", [""])[0].split(","))
        match = re.search(r"(/comments/\w+(?:/_/\w+)?)$", path)
        if match:
            return self.pages.get(match.group(1))
        if self.listings:
            return self.listings.get(query.get("after", [None])[0])
        return None
