"""A tiny corpus whose spread is known, written straight into the study tables.

alpha uses "theft" first (week 40), delta carries a syndicated copy of that article a day later,
beta copies the framing in week 41 through a link to alpha, gamma answers with "innovation" in
week 42 (attributing beta), and a Reddit thread in r/LocalLLaMA links gamma's article and mixes
both frames in its comments.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipeline.documents import canonical_url, content_hash, make_doc_id, text_hash

CODEBOOK, VERSION = "ai_distillation", "1"


def url_id(url: str) -> str:
    return make_doc_id(canonical=canonical_url(url), fullname=None, outlet="", chash="")


A1 = url_id("https://alpha.example/lab-accuses-rivals")
A2 = url_id("https://alpha.example/weather")
D1 = url_id("https://delta.example/wire/lab-accuses-rivals")
B1 = url_id("https://beta.example/copying-claims")
B2 = url_id("https://beta.example/markets")
C1 = url_id("https://gamma.example/real-ingenuity")

# doc_id, kind, outlet, url, published, thread, parent, dup_cluster, sentences
DOCS = [
    (
        A1,
        "article",
        "alpha",
        "https://alpha.example/lab-accuses-rivals",
        datetime(2026, 9, 29, 10),
        None,
        None,
        A1,
        [
            "The rivals simply stole the model.",
            "The lab said its work was taken without permission.",
        ],
    ),
    (
        A2,
        "article",
        "alpha",
        "https://alpha.example/weather",
        datetime(2026, 10, 1, 10),
        None,
        None,
        A2,
        ["Rain is expected all week."],
    ),
    (
        D1,
        "article",
        "delta",
        "https://delta.example/wire/lab-accuses-rivals",
        datetime(2026, 9, 30, 10),
        None,
        None,
        A1,
        [
            "The rivals simply stole the model.",
            "The lab said its work was taken without permission.",
        ],
    ),
    (
        B1,
        "article",
        "beta",
        "https://beta.example/copying-claims",
        datetime(2026, 10, 6, 10),
        None,
        None,
        B1,
        [
            "Markets reacted calmly.",
            "Analysts noted the report.",
            "It was a raid on years of research.",
        ],
    ),
    (
        B2,
        "article",
        "beta",
        "https://beta.example/markets",
        datetime(2026, 10, 7, 10),
        None,
        None,
        B2,
        ["Shares rose on Tuesday."],
    ),
    (
        C1,
        "article",
        "gamma",
        "https://gamma.example/real-ingenuity",
        datetime(2026, 10, 14, 10),
        None,
        None,
        C1,
        ["The new model shows real homegrown ingenuity."],
    ),
    (
        "t3_p1",
        "reddit_post",
        "r/LocalLLaMA",
        "https://www.reddit.com/r/LocalLLaMA/comments/p1/",
        datetime(2026, 10, 15, 9),
        "t3_p1",
        None,
        "t3_p1",
        ["Impressive engineering on a small budget."],
    ),
    (
        "t1_c1",
        "reddit_comment",
        "r/LocalLLaMA",
        None,
        datetime(2026, 10, 15, 10),
        "t3_p1",
        "t3_p1",
        "t1_c1",
        ["They copied it, plain and simple."],
    ),
    (
        "t1_c2",
        "reddit_comment",
        "r/LocalLLaMA",
        None,
        datetime(2026, 10, 16, 10),
        "t3_p1",
        "t1_c1",
        "t1_c2",
        ["No, their training tricks are genuinely clever."],
    ),
]

# doc_id, sentence_idx, frame_id, speaker_kind
MENTIONS = [
    (A1, 0, "theft", "outlet"),
    (A1, 1, "theft", "quoted"),
    (D1, 0, "theft", "outlet"),
    (B1, 2, "theft", "outlet"),
    (C1, 0, "innovation", "outlet"),
    ("t3_p1", 0, "innovation", "author"),
    ("t1_c1", 0, "theft", "author"),
    ("t1_c2", 0, "innovation", "author"),
]

TOPICS = {A1: 0, A2: 0, D1: 0, B1: 0, B2: 0, C1: 1, "t3_p1": 1, "t1_c1": 1, "t1_c2": 1}


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Fill documents, outlets, links, sentences, frame_mentions and doc_topics."""
    con.executemany(
        "INSERT INTO outlets (outlet, kind, domain) VALUES (?, ?, ?)",
        [
            ("alpha", "news", "alpha.example"),
            ("beta", "news", "beta.example"),
            ("gamma", "news", "gamma.example"),
            ("delta", "news", "delta.example"),
            ("r/LocalLLaMA", "reddit", None),
        ],
    )
    for doc_id, kind, outlet, url, published, thread, parent, cluster, sentences in DOCS:
        text = " ".join(sentences)
        con.execute(
            "INSERT INTO documents (doc_id, kind, outlet, url, canonical_url, title, text, published_at,"
            " content_hash, thread_id, parent_id, dup_cluster, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'test')",
            [
                doc_id,
                kind,
                outlet,
                url,
                canonical_url(url),
                f"Title of {doc_id}",
                text,
                published,
                content_hash(None, text),
                thread,
                parent,
                cluster,
            ],
        )
        offset = 0
        for idx, sentence in enumerate(sentences):
            con.execute(
                "INSERT INTO sentences (doc_id, sentence_idx, text, start_char, end_char, text_hash) VALUES (?, ?, ?, ?, ?, ?)",
                [doc_id, idx, sentence, offset, offset + len(sentence), text_hash(sentence)],
            )
            offset += len(sentence) + 1
    con.executemany(
        "INSERT INTO frame_mentions (doc_id, sentence_idx, frame_id, score, evidence, speaker, speaker_kind,"
        " codebook, codebook_version, model) VALUES (?, ?, ?, 0.9, 'cue', NULL, ?, ?, ?, 'test')",
        [[d, s, f, k, CODEBOOK, VERSION] for d, s, f, k in MENTIONS],
    )
    # The framing stage's subject gate found every document of this corpus on the subject.
    con.execute(
        "INSERT INTO subject_documents SELECT doc_id, ?, ?, true, 'whole', 1, true, count(*),"
        " count(*), 1.0, list(sentence_idx ORDER BY sentence_idx), now() FROM sentences"
        " GROUP BY doc_id",
        [CODEBOOK, VERSION],
    )
    con.executemany(
        "INSERT INTO links (link_id, doc_id, kind, target_url, target_outlet, target_doc_id, anchor_text) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                "l1",
                B1,
                "href",
                canonical_url("https://alpha.example/lab-accuses-rivals"),
                None,
                None,
                "first reported",
            ),
            ("l2", C1, "attribution", None, "beta", None, "according to beta"),
            (
                "l3",
                "t3_p1",
                "link_post",
                canonical_url("https://gamma.example/real-ingenuity"),
                None,
                C1,
                None,
            ),
        ],
    )
    con.executemany(
        "INSERT INTO topics (topic_id, model, label, keywords, size, first_seen_week, added_run)"
        " VALUES (?, 'test-model', ?, ?, ?, ?, 'r1')",
        [
            (0, "copying claims", ["copy", "lab"], 5, "2026-W40"),
            (1, "engineering", ["model", "budget"], 4, "2026-W42"),
        ],
    )
    con.executemany(
        "INSERT INTO doc_topics (doc_id, model, topic_id, probability) VALUES (?, 'test-model', ?, 1.0)",
        list(TOPICS.items()),
    )
