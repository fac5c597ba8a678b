"""The journal of Reddit threads in progress: what a resumed thread still asks for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.journal import JournalPart, ThreadJournal, replay
from crawlers.threads import ThreadAssembler
from tests.conftest import shared_data
from tests.crawlers.reddit_replay import RedditReplay
from tests.crawlers.test_threads import assemble


def _page(replay_: RedditReplay, path: str) -> object:
    return json.loads(replay_.respond(path, {}, {}) or b"")


def test_a_thread_resumed_from_its_journal_asks_only_for_what_is_missing(tmp_path: Path) -> None:
    recorded = RedditReplay.load(
        shared_data("reddit_praw_cassettes", "thread_n49rw_announcements_full_expansion")
    )
    whole, _ = assemble(recorded, "n49rw")
    journal = ThreadJournal(tmp_path / "threads")
    # The interrupted crawl: the thread page and two of its morechildren answers were recorded;
    # a third batch was asked for, but its answer never came.
    live = ThreadAssembler("t3_n49rw")
    page = _page(recorded, "/comments/n49rw")
    live.add_thread_page(page)
    journal.record("t3_n49rw", "r/announcements", JournalPart("page", page))
    batches = [live.next_morechildren() for _ in range(3)]
    for batch in batches[:2]:
        answer = json.loads(recorded.morechildren(batch))
        live.add_morechildren(answer)
        journal.record("t3_n49rw", "r/announcements", JournalPart("more", answer, tuple(batch)))
    with (tmp_path / "threads" / "t3_n49rw.jsonl").open("a") as handle:
        handle.write('{"source": "r/announcements", "kind": "more", "payl')  # killed mid-write

    assert journal.threads() == ["t3_n49rw"]
    source, parts = journal.load("t3_n49rw") or ("", [])
    assert source == "r/announcements" and [p.kind for p in parts] == ["page", "more", "more"]
    resumed = replay("t3_n49rw", parts)
    assert resumed.comments.keys() == live.comments.keys()
    asked_again = resumed.next_morechildren()
    assert set(asked_again) & {c for b in batches[:2] for c in b} == set()  # answered: not again
    assert set(batches[2]) <= set(asked_again) | {c for b in batches[:2] for c in b}
    # Finishing the resumed thread gives exactly the comments of an uninterrupted fetch.
    resumed.add_morechildren(json.loads(recorded.morechildren(asked_again)))
    while (batch := resumed.next_morechildren()) or (more := resumed.next_continuations()):
        if batch:
            resumed.add_morechildren(json.loads(recorded.morechildren(batch)))
        else:
            for comment in more:
                resumed.add_thread_page(_page(recorded, f"/comments/n49rw/_/{comment}"))
    assert resumed.comments.keys() == whole.comments.keys()
    journal.finish("t3_n49rw")
    assert journal.threads() == [] and journal.load("t3_n49rw") is None


def test_a_continue_page_in_the_journal_is_not_asked_for_again() -> None:
    stub = {"kind": "more", "data": {"count": 0, "children": [], "id": "_", "parent_id": "t1_abc"}}
    listing = {"kind": "Listing", "data": {"children": [], "after": None}}
    post = {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {"name": "t3_x"}}]}}
    page = [post, {"kind": "Listing", "data": {"children": [stub]}}]
    resumed = replay("t3_x", [JournalPart("page", page), JournalPart("continue", [post, listing], ("abc",))])  # fmt: skip
    assert resumed.next_continuations() == []
    assert replay("t3_x", [JournalPart("page", page)]).next_continuations() == ["abc"]


def test_a_journal_without_the_thread_page_or_with_a_bad_name_is_refused(tmp_path: Path) -> None:
    journal = ThreadJournal(tmp_path)
    journal.record("t3_y", "r/x", JournalPart("more", {"json": {"data": {"things": []}}}, ("a",)))
    assert journal.load("t3_y") is None  # nothing to resume from: the thread starts over
    with pytest.raises(ValueError, match="not a thread fullname"):
        journal.record("../t3_y", "r/x", JournalPart("page", []))
