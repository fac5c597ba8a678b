"""The ONNX backends: exported once, checked against torch, and chosen by agreement."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from models import onnx_export
from models.embedder import Embedder, resolve_model_path
from models.onnx_export import (
    MAX_BATCH_DRIFT,
    MIN_AGREEMENT,
    OPENVINO_ROWS,
    OPENVINO_TOKENS,
    VECTORS_VERSION,
    OnnxEncoder,
    OpenVinoEncoder,
    Variant,
    auto_preference,
    auto_reason,
    calibration_texts,
    choose_variant,
    equal_length_batches,
    export_folder,
    length_batches,
    load_variants,
    openvino_precision,
    pick_variant,
)
from pipeline.config import load_settings
from pipeline.embed import model_id_for
from pipeline.errors import ModelError


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.mark.slow
def test_auto_backend_is_onnx_that_agrees_with_torch(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_timing(*args: object) -> float:
        raise AssertionError("the export timed an encoder")

    monkeypatch.setattr(onnx_export, "_speed", no_timing)
    auto = Embedder(backend="auto", cache_dir=cache)
    meta = json.loads((export_folder(cache, "all-MiniLM-L6-v2") / "meta.json").read_text())
    variants = {v["backend"]: v for v in meta["variants"]}
    assert set(variants) == {"onnx", "onnx-int8", f"openvino-{openvino_precision()}"}
    assert variants["onnx"]["agreement"] > 0.999
    assert not any("speed" in v for v in variants.values())
    assert auto.backend == auto_preference()[0] and auto.agreement >= MIN_AGREEMENT
    assert auto.chosen_by == auto_reason() and auto.description.startswith(auto.model_id)
    # the vectors version keeps vectors of an older export apart from this one's
    assert auto.model_id == f"all-MiniLM-L6-v2@{auto.backend}.v{VECTORS_VERSION}"
    assert VECTORS_VERSION >= 3
    texts = [*calibration_texts()[:12], "DeepSeek is accused of distilling Claude."]
    reference = Embedder(backend="torch").embed(texts)
    for backend, floor in (("onnx", 0.9999), ("onnx-int8", 0.98), ("openvino", 0.999)):
        vectors = Embedder(backend=backend, cache_dir=cache).embed(texts)
        assert vectors.shape == (13, 384) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        cosines = (vectors * reference).sum(axis=1)
        assert cosines.min() > floor


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


@pytest.mark.slow
def test_openvino_vector_depends_on_the_text_alone(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of one token count, never padded: a text's vector is the same alone, among others
    and in another order, bit for bit, and batches run on several threads at once."""
    variant = choose_variant("all-MiniLM-L6-v2", cache, "openvino")
    assert variant is not None and variant.backend == f"openvino-{openvino_precision()}"
    assert variant.batch_drift == 0.0
    encoder = OpenVinoEncoder(
        variant.path,
        resolve_model_path("all-MiniLM-L6-v2"),
        precision=variant.backend.removeprefix("openvino-"),
    )
    texts = calibration_texts() * 3
    threads: set[str] = set()
    requests = encoder._requests

    class Spy:
        def get(self) -> object:
            threads.add(threading.current_thread().name)
            return requests.get()

        def put(self, request: object) -> None:
            requests.put(request)

    monkeypatch.setattr(encoder, "_requests", Spy())
    together = encoder.encode(texts)
    reversed_order = encoder.encode(texts[::-1])[::-1]
    alone = np.vstack([encoder.encode([text]) for text in texts[:12]])
    assert together.shape == (len(texts), 384) and together.dtype == np.float32
    assert np.array_equal(together, reversed_order)
    assert np.array_equal(together[:12], alone)
    assert len(threads) > 1 and all(name.startswith("framewatch-openvino") for name in threads)
    assert encoder.encode([]).shape == (0, 384)


@pytest.mark.slow
def test_openvino_is_checked_into_an_older_export_when_auto_or_the_study_asks(
    cache: Path, tmp_path: Path
) -> None:
    """An export made before the OpenVINO backend gets the variant ``auto`` prefers on this
    CPU, as a fresh export would; naming ``openvino`` checks it beside the variants there."""
    Embedder(backend="auto", cache_dir=cache)
    older = tmp_path / "older"
    shutil.copytree(
        export_folder(cache, "all-MiniLM-L6-v2"), export_folder(older, "all-MiniLM-L6-v2")
    )
    meta_path = export_folder(older, "all-MiniLM-L6-v2") / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["variants"] = [v for v in meta["variants"] if v["backend"] in {"onnx", "onnx-int8"}]
    meta_path.write_text(json.dumps(meta))
    before = Embedder(backend="auto", cache_dir=older)
    assert before.backend == auto_preference()[0]
    if before.backend.startswith("openvino-"):  # a CPU with bfloat16: auto checked it already
        return
    assert pick_variant(load_variants(export_folder(older, "all-MiniLM-L6-v2")), "openvino") is None
    named = Embedder(backend="openvino", cache_dir=older)
    assert named.backend.startswith("openvino-") and named.agreement > 0.999
    backends = [v.backend for v in load_variants(export_folder(older, "all-MiniLM-L6-v2"))]
    assert backends[:2] == ["onnx", "onnx-int8"] and backends[2].startswith("openvino-")
    assert len(backends) == 3


def test_equal_length_batches_hold_one_token_count_within_the_caps() -> None:
    lengths = [5, 7, 5, 5, 300, 7, 5, 40]
    batches = equal_length_batches(lengths, 3, 100)
    # 5 tokens: [0, 2, 3] then [6] (three texts at most) | 7: [1, 5] | 40 | 300 (over 100) alone
    assert batches == [[0, 2, 3], [6], [1, 5], [7], [4]]
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert len({lengths[i] for i in batch}) == 1
        assert len(batch) == 1 or len(batch) * lengths[batch[0]] <= 100
    assert equal_length_batches([], OPENVINO_ROWS, OPENVINO_TOKENS) == []
    assert all(len(b) <= OPENVINO_ROWS for b in equal_length_batches([3] * 200, 64, 4096))


def _fake_export(folder: Path, speeds: dict[str, float], agreement: float = 0.999) -> None:
    """meta.json of an export with the three variants, each with a timing as older exports had."""
    folder.mkdir(parents=True)
    variants = []
    for backend, file in (
        ("onnx", "model.onnx"),
        ("onnx-int8", "model-int8.onnx"),
        ("openvino-bf16", "model.onnx"),
    ):
        (folder / file).write_bytes(b"")
        variants.append(
            {
                "backend": backend,
                "file": file,
                "agreement": agreement if backend == "onnx-int8" else 0.99999,
                "min_agreement": 0.98,
                "batch_drift": 0.0,
                "speed": speeds[backend],
            }
        )
    meta = {"export_version": onnx_export.EXPORT_VERSION, "dimension": 384, "variants": variants}
    (folder / "meta.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("precision", ["bf16", "f32", None])
def test_auto_picks_by_the_cpu_whatever_a_timing_says(
    precision: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two exports timed in opposite orders (as on an idle and a loaded machine) give the same
    variant, the one the CPU's capabilities name; choosing never times anything."""
    monkeypatch.setattr(onnx_export, "openvino_precision", lambda: precision)

    def no_timing(*args: object) -> float:
        raise AssertionError("choosing a variant timed an encoder")

    monkeypatch.setattr(onnx_export, "_speed", no_timing)
    fast_int8 = {"onnx": 100.0, "onnx-int8": 400.6, "openvino-bf16": 334.3}
    fast_openvino = {"onnx": 100.0, "onnx-int8": 334.3, "openvino-bf16": 400.6}
    expected = "openvino-bf16" if precision == "bf16" else "onnx-int8"
    study = tmp_path / "study.toml"
    study.write_text('[study]\nname = "t"\n', encoding="utf-8")
    for label, speeds in (("loaded", fast_int8), ("idle", fast_openvino)):
        cache = tmp_path / label
        _fake_export(export_folder(cache, "all-MiniLM-L6-v2"), speeds)
        chosen = choose_variant("all-MiniLM-L6-v2", cache, "auto")
        assert chosen is not None and chosen.backend == expected
        monkeypatch.setenv("FRAMEWATCH_MODEL_CACHE", str(cache))
        assert model_id_for(load_settings(study)) == f"all-MiniLM-L6-v2@{expected}.v3"


def test_auto_takes_the_next_variant_by_rule_when_the_first_disagrees_with_torch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_export, "openvino_precision", lambda: "f32")
    folder = export_folder(tmp_path, "all-MiniLM-L6-v2")
    _fake_export(folder, {"onnx": 1.0, "onnx-int8": 1000.0, "openvino-bf16": 1.0}, 0.95)
    variants = load_variants(folder)
    assert auto_preference() == ("onnx-int8", "onnx")
    assert pick_variant(variants, "auto").backend == "onnx"  # type: ignore[union-attr]
    assert pick_variant(variants, "auto", ("onnx-int8",)) is None  # torch, then
    assert auto_reason() == "auto: no native bfloat16 on this CPU"


def test_studies_exporting_at_once_take_turns_and_share_one_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three studies start on an empty machine cache together: one exports, the others wait for
    its lock and read what it wrote."""
    monkeypatch.setattr(onnx_export, "openvino_precision", lambda: "f32")
    exports: list[str] = []

    def export(name: str, cache_dir: Path) -> list[Variant]:
        exports.append(threading.current_thread().name)
        time.sleep(0.2)  # widens the window in which the others would export too
        folder = export_folder(cache_dir, name)
        _fake_export(folder, {"onnx": 1.0, "onnx-int8": 1.0, "openvino-bf16": 1.0})
        return load_variants(folder)

    monkeypatch.setattr(onnx_export, "export_variants", export)
    chosen: list[str] = []

    def study() -> None:
        variant = choose_variant("all-MiniLM-L6-v2", tmp_path, "auto")
        chosen.append(variant.backend if variant else "torch")

    threads = [threading.Thread(target=study) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(exports) == 1 and chosen == ["onnx-int8"] * 3
