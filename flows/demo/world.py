"""A deterministic demo world: fictional outlets with feeds, sitemaps and articles, and Reddit threads.

:func:`generate_world` writes, from a seed, eight weeks of a story about a lab accusing rivals of
"distilling" its model: news sites with RSS feeds, news sitemaps and article pages (JSON-LD,
canonical links on the outlets' own fictional domains, links and attributions between outlets, one
syndicated copy), and Reddit-shaped JSON for three threads with nested comments, ``more`` objects
and a "continue this thread" stub. The same seed always gives the same bytes.
"""

from __future__ import annotations

import html
import json
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from flows.demo import vocabulary as vocab

START = date(2026, 9, 28)  # Monday of ISO week 2026-W40
WEEKS = 8
KEYWORD_SENTENCES = (
    "The technique at the centre of the row, known as distillation, trains one model on another's answers.",
    "At issue is distillation: teaching a small model by showing it a large model's outputs.",
    "The accusation turns on whether distilling a competitor's model crosses a line.",
)


@dataclass
class Article:
    """One generated article."""

    outlet: vocab.DemoOutlet
    path: str
    canonical: str
    title: str
    author: str
    published: datetime
    paragraphs: list[str]
    frames: tuple[str, ...]  # the frames its sentences were written to carry (the script)
    cites: list[Article] = field(default_factory=list)


@dataclass
class RedditComment:
    """A comment of a demo thread (its replies nest)."""

    id: str
    parent: str  # fullname
    author: str
    body: str
    created: datetime
    depth: int
    replies: list[RedditComment] = field(default_factory=list)


@dataclass
class RedditThread:
    """A demo thread: a post and its comment tree."""

    id: str
    title: str
    author: str
    selftext: str
    url: str | None
    created: datetime
    comments: list[RedditComment]


@dataclass
class World:
    """Everything the demo server serves."""

    base_url: str
    pages: dict[str, tuple[str, bytes]]
    articles: list[Article]
    threads: list[RedditThread]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _fill(template: str, rng: random.Random) -> str:
    rival = rng.choice(vocab.RIVALS)
    return template.format(accuser=vocab.ACCUSER, rival=rival, other=vocab.RIVALS[0])


def _article_text(
    outlet: vocab.DemoOutlet, number: int, cites: list[Article], rng: random.Random
) -> tuple[str, list[str]]:
    frames = outlet.frames
    primary = frames[number % len(frames)]
    headlines = vocab.HEADLINES[primary]
    title = _fill(headlines[(number // len(frames)) % len(headlines)], rng)
    framed = [_fill(s, rng) for s in rng.sample(vocab.FRAME_SENTENCES[primary], 3)]
    if len(frames) > 1:
        framed.append(
            _fill(rng.choice(vocab.FRAME_SENTENCES[frames[(number + 1) % len(frames)]]), rng)
        )
    speaker = _fill(rng.choice(vocab.QUOTE_SPEAKERS), rng)
    quote = _fill(rng.choice(vocab.FRAME_SENTENCES[primary]), rng).rstrip(".")
    neutral = [_fill(s, rng) for s in rng.sample(vocab.NEUTRAL_SENTENCES, 2)]
    first = [rng.choice(KEYWORD_SENTENCES), framed[0]]
    second = [*framed[1:], f"\u201c{quote},\u201d said {speaker}."]
    third = list(neutral)
    for cited in cites:
        anchor = f'<a href="{html.escape(cited.canonical)}">{html.escape(cited.outlet.name)}</a>'
        third.insert(
            0,
            f"According to {anchor}, the story has been building since {cited.published:%B} {cited.published.day}.",
        )
    return title, [" ".join(first), " ".join(second), " ".join(third)]


def _frames_written(frames: tuple[str, ...], number: int) -> tuple[str, ...]:
    """The frames article ``number`` of an outlet carries: its primary one and, if any, the next."""
    primary = frames[number % len(frames)]
    return (primary,) if len(frames) == 1 else (primary, frames[(number + 1) % len(frames)])


def script_adoption(world: World) -> dict[tuple[str, str], str]:
    """(outlet, frame) -> the ISO week the script has the outlet use the frame first (news only)."""
    first: dict[tuple[str, str], str] = {}
    for article in sorted(world.articles, key=lambda a: a.published):
        year, week, _ = article.published.isocalendar()
        for frame in article.frames:
            first.setdefault((article.outlet.name, frame), f"{year}-W{week:02d}")
    return first


def _articles(base_url: str, rng: random.Random) -> list[Article]:
    written: list[Article] = []
    authors = (
        "Mara Quint",
        "Owen Tallis",
        "Priya Anand",
        "Jun Okada",
        "Ana Ferreira",
        "Leo Brandt",
        "Sam Ortiz",
    )
    for index, outlet in enumerate(vocab.OUTLETS):
        for number in range(outlet.articles):
            span = WEEKS - 1 - outlet.first_week
            week = outlet.first_week + round(number * span / max(1, outlet.articles - 1))
            published = datetime.combine(
                START + timedelta(days=7 * week + 1 + index % 4), datetime.min.time()
            )
            published = published.replace(hour=8 + index, tzinfo=UTC)
            earlier = [
                a for a in written if a.published < published and a.outlet.slug != outlet.slug
            ]
            cites = [rng.choice(earlier)] if earlier and number % 2 == 0 else []
            title, paragraphs = _article_text(outlet, number, cites, rng)
            frames = _frames_written(outlet.frames, number)
            if outlet.syndicates and number == 0:
                original = next(a for a in written if a.outlet.slug == outlet.syndicates)
                title, paragraphs, cites = original.title, original.paragraphs, []
                frames = original.frames
                published = original.published + timedelta(hours=5)
            stem = f"{published:%Y/%m/%d}/{_slug(title)}"
            written.append(
                Article(
                    outlet=outlet,
                    path=f"/{outlet.slug}/{stem}.html",
                    canonical=f"https://{outlet.domain}/{stem}",
                    title=title,
                    author=authors[index % len(authors)],
                    published=published,
                    paragraphs=paragraphs,
                    frames=frames,
                    cites=cites,
                )
            )
    return sorted(written, key=lambda a: (a.published, a.path))


def _article_page(article: Article, base_url: str) -> bytes:
    body_text = " ".join(re.sub(r"<[^>]+>", "", p) for p in article.paragraphs)
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "datePublished": article.published.isoformat(),
        "author": [{"@type": "Person", "name": article.author}],
        "publisher": {"@type": "Organization", "name": article.outlet.name},
        "articleBody": body_text,
        "inLanguage": "en",
        "mainEntityOfPage": article.canonical,
    }
    paragraphs = "".join(f"<p>{p}</p>" for p in article.paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(article.title)} | {html.escape(article.outlet.name)}</title>'
        f'<link rel="canonical" href="{html.escape(article.canonical)}">'
        f'<meta property="og:title" content="{html.escape(article.title)}">'
        f'<meta property="article:published_time" content="{article.published.isoformat()}">'
        f'<meta name="author" content="{html.escape(article.author)}">'
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head><body>'
        f'<header><a href="{base_url}/{article.outlet.slug}/">{html.escape(article.outlet.name)}</a>'
        f'<nav><a href="{base_url}/{article.outlet.slug}/">Home</a> <a href="{base_url}/{article.outlet.slug}/about.html">About</a></nav></header>'
        f"<main><article><h1>{html.escape(article.title)}</h1>"
        f'<p class="byline">By {html.escape(article.author)}, <time datetime="{article.published.isoformat()}">{article.published:%B %d, %Y}</time></p>'
        f"{paragraphs}</article></main><footer><p>&copy; 2026 {html.escape(article.outlet.name)}. All rights reserved.</p></footer></body></html>"
    ).encode()


def _feed(outlet: vocab.DemoOutlet, articles: list[Article], base_url: str) -> bytes:
    items = "".join(
        f"<item><title>{html.escape(a.title)}</title><link>{base_url}{a.path}</link>"
        f'<guid isPermaLink="false">{html.escape(a.canonical)}</guid><pubDate>{format_datetime(a.published)}</pubDate>'
        f"<dc:creator>{html.escape(a.author)}</dc:creator><description>{html.escape(re.sub(r'<[^>]+>', '', a.paragraphs[0]))}</description></item>"
        for a in sorted(articles, key=lambda a: a.published, reverse=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{html.escape(outlet.name)}</title><link>{base_url}/{outlet.slug}/</link>"
        f"<description>Latest from {html.escape(outlet.name)}</description>{items}</channel></rss>"
    ).encode()


def _sitemap(outlet: vocab.DemoOutlet, articles: list[Article], base_url: str) -> bytes:
    urls = "".join(
        f"<url><loc>{base_url}{a.path}</loc><news:news><news:publication><news:name>{html.escape(outlet.name)}</news:name>"
        f"<news:language>en</news:language></news:publication><news:publication_date>{a.published.isoformat()}</news:publication_date>"
        f"<news:title>{html.escape(a.title)}</news:title></news:news></url>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    ).encode()


def _homepage(outlet: vocab.DemoOutlet, articles: list[Article], base_url: str) -> bytes:
    links = "".join(
        f'<li><a href="{base_url}{a.path}">{html.escape(a.title)}</a></li>' for a in articles
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(outlet.name)}</title>'
        f'<link rel="alternate" type="application/rss+xml" href="{base_url}/{outlet.slug}/feed.xml"></head>'
        f"<body><h1>{html.escape(outlet.name)}</h1><ul>{links}</ul></body></html>"
    ).encode()


def _thread_comments(
    thread_no: int, created: datetime, rng: random.Random, frames: tuple[str, ...]
) -> list[RedditComment]:
    counter = 0
    users = [
        f"user_{word}{n}"
        for n, word in enumerate(("owl", "fern", "moss", "kite", "reed", "lark", "pike", "wren"))
    ]

    def make(parent: str, depth: int, when: datetime) -> RedditComment:
        nonlocal counter
        counter += 1
        frame = frames[(counter + depth) % len(frames)]
        opener = rng.choice(vocab.COMMENT_OPENERS)
        body = f"{opener} {_fill(rng.choice(vocab.FRAME_SENTENCES[frame]), rng)}".strip()
        cid = f"d{thread_no}c{counter:03d}"
        comment = RedditComment(cid, parent, rng.choice(users), body, when, depth)
        replies = 0 if depth >= 5 else rng.choice((0, 1, 1, 2, 3) if depth < 2 else (0, 0, 1))
        comment.replies = [
            make(f"t1_{cid}", depth + 1, when + timedelta(minutes=7 * (i + 1)))
            for i in range(replies)
        ]
        return comment

    return [
        make(f"t3_dthr{thread_no}", 0, created + timedelta(minutes=10 * (i + 1))) for i in range(6)
    ]


def _threads(articles: list[Article], rng: random.Random) -> list[RedditThread]:
    by_slug = {a.outlet.slug: a for a in reversed(articles)}
    plans = (
        (
            0,
            "Meridian Labs claims Kestrel distilled its model",
            by_slug["circuit"],
            ("theft", "common_practice"),
        ),
        (
            3,
            "Is Kestrel's efficiency real or just distillation?",
            None,
            ("innovation", "theft", "hypocrisy"),
        ),
        (
            5,
            "Signal and Noise on the distillation double standard",
            by_slug["signal"],
            ("hypocrisy", "narrative_control"),
        ),
    )
    threads = []
    for number, (week, title, linked, frames) in enumerate(plans, start=1):
        created = datetime.combine(
            START + timedelta(days=7 * week + 2), datetime.min.time()
        ).replace(hour=15, tzinfo=UTC)
        selftext = (
            ""
            if linked
            else "Their paper describes the training recipe in detail; distillation cannot explain all of it."
        )
        threads.append(
            RedditThread(
                id=f"dthr{number}",
                title=title,
                author="user_heron",
                selftext=selftext,
                url=linked.canonical if linked else None,
                created=created,
                comments=_thread_comments(number, created, rng, frames),
            )
        )
    return threads


def generate_world(base_url: str, seed: int = 2026) -> World:
    """Write the demo world for a server at ``base_url`` (``http://127.0.0.1:PORT``)."""
    rng = random.Random(seed)
    base_url = base_url.rstrip("/")
    articles = _articles(base_url, rng)
    pages: dict[str, tuple[str, bytes]] = {
        "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /private/\n"),
        "/private/secret.html": (
            "text/html",
            b"<html><body>robots.txt forbids this page</body></html>",
        ),
    }
    for outlet in vocab.OUTLETS:
        own = [a for a in articles if a.outlet.slug == outlet.slug]
        pages[f"/{outlet.slug}/"] = ("text/html", _homepage(outlet, own, base_url))
        pages[f"/{outlet.slug}/about.html"] = (
            "text/html",
            f"<html><body><p>About {html.escape(outlet.name)}.</p></body></html>".encode(),
        )
        pages[f"/{outlet.slug}/feed.xml"] = ("application/rss+xml", _feed(outlet, own, base_url))
        pages[f"/{outlet.slug}/sitemap.xml"] = ("application/xml", _sitemap(outlet, own, base_url))
        for article in own:
            pages[article.path] = ("text/html", _article_page(article, base_url))
    return World(base_url, pages, articles, _threads(articles, rng))


def comment_json(
    comment: RedditComment, thread: RedditThread, *, nest_until: int = 3
) -> dict[str, Any]:
    """A comment as Reddit serialises it; replies below ``nest_until`` become ``more`` objects."""
    data: dict[str, Any] = {
        "id": comment.id,
        "name": f"t1_{comment.id}",
        "parent_id": comment.parent,
        "link_id": f"t3_{thread.id}",
        "author": comment.author,
        "body": comment.body,
        "score": 1 + len(comment.body) % 40,
        "created_utc": comment.created.timestamp(),
        "depth": comment.depth,
        "edited": False,
        "subreddit": vocab.SUBREDDIT,
        "permalink": f"/r/{vocab.SUBREDDIT}/comments/{thread.id}/_/{comment.id}/",
        "replies": "",
    }
    if comment.replies:
        if comment.depth + 1 >= nest_until:
            # Deep replies: a "continue this thread" stub, as Reddit does below its depth limit.
            children = [
                {
                    "kind": "more",
                    "data": {
                        "count": 0,
                        "name": "t1__",
                        "id": "_",
                        "parent_id": f"t1_{comment.id}",
                        "depth": comment.depth + 1,
                        "children": [],
                    },
                }
            ]
        else:
            shown, hidden = comment.replies[:1], comment.replies[1:]
            children = [
                {"kind": "t1", "data": comment_json(c, thread, nest_until=nest_until)}
                for c in shown
            ]
            if hidden:
                children.append(
                    {
                        "kind": "more",
                        "data": {
                            "count": len(hidden),
                            "name": f"t1_{hidden[0].id}",
                            "id": hidden[0].id,
                            "parent_id": f"t1_{comment.id}",
                            "depth": comment.depth + 1,
                            "children": [c.id for c in hidden],
                        },
                    }
                )
        data["replies"] = {
            "kind": "Listing",
            "data": {"after": None, "before": None, "children": children},
        }
    return data


def post_json(thread: RedditThread) -> dict[str, Any]:
    """The thread's post as Reddit serialises it."""
    total = sum(1 for _ in iter_comments(thread.comments))
    return {
        "id": thread.id,
        "name": f"t3_{thread.id}",
        "title": thread.title,
        "selftext": thread.selftext,
        "url": thread.url or f"https://www.reddit.com/r/{vocab.SUBREDDIT}/comments/{thread.id}/",
        "is_self": thread.url is None,
        "author": thread.author,
        "score": 120 + total,
        "created_utc": thread.created.timestamp(),
        "num_comments": total,
        "subreddit": vocab.SUBREDDIT,
        "permalink": f"/r/{vocab.SUBREDDIT}/comments/{thread.id}/{_slug(thread.title)}/",
        "edited": False,
    }


def iter_comments(comments: list[RedditComment]) -> Any:
    """Every comment of a tree, depth first."""
    for comment in comments:
        yield comment
        yield from iter_comments(comment.replies)
