"""The embedding stage: embedding texts, the cache by text hash and model, sentence vectors."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np

from pipeline.config import Settings
from pipeline.documents import text_hash
from pipeline.embed import (
    document_vectors,
    embed_documents,
    embed_sentences,
    embedding_text,
)
from pipeline.store import scalar
from tests.analysis_docs import make_doc, store


class CountingEmbedder:
    """A stand-in embedder: a vector per text from its hash, and a log of what it embedded."""

    def __init__(self, model_id: str = "fake@test", dimension: int = 8) -> None:
        self.model_id = model_id
        self.dimension = dimension
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        rows = [
            np.random.default_rng(int(text_hash(t)[:8], 16)).normal(size=self.dimension)
            for t in texts
        ]
        vectors = np.array(rows, dtype=np.float32).reshape(len(texts), self.dimension)
        return np.asarray(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))


def analysed(con: duckdb.DuckDBPyConnection, *docs: tuple[str, str, str]) -> None:
    """Store documents and mark them as read by the NLP stage, with one sentence each."""
    store(con, *(make_doc(doc_id, text, title=title) for doc_id, title, text in docs))
    for doc_id, _, text in docs:
        con.execute(
            "INSERT INTO nlp_documents (doc_id, content_hash, status, sentences, words, nlp_version) "
            "SELECT doc_id, content_hash, 'ok', 1, 3, 'v' FROM documents WHERE doc_id = ?",
            [doc_id],
        )
        con.execute(
            "INSERT INTO sentences (doc_id, sentence_idx, text, start_char, end_char, text_hash) "
            "VALUES (?, 0, ?, 0, ?, ?)",
            [doc_id, text, len(text), text_hash(text)],
        )


def test_embedding_text_is_title_and_lead_cut_at_a_word() -> None:
    text = "one two three four five six seven"
    assert embedding_text("Headline", text, 15) == "Headline. one two three"
    assert embedding_text(None, "  a\n b ", 100) == "a b"
    assert embedding_text("Only title", "", 100) == "Only title"


def test_documents_are_embedded_once_per_text_and_model(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    analysed(
        con,
        ("a", "Same", "Identical text."),
        ("b", "Same", "Identical text."),
        ("c", "Other", "Else."),
    )
    fake = CountingEmbedder()
    counts = embed_documents(con, settings, lambda: fake, fake.model_id)
    assert counts == {"documents": 3, "embedded": 2, "cached": 1}
    assert sorted(fake.seen) == ["Other. Else.", "Same. Identical text."]
    assert embed_documents(con, settings, lambda: fake, fake.model_id) == {
        "documents": 0,
        "embedded": 0,
        "cached": 0,
    }
    doc_ids, vectors, _ = document_vectors(con, "fake@test")
    assert doc_ids == ["a", "b", "c"] and vectors.shape == (3, 8)
    assert np.allclose(vectors[0], vectors[1]) and np.allclose(np.linalg.norm(vectors, axis=1), 1)
    stored = con.execute(
        "SELECT vector FROM embeddings WHERE text_hash = ?", [text_hash("Other. Else.")]
    ).fetchall()[0][0]
    assert np.allclose(stored, fake.embed(["Other. Else."])[0])


def test_a_new_model_computes_only_its_own_vectors(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    analysed(con, ("a", "T", "Text a."), ("b", "T", "Text b."))
    embed_documents(con, settings, lambda: CountingEmbedder("old@test"), "old@test")
    con.execute("DELETE FROM doc_embedding_texts")  # as if the documents were new to the new model
    new = CountingEmbedder("new@test", 4)
    assert embed_documents(con, settings, lambda: new, new.model_id)["embedded"] == 2
    assert scalar(con, "SELECT count(*) FROM embeddings WHERE model = 'old@test'") == 2


def test_sentences_reuse_vectors_of_equal_texts(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    analysed(
        con, ("a", "T", "Shared sentence."), ("b", "T", "Shared sentence."), ("c", "T", "Own.")
    )
    fake = CountingEmbedder()
    assert embed_sentences(con, lambda: fake, fake.model_id) == {"embedded": 2, "cached": 0}
    assert embed_sentences(con, lambda: fake, fake.model_id) == {"embedded": 0, "cached": 2}
    assert len(fake.seen) == 2


def test_nothing_to_embed_does_not_load_the_model(
    con: duckdb.DuckDBPyConnection, settings: Settings
) -> None:
    def never() -> CountingEmbedder:
        raise AssertionError("the model was loaded with nothing to embed")

    analysed(con, ("a", "T", "Text a."))
    fake = CountingEmbedder()
    embed_documents(con, settings, lambda: fake, fake.model_id)
    assert embed_documents(con, settings, never, fake.model_id)["embedded"] == 0
