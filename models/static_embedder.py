"""Static sentence embeddings distilled from the study's model: the framing stage's screen.

model2vec distils a sentence-transformers model into one vector per vocabulary token (each token run
through the model once, then PCA and frequency weighting); a sentence is then the mean of its token
vectors, thousands of times faster than the transformer and close enough to tell a sentence that may
carry a frame from one that plainly does not. The distilled model is made once per machine (about
40 s for all-MiniLM-L6-v2) into the model cache, next to the ONNX export, never into git.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import ModelError
from pipeline.outputs import atomic_folder

PCA_DIMS = 256
DISTIL_VERSION = 1


def static_folder(cache_dir: Path, name: str) -> Path:
    """The folder holding one model's distilled static model."""
    safe = re.sub(r"[^\w.-]+", "_", name)
    return cache_dir / "static" / f"{safe}-v{DISTIL_VERSION}"


class StaticEmbedder:
    """Mean-of-token-vectors embeddings distilled from a sentence-transformers model.

    Attributes:
        model_id: ``<model name>@static``; static vectors are never stored, only used to screen.
        dimension: Length of each vector.
    """

    def __init__(self, name: str, cache_dir: Path) -> None:
        from model2vec import StaticModel

        folder = static_folder(cache_dir, name)
        if not (folder / "config.json").exists():
            distil(name, folder)
        self._model: Any = StaticModel.from_pretrained(str(folder))
        self.model_id = f"{name}@static"
        self.dimension = int(self._model.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text (an empty text gives a zero row)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.asarray(self._model.encode(list(texts), batch_size=4096), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.asarray(vectors / np.clip(norms, 1e-12, None), dtype=np.float32)


def distil(name: str, folder: Path) -> None:
    """Distil the static model of ``name`` into ``folder`` (written beside it, then moved in).

    Raises:
        ModelError: When the model cannot be loaded or distilled.
    """
    from model2vec.distill import distill

    from models.embedder import resolve_model_path

    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        model = distill(model_name=resolve_model_path(name), pca_dims=PCA_DIMS, device="cpu")
    except (OSError, ValueError, RuntimeError) as exc:
        raise ModelError(
            f'cannot distil a static model from "{name}" ({str(exc).splitlines()[0]}); '
            "set [analysis] screen = false to embed every sentence with the full model"
        ) from exc
    with atomic_folder(folder) as staging:  # the whole folder appears at once, or not at all
        model.save_pretrained(str(staging))
