"""The analysis flow: an ordered list of stages, each a Prefect task over a ``pipeline`` function.

``STAGES`` is the order in which ``framewatch analyze`` runs them; a later stage (framing) is added by
appending a :class:`Stage`. Each stage is logged as its own ``runs`` row (``analyze:NAME``) with its
counts, model versions and seconds. Prefect runs in its local ephemeral mode: no server, no
telemetry.
"""

from __future__ import annotations

import functools
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Before Prefect is imported: no telemetry, no network, time for the local server on a slow machine.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import duckdb
import numpy as np
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from models.embedder import Embedder
from models.spacy_pipeline import Pipelines, load_pipelines
from pipeline import embed, frames, nlp, topics
from pipeline.config import Settings, load_settings
from pipeline.errors import ModelError
from pipeline.store import connect_stepping_writer, let_readers_in, record_run

# Stages whose work goes to the Dask workers with ``[analysis] dask``: the NLP batches and every
# transformer call (document vectors, sentence vectors, framing's sentences).
ON_DASK = frozenset({"nlp", "embed_documents", "embed_sentences", "frames"})
DASK_PIECE = 256  # most texts in one embedding task


@dataclass
class AnalysisContext:
    """What every stage gets: the database, the settings and lazily loaded models."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    run_ids: dict[str, str] = field(default_factory=dict)
    _embedder: Embedder | None = None
    _fanned: DaskEmbedder | None = None

    def embedder(self) -> Embedder:
        """The study's embedder, loaded on first use."""
        if self._embedder is None:
            self._embedder = embed.make_embedder(self.settings)
        return self._embedder

    def stage_embedder(self) -> Embedder | DaskEmbedder:
        """What the embedding stages embed with: the Dask workers when ``[analysis] dask`` is set
        (the study's embedder is still loaded here: it exports the model and names the vectors)."""
        if not self.settings.analysis.dask:
            return self.embedder()
        if self._fanned is None:
            self._fanned = DaskEmbedder(self.embedder(), self.settings)
        return self._fanned

    def model_id(self) -> str:
        """``embeddings.model`` of the study's embedder (loaded only when that needs an export)."""
        if self._embedder is not None:
            return self._embedder.model_id
        return embed.model_id_for(self.settings) or self.embedder().model_id


@dataclass(frozen=True)
class Stage:
    """One step of the analysis: a name and a function of the context returning counts."""

    name: str
    run: Callable[[AnalysisContext], dict[str, int]]


def _nlp(ctx: AnalysisContext) -> dict[str, int]:
    if ctx.settings.analysis.dask:
        return _nlp_on_dask(ctx)
    return nlp.analyse_documents(ctx.con, ctx.settings)


@functools.lru_cache(maxsize=2)
def _worker_pipelines(
    name: str, aliases: tuple[tuple[str, tuple[str, str | None]], ...], max_chars: int, ner: str
) -> Pipelines:
    # Loaded once per Dask worker process and reused for every batch it gets.
    return load_pipelines(name, dict(aliases), max_chars, ner)


def analyse_batch_on_worker(
    docs: list[nlp.DocumentInput],
    settings: Settings,
    aliases: tuple[tuple[str, tuple[str, str | None]], ...],
) -> nlp.BatchRows:
    """Analyse one batch of documents (runs on a Dask worker; writes nothing)."""
    analysis = settings.analysis
    pipelines = _worker_pipelines(
        settings.models.spacy, aliases, analysis.max_doc_chars, analysis.ner
    )
    return nlp.analyse_batch(docs, pipelines, settings)


# A separate name from the function: Dask pickles the function by reference.
nlp_batch_task = task(cache_policy=NO_CACHE, retries=1, task_run_name="nlp-batch")(
    analyse_batch_on_worker
)


def _nlp_on_dask(ctx: AnalysisContext) -> dict[str, int]:
    """The NLP stage fanned out: batches analysed on the Dask workers, written here in order."""
    aliases = nlp.sync_aliases(ctx.con, ctx.settings)
    frozen = tuple(sorted(aliases.items()))
    analysis = ctx.settings.analysis
    version = _worker_pipelines(
        ctx.settings.models.spacy, frozen, analysis.max_doc_chars, analysis.ner
    ).version
    pending = nlp.pending_documents(ctx.con, version)
    batches = [
        pending[i : i + nlp.BATCH_DOCUMENTS] for i in range(0, len(pending), nlp.BATCH_DOCUMENTS)
    ]
    counts: Counter[str] = Counter()
    window = 2 * ctx.settings.analysis.dask_workers  # batches in flight: bounded memory
    for start in range(0, len(batches), window):
        futures = [
            nlp_batch_task.submit(nlp.fetch_documents(ctx.con, ids), ctx.settings, frozen)
            for ids in batches[start : start + window]
        ]
        for future in futures:
            rows = future.result()
            nlp.write_rows(ctx.con, rows)
            counts.update(rows.counts)
            let_readers_in(ctx.con)
    counts["documents"] += 0
    return dict(counts)


@functools.lru_cache(maxsize=2)
def _worker_embedder(name: str, backend: str, batch_size: int, cache: str) -> Embedder:
    # Loaded once per Dask worker process (exporting the model there if its cache lacks it).
    return Embedder(name, backend=backend, batch_size=batch_size, cache_dir=Path(cache))


def embed_on_worker(
    texts: list[str], settings: Settings, backend: str, model_id: str
) -> np.ndarray:
    """Embed texts (runs on a Dask worker; writes nothing).

    Raises:
        ModelError: When this worker's embedder would give vectors of another ``model_id`` than
            the study's (another model variant, e.g. OpenVINO in float32 on a CPU without
            bfloat16): its vectors would be stored under a name they do not belong to.
    """
    analysis = settings.analysis
    embedder = _worker_embedder(
        settings.models.embedding, backend, analysis.batch_size, str(embed.model_cache(settings))
    )
    if embedder.model_id != model_id:
        raise ModelError(
            f"this Dask worker embeds with {embedder.model_id}, but the study's vectors are "
            f"{model_id}; run the workers on machines whose CPUs support the same variant, or "
            'set [analysis] backend = "onnx-int8" (the same on every x86 CPU)'
        )
    return embedder.embed(texts)


embed_batch_task = task(cache_policy=NO_CACHE, retries=1, task_run_name="embed-batch")(
    embed_on_worker
)


class DaskEmbedder:
    """Embeds on the Dask workers: the texts are cut into pieces of at most :data:`DASK_PIECE`,
    at least one per worker, and the vectors come back in order.

    A text's vector does not depend on the texts it is batched with, so the vectors equal those
    of one process. Tasks are submitted from the flow's thread (a Prefect requirement).
    """

    def __init__(self, local: Embedder, settings: Settings) -> None:
        self.model_id, self.dimension = local.model_id, local.dimension
        self._settings = settings
        # The family, not the variant: a worker picks its variant as the flow did, and a
        # different pick is refused rather than stored under this model_id.
        self._backend = "openvino" if local.backend.startswith("openvino") else local.backend
        self.embedded_on_workers = 0

    def submit(self, texts: list[str]) -> GatheredVectors:
        """Start embedding ``texts`` on the workers."""
        workers = max(self._settings.analysis.dask_workers, 1)
        size = max(1, min(DASK_PIECE, -(-len(texts) // workers)))
        futures = [
            embed_batch_task.submit(
                list(texts[i : i + size]), self._settings, self._backend, self.model_id
            )
            for i in range(0, len(texts), size)
        ]
        self.embedded_on_workers += len(texts)
        return GatheredVectors(futures, self.dimension)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` on the workers and wait for their vectors."""
        return self.submit(list(texts)).result()


@dataclass
class GatheredVectors:
    """The vectors of a :meth:`DaskEmbedder.submit`, in the order of its texts."""

    futures: list[Any]
    dimension: int

    def result(self) -> np.ndarray:
        """Wait for every piece and stack their vectors."""
        if not self.futures:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.concatenate([np.asarray(f.result(), dtype=np.float32) for f in self.futures])


def _on_workers(ctx: AnalysisContext, counts: dict[str, int]) -> dict[str, int]:
    """``counts`` with the texts the Dask workers embedded in this stage, when they did."""
    if ctx._fanned is not None:
        counts["embedded_on_workers"] = ctx._fanned.embedded_on_workers
        ctx._fanned.embedded_on_workers = 0
    return counts


def _embed_documents(ctx: AnalysisContext) -> dict[str, int]:
    counts = embed.embed_documents(ctx.con, ctx.settings, ctx.stage_embedder, ctx.model_id())
    return _on_workers(ctx, counts)


def _topics(ctx: AnalysisContext) -> dict[str, int]:
    return topics.assign_topics(ctx.con, ctx.settings, ctx.model_id(), ctx.run_ids.get("topics"))


def _embed_sentences(ctx: AnalysisContext) -> dict[str, int]:
    if not ctx.settings.analysis.sentence_embeddings:
        return {"embedded": 0, "cached": 0}
    counts = embed.embed_sentences(ctx.con, ctx.stage_embedder, ctx.model_id())
    return _on_workers(ctx, counts)


def _frames(ctx: AnalysisContext) -> dict[str, int]:
    embedder = ctx.stage_embedder()
    detector = frames.load_detector(ctx.settings, embedder=embedder)
    screen = frames.prepare_screen(ctx.con, ctx.settings, detector)
    counts = frames.frame_sentences(
        ctx.con,
        detector,
        run_id=ctx.run_ids.get("frames"),
        screen=screen,
        embed_async=embedder.submit if isinstance(embedder, DaskEmbedder) else None,
    )
    result = _on_workers(ctx, asdict(counts))
    if screen is not None:
        # the screen's record on its sample, in thousandths (runs.counts holds integers)
        result["screen_recall_permille"] = round(1000 * screen.fit.recall)
        result["screen_pass_permille"] = round(1000 * screen.fit.pass_rate)
    return result


STAGES: list[Stage] = [
    Stage("nlp", _nlp),
    Stage("embed_documents", _embed_documents),
    Stage("topics", _topics),
    Stage("embed_sentences", _embed_sentences),
    Stage("frames", _frames),
]


@dataclass(frozen=True)
class StageResult:
    """What one stage did."""

    name: str
    counts: dict[str, int]
    seconds: float
    run_id: str


@task(cache_policy=NO_CACHE, task_run_name="analyze:{stage.name}")
def run_stage(stage: Stage, ctx: AnalysisContext) -> StageResult:
    """Run one stage and record it as a ``runs`` row."""
    start = time.perf_counter()
    with record_run(ctx.con, f"analyze:{stage.name}", {"stage": stage.name}) as run:
        ctx.run_ids[stage.name] = run.run_id
        counts = stage.run(ctx)
        run.counts.update(counts)
        run.versions.update(_versions(ctx))
    return StageResult(stage.name, counts, round(time.perf_counter() - start, 2), run.run_id)


def _versions(ctx: AnalysisContext) -> dict[str, str]:
    versions = {"spacy_model": ctx.settings.models.spacy}
    if ctx._embedder is not None:
        versions["embedding_model"] = ctx._embedder.model_id
        versions["embedding_agreement"] = f"{ctx._embedder.agreement:.4f}"
    return versions


def dask_task_runner(settings: Settings) -> Any:
    """prefect-dask's task runner for ``[analysis] dask``: a LocalCluster or a running scheduler."""
    from prefect_dask.task_runners import DaskTaskRunner

    if settings.analysis.dask == "local":
        return DaskTaskRunner(
            cluster_class="distributed.LocalCluster",
            cluster_kwargs={
                "n_workers": settings.analysis.dask_workers,
                "threads_per_worker": 1,
                "processes": True,
            },
        )
    return DaskTaskRunner(address=settings.analysis.dask)


def run_analysis(study_file: str, only: list[str] | None = None) -> list[StageResult]:
    """Run the analyze flow, on Dask when ``[analysis] dask`` asks for it (what the CLI and weekly call)."""
    settings = load_settings(Path(study_file))
    chosen = analyze_flow
    if settings.analysis.dask:
        chosen = analyze_flow.with_options(task_runner=dask_task_runner(settings))
    return chosen(study_file, only)


@flow(name="framewatch-analyze", log_prints=True, validate_parameters=False)
def analyze_flow(study_file: str, only: list[str] | None = None) -> list[StageResult]:
    """Run the analysis stages in order over the study database.

    Args:
        study_file: Path of the study's ``study.toml``.
        only: Names of the stages to run (default: all, in order).
    """
    settings = load_settings(Path(study_file))
    # Between batches, framewatch readers that wait for the file are let in (see SteppingWriter).
    con = connect_stepping_writer(settings.database_path)
    try:
        return run_stages(con, settings, only, runner=run_stage)
    finally:
        con.close()


def run_stages(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    only: list[str] | None = None,
    runner: Any = None,
) -> list[StageResult]:
    """Run the stages in order, with Prefect's task (in a flow) or directly (benchmarks, tests)."""
    ctx = AnalysisContext(con, settings)
    chosen = [s for s in STAGES if only is None or s.name in only]
    call = runner or run_stage.fn
    # The Dask fan-out submits its batch tasks from the flow itself: a task submitted from inside
    # another task would carry that task's parameters (the open database) to the workers.
    results: list[StageResult] = []
    for stage in chosen:
        if results:  # between stages (after the last one the flow closes the file anyway)
            let_readers_in(ctx.con)
        on_dask = stage.name in ON_DASK and settings.analysis.dask
        results.append(run_stage.fn(stage, ctx) if on_dask else call(stage, ctx))
    return results
