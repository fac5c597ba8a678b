"""Near-duplicate articles: syndicated wire copies and lightly edited reprints.

Exact copies share a ``content_hash`` and a ``dup_cluster`` (see :mod:`pipeline.documents`). Copies
with a changed headline, a added byline or a trimmed paragraph do not; MinHash signatures of word
3-gram shingles with locality-sensitive hashing (datasketch) find them, and each cluster is marked
in ``documents.near_dup_cluster`` with the doc_id of its earliest member. Nothing is deleted, so
analyses can count raw and de-duplicated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import duckdb
import pyarrow as pa
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = 3) -> set[bytes]:
    """Lower-cased word n-grams of a text (the whole text when it is shorter than ``size`` words)."""
    words = _WORD.findall(text.lower())
    if len(words) <= size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


def signature(text: str) -> MinHash:
    """The MinHash signature of a text's shingles."""
    minhash = MinHash(num_perm=NUM_PERM)
    minhash.update_batch(list(shingles(text)))
    return minhash


def cluster_texts(docs: Iterable[tuple[str, str]], threshold: float) -> dict[str, str]:
    """Map each doc_id to the first doc_id of its near-duplicate cluster.

    Args:
        docs: ``(doc_id, text)`` in priority order: the first member of a cluster heads it.
        threshold: Estimated Jaccard similarity of shingle sets from which two texts are copies.
    """
    # LSH only proposes candidates; a lower banding threshold misses fewer true pairs, and each
    # candidate is then checked against the real threshold.
    lsh = MinHashLSH(threshold=max(0.1, threshold - 0.2), num_perm=NUM_PERM)
    signatures: dict[str, MinHash] = {}
    head: dict[str, str] = {}
    order: dict[str, int] = {}
    for doc_id, text in docs:
        order[doc_id] = len(order)
        sig = signature(text)
        # Candidates from LSH are checked against the threshold, which LSH only approximates.
        matches = [m for m in lsh.query(sig) if signatures[m].jaccard(sig) >= threshold]
        head[doc_id] = min((head[m] for m in matches), key=order.__getitem__, default=doc_id)
        lsh.insert(doc_id, sig)
        signatures[doc_id] = sig
    return head


def mark_near_duplicates(con: duckdb.DuckDBPyConnection, threshold: float = 0.8) -> int:
    """Cluster every article's text and store the clusters; returns documents marked as copies.

    Articles are visited by publication time, so the earliest copy heads its cluster; re-running
    leaves unchanged clusters as they are.
    """
    rows = con.execute(
        """
        SELECT doc_id, coalesce(title, '') || ' ' || text FROM documents
        WHERE kind = 'article' AND text IS NOT NULL
        ORDER BY coalesce(published_at, TIMESTAMP '9999-01-01'), doc_id
        """
    ).fetchall()
    heads = cluster_texts(rows, threshold)
    con.execute("BEGIN TRANSACTION")
    try:
        con.register("near_heads", pa.table({"doc_id": list(heads), "head": list(heads.values())}))
        con.execute(
            """
            UPDATE documents d SET near_dup_cluster = h.head FROM near_heads h
            WHERE d.doc_id = h.doc_id AND d.near_dup_cluster IS DISTINCT FROM h.head
            """
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("near_heads")
    return sum(1 for doc_id, head in heads.items() if doc_id != head)
