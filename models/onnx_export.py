"""Faster embedding backends: an ONNX export of the sentence-transformers model, fp32 and int8.

The transformer is exported once with ``torch.onnx.export`` (eager attention) and quantised with
onnxruntime's dynamic per-channel QInt8 weights; the mean pooling and normalisation that
sentence-transformers does are done here in numpy.

onnxruntime's dynamic quantisation gives the activations one scale per *tensor*: the whole batch,
padding included. A text's int8 vector then depends on the texts it was batched with (by up to 0.04
per component here), so a resumed or incremental run stores other vectors than a run from nothing.
:func:`per_token_activations` rewrites the quantised graph so that every token's activations get
their own scale (symmetric, zero point 128): a text's vector depends on the text alone, and it
agrees better with torch (mean cosine 0.997 against 0.992 on the calibration set).

On export each variant is compared with the torch vectors on a fixed calibration set and checked for
batch invariance (each text alone against the same text in a padded batch); the figures go into
``meta.json`` beside the files. ``auto`` picks by a fixed rule of what the CPU computes natively,
never by a timing (a timing depends on how busy the machine is, and the variant decides the vectors
and so every frame and topic): :func:`auto_preference` names the variants in order, and the first
that is batch-invariant and agrees with torch (mean cosine at least :data:`MIN_AGREEMENT`) wins.
Timing is a separate measurement, :func:`measure_speeds`, that nothing reads back. The files live in
a cache folder shared by the studies of a machine, never in git; one export at a time writes there.

:class:`OpenVinoEncoder` runs the fp32 export with OpenVINO instead, in bfloat16 where the CPU computes
it natively (AMX or AVX-512 BF16), else in fp32. Its batches hold texts of one token count only, so
no text is padded: padding changes a bfloat16 vector (by up to 7e-4 here), while the number of texts
in a batch does not, so a text's vector depends on the text alone.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from pipeline.errors import ModelError
from pipeline.outputs import atomic_folder, write_text

MIN_AGREEMENT = 0.99
MAX_BATCH_DRIFT = 1e-4
EXPORT_VERSION = 3
# Part of ``embeddings.model`` for the ONNX backends (``...@onnx-int8.v3``). Bump it with any export
# change that moves the vectors: int8 vectors move by int8 noise (cosine ~0.997) even when only the
# float graph before the rounding changes, and vectors of two exports must not be mixed in a study.
# v1: stock dynamic int8 (batch-dependent); v2: per-token scales; v3: eager attention.
VECTORS_VERSION = 3
# Fuses MatMulInteger with its rescaling on the assumption of one activation scale per tensor, which
# gives wrong vectors with the per-token scales of :func:`per_token_activations`.
_DISABLED_OPTIMIZERS = ["MatMulIntegerToFloatFusion"]
# Characters one batch may hold, padding included (its texts × the longest of them). A document text
# (a title and a 600-character lead) then runs alone and a batch of sentences holds about five: on
# 2 cores that embedded 1.58x the document texts and 1.07x the sentences a second of batches of 8,
# with bit-identical vectors (bench/RESULTS.md, "Encoder batches"). Larger batches most likely
# spill the per-token activations out of the core's cache.
BATCH_CHARS = 800
# OpenVINO's batches: texts of one token count, at most this many texts and tokens. Sentences ran
# fastest in batches of 64 (bench/RESULTS.md, "Encoder backends").
OPENVINO_ROWS = 64
OPENVINO_TOKENS = 4096
_SUBJECTS = ("The company", "A spokesperson for the lab", "Critics", "The senator", "Researchers")
_CLAIMS = (
    "said the rival had copied its model by distilling millions of answers",
    "argued that training on public outputs is ordinary industry practice",
    "warned that cheaper models could threaten national security",
    "accused the government of ignoring rising prices at the pump",
    "wrote that the new vaccine cut hospital admissions by half",
    "claimed the school board had banned books without a hearing",
    "told reporters the border policy would be reviewed next month",
    "noted that the trade deal lowers tariffs on steel and grain",
)


def calibration_texts() -> list[str]:
    """Fixed texts the ONNX variants are checked on: short claims, questions and long paragraphs."""
    texts = [f"{s} {c}." for s in _SUBJECTS for c in _CLAIMS]
    texts += ["Is this theft or innovation?", "lol no", "Stock markets fell 3% on Tuesday."]
    texts += [" ".join(texts[i : i + 12]) for i in range(0, 36, 6)]  # beyond the 256-token window
    return texts


@dataclass(frozen=True)
class Variant:
    """One exported model file and how it compared with torch."""

    backend: str
    path: Path
    agreement: float
    min_agreement: float
    batch_drift: float

    @property
    def model_tag(self) -> str:
        """What follows the model name in ``embeddings.model``: the backend and
        :data:`VECTORS_VERSION` (``onnx-int8.v3``)."""
        return f"{self.backend}.v{VECTORS_VERSION}"


class OnnxEncoder:
    """Runs an exported transformer with onnxruntime and mean-pools like sentence-transformers."""

    def __init__(
        self,
        onnx_path: Path,
        model_dir: str,
        *,
        callers: int | None = None,
        threads_per_call: int = 1,
        batch_chars: int | None = BATCH_CHARS,
    ) -> None:
        """Load an exported model.

        Args:
            onnx_path: The ``.onnx`` file.
            model_dir: The sentence-transformers folder with ``tokenizer.json``.
            callers: Batches run at once, on threads of their own (default: one per usable core).
            threads_per_call: onnxruntime's threads within one batch.
            batch_chars: Characters a batch may hold, padding included (None: no limit).
        """
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        # By default one thread per call and as many calls at once as there are cores. On 2 cores
        # that embedded 1.44x the sentences and 1.16x the document texts a second of one call
        # at a time on 2 threads (batches of 8), with bit-identical vectors: a batch of a few
        # short texts is too small to split well between threads (bench/RESULTS.md, "Encoder
        # threads").
        options.intra_op_num_threads = threads_per_call
        self.callers = callers or usable_cores()
        self.batch_chars = batch_chars
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(onnx_path),
            options,
            providers=["CPUExecutionProvider"],
            disabled_optimizers=_DISABLED_OPTIMIZERS,
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        config = json.loads((Path(onnx_path).parent / "meta.json").read_text(encoding="utf-8"))
        self.dimension = int(config["dimension"])
        self._tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=int(config["max_seq_length"]))
        self._tokenizer.enable_padding()

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """L2-normalised mean-pooled vectors, batched by length so padding stays small.

        Args:
            texts: The texts.
            batch_size: The most texts in one batch (fewer where ``batch_chars`` says so).
        """
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        batches = length_batches([len(t) for t in texts], batch_size, self.batch_chars)

        def run(idx: np.ndarray) -> np.ndarray:
            return self._encode_batch([texts[i] for i in idx])

        if self.callers < 2 or len(batches) < 2:
            for idx in batches:
                out[idx] = run(idx)
            return out
        # onnxruntime's Run is thread-safe and releases the GIL, as does the tokenizer.
        pool = ThreadPoolExecutor(self.callers, thread_name_prefix="framewatch-onnx")
        try:
            for idx, vectors in zip(batches, pool.map(run, batches), strict=True):
                out[idx] = vectors
        finally:
            # On an interrupt the batches not yet started are dropped at once.
            pool.shutdown(wait=True, cancel_futures=True)
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)


def length_batches(
    lengths: list[int], batch_size: int, batch_chars: int | None
) -> list[np.ndarray]:
    """Text indices sorted by length and cut into batches.

    A batch takes at most ``batch_size`` texts and, unless ``batch_chars`` is None, no more
    characters than ``batch_chars`` counting padding (its texts × the longest of them). A text
    longer than that gets a batch of its own.
    """
    order = np.argsort(lengths, kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    for end, index in enumerate(order):
        rows = end - start + 1  # sorted, so this text is the batch's longest
        too_long = batch_chars is not None and rows * lengths[index] > batch_chars
        if rows > 1 and (rows > batch_size or too_long):
            batches.append(order[start:end])
            start = end
    if start < len(order):
        batches.append(order[start:])
    return batches


class OpenVinoEncoder:
    """Runs the fp32 export with OpenVINO (bfloat16 where the CPU has it) and mean-pools.

    Batches hold texts of one token count (no padding) and run one per core at once, each on one
    thread (OpenVINO's streams), like :class:`OnnxEncoder`'s callers.
    """

    def __init__(
        self,
        onnx_path: Path,
        model_dir: str,
        *,
        precision: str = "bf16",
        streams: int | None = None,
    ) -> None:
        """Compile the model for the CPU.

        Args:
            onnx_path: The fp32 ``model.onnx``.
            model_dir: The sentence-transformers folder with ``tokenizer.json``.
            precision: ``bf16`` or ``f32``, as recorded at export.
            streams: Batches run at once (default: one per usable core).

        Raises:
            ModelError: When OpenVINO is missing, or this CPU cannot run ``precision``.
        """
        from tokenizers import Tokenizer

        try:
            import openvino as ov
        except ImportError as exc:
            raise ModelError(
                'the "openvino" backend needs the openvino package; run `pip install openvino` '
                'or set [analysis] backend = "onnx-int8"'
            ) from exc
        self.streams = streams or usable_cores()
        config = {
            "NUM_STREAMS": str(self.streams),
            "INFERENCE_NUM_THREADS": str(self.streams),
            "INFERENCE_PRECISION_HINT": precision,
        }
        compiled = ov.Core().compile_model(str(onnx_path), "CPU", config)
        actual = compiled.get_property("INFERENCE_PRECISION_HINT").to_string()
        if actual != precision:
            raise ModelError(
                f"OpenVINO runs {actual} here, but the model was exported for {precision} on "
                f"another CPU; delete {Path(onnx_path).parent} (the model cache, "
                "FRAMEWATCH_MODEL_CACHE) so that it is exported and checked again on this machine"
            )
        self.precision = precision
        self._compiled = compiled
        self._inputs = [i.get_any_name() for i in compiled.inputs]
        self._requests: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for _ in range(self.streams):
            self._requests.put(compiled.create_infer_request())
        config_json = json.loads((Path(onnx_path).parent / "meta.json").read_text(encoding="utf-8"))
        self.dimension = int(config_json["dimension"])
        self._tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=int(config_json["max_seq_length"]))
        self._tokenizer.no_padding()
        # The first inference initialises a static of OpenVINO's Python bindings (pybind11's numpy
        # API) while holding a C++ once-guard; a second thread entering it then waits on the guard
        # holding the GIL that the first one needs: a deadlock, seen on a Dask worker's first
        # call. So the first inference runs here, on one thread.
        self._run([self._tokenizer.encode("warm up").ids], [0])

    def _run(self, ids: list[list[int]], rows: list[int]) -> np.ndarray:
        """Vectors of the texts ``rows`` of ``ids`` (token ids of one length), on one request."""
        tokens = np.array([ids[i] for i in rows], dtype=np.int64)
        feed = {
            "input_ids": tokens,
            "attention_mask": np.ones_like(tokens),
            "token_type_ids": np.zeros_like(tokens),
        }
        request = self._requests.get()
        try:
            # infer releases the GIL; the request's output buffer is reused by its next call.
            hidden = request.infer({k: feed[k] for k in self._inputs})[0].copy()
        finally:
            self._requests.put(request)
        pooled = hidden.mean(axis=1)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.clip(norms, 1e-12, None), dtype=np.float32)

    def encode(self, texts: list[str], batch_size: int = OPENVINO_ROWS) -> np.ndarray:
        """L2-normalised mean-pooled vectors.

        Args:
            texts: The texts.
            batch_size: Not used: batches hold texts of one token count, up to
                :data:`OPENVINO_ROWS` texts and :data:`OPENVINO_TOKENS` tokens.
        """
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self._tokenizer.encode_batch(texts)]
        batches = equal_length_batches([len(i) for i in ids], OPENVINO_ROWS, OPENVINO_TOKENS)

        pool = ThreadPoolExecutor(self.streams, thread_name_prefix="framewatch-openvino")
        try:
            runs = pool.map(lambda rows: self._run(ids, rows), batches)
            for rows, vectors in zip(batches, runs, strict=True):
                out[rows] = vectors
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return out


def equal_length_batches(lengths: list[int], rows: int, tokens: int) -> list[list[int]]:
    """Text indices grouped by token count, each group cut into batches of at most ``rows``
    texts and ``tokens`` tokens (a text longer than ``tokens`` runs alone)."""
    groups: dict[int, list[int]] = {}
    for index, length in enumerate(lengths):
        groups.setdefault(length, []).append(index)
    batches: list[list[int]] = []
    for length, members in sorted(groups.items()):
        step = max(1, min(rows, tokens // max(length, 1)))
        batches += [members[i : i + step] for i in range(0, len(members), step)]
    return batches


@functools.cache
def openvino_precision() -> str | None:
    """``bf16`` where OpenVINO computes bfloat16 natively on this CPU (AMX or AVX-512 BF16), else
    ``f32``; None when OpenVINO is not installed. Asked once per process: the CPU does not change."""
    try:
        import openvino as ov
    except ImportError:
        return None
    capabilities = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return "bf16" if "BF16" in capabilities else "f32"


def auto_preference() -> tuple[str, ...]:
    """The variants ``auto`` tries on this machine, best first, by what the CPU computes natively.

    OpenVINO in bfloat16 where the CPU has it (1.4x–1.6x the int8 export's texts a second on an
    AMX Xeon, bench/RESULTS.md "Encoder backends"), else the int8 export, else the fp32 export. The
    rule reads the CPU, never a clock, so two studies on one machine get the same variant.
    """
    if openvino_precision() == "bf16":
        return ("openvino-bf16", "onnx-int8", "onnx")
    return ("onnx-int8", "onnx")


def auto_reason() -> str:
    """Why :func:`auto_preference` starts where it does on this machine, in words."""
    precision = openvino_precision()
    if precision == "bf16":
        return "auto: OpenVINO reports native bfloat16 on this CPU"
    if precision is None:
        return "auto: openvino is not installed"
    return "auto: no native bfloat16 on this CPU"


def usable_cores() -> int:
    """The cores this process may use (its CPU affinity on Linux, else all of them)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def export_folder(cache_dir: Path, name: str) -> Path:
    """The folder holding one model's ONNX files."""
    return cache_dir / "onnx" / re.sub(r"[^\w.-]+", "_", name)


def choose_variant(name: str, cache_dir: Path, backend: str) -> Variant | None:
    """The exported variant to use for ``backend`` (exporting or checking it first if needed).

    Processes sharing ``cache_dir`` take turns: one exports, the others wait and then read it.

    Args:
        name: The embedding model name from the study.
        cache_dir: Where exported files are kept.
        backend: ``onnx``, ``onnx-int8``, ``openvino`` or ``auto``.

    Returns:
        The variant, or None when ``auto`` found no variant that agrees with torch.
    """
    folder = export_folder(cache_dir, name)
    folder.parent.mkdir(parents=True, exist_ok=True)
    wanted = wanted_variant(backend)
    with FileLock(f"{folder}.lock"):
        variants = load_variants(folder)
        if not variants or (needs_export(variants, backend) and not wanted.startswith("openvino")):
            variants = export_variants(name, cache_dir)
        if needs_export(variants, backend):
            # An export made before the OpenVINO backend, without openvino installed, or on a CPU
            # of another precision: check OpenVINO now, beside the variants already there.
            variants = add_openvino_variant(name, folder)
    return pick_variant(variants, backend)


def wanted_variant(backend: str) -> str:
    """The variant ``backend`` asks for first on this machine (``openvino`` in its precision)."""
    if backend == "auto":
        return auto_preference()[0]
    if backend == "openvino":
        return f"openvino-{openvino_precision() or 'not-installed'}"
    return backend


def needs_export(variants: list[Variant], backend: str) -> bool:
    """Whether :func:`choose_variant` must export or check something before it can pick."""
    return wanted_variant(backend) not in {v.backend for v in variants}


def pick_variant(
    variants: list[Variant], backend: str, preference: tuple[str, ...] | None = None
) -> Variant | None:
    """The named variant (``openvino`` names the one of either precision), or for ``auto`` the
    first of ``preference`` (default :func:`auto_preference`) that is batch-invariant and agrees
    with torch (None: use torch, or not exported)."""
    if backend == "openvino":
        return next((v for v in variants if v.backend.startswith("openvino-")), None)
    if backend != "auto":
        return next((v for v in variants if v.backend == backend), None)
    usable = {
        v.backend: v
        for v in variants
        if v.agreement >= MIN_AGREEMENT and v.batch_drift <= MAX_BATCH_DRIFT
    }
    order = auto_preference() if preference is None else preference
    return next((usable[b] for b in order if b in usable), None)


def load_variants(folder: Path) -> list[Variant]:
    """The variants recorded in ``meta.json`` (empty when absent or from an older export)."""
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        return []
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("export_version") != EXPORT_VERSION:
        return []
    return [
        Variant(
            v["backend"],
            folder / v["file"],
            v["agreement"],
            v["min_agreement"],
            v["batch_drift"],
        )
        for v in meta["variants"]
        if (folder / v["file"]).exists()
    ]


def export_variants(name: str, cache_dir: Path) -> list[Variant]:
    """Export fp32 and int8 ONNX files, check them against torch and write meta.json.

    With openvino installed, the fp32 file run by OpenVINO is checked too (``openvino-bf16`` or
    ``openvino-f32``, by what this CPU computes natively). The caller holds the folder's lock.
    """
    from models.embedder import load_sentence_transformer, resolve_model_path

    model = load_sentence_transformer(name)
    pooling = getattr(model[1], "pooling_mode", "") if len(model) > 1 else ""
    if pooling != "mean":
        raise ModelError(
            f'model "{name}" pools with "{pooling}", not mean; use backend = "torch" in [analysis]'
        )
    folder = export_folder(cache_dir, name)
    texts = calibration_texts()
    reference = np.asarray(model.encode(texts, normalize_embeddings=True, batch_size=32))
    # Made beside the folder and moved in whole: a study reading the shared cache meanwhile
    # sees the earlier export or this one, never half of it.
    with atomic_folder(folder) as staging:
        fp32, int8 = staging / "model.onnx", staging / "model-int8.onnx"
        _export_transformer(model, fp32)
        _quantize(fp32, int8)
        meta: dict[str, Any] = {
            "export_version": EXPORT_VERSION,
            "model": name,
            "dimension": int(reference.shape[1]),
            "max_seq_length": int(model.max_seq_length),
            "variants": [],
        }
        write_meta(staging, meta)  # the encoders read the dimension from it
        model_dir = resolve_model_path(name)
        for backend, path in (("onnx", fp32), ("onnx-int8", int8)):
            encoder = OnnxEncoder(path, model_dir)
            meta["variants"].append(_check(backend, path, encoder, texts, reference))
        write_meta(staging, meta)
    precision = openvino_precision()
    if precision is not None:
        return add_openvino_variant(name, folder, reference)
    return load_variants(folder)


def add_openvino_variant(
    name: str, folder: Path, reference: np.ndarray | None = None
) -> list[Variant]:
    """Check the fp32 export run by OpenVINO against torch and record it in ``meta.json``.

    Raises:
        ModelError: When openvino is not installed.
    """
    from models.embedder import load_sentence_transformer, resolve_model_path

    precision = openvino_precision()
    if precision is None:
        raise ModelError(
            'the "openvino" backend needs the openvino package; run `pip install openvino` '
            'or set [analysis] backend = "onnx-int8"'
        )
    texts = calibration_texts()
    if reference is None:
        model = load_sentence_transformer(name)
        reference = np.asarray(model.encode(texts, normalize_embeddings=True, batch_size=32))
    path = folder / "model.onnx"
    encoder = OpenVinoEncoder(path, resolve_model_path(name), precision=precision)
    checked = _check(f"openvino-{precision}", path, encoder, texts, reference)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    meta["variants"] = [v for v in meta["variants"] if not v["backend"].startswith("openvino")]
    meta["variants"].append(checked)
    write_meta(folder, meta)
    return load_variants(folder)


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Write ``meta.json`` whole or not at all: a study reading the shared cache without its lock
    (:func:`pipeline.embed.model_id_for`) never sees half a file."""
    write_text(folder / "meta.json", json.dumps(meta, indent=2))


def _check(
    backend: str, path: Path, encoder: Any, texts: list[str], reference: np.ndarray
) -> dict[str, Any]:
    """A variant's record: agreement with torch and batch drift (alone against batched)."""
    batched = encoder.encode(texts, 32)
    alone = np.vstack([encoder.encode([text], 1) for text in texts])
    cosines = (batched * reference).sum(axis=1)
    return {
        "backend": backend,
        "file": path.name,
        "agreement": round(float(cosines.mean()), 5),
        "min_agreement": round(float(cosines.min()), 5),
        "batch_drift": float(np.abs(batched - alone).max()),
    }


SPEED_REPEATS = 8  # copies of the texts one timing round embeds
SPEED_ROUNDS = 3


def measure_speeds(name: str, cache_dir: Path, texts: list[str] | None = None) -> dict[str, float]:
    """Texts a second of torch and of every exported variant on this machine, now.

    An opt-in measurement for bench/RESULTS.md (``python -m bench.variants``): it reads the
    export and writes nothing, and ``auto`` never looks at a timing.

    Args:
        name: The embedding model name.
        cache_dir: The model cache (exported first if needed).
        texts: What to embed (default: the calibration texts).
    """
    from models.embedder import load_sentence_transformer, resolve_model_path

    texts = texts or calibration_texts()
    choose_variant(name, cache_dir, "auto")
    model = load_sentence_transformer(name)
    speeds = {"torch": _speed(lambda t: model.encode(t, batch_size=32), texts)}
    for variant in load_variants(export_folder(cache_dir, name)):
        encoder: Any
        if variant.backend.startswith("openvino-"):
            precision = variant.backend.removeprefix("openvino-")
            encoder = OpenVinoEncoder(variant.path, resolve_model_path(name), precision=precision)
        else:
            encoder = OnnxEncoder(variant.path, resolve_model_path(name))
        speeds[variant.backend] = _speed(lambda t, e=encoder: e.encode(t, 32), texts)
    return speeds


def _speed(encode: Any, texts: list[str]) -> float:
    """Texts a second: the best of a few rounds (a round slowed by another process on a shared
    host says little about the encoder)."""
    encode(texts[:8])  # warm-up
    best = 0.0
    for _ in range(SPEED_ROUNDS):
        start = time.perf_counter()
        encode(texts * SPEED_REPEATS)
        best = max(best, SPEED_REPEATS * len(texts) / (time.perf_counter() - start))
    return round(best, 1)


def _export_transformer(model: Any, path: Path) -> None:
    import torch

    transformer = model[0].auto_model.eval()
    # Eager attention adds the mask to the scores; the default (sdpa) exports as a masked softmax
    # with an IsNaN/Where pass over every attention matrix, about a sixth of the run time here.
    before = getattr(transformer.config, "_attn_implementation", None)
    switch = bool(before) and hasattr(transformer, "set_attn_implementation")
    if switch:
        transformer.set_attn_implementation("eager")

    class _Keywords(torch.nn.Module):
        # transformers 5 changed the positional order of the inputs: pass them by name.
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = model.tokenizer(["a sample sentence", "another"], padding=True, return_tensors="pt")
    ids = sample["input_ids"]
    args = (ids, sample["attention_mask"], sample.get("token_type_ids", torch.zeros_like(ids)))
    axes = {0: "batch", 1: "tokens"}
    try:
        with torch.no_grad():
            torch.onnx.export(
                _Keywords(),
                args,
                str(path),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "last_hidden_state": axes,
                },
                opset_version=17,
                dynamo=False,
            )
    finally:
        if switch:
            transformer.set_attn_implementation(before)


def _quantize(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-channel weights: per-tensor QInt8 drifted to cosine ~0.97 on this model.
    quantize_dynamic(str(source), str(target), per_channel=True, weight_type=QuantType.QInt8)
    per_token_activations(target)


def per_token_activations(path: Path) -> int:
    """Give each token's activations their own int8 scale in a dynamically quantised model.

    Every ``DynamicQuantizeLinear`` (one scale and zero point for the whole tensor) is replaced by
    ops that compute, per row of its last axis, ``scale = max(|x|) / 127`` and quantise the row
    with ``QuantizeLinear`` along the rows (uint8, zero point 128; ``MatMulInteger`` takes the
    scalar zero point 128). The rows are those of ``x`` flattened to two dimensions and shaped
    back afterwards. One ``QuantizeLinear`` pass costs less than the divide, round, shift, clip and
    cast it replaces (about a quarter more documents per second here), with the same integers.
    The ``scale`` output keeps its name and has shape ``(..., 1)``; the ``Mul`` that rescales the
    integer product broadcasts it over the columns.

    Returns:
        How many quantisation nodes were replaced.
    """
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    constants: dict[str, np.ndarray] = {
        "per_token_eps": np.array(1e-8, np.float32),
        "per_token_127": np.array(127.0, np.float32),
        "per_token_rows": np.array([-1], np.int64),
        "per_token_zero_point": np.array(128, np.uint8),
    }
    graph.initializer.extend(numpy_helper.from_array(v, k) for k, v in constants.items())
    zero_128 = numpy_helper.from_array(np.array([128], np.uint8))
    nodes, replaced = [], 0
    for node in graph.node:
        if node.op_type != "DynamicQuantizeLinear":
            nodes.append(node)
            continue
        replaced += 1
        (x,), (quantized, scale, zero_point), p = node.input, node.output, f"{node.name}/per_token"
        ops: list[tuple[str, list[str], str, dict[str, Any]]] = [
            ("Abs", [x], f"{p}/abs", {}),
            ("ReduceMax", [f"{p}/abs"], f"{p}/max", {"axes": [-1], "keepdims": 1}),
            ("Max", [f"{p}/max", "per_token_eps"], f"{p}/max_eps", {}),
            ("Div", [f"{p}/max_eps", "per_token_127"], scale, {}),
            # QuantizeLinear takes one scale per row of a 2-D tensor, with a zero point as long.
            ("Reshape", [scale, "per_token_rows"], f"{p}/row_scale", {}),
            ("Shape", [f"{p}/row_scale"], f"{p}/row_count", {}),
            ("ConstantOfShape", [f"{p}/row_count"], f"{p}/row_zero_point", {"value": zero_128}),
            ("Shape", [x], f"{p}/shape", {}),
            ("Shape", [x], f"{p}/columns", {"start": -1}),
            ("Concat", ["per_token_rows", f"{p}/columns"], f"{p}/shape_2d", {"axis": 0}),
            ("Reshape", [x, f"{p}/shape_2d"], f"{p}/rows", {}),
            (
                "QuantizeLinear",
                [f"{p}/rows", f"{p}/row_scale", f"{p}/row_zero_point"],
                f"{p}/quantized_rows",
                {"axis": 0},
            ),
            ("Reshape", [f"{p}/quantized_rows", f"{p}/shape"], quantized, {}),
            ("Identity", ["per_token_zero_point"], zero_point, {}),
        ]
        nodes += [
            helper.make_node(op, inputs, [output], name=f"{output}/{op}", **attrs)
            for op, inputs, output, attrs in ops
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return replaced
