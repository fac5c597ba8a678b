"""Reddit thread assembly and listing pagination on recorded Reddit API responses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers.threads import MORECHILDREN_LIMIT, ThreadAssembler, deletion_marker, parse_listing
from tests.conftest import shared_data
from tests.crawlers.reddit_replay import RedditReplay
from tests.crawlers.server import Site, serve
from tests.crawlers.sitegen import run_spider


def assemble(replay: RedditReplay, thread_id: str) -> tuple[ThreadAssembler, int]:
    assembler = ThreadAssembler(f"t3_{thread_id}")
    assembler.add_thread_page(json.loads(replay.respond(f"/comments/{thread_id}", {}, {}) or b""))
    calls = 0
    while True:
        batch, continuations = assembler.next_morechildren(), assembler.next_continuations()
        if not batch and not continuations:
            return assembler, calls
        if batch:
            assert len(batch) <= MORECHILDREN_LIMIT
            calls += 1
            assembler.add_morechildren(json.loads(replay.morechildren(batch)))
        for comment in continuations:
            assembler.add_thread_page(json.loads(replay.respond(f"/comments/{thread_id}/_/{comment}", {}, {}) or b""))  # fmt: skip


@pytest.mark.parametrize(
    ("folder", "thread_id", "comments"),
    [("thread_3hahrw_funny_full_expansion", "3hahrw", 541),
     ("thread_n49rw_announcements_full_expansion", "n49rw", 1428),
     ("thread_2gmzqe_small", "2gmzqe", 2)],
)  # fmt: skip
def test_assembler_recovers_every_comment_with_its_parent(folder: str, thread_id: str, comments: int) -> None:  # fmt: skip
    replay = RedditReplay.load(shared_data("reddit_praw_cassettes", folder))
    assembler, _ = assemble(replay, thread_id)
    assert len(assembler.comments) == comments
    assert assembler.post is not None and assembler.post["name"] == f"t3_{thread_id}"
    depths = assembler.depths()
    for name, data in assembler.comments.items():
        parent = data["parent_id"]
        assert parent == assembler.link_id or parent in assembler.comments
        assert depths[name] == (0 if parent == assembler.link_id else depths[parent] + 1)  # type: ignore[operator]


def test_the_same_comment_twice_is_kept_once() -> None:
    replay = RedditReplay.load(shared_data("reddit_praw_cassettes", "thread_2gmzqe_small"))
    page = json.loads(replay.respond("/comments/2gmzqe", {}, {}) or b"")
    assembler = ThreadAssembler("t3_2gmzqe")
    assembler.add_thread_page(page)
    assembler.add_thread_page(page)
    assert len(assembler.comments) == 2 and len(list(assembler.things())) == 3


def test_more_objects_are_asked_for_in_batches_of_100() -> None:
    assembler = ThreadAssembler("t3_x")
    ids = [f"c{n}" for n in range(250)]
    assembler.add_things(
        [{"kind": "more", "data": {"children": ids, "parent_id": "t3_x", "id": "m"}}]
    )
    batches = [assembler.next_morechildren() for _ in range(4)]
    assert [len(b) for b in batches] == [100, 100, 50, 0]
    # Asked once, never again, even when a later response lists them again.
    assembler.add_things(
        [{"kind": "more", "data": {"children": ids[:5], "parent_id": "t3_x", "id": "m2"}}]
    )
    assert assembler.next_morechildren() == []


def test_continue_this_thread_is_followed_once() -> None:
    assembler = ThreadAssembler("t3_x")
    stub = {"kind": "more", "data": {"count": 0, "children": [], "id": "_", "parent_id": "t1_abc"}}
    assembler.add_things([stub])
    assert assembler.next_continuations() == ["abc"]
    assembler.add_things([stub])
    assert assembler.next_continuations() == []


def test_broken_payloads_are_value_errors() -> None:
    assembler = ThreadAssembler("t3_x")
    with pytest.raises(ValueError, match="thread page"):
        assembler.add_thread_page({"kind": "Listing"})
    with pytest.raises(ValueError, match="morechildren"):
        assembler.add_morechildren({"json": {}})
    with pytest.raises(ValueError, match="Listing"):
        parse_listing([])


@pytest.mark.parametrize(
    ("data", "marker"),
    [({"body": "[removed]", "author": "[deleted]"}, "removed"),
     ({"body": "[deleted]", "author": "[deleted]"}, "deleted"),
     ({"selftext": "", "removed_by_category": "moderator"}, "removed"),
     ({"body": "fine", "author": "someone"}, None)],
)  # fmt: skip
def test_deletion_markers(data: dict[str, str], marker: str | None) -> None:
    assert deletion_marker(data) == marker


@pytest.mark.slow
def test_listing_follows_after_until_null(tmp_path: Path) -> None:
    """The 11-page `after` chain of /user/spez: 1,001 items, then the spider stops."""
    replay = RedditReplay.load(
        shared_data("reddit_praw_cassettes", "pagination_user_spez_after_chain")
    )
    site = Site(dynamic=replay.respond)
    with serve(site) as base:
        config = {"reddit": {"base_url": base, "subreddits": ["spez"], "expand_threads": False}}
        result = run_spider(tmp_path, "reddit", config)
    assert len(result["items"]) == 1001
    assert len({i["fullname"] for i in result["items"]}) == 1001
    assert len([r for r in site.requests if r != "/robots.txt"]) == 11
    assert result["stats"]["fw/r/spez/feeds_polled"] == 11
    assert result["stats"]["fw/r/spez/errors/listing_capped"] == 1  # 1,001 items: at Reddit's cap


@pytest.mark.slow
def test_truncated_json_and_429_are_counted_not_fatal(tmp_path: Path) -> None:
    replay = RedditReplay.load(shared_data("reddit_praw_cassettes", "thread_2gmzqe_small"))
    site = Site(dynamic=replay.respond)
    site.add("/r/broken/new.json", '{"kind": "Listing", "data": {"children": [', content_type="application/json")  # fmt: skip
    good = replay.respond("/comments/2gmzqe", {}, {}) or b""
    site.add("/comments/2gmzqe.json", good, content_type="application/json", fail_first=1, headers={"Retry-After": "0"})  # fmt: skip
    with serve(site) as base:
        config = {"reddit": {"base_url": base, "subreddits": ["broken"],
                             "threads": [f"{base}/r/redditdev/comments/2gmzqe/x/"]}}  # fmt: skip
        result = run_spider(tmp_path, "reddit", config)
    stats = result["stats"]
    assert stats["fw/r/broken/errors/bad_json"] == 1
    assert stats["fw/r/redditdev/backoffs"] == 1
    documents = [i for i in result["items"] if i["item_type"] == "reddit"]
    assert sorted(i["kind"] for i in documents) == ["reddit_comment", "reddit_comment", "reddit_post"]  # fmt: skip
    # The thread came whole (the 429 was waited out): its marker follows its items.
    assert result["items"][-1]["item_type"] == "reddit_thread"
    assert (result["items"][-1]["thread_id"], result["items"][-1]["comments"]) == ("t3_2gmzqe", 2)


@pytest.mark.slow
def test_search_with_oauth_credentials_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listings = shared_data("reddit_praw_cassettes", "listings")
    site = Site()
    site.add("/r/all/search.json", (listings / "001_GET_r_all_search.json").read_bytes(), content_type="application/json")  # fmt: skip
    site.add("/api/v1/access_token", '{"access_token": "tok123", "token_type": "bearer"}', content_type="application/json")  # fmt: skip
    monkeypatch.setenv("FRAMEWATCH_REDDIT_CLIENT_ID", "id")
    monkeypatch.setenv("FRAMEWATCH_REDDIT_CLIENT_SECRET", "secret")
    with serve(site) as base:
        search = {
            "query": "praw oauth search",
            "subreddit": "all",
            "sort": "relevance",
            "time": "all",
        }
        # A local server gets the credentials only because the study names its token endpoint.
        config = {"reddit": {"base_url": base, "searches": [search], "expand_threads": False,
                             "token_url": f"{base}/api/v1/access_token"}}  # fmt: skip
        result = run_spider(tmp_path, "reddit", config)
    assert len(result["items"]) == 6 and {i["kind"] for i in result["items"]} == {"reddit_post"}
    assert {i["source"] for i in result["items"]} == {"search:praw oauth search"}
    searched = next(r for r in site.requests if r.startswith("/r/all/search.json"))
    assert "q=praw+oauth+search" in searched and "restrict_sr=1" in searched and "sort=relevance" in searched  # fmt: skip
    token = site.requests.index("/api/v1/access_token")
    assert site.authorizations[token] == "Basic aWQ6c2VjcmV0"  # base64 of id:secret
    assert site.authorizations[site.requests.index(searched)] == "bearer tok123"
    assert "secret" not in (tmp_path / "reddit-config.json").read_text()  # never written down


@pytest.mark.slow
def test_threads_of_posts_outside_the_study_are_not_fetched(tmp_path: Path) -> None:
    listings = shared_data("reddit_praw_cassettes", "listings")
    site = Site()
    page = json.loads((listings / "001_GET_r_askreddit_new.json").read_bytes())
    site.add(
        "/r/askreddit/new.json", json.dumps(page), content_type="application/json"
    )  # after set
    with serve(site) as base:
        config = {"reddit": {"base_url": base, "subreddits": ["askreddit"]}}
        result = run_spider(tmp_path, "reddit", config, FW_KEYWORDS=["zzzqqq"])
    stats = result["stats"]
    # The server repeats the same page for any cursor: two pages read, then the loop is caught.
    assert stats["fw/r/askreddit/feeds_polled"] == 2
    assert stats["fw/r/askreddit/errors/looping_cursor"] == 1
    assert stats["fw/r/askreddit/dropped/keyword"] == 200
    assert result["items"] == [] and not any("/comments/" in r for r in site.requests)
