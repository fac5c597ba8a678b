"""The Reddit spider: subreddit listings, searches and whole threads from the JSON API.

Listings and searches are followed page by page with ``after`` until Reddit returns ``null``. A
search that stops at Reddit's ~1,000-item cap is asked again in time slices
(:mod:`crawlers.timeslices`) until its whole time window is listed; a post listed by several slices
is taken once. Each post found (and each thread named in the study) is fetched whole: every ``more`` object expanded
through ``/api/morechildren`` and every "continue this thread" page followed, assembled by
:class:`crawlers.threads.ThreadAssembler`; the thread's items are written once it is complete,
followed by a :class:`RedditThreadItem` that ingest records, so later crawls skip the thread
(``known_threads_file``). Parts of threads in progress are journalled (:mod:`crawlers.journal`),
so a crawl that is interrupted resumes them where they stopped.

The base URL comes from the study (``[reddit] base_url``), so tests and mirrors can point it at a
local server. With ``FRAMEWATCH_REDDIT_CLIENT_ID`` and ``FRAMEWATCH_REDDIT_CLIENT_SECRET`` in the
environment it first gets an app-only OAuth token and then uses it: the credentials go only where
:func:`crawlers.oauth.oauth_plan` allows (Reddit's own token endpoint over HTTPS, or the study's
``[reddit] token_url``), and a study that would send them elsewhere is refused before any request.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from scrapy import FormRequest, Request
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers.items import RedditItem, RedditThreadItem
from crawlers.journal import JournalPart, ThreadJournal, replay
from crawlers.oauth import oauth_plan
from crawlers.pipelines import KeywordPipeline, in_window
from crawlers.spiders.base import CountingSpider, load_config, now_iso
from crawlers.threads import ThreadAssembler, deletion_marker, parse_listing
from crawlers.timeslices import TimeSlice, cloudsearch_query, next_slices, search_window
from pipeline.documents import plausible_time
from pipeline.errors import StudyError

_THREAD_ID = re.compile(r"/comments/(\w+)")
_SUBREDDIT = re.compile(r"/r/(\w+)")
MAX_PAGES = 50  # Reddit stops listings near 1,000 items; this only guards against a looping cursor
LISTING_CAP = 1000  # Reddit lists at most about this many items, however far `after` is followed

Output = RedditItem | RedditThreadItem | Request


@dataclass
class _Thread:
    assembler: ThreadAssembler
    source: str
    outstanding: int = 0  # parts asked for and not yet answered
    failed: bool = False  # a part failed: the thread is written, but not recorded as whole


def reddit_item(
    kind: str, data: dict[str, Any], depth: int | None, source: str, base: str
) -> RedditItem:
    """Turn a post or comment's JSON into an item."""
    is_post = kind == "reddit_post"
    link_id = data.get("name") if is_post else data.get("link_id")
    edited = data.get("edited")
    url = data.get("url") if is_post else None
    return RedditItem(
        source=source,
        fullname=str(data.get("name")),
        kind=kind,
        subreddit=str(data.get("subreddit") or ""),
        thread_id=str(link_id),
        parent_id=None if is_post else data.get("parent_id"),
        depth=depth,
        author=data.get("author"),
        title=data.get("title") if is_post else None,
        text=(data.get("selftext") if is_post else data.get("body")) or None,
        url=base + str(data.get("permalink") or ""),
        link_url=url if is_post and not data.get("is_self") and url else None,
        score=data.get("score"),
        created_utc=data.get("created_utc"),
        edited_utc=float(edited) if isinstance(edited, int | float) and edited else None,
        deleted=deletion_marker(data),
        fetched_at=now_iso(),
    )


def _oldest(things: list[dict[str, Any]], oldest: float | None) -> float | None:
    times = [c for t in things if isinstance(c := t["data"].get("created_utc"), int | float)]
    return min([*times, *([] if oldest is None else [oldest])], default=None)


def _outside(things: list[dict[str, Any]], piece: TimeSlice) -> bool:
    times = [c for t in things if isinstance(c := t["data"].get("created_utc"), int | float)]
    return any(not piece.contains(c) for c in times)


class RedditSpider(CountingSpider):
    """Crawls the subreddits, searches and threads of the run configuration (``-a config=FILE``)."""

    name = "reddit"
    # The spider reads Reddit's documented JSON API, governed by Reddit's API terms and the
    # X-Ratelimit headers it honours, not by robots.txt (which on reddit.com refuses all crawlers).
    custom_settings = {"ROBOTSTXT_OBEY": False}  # noqa: RUF012 (Scrapy's own attribute)

    def __init__(self, config: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        plan = load_config(config)
        cfg = plan.get("reddit", {})
        self.base = str(cfg.get("base_url", "https://www.reddit.com")).rstrip("/")
        self.token_url: str | None = cfg.get("token_url")
        self.subreddits: list[str] = list(cfg.get("subreddits", []))
        self.searches: list[dict[str, Any]] = list(cfg.get("searches", []))
        self.thread_urls: list[str] = list(cfg.get("threads", []))
        self.listing = str(cfg.get("listing", "new"))
        self.expand = bool(cfg.get("expand_threads", True))
        self.threads: dict[str, _Thread] = {}
        self.token: str | None = None
        self._filters: tuple[re.Pattern[str] | None, date | None, date | None] | None = None
        self.started = time.time()
        # Fullnames each search has listed (over all its slices), and searches whose server
        # ignored the time ranges of a slice (so slicing them again would only repeat pages).
        self.listed: dict[str, set[str]] = {}
        self.unsliceable: set[str] = set()
        # Resuming: threads stored whole by earlier crawls are skipped (unless refreshing), and
        # threads in progress are journalled (see crawlers.journal) under the state folder.
        known = plan.get("known_threads_file")
        self.known_threads: set[str] = set()
        if known and not plan.get("refresh") and Path(known).exists():
            self.known_threads = set(Path(known).read_text(encoding="utf-8").split())
        self.state_dir = Path(plan["state_dir"]) if plan.get("state_dir") else None
        self._journal_made = False
        self._thread_journal: ThreadJournal | None = None
        self.run_id = uuid.uuid4().hex  # marks this process's requests (see _add)

    async def start(self) -> AsyncIterator[Output]:
        """An OAuth token first when credentials are set, else the listings right away."""
        try:
            plan = oauth_plan(self.base, self.token_url, os.environ)
        except StudyError as exc:
            # `crawlers.run` refuses such a plan before the crawl; this guards a spider run by hand.
            self.logger.error("%s", exc)
            self.note("reddit-oauth", "errors/credentials_refused")
            return
        if plan is None:
            for request in self.first_requests():
                yield request
            return
        auth = base64.b64encode(f"{plan.client_id}:{plan.secret}".encode()).decode()
        # Never redirected: a redirect would carry the Basic credentials to another URL. Any answer
        # reaches parse_token, which goes on anonymously without a token.
        yield FormRequest(
            plan.token_url, formdata={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {auth}"}, callback=self.parse_token,
            errback=self.on_error,
            meta={"source": "reddit-oauth", "dont_redirect": True, "handle_httpstatus_all": True,
                  "api_base": plan.api_base},
        )  # fmt: skip

    def parse_token(self, response: Response) -> Iterator[Output]:
        """Switch to the API base the token is for, then start."""
        try:
            self.token = str(json.loads(response.body)["access_token"])
        except (ValueError, KeyError, TypeError):
            # Without a token the public endpoints still work, at a lower rate limit.
            self.note("reddit-oauth", "errors/bad_token")
        if self.token:
            self.base = str(response.meta["api_base"])
        yield from self.first_requests()

    def first_requests(self) -> Iterator[Output]:
        """Unfinished threads first, then listings, searches and the study's single threads."""
        yield from self.resume_threads()
        for name in self.subreddits:
            yield self._listing(f"/r/{name}/{self.listing}.json", {}, f"r/{name}")
        for search in self.searches:
            within = search.get("subreddit")
            path = f"/r/{within}/search.json" if within else "/search.json"
            params = {"q": search["query"], "sort": search.get("sort", "new"),
                      "t": search.get("time", "all"), "restrict_sr": "1" if within else "0"}  # fmt: skip
            yield self._listing(path, params, f"search:{search['query']}", query=search["query"])
        for url in self.thread_urls:
            thread = _THREAD_ID.search(url)
            sub = _SUBREDDIT.search(url)
            if thread:
                source = f"r/{sub.group(1)}" if sub else "reddit-thread"
                yield from self._thread(thread.group(1), source)

    def _get(
        self, path: str, params: dict[str, str], meta: dict[str, Any], callback: Any
    ) -> Request:
        query = urlencode({**params, "raw_json": "1"})
        headers = {"Authorization": f"bearer {self.token}"} if self.token else {}
        return Request(f"{self.base}{path}?{query}", callback, errback=self.on_error,
                       headers=headers, meta={**meta, "fw_run": self.run_id},
                       dont_filter=True)  # fmt: skip

    def _listing(
        self, path: str, params: dict[str, str], source: str, page: int = 1, seen: int = 0,
        **state: Any,
    ) -> Request:  # fmt: skip
        # `state` travels from page to page: a search's `query`, the `slice` it lists and the
        # `oldest` created_utc listed so far.
        meta = {"source": source, "path": path, "params": params, "page": page, "seen": seen,
                **state}  # fmt: skip
        return self._get(path, {**params, "limit": "100"}, meta, self.parse_listing)

    def parse_listing(self, response: Response) -> Iterator[Output]:
        """Items of one listing page; the next page while ``after`` is set; slices when capped."""
        meta = response.meta
        source = meta["source"]
        try:
            page = parse_listing(json.loads(response.body))
        except ValueError:
            self.note(source, "errors/bad_json")
            return
        self.note(source, "feeds_polled")
        seen = meta["seen"] + len(page.things)
        oldest = _oldest(page.things, meta.get("oldest"))
        piece = TimeSlice(*meta["slice"]) if meta.get("slice") else None
        if piece is not None and source not in self.unsliceable and _outside(page.things, piece):
            # The server ignored the time range (reddit.com has since 2018): more slices would
            # only list the same items again. What this page holds is still taken.
            self.unsliceable.add(source)
            self.note(source, "errors/slices_unsupported")
            self.note(source, "errors/listing_capped")
        for thing in page.things:
            yield from self._listed(thing, source, searched="query" in meta)
        state = {k: meta[k] for k in ("query", "slice") if k in meta}
        if page.after and page.after == meta["params"].get("after"):
            self.note(source, "errors/looping_cursor")  # a broken mirror; stop here
        elif page.after and meta["page"] < MAX_PAGES and not (piece and source in self.unsliceable):  # fmt: skip
            params = {**meta["params"], "after": page.after}
            yield self._listing(meta["path"], params, source, meta["page"] + 1, seen,
                                oldest=oldest, **state)  # fmt: skip
        elif seen >= LISTING_CAP:
            yield from self._capped(meta, oldest)

    def _listed(self, thing: dict[str, Any], source: str, searched: bool) -> Iterator[Output]:
        kind = {"t3": "reddit_post", "t1": "reddit_comment"}.get(thing.get("kind", ""))
        if kind is None:
            return
        if searched:
            listed = self.listed.setdefault(source, set())
            name = str(thing["data"].get("name"))
            if name in listed:
                return  # listed by an earlier page or slice of the same search
            listed.add(name)
        self.note(source, "listing_items")
        if kind == "reddit_post" and self.expand:
            if self._post_matches(thing["data"], source):
                yield from self._thread(str(thing["data"]["id"]), source)
        else:
            yield reddit_item(kind, thing["data"], None, source, self.base)

    def _capped(self, meta: dict[str, Any], oldest: float | None) -> Iterator[Request]:
        """Slice a capped search by time; report a listing that cannot be sliced as capped."""
        source, params = meta["source"], meta["params"]
        if "query" not in meta:
            # Reddit listed all it will; older matches exist but cannot be paged to. Reported so
            # the researcher can narrow the listing or import a dump for the older part.
            self.note(source, "errors/listing_capped")
            return
        if source in self.unsliceable:
            return  # counted as capped once, when the slices were found to be ignored
        if meta.get("slice"):
            piece = TimeSlice(*meta["slice"])
        else:
            _, start, end = self._study_filters()
            piece = search_window(self.started, params.get("t", "all"), start, end)
            if params.get("sort") != "new":
                oldest = None  # ranked by relevance or score: the listing says nothing about time
        pieces = next_slices(piece, oldest)
        if pieces is None:
            self.note(source, "errors/listing_capped")  # over 1,000 matches within MIN_SLICE
            return
        base = {k: v for k, v in params.items() if k != "after"}
        for part in pieces:
            self.note(source, "time_slices")
            sliced = {**base, "q": cloudsearch_query(meta["query"], part), "syntax": "cloudsearch",
                      "sort": "new"}  # fmt: skip
            yield self._listing(meta["path"], sliced, source, query=meta["query"],
                                slice=(part.start, part.end))  # fmt: skip

    def _study_filters(self) -> tuple[re.Pattern[str] | None, date | None, date | None]:
        if self._filters is None:
            keywords = KeywordPipeline(None, self.settings.getlist("FW_KEYWORDS")).pattern
            start, end = self.settings.get("FW_START_DATE"), self.settings.get("FW_END_DATE")
            self._filters = (keywords, date.fromisoformat(start) if start else None,
                             date.fromisoformat(end) if end else None)  # fmt: skip
        return self._filters

    def _post_matches(self, data: dict[str, Any], source: str) -> bool:
        # Decide from the listing whether a thread is worth fetching: a post that misses the
        # study's keywords or date window would be dropped anyway, with all its comments.
        keywords, start, end = self._study_filters()
        created = plausible_time(data.get("created_utc"))
        if created and not in_window(created.date(), start, end):
            self.note(source, "dropped/date_window")
            return False
        if keywords and not keywords.search(
            f"{data.get('title') or ''}\n{data.get('selftext') or ''}"
        ):
            self.note(source, "dropped/keyword")
            return False
        return True

    def _thread(self, thread_id: str, source: str) -> Iterator[Output]:
        """Fetch a thread whole, resume it from the journal, or skip it when stored whole before."""
        link_id = f"t3_{thread_id}"
        if link_id in self.threads:
            return
        journal = self._journal()
        if link_id in self.known_threads:
            self.note(source, "skipped_known")
            if journal is not None:
                journal.finish(link_id)  # stored after all, by the crawl that was interrupted
            return
        recorded = journal.load(link_id) if journal is not None else None
        if journal is not None and recorded is not None:
            try:
                assembler = replay(link_id, recorded[1])
            except ValueError:
                journal.finish(link_id)  # not a journal this spider wrote: start over
            else:
                self.note(recorded[0], "threads_resumed")
                self.threads[link_id] = thread = _Thread(assembler, recorded[0], outstanding=1)
                yield from self._advance(thread, link_id)  # asks only for what is missing
                return
        self.threads[link_id] = _Thread(ThreadAssembler(link_id), source, outstanding=1)
        meta = {"source": source, "link_id": link_id, "part": "page"}
        yield self._get(f"/comments/{thread_id}.json", {"sort": "confidence", "limit": "500"},
                        meta, self.parse_thread)  # fmt: skip

    def _journal(self) -> ThreadJournal | None:
        # Under JOBDIR when Scrapy has one (`-s JOBDIR=…`), else in the plan's state folder.
        if not self._journal_made:
            jobdir = self.settings.get("JOBDIR") if hasattr(self, "settings") else None
            if jobdir:
                self._thread_journal = ThreadJournal(Path(jobdir) / "reddit-threads")
            elif self.state_dir is not None:
                self._thread_journal = ThreadJournal(self.state_dir / "threads")
            self._journal_made = True
        return self._thread_journal

    def resume_threads(self) -> Iterator[Output]:
        """The threads an interrupted crawl left unfinished, before anything new."""
        journal = self._journal()
        if journal is None:
            return
        for link_id in journal.threads():
            recorded = journal.load(link_id)
            if recorded is None:
                journal.finish(link_id)
            else:
                yield from self._thread(link_id.removeprefix("t3_"), recorded[0])

    def parse_thread(self, response: Response) -> Iterator[Output]:
        """A thread page or a "continue this thread" page."""
        yield from self._add(response, lambda t, payload: t.assembler.add_thread_page(payload))

    def parse_morechildren(self, response: Response) -> Iterator[Output]:
        """A ``/api/morechildren`` response."""
        yield from self._add(response, lambda t, payload: t.assembler.add_morechildren(payload))

    def _add(self, response: Response, add: Any) -> Iterator[Output]:
        meta = response.meta
        link_id = meta["link_id"]
        if meta.get("fw_run") != self.run_id:
            # Queued by an earlier, interrupted process (a JOBDIR or Redis queue): this process
            # keeps no count of it. The thread is resumed from its journal instead.
            yield from self._thread(link_id.removeprefix("t3_"), meta["source"])
            return
        thread = self.threads[link_id]
        self.note(thread.source, "pages_fetched")
        try:
            payload = json.loads(response.body)
            add(thread, payload)
        except ValueError:
            self.note(thread.source, "errors/bad_json")
            thread.failed = True
        else:
            journal = self._journal()
            if journal is not None:
                journal.record(link_id, thread.source,
                               JournalPart(meta["part"], payload, tuple(meta.get("asked", ()))))  # fmt: skip
        yield from self._advance(thread, link_id)

    def _advance(self, thread: _Thread, link_id: str) -> Iterator[Output]:
        thread.outstanding -= 1
        thread_id = link_id.removeprefix("t3_")
        meta = {"source": thread.source, "link_id": link_id}
        while batch := thread.assembler.next_morechildren():
            thread.outstanding += 1
            params = {"api_type": "json", "link_id": link_id, "children": ",".join(batch),
                      "sort": "confidence"}  # fmt: skip
            yield self._get("/api/morechildren.json", params,
                            {**meta, "part": "more", "asked": batch}, self.parse_morechildren)  # fmt: skip
        for comment in thread.assembler.next_continuations():
            thread.outstanding += 1
            yield self._get(f"/comments/{thread_id}/_/{comment}.json",
                            {"sort": "confidence", "limit": "500"},
                            {**meta, "part": "continue", "asked": [comment]}, self.parse_thread)  # fmt: skip
        if thread.outstanding == 0:
            yield from self._finish(thread, link_id)

    def _finish(self, thread: _Thread, link_id: str) -> Iterator[RedditItem | RedditThreadItem]:
        for kind, data, depth in thread.assembler.things():
            yield reddit_item(kind, data, depth, thread.source, self.base)
        journal = self._journal()
        if thread.failed:
            # Written with what came; the journal stays, so the next crawl asks again for the
            # failed parts only.
            return
        if thread.assembler.post is not None:
            yield RedditThreadItem(
                thread.source, link_id, len(thread.assembler.comments), now_iso()
            )
        if journal is not None:
            journal.finish(link_id)

    def on_error(self, failure: Failure) -> Iterator[Output]:  # type: ignore[override]
        """Count the failure; a failed part of a thread still lets the rest of it be written."""
        super().on_error(failure)
        request = getattr(failure, "request", None)
        meta = request.meta if request is not None else {}
        if meta.get("source") == "reddit-oauth":
            yield from self.first_requests()  # no token: the public endpoints, anonymously
            return
        link_id = meta.get("link_id")
        if link_id in self.threads and meta.get("fw_run") == self.run_id:
            thread = self.threads[link_id]
            thread.failed = True
            yield from self._advance(thread, link_id)
