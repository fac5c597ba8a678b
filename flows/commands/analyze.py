"""The ``framewatch analyze`` command: the analysis flow over the study database."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from flows.app import StudyOption, app, console, reports_errors, study_settings
from pipeline.errors import UsageError


@app.command()
@reports_errors
def analyze(
    stage: Annotated[
        list[str] | None,
        typer.Option(
            "--stage",
            help="Run only this stage (repeatable): nlp, embed_documents, topics, embed_sentences.",
        ),
    ] = None,
    study: StudyOption = None,
) -> None:
    """Split documents into sentences, find speakers and entities, embed, and assign topics.

    Only new or changed documents are processed: a second run with nothing new does no work. Each
    stage is logged in the runs table (see `framewatch status`).

    [bold]Example:[/bold] framewatch analyze

    [bold]Example:[/bold] framewatch analyze --stage nlp --stage embed_documents
    """
    settings = study_settings(study)
    from flows.analyze import STAGES, run_analysis

    names = [s.name for s in STAGES]
    unknown = [s for s in stage or [] if s not in names]
    if unknown:
        raise UsageError(f'unknown stage "{unknown[0]}"; use one of: {", ".join(names)}')
    with console.status("Analysing (the first run loads the models and may take minutes)…"):
        results = run_analysis(str(settings.source), stage or None)
    table = Table("stage", "seconds", "counts", title="framewatch analyze")
    for result in results:
        counts = ", ".join(f"{k} {v:,}" for k, v in sorted(result.counts.items()))
        table.add_row(result.name, f"{result.seconds:.1f}", counts)
    console.print(table)
