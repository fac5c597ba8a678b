"""Reddit searches past the ~1,000-item cap: time slices, as pure functions and against a server."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from crawlers.timeslices import (
    MIN_SLICE,
    REDDIT_EPOCH,
    TimeSlice,
    cloudsearch_query,
    next_slices,
    search_window,
    uncovered,
)
from tests.crawlers.reddit_search import CappedSearch, post
from tests.crawlers.server import Site, serve
from tests.crawlers.sitegen import run_spider

DAY = 86400
JAN1 = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())
MAR1 = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())


def test_cloudsearch_query_quotes_the_study_query_and_ends_inclusive() -> None:
    assert cloudsearch_query("distillation", TimeSlice(100, 200)) == (
        "(and timestamp:100..199 'distillation')"
    )
    assert cloudsearch_query("it's \\ odd", TimeSlice(0, 10)) == (
        "(and timestamp:0..9 'it\\'s \\\\ odd')"
    )


def test_search_window_is_the_study_dates_within_the_time_filter() -> None:
    now = MAR1 + 30 * DAY
    assert search_window(now, "all", date(2026, 1, 1), date(2026, 2, 28)) == TimeSlice(JAN1, MAR1)
    assert search_window(now, "all", None, None) == TimeSlice(REDDIT_EPOCH, now + 1)
    assert search_window(now, "week", date(2026, 1, 1), None) == TimeSlice(now - 7 * DAY, now + 1)
    # A study window that ended before the time filter begins leaves nothing to search.
    assert search_window(now, "day", None, date(2026, 1, 1)).width == 0


def test_a_capped_slice_is_split_in_two_after_what_it_listed() -> None:
    piece = TimeSlice(0, 100 * MIN_SLICE)
    # Sorted new, it listed everything down to its oldest item: only the older part is left.
    assert uncovered(piece, 40 * MIN_SLICE + 0.5) == TimeSlice(0, 40 * MIN_SLICE + 1)
    older, newer = next_slices(piece, 40 * MIN_SLICE) or []
    assert (older.start, older.end, newer.end) == (0, 20 * MIN_SLICE, 40 * MIN_SLICE + 1)
    assert older.end == newer.start
    assert next_slices(piece, None) == list(piece.halves())  # nothing known to be covered
    assert next_slices(piece, -5) == []  # it reached back before the slice began
    assert next_slices(piece, MIN_SLICE // 2) == [TimeSlice(0, MIN_SLICE // 2 + 1)]
    assert next_slices(TimeSlice(0, MIN_SLICE), None) is None  # one hour is as narrow as it gets


def _searched(requests: list[str]) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(r).query) for r in requests if "/search.json" in r]


@pytest.mark.slow
def test_a_capped_search_is_sliced_until_every_post_of_the_window_is_fetched_once(
    tmp_path: Path,
) -> None:
    # 1,500 posts in the study window, 1,200 of them in the first week of February (so one half
    # of the window is capped again), and 80 outside it; the unsliced search lists only 1,000.
    spread = [post(n, JAN1 + 3600 + n * 4 * 3600) for n in range(300)]
    dense = [post(300 + n, JAN1 + 31 * DAY + n * 500) for n in range(1200)]
    outside = [post(1500 + n, JAN1 - DAY - n * 600) for n in range(40)]
    outside += [post(1540 + n, MAR1 + n * 600) for n in range(40)]
    inside = {p["id"] for p in spread + dense}
    assert all(JAN1 <= p["created_utc"] < MAR1 for p in spread + dense)
    search = CappedSearch(spread + dense + outside)
    site = Site(dynamic=search.respond)
    with serve(site) as base:
        config = {"reddit": {"base_url": base, "searches": [
            {"query": "distillation", "subreddit": "LocalLLaMA", "sort": "relevance"}]}}  # fmt: skip
        result = run_spider(tmp_path, "reddit", config, FW_START_DATE="2026-01-01",
                            FW_END_DATE="2026-02-28")  # fmt: skip
    fetched = Counter(r.split("/comments/")[1].split(".json")[0] for r in site.requests if "/comments/" in r)  # fmt: skip
    assert set(fetched) == inside and set(fetched.values()) == {1}
    posts = Counter(i["fullname"] for i in result["items"] if i["item_type"] == "reddit")
    assert set(posts) == {f"t3_{p}" for p in inside} and set(posts.values()) == {1}
    threads = Counter(i["thread_id"] for i in result["items"] if i["item_type"] == "reddit_thread")
    assert threads == posts  # every thread recorded whole, once
    stats = result["stats"]
    assert "fw/search:distillation/errors/listing_capped" not in stats
    assert stats["fw/search:distillation/time_slices"] >= 4  # two halves, then the dense one split
    sliced = [q for q in _searched(site.requests) if q.get("syntax") == ["cloudsearch"]]
    assert sliced and all(q["sort"] == ["new"] and q["restrict_sr"] == ["1"] for q in sliced)
    assert all(q["q"][0].endswith(" 'distillation')") for q in sliced)
    # No slice reaches outside the study window.
    for q in sliced:
        low, high = q["q"][0].split("timestamp:")[1].split(" ")[0].split("..")
        assert JAN1 <= int(low) <= int(high) < MAR1


@pytest.mark.slow
def test_more_than_1000_posts_in_one_second_stay_capped_and_slicing_stops(tmp_path: Path) -> None:
    burst_at = JAN1 + 40 * DAY + 1234
    spread = [post(n, JAN1 + 3600 + n * 4 * 3600) for n in range(300)]
    burst = [post(300 + n, burst_at) for n in range(1100)]
    search = CappedSearch(spread + burst)
    site = Site(dynamic=search.respond)
    with serve(site) as base:
        config = {"reddit": {"base_url": base, "expand_threads": False,
                             "searches": [{"query": "distillation", "sort": "new"}]}}  # fmt: skip
        result = run_spider(tmp_path, "reddit", config, FW_START_DATE="2026-01-01",
                            FW_END_DATE="2026-02-28")  # fmt: skip
    listed = Counter(i["fullname"] for i in result["items"])
    assert set(listed.values()) == {1}  # each post once, however many slices listed it
    assert {f"t3_{p['id']}" for p in spread} <= set(listed)
    assert len(set(listed) & {f"t3_{p['id']}" for p in burst}) == 1000
    assert result["stats"]["fw/search:distillation/errors/listing_capped"] == 1
    assert len(_searched(site.requests)) < 150  # narrowing stopped at one hour


@pytest.mark.slow
def test_a_server_that_ignores_time_ranges_is_caught_after_one_page(tmp_path: Path) -> None:
    search = CappedSearch([post(n, JAN1 + n * 3600) for n in range(1500)], honours_ranges=False)
    site = Site(dynamic=search.respond)
    with serve(site) as base:
        config = {"reddit": {"base_url": base, "expand_threads": False,
                             "searches": [{"query": "distillation", "sort": "new"}]}}  # fmt: skip
        result = run_spider(tmp_path, "reddit", config)
    stats = result["stats"]
    assert stats["fw/search:distillation/errors/slices_unsupported"] == 1
    assert stats["fw/search:distillation/errors/listing_capped"] == 1
    assert len(_searched(site.requests)) == 10 + 2  # the capped chain, then one page per slice
    listed = Counter(i["fullname"] for i in result["items"])
    assert len(listed) == 1000 and set(listed.values()) == {1}
