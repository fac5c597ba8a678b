"""A Reddit crawl stopped in the middle of a thread, then run again, against recorded threads."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from pipeline import ingest
from pipeline.store import connect
from tests.conftest import shared_data
from tests.crawlers.reddit_replay import RedditReplay
from tests.crawlers.server import Site, serve
from tests.crawlers.test_threads import assemble

THREADS = {"2gmzqe": "thread_2gmzqe_small", "3hahrw": "thread_3hahrw_funny_full_expansion",
           "n49rw": "thread_n49rw_announcements_full_expansion"}  # fmt: skip


def _plan(tmp: Path, run: str, base: str, known: Path | None) -> Path:
    config = {"reddit": {"base_url": base,
                         "threads": [f"{base}/r/x/comments/{t}/title/" for t in THREADS]},
              "known_threads_file": str(known) if known else None,
              "state_dir": str(tmp / "data" / "crawl" / "jobs" / "reddit")}  # fmt: skip
    (tmp / f"{run}-config.json").write_text(json.dumps(config))
    feeds = tmp / "data" / "crawl" / "feeds" / "reddit" / f"{run}-%(batch_id)05d.jsonl"
    plan = {"spider": "reddit", "config": str(tmp / f"{run}-config.json"),
            "stats_file": str(tmp / f"{run}-stats.json"),
            "settings": {"FEEDS": {str(feeds): {"format": "jsonlines", "batch_item_count": 500}},
                         "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 0,
                         "CONCURRENT_REQUESTS_PER_DOMAIN": 2, "LOG_FILE": str(tmp / f"{run}.log")}}  # fmt: skip
    path = tmp / f"{run}-plan.json"
    path.write_text(json.dumps(plan))
    return path


def _ingest(tmp: Path) -> list[str]:
    """Load the feed files written so far; the threads stored whole."""
    con = connect(tmp / "data" / "framewatch.duckdb")
    try:
        ingest.ingest_feed_files(con, tmp / "data", None)
        return ingest.known_threads(con)
    finally:
        con.close()


def _feed_names(tmp: Path) -> Counter[str]:
    folder = tmp / "data" / "crawl" / "feeds" / "reddit"
    lines = [json.loads(line) for f in folder.glob("*.jsonl") for line in f.read_text().splitlines() if line.strip()]  # fmt: skip
    return Counter(item["fullname"] for item in lines if item.get("item_type") == "reddit")


@dataclass
class _Gated:
    """The recorded threads, with the big one held back: its page until the small threads were
    answered, its morechildren answers after the second until ``release`` (after the stop)."""

    replay: RedditReplay
    site: Site
    release: threading.Event = field(default_factory=threading.Event)
    answered: int = 0

    def respond(self, path: str, query: dict[str, list[str]], form: dict[str, list[str]]) -> bytes | None:  # fmt: skip
        if path == "/comments/n49rw.json":
            _wait_for(lambda: len(_parts(self.site.requests, "3hahrw")) >= 8
                      and bool(_parts(self.site.requests, "2gmzqe")))  # fmt: skip
        elif "morechildren" in path and query.get("link_id") == ["t3_n49rw"]:
            with self.site.lock:
                self.answered += 1
                held = self.answered > 2
            if held:
                self.release.wait(timeout=60)
        return self.replay.respond(path, query, form)


def _wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def _midway(tmp: Path, site: Site) -> bool:
    """The small threads are done (their journals gone) and the big one is partly answered."""
    folder = tmp / "data" / "crawl" / "jobs" / "reddit" / "threads"
    small_asked = len(_parts(site.requests, "3hahrw")) >= 8 and _parts(site.requests, "2gmzqe")
    journals = [p.name for p in folder.glob("*")] if folder.exists() else []
    if not small_asked or journals != ["t3_n49rw.jsonl"]:
        return False
    lines = (folder / "t3_n49rw.jsonl").read_text().splitlines()
    return sum('"kind":"more"' in line for line in lines) >= 2


def _children(request: str) -> set[str]:
    return set(parse_qs(urlsplit(request).query)["children"][0].split(","))


def _parts(requests: list[str], thread: str) -> list[str]:
    return [r for r in requests if f"/comments/{thread}" in r or f"link_id=t3_{thread}" in r]


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL])
def test_an_interrupted_crawl_resumes_unfinished_threads_and_skips_finished_ones(
    tmp_path: Path, stop: signal.Signals
) -> None:
    cassettes = shared_data("reddit_praw_cassettes")
    replay = RedditReplay.load(*(cassettes / folder for folder in THREADS.values()))
    expected = {f"t3_{t}": set(assemble(replay, t)[0].comments) for t in THREADS}
    site = Site()
    gated = _Gated(replay, site)
    site.dynamic = gated.respond
    with serve(site) as base:
        first = subprocess.Popen([sys.executable, "-m", "crawlers.run", str(_plan(tmp_path, "run1", base, None))])  # fmt: skip
        _wait_for(lambda: first.poll() is not None or _midway(tmp_path, site), seconds=90)
        first.send_signal(stop)
        gated.release.set()
        first.wait(timeout=60)
        finished = set(_ingest(tmp_path))
        assert "t3_n49rw" not in finished  # stopped in the middle of it
        if stop == signal.SIGTERM:
            # A graceful stop writes out the feed: the small threads are stored and known.
            assert finished == {"t3_2gmzqe", "t3_3hahrw"}
        journals = list((tmp_path / "data" / "crawl" / "jobs" / "reddit" / "threads").glob("*"))
        assert [p.name for p in journals] == ["t3_n49rw.jsonl"]
        parts = [json.loads(line) for line in journals[0].read_text().splitlines()]
        answered = {c for part in parts if part["kind"] == "more" for c in part["asked"]}
        assert parts[0]["kind"] == "page" and answered  # the page and some morechildren answers

        known = tmp_path / "known-threads.txt"
        known.write_text("\n".join(sorted(finished)))
        before = len(site.requests)
        second = subprocess.run([sys.executable, "-m", "crawlers.run", str(_plan(tmp_path, "run2", base, known))], timeout=120)  # fmt: skip
        assert second.returncode == 0
        again = site.requests[before:]

    for thread in finished:  # finished threads are not asked for again
        assert _parts(again, thread.removeprefix("t3_")) == []
    # The unfinished thread continued where it stopped: its page was fetched once in all.
    assert len([r for r in site.requests if r.startswith("/comments/n49rw.json")]) == 1
    asked_again = [_children(r) for r in again if "link_id=t3_n49rw" in r]
    assert asked_again and not answered & set().union(*asked_again)  # answered ones not again
    stats = json.loads((tmp_path / "run2-stats.json").read_text())
    assert stats["fw/r/x/threads_resumed"] == 1
    assert stats.get("fw/r/x/skipped_known", 0) == len(finished)

    assert set(_ingest(tmp_path)) == set(expected)
    con = duckdb.connect(str(tmp_path / "data" / "framewatch.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT thread_id, doc_id FROM documents WHERE kind = 'reddit_comment'").fetchall()  # fmt: skip
        posts = con.execute("SELECT count(*) FROM documents WHERE kind = 'reddit_post'").fetchall()
        comments = dict(con.execute("SELECT thread_id, comments FROM reddit_threads").fetchall())
    finally:
        con.close()
    stored: dict[str, set[str]] = {}
    for thread, doc_id in rows:
        stored.setdefault(thread, set()).add(doc_id)
    assert stored == expected and len(rows) == sum(map(len, expected.values()))
    assert posts == [(3,)] and comments == {t: len(c) for t, c in expected.items()}
    if stop == signal.SIGTERM:
        # Nothing was written twice: the stopped thread was written once, by the second run.
        assert set(_feed_names(tmp_path).values()) == {1}
    assert list((tmp_path / "data" / "crawl" / "jobs" / "reddit" / "threads").glob("*")) == []
