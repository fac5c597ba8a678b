"""What the spiders write to their feed files: plain dataclasses, one per document kind.

Items carry extracted values only, never raw responses. ``pipeline.ingest`` reads them back from
the JSON Lines feed files by their ``item_type``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ArticleItem:
    """One news article as the news spider extracted it.

    Attributes:
        source: The study outlet it was crawled for (``documents.outlet``).
        published: ISO 8601 publication time (UTC when the page gave a zone), or None.
        links: ``{"url", "anchor"}`` for each outbound link in the article body.
        attributions: ``{"outlet", "phrase"}`` for each in-text citation ("according to The Verge").
        fallbacks: What did not come from trafilatura, e.g. ``["jsonld_body", "htmldate"]``.
    """

    source: str
    url: str
    canonical_url: str | None
    title: str | None
    text: str
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    language: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)
    attributions: list[dict[str, str]] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    fetched_at: str = ""
    item_type: str = "article"


@dataclass
class RedditItem:
    """One Reddit post (``t3``) or comment (``t1``).

    Attributes:
        source: Coverage label: ``r/NAME`` for listings and threads, ``search:QUERY`` for searches.
        fullname: ``t3_…`` or ``t1_…``; it becomes ``documents.doc_id``.
        link_url: For link posts, the article the post points at.
        deleted: ``deleted`` or ``removed`` when the text is gone.
    """

    source: str
    fullname: str
    kind: str
    subreddit: str
    thread_id: str
    parent_id: str | None
    depth: int | None
    author: str | None
    title: str | None
    text: str | None
    url: str
    link_url: str | None
    score: int | None
    created_utc: float | None
    edited_utc: float | None = None
    deleted: str | None = None
    fetched_at: str = ""
    item_type: str = "reddit"


@dataclass
class RedditThreadItem:
    """Written after the last item of a thread fetched whole, with no part of it failed.

    Ingest records it in ``reddit_threads``; a later crawl does not fetch that thread again (unless
    ``--refresh``). It follows the thread's posts and comments in the same feed, so it is stored
    only when they were written.

    Attributes:
        thread_id: The post's fullname (``t3_…``).
        comments: Comments collected.
    """

    source: str
    thread_id: str
    comments: int
    fetched_at: str = ""
    item_type: str = "reddit_thread"
