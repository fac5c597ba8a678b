"""The demo world is deterministic, keyword-bearing and complete for a correct crawler."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

import feedparser

from flows.demo import vocabulary as vocab
from flows.demo.server import serve_demo
from flows.demo.world import generate_world, iter_comments


def test_same_seed_same_world() -> None:
    one, two = generate_world("http://127.0.0.1:1"), generate_world("http://127.0.0.1:1")
    assert one.pages == two.pages
    assert generate_world("http://127.0.0.1:1", seed=7).pages != one.pages


def test_world_shape() -> None:
    world = generate_world("http://127.0.0.1:9")
    assert len({a.outlet.slug for a in world.articles}) == len(vocab.OUTLETS) >= 6
    weeks = {a.published.isocalendar()[1] for a in world.articles}
    assert len(weeks) == 8
    assert all("distill" in " ".join(a.paragraphs).lower() for a in world.articles), (
        "every article passes the keyword filter"
    )
    syndicated = next(a for a in world.articles if a.outlet.slug == "bytewire")
    original = next(a for a in world.articles if a.outlet.slug == "circuit")
    assert (syndicated.paragraphs, syndicated.title) == (original.paragraphs, original.title)
    assert syndicated.canonical != original.canonical
    assert any(a.cites for a in world.articles)
    assert (
        len(world.threads) == 3
        and sum(1 for t in world.threads for _ in iter_comments(t.comments)) > 40
    )


def fetch(base: str, path: str, data: dict[str, str] | None = None) -> Any:
    body = urllib.parse.urlencode(data).encode() if data else None
    with urllib.request.urlopen(base + path, data=body, timeout=10) as response:
        raw = response.read()
    return (
        json.loads(raw) if path.split("?")[0].endswith(".json") or "morechildren" in path else raw
    )


def assemble(base: str, thread_id: str) -> dict[str, str]:
    """A straightforward thread assembler: every t1 with its parent, following more and continue stubs."""
    found: dict[str, str] = {}
    pending: list[dict[str, Any]] = []

    def walk(children: list[dict[str, Any]]) -> None:
        for child in children:
            data = child["data"]
            if child["kind"] == "t1":
                found[data["id"]] = data["parent_id"]
                if data["replies"]:
                    walk(data["replies"]["data"]["children"])
            elif child["kind"] == "more":
                pending.append(data)

    walk(fetch(base, f"/comments/{thread_id}.json")[1]["data"]["children"])
    while pending:
        more = pending.pop()
        if more["id"] == "_":
            parent = more["parent_id"].removeprefix("t1_")
            listing = fetch(base, f"/comments/{thread_id}/_/{parent}.json")[1]["data"]["children"]
            walk(
                listing[0]["data"]["replies"]["data"]["children"]
                if listing[0]["data"]["replies"]
                else []
            )
        else:
            things = fetch(
                base,
                "/api/morechildren",
                {
                    "link_id": f"t3_{thread_id}",
                    "children": ",".join(more["children"]),
                    "api_type": "json",
                },
            )
            walk(things["json"]["data"]["things"])
    return found


def test_server_serves_feeds_and_complete_threads() -> None:
    with serve_demo(port=0) as server:
        base = server.world.base_url
        feed = feedparser.parse(fetch(base, "/circuit/feed.xml"))
        assert len(feed.entries) == 4 and all(
            e.link.startswith(base + "/circuit/") for e in feed.entries
        )
        page = fetch(base, feed.entries[0].link.removeprefix(base)).decode()
        assert '<link rel="canonical" href="https://thecircuit.example/' in page
        listing = fetch(base, "/r/LocalModels/new.json?limit=2")
        assert len(listing["data"]["children"]) == 2 and listing["data"]["after"]
        rest = fetch(base, f"/r/LocalModels/new.json?limit=2&after={listing['data']['after']}")
        assert len(rest["data"]["children"]) == 1 and rest["data"]["after"] is None
        for thread in server.world.threads:
            expected = {c.id: c.parent for c in iter_comments(thread.comments)}
            assert assemble(base, thread.id) == expected
        assert (
            fetch(base, "/search.json?q=efficiency")["data"]["children"][0]["data"]["id"] == "dthr2"
        )
