"""Serve the demo world on 127.0.0.1: static news sites and a small Reddit-shaped JSON API.

Reddit routes (with or without a ``.json`` suffix, query strings as Reddit takes them):
``/r/SUB/new`` (also hot, top; ``limit`` and ``after``), ``/r/SUB/search`` and ``/search`` (``q``),
``/comments/ID`` and ``/r/SUB/comments/ID/SLUG`` (a thread), ``…/comments/ID/_/COMMENT`` or
``…/comments/ID/SLUG/COMMENT`` ("continue this thread"), and ``/api/morechildren`` (GET or POST with
``link_id`` and ``children``), and ``/api/v1/access_token`` for app-only OAuth.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flows.demo.world import (
    RedditThread,
    World,
    comment_json,
    generate_world,
    iter_comments,
    post_json,
)

TOP_LEVEL_SHOWN = 4
_THREAD = re.compile(r"^(?:/r/\w+)?/comments/(\w+)(?:/([^/]+))?(?:/(\w+))?/?$")


def _listing(children: list[dict[str, Any]], after: str | None = None) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {"after": after, "before": None, "children": children, "dist": len(children)},
    }


class DemoHandler(BaseHTTPRequestHandler):
    """Answers from the server's :class:`World`."""

    server: DemoServer

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the demo quiet; the crawl report says what was fetched."""

    def do_GET(self) -> None:
        self._answer(parse_qs(urlsplit(self.path).query))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        self._answer({**parse_qs(urlsplit(self.path).query), **form})

    def _answer(self, query: dict[str, list[str]]) -> None:
        world = self.server.world
        path = urlsplit(self.path).path
        if path in world.pages:
            content_type, body = world.pages[path]
            self._send(200, content_type, body)
            return
        payload = self._reddit(path.removesuffix(".json"), {k: v[-1] for k, v in query.items()})
        if payload is None:
            self._send(404, "text/html", b"<html><body>Not found</body></html>")
        else:
            self._send(200, "application/json", json.dumps(payload).encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header(
            "Content-Type",
            content_type + ("; charset=utf-8" if content_type.startswith("text") else ""),
        )
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _reddit(self, path: str, query: dict[str, str]) -> Any:
        threads = self.server.world.threads
        if path == "/api/v1/access_token":
            # App-only OAuth, as Reddit answers it; the demo accepts any client credentials.
            return {
                "access_token": "demo-token",
                "token_type": "bearer",
                "expires_in": 3600,
                "scope": "*",
            }
        if path == "/api/morechildren":
            return _morechildren(threads, query.get("link_id", ""), query.get("children", ""))
        if re.fullmatch(r"/r/\w+/(new|hot|top)", path):
            return _paged(sorted(threads, key=lambda t: t.created, reverse=True), query)
        if re.fullmatch(r"(/r/\w+)?/search", path):
            words = [w.lower() for w in query.get("q", "").split() if w]
            hits = [
                t for t in threads if any(w in (t.title + " " + t.selftext).lower() for w in words)
            ]
            return _paged(sorted(hits, key=lambda t: t.created, reverse=True), query)
        match = _THREAD.match(path)
        if match:
            return _thread(threads, match[1], match[3])
        return None


def _paged(threads: list[RedditThread], query: dict[str, str]) -> dict[str, Any]:
    limit = max(1, min(100, int(query.get("limit", "25") or 25)))
    names = [f"t3_{t.id}" for t in threads]
    start = names.index(query["after"]) + 1 if query.get("after") in names else 0
    page = threads[start : start + limit]
    after = f"t3_{page[-1].id}" if page and start + limit < len(threads) else None
    return _listing([{"kind": "t3", "data": post_json(t)} for t in page], after)


def _thread(threads: list[RedditThread], thread_id: str, focus: str | None) -> Any:
    thread = next((t for t in threads if t.id == thread_id), None)
    if thread is None:
        return None
    post = _listing([{"kind": "t3", "data": post_json(thread)}])
    if focus and focus != "_":
        found = next((c for c in iter_comments(thread.comments) if c.id == focus), None)
        if found is None:
            return None
        return [
            post,
            _listing(
                [{"kind": "t1", "data": comment_json(found, thread, nest_until=found.depth + 3)}]
            ),
        ]
    shown, hidden = thread.comments[:TOP_LEVEL_SHOWN], thread.comments[TOP_LEVEL_SHOWN:]
    children: list[dict[str, Any]] = [
        {"kind": "t1", "data": comment_json(c, thread)} for c in shown
    ]
    if hidden:
        children.append(
            {
                "kind": "more",
                "data": {
                    "count": len(hidden),
                    "name": f"t1_{hidden[0].id}",
                    "id": hidden[0].id,
                    "parent_id": f"t3_{thread.id}",
                    "depth": 0,
                    "children": [c.id for c in hidden],
                },
            }
        )
    return [post, _listing(children)]


def _morechildren(threads: list[RedditThread], link_id: str, children: str) -> dict[str, Any]:
    # Like Reddit: a flat list of the asked-for comments (replies ""), each comment's own replies
    # announced by a further "more" thing that names its parent.
    thread = next((t for t in threads if f"t3_{t.id}" == link_id), None)
    wanted = {c for c in children.split(",") if c}
    things: list[dict[str, Any]] = []
    for comment in iter_comments(thread.comments) if thread else []:
        if comment.id not in wanted:
            continue
        assert thread is not None
        things.append({"kind": "t1", "data": {**comment_json(comment, thread), "replies": ""}})
        if comment.replies:
            things.append(
                {
                    "kind": "more",
                    "data": {
                        "count": len(comment.replies),
                        "name": f"t1_{comment.replies[0].id}",
                        "id": comment.replies[0].id,
                        "parent_id": f"t1_{comment.id}",
                        "depth": comment.depth + 1,
                        "children": [c.id for c in comment.replies],
                    },
                }
            )
    return {"json": {"errors": [], "data": {"things": things}}}


class DemoServer(ThreadingHTTPServer):
    """A threading HTTP server holding the demo world."""

    daemon_threads = True
    world: World


DEMO_PORT = 8765


def _bind(port: int) -> DemoServer:
    try:
        return DemoServer(("127.0.0.1", port), DemoHandler)
    except OSError:
        # The usual port is taken: any free one works, at the cost of re-fetching known pages once.
        return DemoServer(("127.0.0.1", 0), DemoHandler)


@contextmanager
def serve_demo(port: int = DEMO_PORT, seed: int = 2026) -> Iterator[DemoServer]:
    """Serve the demo world on 127.0.0.1 in a background thread for the duration of the block.

    The same port on every run keeps the page URLs stable, so a second demo run fetches only the
    feeds, sitemaps and Reddit listings.
    """
    server = _bind(port)
    server.world = generate_world(f"http://127.0.0.1:{server.server_address[1]}", seed)
    thread = threading.Thread(
        target=server.serve_forever, name="framewatch-demo-server", daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
