"""The ONNX backends: exported once, checked against torch, and chosen by agreement."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from models.embedder import Embedder, resolve_model_path
from models.onnx_export import (
    MAX_BATCH_DRIFT,
    MIN_AGREEMENT,
    VECTORS_VERSION,
    OnnxEncoder,
    calibration_texts,
    choose_variant,
    export_folder,
    length_batches,
)
from pipeline.errors import ModelError


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.mark.slow
def test_auto_backend_is_onnx_that_agrees_with_torch(cache: Path) -> None:
    auto = Embedder(backend="auto", cache_dir=cache)
    meta = json.loads((export_folder(cache, "all-MiniLM-L6-v2") / "meta.json").read_text())
    variants = {v["backend"]: v for v in meta["variants"]}
    assert set(variants) == {"onnx", "onnx-int8"}
    assert variants["onnx"]["agreement"] > 0.999
    assert auto.backend in variants and auto.agreement >= MIN_AGREEMENT
    # the vectors version keeps vectors of an older export apart from this one's
    assert auto.model_id == f"all-MiniLM-L6-v2@{auto.backend}.v{VECTORS_VERSION}"
    assert VECTORS_VERSION >= 3
    texts = [*calibration_texts()[:12], "DeepSeek is accused of distilling Claude."]
    reference = Embedder(backend="torch").embed(texts)
    for backend in ("onnx", "onnx-int8"):
        vectors = Embedder(backend=backend, cache_dir=cache).embed(texts)
        assert vectors.shape == (13, 384) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        cosines = (vectors * reference).sum(axis=1)
        assert cosines.min() > (0.9999 if backend == "onnx" else 0.98)


@pytest.mark.slow
def test_int8_vector_depends_on_the_text_alone(cache: Path) -> None:
    """Per-token activation scales: a text's vector is the same alone, in a batch and padded."""
    int8 = Embedder(backend="onnx-int8", cache_dir=cache, batch_size=8)
    meta = json.loads((export_folder(cache, "all-MiniLM-L6-v2") / "meta.json").read_text())
    assert all(v["batch_drift"] <= MAX_BATCH_DRIFT for v in meta["variants"])
    texts = calibration_texts()
    batched = int8.embed(texts)
    shuffled = int8.embed(texts[::-1])[::-1]
    alone = np.vstack([int8.embed([text]) for text in texts[:10]])
    assert np.abs(batched - shuffled).max() <= MAX_BATCH_DRIFT
    assert np.abs(batched[:10] - alone).max() <= MAX_BATCH_DRIFT


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_batches_on_several_threads_give_the_vectors_of_one_thread(
    cache: Path, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The encoder runs its batches on one thread per core; the vectors are bit-identical."""
    variant = choose_variant("all-MiniLM-L6-v2", cache, backend)
    assert variant is not None
    encoder = OnnxEncoder(variant.path, resolve_model_path("all-MiniLM-L6-v2"))
    texts = calibration_texts() * 2
    encoder.callers = 1
    alone = encoder.encode(texts, 4)
    threads: set[str] = set()
    run_batch = encoder._encode_batch

    def spy(batch: list[str]) -> np.ndarray:
        threads.add(threading.current_thread().name)
        return run_batch(batch)

    monkeypatch.setattr(encoder, "_encode_batch", spy)
    encoder.callers = 3
    together = encoder.encode(texts, 4)
    assert len(threads) > 1 and all(name.startswith("framewatch-onnx") for name in threads)
    assert together.shape == (len(texts), 384)
    assert np.array_equal(together, alone)


@pytest.mark.slow
def test_batches_capped_in_characters_give_the_vectors_of_fixed_batches(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a cap in characters long texts run alone; the vectors do not change, bit for bit."""
    variant = choose_variant("all-MiniLM-L6-v2", cache, "onnx-int8")
    assert variant is not None
    model_dir = resolve_model_path("all-MiniLM-L6-v2")
    texts = calibration_texts()
    fixed = OnnxEncoder(variant.path, model_dir, batch_chars=None)
    capped = OnnxEncoder(variant.path, model_dir, batch_chars=400)
    sizes: list[int] = []
    run_batch = capped._encode_batch

    def spy(batch: list[str]) -> np.ndarray:
        sizes.append(len(batch))
        return run_batch(batch)

    monkeypatch.setattr(capped, "_encode_batch", spy)
    capped.callers = 1
    assert np.array_equal(capped.encode(texts, 8), fixed.encode(texts, 8))
    # short claims go five to a batch (5 × 80 characters), the long paragraphs one at a time
    assert sum(sizes) == len(texts) and 1 in sizes and max(sizes) < 8


def test_length_batches_cap_rows_and_padded_characters() -> None:
    lengths = [100, 10, 300, 20, 30, 500, 40]
    assert [b.tolist() for b in length_batches(lengths, 3, None)] == [[1, 3, 4], [6, 0, 2], [5]]
    batches = [b.tolist() for b in length_batches(lengths, 3, 120)]
    # sorted 10, 20, 30 (three texts at most) | 40 (40 with 100 pads to 200) | 100 | 300 | 500
    assert batches == [[1, 3, 4], [6], [0], [2], [5]]
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len(b) * max(lengths[i] for i in b) <= 120 or len(b) == 1 for b in batches)
    assert length_batches([], 8, 800) == []


def test_unknown_backend_and_missing_cache_fail_with_the_fix() -> None:
    with pytest.raises(ModelError, match="backend"):
        Embedder(backend="tensorrt")
    with pytest.raises(ModelError, match="cache folder"):
        Embedder(backend="onnx")
