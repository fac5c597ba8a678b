"""The packaged embedding model loads offline and gives meaningful vectors."""

from __future__ import annotations

import numpy as np
import pytest

from models.embedder import Embedder
from pipeline.errors import ModelError


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


@pytest.mark.slow
def test_embed_gives_unit_vectors_that_reflect_meaning(embedder: Embedder) -> None:
    vectors = embedder.embed(
        [
            "The company accused its rival of stealing its model.",
            "The firm says a competitor copied its AI system illicitly.",
            "Heavy rain is expected across the region this weekend.",
        ]
    )
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > 0.5 > unrelated
    assert embedder.embed([]).shape == (0, 384)
    assert embedder.model_id == "all-MiniLM-L6-v2@torch"
    assert embedder.description == 'all-MiniLM-L6-v2@torch (backend = "torch")'


def test_unknown_model_fails_with_the_fix() -> None:
    with pytest.raises(ModelError, match=r"\[models\] embedding"):
        Embedder("no-such-org/no-such-model-xyz")
