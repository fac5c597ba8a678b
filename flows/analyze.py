"""The analysis flow: an ordered list of stages, each a Prefect task over a ``pipeline`` function.

``STAGES`` is the order in which ``framewatch analyze`` runs them; a later stage (framing) is added by
appending a :class:`Stage`. Each stage is logged as its own ``runs`` row (``analyze:NAME``) with its
counts, model versions and seconds. Prefect runs in its local ephemeral mode: no server, no
telemetry.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Before Prefect is imported: no telemetry, no network, time for the local server on a slow machine.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import duckdb
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from models.embedder import Embedder
from pipeline import embed, nlp, topics
from pipeline.config import Settings, load_settings
from pipeline.store import connect, record_run


@dataclass
class AnalysisContext:
    """What every stage gets: the database, the settings and lazily loaded models."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    run_ids: dict[str, str] = field(default_factory=dict)
    _embedder: Embedder | None = None

    def embedder(self) -> Embedder:
        """The study's embedder, loaded on first use."""
        if self._embedder is None:
            self._embedder = embed.make_embedder(self.settings)
        return self._embedder

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
    return nlp.analyse_documents(ctx.con, ctx.settings)


def _embed_documents(ctx: AnalysisContext) -> dict[str, int]:
    return embed.embed_documents(ctx.con, ctx.settings, ctx.embedder, ctx.model_id())


def _topics(ctx: AnalysisContext) -> dict[str, int]:
    return topics.assign_topics(ctx.con, ctx.settings, ctx.model_id(), ctx.run_ids.get("topics"))


def _embed_sentences(ctx: AnalysisContext) -> dict[str, int]:
    if not ctx.settings.analysis.sentence_embeddings:
        return {"embedded": 0, "cached": 0}
    return embed.embed_sentences(ctx.con, ctx.embedder, ctx.model_id())


STAGES: list[Stage] = [
    Stage("nlp", _nlp),
    Stage("embed_documents", _embed_documents),
    Stage("topics", _topics),
    Stage("embed_sentences", _embed_sentences),
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


@flow(name="framewatch-analyze", log_prints=True, validate_parameters=False)
def analyze_flow(study_file: str, only: list[str] | None = None) -> list[StageResult]:
    """Run the analysis stages in order over the study database.

    Args:
        study_file: Path of the study's ``study.toml``.
        only: Names of the stages to run (default: all, in order).
    """
    settings = load_settings(Path(study_file))
    con = connect(settings.database_path)
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
    return [call(stage, ctx) for stage in chosen]
