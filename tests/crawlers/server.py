"""A local HTTP server for crawler tests: fixed routes, misbehaving routes and a request log."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Answer with this status for the first N requests, then normally (429/503 then 200).
    fail_first: int = 0
    fail_status: int = 429


Dynamic = Callable[[str, dict[str, list[str]], dict[str, list[str]]], bytes | None]


@dataclass
class Site:
    """Routes by path (query ignored unless a dynamic handler reads it) and every request seen."""

    routes: dict[str, Route] = field(default_factory=dict)
    dynamic: Dynamic | None = None
    requests: list[str] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    _counts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, body: bytes | str, **kwargs: object) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, **kwargs)  # type: ignore[arg-type]

    def answer(self, path: str, query: dict[str, list[str]], form: dict[str, list[str]]) -> Route:
        with self.lock:
            self._counts[path] = self._counts.get(path, 0) + 1
            seen = self._counts[path]
        route = self.routes.get(path)
        if route is None and self.dynamic is not None:
            body = self.dynamic(path, query, form)
            if body is not None:
                return Route(body, content_type="application/json; charset=UTF-8")
        if route is None:
            return Route(b"<html><body>Not found</body></html>", status=404)
        if seen <= route.fail_first:
            return Route(b"slow down", status=route.fail_status, headers=route.headers)
        return route


class _Handler(BaseHTTPRequestHandler):
    site: Site

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def do_GET(self) -> None:
        self._serve({})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(parse_qs(self.rfile.read(length).decode()))

    def _serve(self, form: dict[str, list[str]]) -> None:
        parts = urlsplit(self.path)
        with self.site.lock:
            self.site.requests.append(self.path)
            self.site.authorizations.append(self.headers.get("Authorization") or "")
        route = self.site.answer(parts.path, parse_qs(parts.query), form)
        if route.delay:
            time.sleep(route.delay)
        try:
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


@contextmanager
def serve(site: Site, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve the site on a free port of a loopback address; yields the base URL.

    Another address of 127.0.0.0/8 (``127.0.0.2``) is another host to the crawler: an off-site
    server for tests of the allowed domains.
    """
    handler = type("Handler", (_Handler,), {"site": site})
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
