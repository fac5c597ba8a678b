"""Reddit JSON: listing pages and whole comment threads, as pure functions and one assembler.

A thread arrives in pieces: ``/comments/ID`` gives the post and the first comments with ``more``
objects in place of the rest; ``/api/morechildren`` returns the hidden comments as a flat list (at
most 100 ids a call); a "continue this thread" stub (``count: 0``, ``id: "_"``) needs its own
``/comments/ID/_/COMMENT`` page. :class:`ThreadAssembler` collects every piece, keyed by fullname so
nothing is stored twice, remembers what it still has to ask for, and rebuilds depth from ``parent_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

MORECHILDREN_LIMIT = 100


@dataclass(frozen=True)
class ListingPage:
    """One page of a listing: its things (``{"kind", "data"}``) and the ``after`` cursor."""

    things: list[dict[str, Any]]
    after: str | None


def parse_listing(payload: Any) -> ListingPage:
    """Read a Listing (``{"kind": "Listing", "data": {"children": […], "after": …}}``).

    Raises:
        ValueError: When the payload is not a Listing.
    """
    if not isinstance(payload, dict) or payload.get("kind") != "Listing":
        raise ValueError("not a Reddit Listing")
    data = payload.get("data") or {}
    things = [c for c in data.get("children") or [] if isinstance(c, dict) and "data" in c]
    return ListingPage(things, data.get("after"))


def deletion_marker(data: dict[str, Any]) -> str | None:
    """``deleted`` (by the author) or ``removed`` (by moderators) when the text is gone."""
    body = data.get("body", data.get("selftext"))
    if body == "[removed]" or data.get("removed_by_category") not in (None, "deleted"):
        return "removed"
    if body == "[deleted]" or data.get("author") == "[deleted]":
        return "deleted"
    return None


@dataclass
class ThreadAssembler:
    """Collects one thread's post and comments from every response that carries a part of it.

    Attributes:
        link_id: The thread's fullname (``t3_…``).
        post: The post's data once seen.
        comments: Comment data by fullname; a comment met twice is kept once.
    """

    link_id: str
    post: dict[str, Any] | None = None
    comments: dict[str, dict[str, Any]] = field(default_factory=dict)
    _wanted: dict[str, None] = field(default_factory=dict)
    _requested: set[str] = field(default_factory=set)
    _continue: dict[str, None] = field(default_factory=dict)
    _continued: set[str] = field(default_factory=set)

    def add_thread_page(self, payload: Any) -> None:
        """Add a ``/comments/ID`` response (an array of two Listings: post, comments).

        Raises:
            ValueError: When the payload is not a thread page.
        """
        if not isinstance(payload, list) or len(payload) != 2:
            raise ValueError("not a Reddit thread page (expected two Listings)")
        for thing in parse_listing(payload[0]).things:
            if thing.get("kind") == "t3":
                self.post = thing["data"]
        self.add_things(parse_listing(payload[1]).things)

    def add_morechildren(self, payload: Any) -> None:
        """Add an ``/api/morechildren`` response (a flat list of things).

        Raises:
            ValueError: When the payload is not a morechildren response.
        """
        try:
            things = payload["json"]["data"]["things"]
        except (KeyError, TypeError):
            raise ValueError("not a morechildren response") from None
        if not isinstance(things, list):
            raise ValueError("not a morechildren response (things is not a list)")
        self.add_things(things)

    def add_things(self, things: Iterable[dict[str, Any]]) -> None:
        """Add comments and ``more`` objects, descending into nested ``replies``."""
        for thing in things:
            if not isinstance(thing, dict) or not isinstance(thing.get("data"), dict):
                continue  # a malformed thing is skipped, not fatal
            kind, data = thing.get("kind"), thing["data"]
            if kind == "t1":
                if not isinstance(data.get("name"), str) or not data["name"].startswith("t1_"):
                    continue
                self.comments.setdefault(data["name"], data)
                replies = data.get("replies")
                if isinstance(replies, dict):
                    self.add_things(parse_listing(replies).things)
            elif kind == "more":
                self._add_more(data)

    def _add_more(self, data: dict[str, Any]) -> None:
        children = data.get("children") or []
        if not children and data.get("id") == "_":
            # "continue this thread": the rest hangs below the parent comment, fetched as a page.
            parent = str(data.get("parent_id", "")).removeprefix("t1_")
            if parent and parent not in self._continued:
                self._continue.setdefault(parent, None)
            return
        for child in children:
            if f"t1_{child}" not in self.comments and child not in self._requested:
                self._wanted.setdefault(child, None)

    def mark_asked(self, children: Iterable[str]) -> None:
        """Record comment ids already asked ``/api/morechildren`` for (when a thread is resumed)."""
        for child in children:
            self._wanted.pop(child, None)
            self._requested.add(child)

    def mark_continued(self, comment: str) -> None:
        """Record a "continue this thread" page already fetched (when a thread is resumed)."""
        self._continue.pop(comment, None)
        self._continued.add(comment)

    def next_morechildren(self) -> list[str]:
        """The next batch of at most 100 comment ids to ask ``/api/morechildren`` for."""
        batch: list[str] = []
        for child in list(self._wanted):
            if len(batch) == MORECHILDREN_LIMIT:
                break
            del self._wanted[child]
            if f"t1_{child}" not in self.comments:
                batch.append(child)
                self._requested.add(child)
        return batch

    def next_continuations(self) -> list[str]:
        """Comment ids (without ``t1_``) whose "continue this thread" page is still to fetch."""
        pending = list(self._continue)
        self._continue.clear()
        self._continued.update(pending)
        return pending

    def depths(self) -> dict[str, int | None]:
        """Depth of each comment (0 = reply to the post), from the ``parent_id`` chain."""
        known: dict[str, int | None] = {}
        for name in self.comments:
            chain: list[str] = []
            node: str | None = name
            depth: int | None = None
            while node is not None:
                if node in known:
                    depth = known[node]
                    break
                parent = self.comments[node].get("parent_id")
                chain.append(node)
                if parent == self.link_id:
                    depth = -1
                    break
                node = parent if parent in self.comments else None
            for offset, member in enumerate(reversed(chain), start=1):
                known[member] = None if depth is None else depth + offset
        return known

    def things(self) -> Iterator[tuple[str, dict[str, Any], int | None]]:
        """``(kind, data, depth)`` for the post and every comment collected."""
        if self.post is not None:
            yield "reddit_post", self.post, None
        depths = self.depths()
        for name, data in self.comments.items():
            yield "reddit_comment", data, depths.get(name)
