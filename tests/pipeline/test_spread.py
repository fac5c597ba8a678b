"""The spread views and macros return exactly the rows a known corpus implies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import duckdb
import pytest

from tests import spread_corpus as corpus
from tests.spread_corpus import A1, B1, C1, D1


@pytest.fixture
def spread(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    corpus.build(con)
    return con


def rows(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple[Any, ...]]:
    return [
        tuple(round(v, 4) if isinstance(v, float) else v for v in row)
        for row in con.execute(query).fetchall()
    ]


def test_frame_weekly(spread: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        spread,
        """
        SELECT week, outlet, kind, frame_id, mentions, documents, outlet_documents, share,
               documents_dedup, outlet_documents_dedup, share_dedup,
               own_voice_mentions, quoted_mentions, own_voice_documents, quoted_documents
        FROM frame_weekly ORDER BY week, outlet, frame_id""",
    )
    assert got == [
        ("2026-W40", "alpha", "news", "theft", 2, 1, 2, 0.5, 1, 2, 0.5, 1, 1, 1, 1),
        ("2026-W40", "delta", "news", "theft", 1, 1, 1, 1.0, 0, 0, None, 1, 0, 1, 0),
        ("2026-W41", "beta", "news", "theft", 1, 1, 2, 0.5, 1, 2, 0.5, 1, 0, 1, 0),
        ("2026-W42", "gamma", "news", "innovation", 1, 1, 1, 1.0, 1, 1, 1.0, 1, 0, 1, 0),
        (
            "2026-W42",
            "r/LocalLLaMA",
            "reddit",
            "innovation",
            2,
            2,
            3,
            0.6667,
            2,
            3,
            0.6667,
            2,
            0,
            2,
            0,
        ),
        ("2026-W42", "r/LocalLLaMA", "reddit", "theft", 1, 1, 3, 0.3333, 1, 3, 0.3333, 1, 0, 1, 0),
    ]
    assert rows(spread, "SELECT DISTINCT codebook, codebook_version FROM frame_weekly") == [
        ("ai_distillation", "1")
    ]


def test_frame_first_use(spread: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        spread,
        """
        SELECT frame_id, outlet, kind, first_at, week, doc_id, sentence, adoption_rank, days_after_first, documents
        FROM frame_first_use ORDER BY frame_id, adoption_rank""",
    )
    assert got == [
        (
            "innovation",
            "gamma",
            "news",
            datetime(2026, 10, 14, 10),
            "2026-W42",
            C1,
            "The new model shows real homegrown ingenuity.",
            1,
            0.0,
            1,
        ),
        (
            "innovation",
            "r/LocalLLaMA",
            "reddit",
            datetime(2026, 10, 15, 9),
            "2026-W42",
            "t3_p1",
            "Impressive engineering on a small budget.",
            2,
            0.96,
            2,
        ),
        (
            "theft",
            "alpha",
            "news",
            datetime(2026, 9, 29, 10),
            "2026-W40",
            A1,
            "The rivals simply stole the model.",
            1,
            0.0,
            1,
        ),
        (
            "theft",
            "delta",
            "news",
            datetime(2026, 9, 30, 10),
            "2026-W40",
            D1,
            "The rivals simply stole the model.",
            2,
            1.0,
            1,
        ),
        (
            "theft",
            "beta",
            "news",
            datetime(2026, 10, 6, 10),
            "2026-W41",
            B1,
            "It was a raid on years of research.",
            3,
            7.0,
            1,
        ),
        (
            "theft",
            "r/LocalLLaMA",
            "reddit",
            datetime(2026, 10, 15, 10),
            "2026-W42",
            "t1_c1",
            "They copied it, plain and simple.",
            4,
            16.0,
            1,
        ),
    ]
    assert rows(spread, f"SELECT url FROM frame_first_use WHERE doc_id = '{B1}'") == [
        ("https://beta.example/copying-claims",)
    ]


def test_frame_adoption(spread: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        spread,
        "SELECT frame_id, week, new_outlets, new_outlet_names, cumulative_outlets FROM frame_adoption ORDER BY frame_id, week",
    )
    assert got == [
        ("innovation", "2026-W40", 0, [], 0),
        ("innovation", "2026-W41", 0, [], 0),
        ("innovation", "2026-W42", 2, ["gamma", "r/LocalLLaMA"], 2),
        ("theft", "2026-W40", 2, ["alpha", "delta"], 2),
        ("theft", "2026-W41", 1, ["beta"], 3),
        ("theft", "2026-W42", 1, ["r/LocalLLaMA"], 4),
    ]


def test_frame_lead_lag(spread: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        spread,
        """
        SELECT leader, follower, follower_kind, frames, median_lag_days, frames_leader_first, frame_ids
        FROM frame_lead_lag WHERE median_lag_days > 0 ORDER BY leader, follower""",
    )
    assert got == [
        ("alpha", "beta", "news", 1, 7.0, 1, ["theft"]),
        ("alpha", "delta", "news", 1, 1.0, 1, ["theft"]),
        ("alpha", "r/LocalLLaMA", "reddit", 1, 16.0, 1, ["theft"]),
        ("beta", "r/LocalLLaMA", "reddit", 1, 9.0, 1, ["theft"]),
        ("delta", "beta", "news", 1, 6.0, 1, ["theft"]),
        ("delta", "r/LocalLLaMA", "reddit", 1, 15.0, 1, ["theft"]),
        ("gamma", "r/LocalLLaMA", "reddit", 1, 0.96, 1, ["innovation"]),
    ]
    assert rows(
        spread,
        "SELECT median_lag_days FROM frame_lead_lag WHERE leader = 'beta' AND follower = 'alpha'",
    ) == [(-7.0,)]
    assert rows(
        spread, "SELECT count(*) FROM frame_lead_lag WHERE leader = 'gamma' AND follower = 'alpha'"
    ) == [(0,)]


def test_citation_links_and_edges(spread: duckdb.DuckDBPyConnection) -> None:
    got = rows(
        spread,
        """
        SELECT link_id, citing_outlet, citing_kind, cited_doc_id, cited_outlet, cited_kind, shared_frames, same_frame
        FROM citation_links ORDER BY link_id""",
    )
    assert got == [
        ("l1", "beta", "news", A1, "alpha", "news", ["theft"], True),
        ("l2", "gamma", "news", None, "beta", "news", [], False),
        ("l3", "r/LocalLLaMA", "reddit", C1, "gamma", "news", ["innovation"], True),
    ]
    edges = rows(
        spread,
        "SELECT citing_outlet, cited_outlet, links, citing_documents, same_frame_links, link_kinds FROM citation_edges ORDER BY 1",
    )
    assert edges == [
        ("beta", "alpha", 1, 1, 1, ["href"]),
        ("gamma", "beta", 1, 1, 0, ["attribution"]),
        ("r/LocalLLaMA", "gamma", 1, 1, 1, ["link_post"]),
    ]


def test_citation_paths(spread: duckdb.DuckDBPyConnection) -> None:
    assert rows(spread, "SELECT path, hops FROM citation_paths('alpha')") == [
        ("alpha -> beta", 1),
        ("alpha -> beta -> gamma", 2),
        ("alpha -> beta -> gamma -> r/LocalLLaMA", 3),
    ]
    assert rows(spread, "SELECT path FROM citation_paths('alpha', max_hops := 1)") == [
        ("alpha -> beta",)
    ]


def test_framing_contest(spread: duckdb.DuckDBPyConnection) -> None:
    assert rows(
        spread, "SELECT week, outlet, documents_a, documents_b, balance FROM framing_contest()"
    ) == [
        ("2026-W40", "alpha", 1, 0, 1.0),
        ("2026-W40", "delta", 1, 0, 1.0),
        ("2026-W41", "beta", 1, 0, 1.0),
        ("2026-W42", "gamma", 0, 1, -1.0),
        ("2026-W42", "r/LocalLLaMA", 1, 2, -0.3333),
    ]
    assert rows(
        spread,
        "SELECT frame_a, frame_b, outlet FROM framing_contest(frame_a := 'innovation', frame_b := 'security') WHERE week = '2026-W42'",
    ) == [
        ("innovation", "security", "gamma"),
        ("innovation", "security", "r/LocalLLaMA"),
    ]


def test_frame_share_macro(spread: duckdb.DuckDBPyConnection) -> None:
    assert rows(
        spread,
        "SELECT * FROM frame_share('theft', 'week') WHERE outlet IN ('alpha', 'beta', 'delta')",
    ) == [
        (date(2026, 9, 28), "alpha", "news", 1, 2, 0.5, 1),
        (date(2026, 9, 28), "delta", "news", 1, 1, 1.0, 0),
        (date(2026, 10, 5), "beta", "news", 1, 2, 0.5, 1),
    ]
    monthly = "SELECT period, sum(documents), sum(outlet_documents) FROM frame_share('innovation', 'month') GROUP BY 1 ORDER BY 1"
    assert rows(spread, monthly) == [(date(2026, 9, 1), 0, 2), (date(2026, 10, 1), 3, 7)]


def test_topic_emerging(spread: duckdb.DuckDBPyConnection) -> None:
    assert rows(
        spread,
        "SELECT topic_id, week, documents, trailing_mean, growth, emerging FROM topic_emerging ORDER BY 1, 2",
    ) == [
        (0, "2026-W40", 3, 0.0, None, True),
        (0, "2026-W41", 2, 3.0, 0.67, False),
        (0, "2026-W42", 0, 2.5, 0.0, False),
        (1, "2026-W40", 0, 0.0, None, False),
        (1, "2026-W41", 0, 0.0, None, False),
        (1, "2026-W42", 4, 0.0, None, True),
    ]
