"""The ``framewatch frames`` commands: check, classify, train and evaluate codebooks."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from itertools import islice
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import numpy as np
import typer

from flows.app import StudyOption, app, console, err_console, reports_errors, study_settings
from models.classifier import (
    classifier_paths,
    cross_validate,
    label_matrix,
    save_classifier,
    train_classifier,
)
from models.codebook import Codebook, load_codebook
from models.evaluation import (
    MIN_FRAME_EXAMPLES,
    LabelledSet,
    SentenceLine,
    check_trainable,
    evaluate,
    format_report,
    frames_short_of_examples,
    read_labels,
    read_sentences,
)
from pipeline.config import Settings, find_study_file, load_settings
from pipeline.errors import FramewatchError, InputFileError, UsageError
from pipeline.frames import classifier_folder, load_detector
from pipeline.outputs import check_classifier_targets, study_places

frames_app = typer.Typer(
    help=(
        "Codebooks and frame detection: check a codebook, code text, train and evaluate.\n\n"
        "[bold]Example:[/bold] framewatch frames classify --codebook ai_distillation -"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(frames_app, name="frames")

CodebookOption = Annotated[
    str | None,
    typer.Option(
        "--codebook",
        "-c",
        help="Codebook id (ai_distillation, policy_frames) or a .yaml file. "
        "Default: the study's [models] codebook, else ai_distillation.",
        show_default=False,
    ),
]
LabelsOption = Annotated[
    Path, typer.Option("--labels", "-l", help="CSV with columns text and labels (ids split by ;).")
]
EmbeddingsOnlyOption = Annotated[
    bool,
    typer.Option(
        "--embeddings-only",
        help="Train on the sentence embeddings alone, without word and character n-grams.",
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help=f"Train on fewer than {MIN_FRAME_EXAMPLES} texts per frame, or replace a stored "
        "classifier trained on more texts.",
    ),
]
CLASSIFY_BATCH = 512  # lines embedded and scored at a time
MAX_PROBLEMS_SHOWN = 20


def _optional_settings(study: Path | None) -> Settings | None:
    """The study's settings, or None when there is no study here (and none was named)."""
    if study is not None:
        return study_settings(study)
    try:
        return load_settings(find_study_file(None))
    except FramewatchError:
        return None


def _codebook(ref: str | None, settings: Settings | None) -> Codebook:
    if ref is not None:
        return load_codebook(ref, Path.cwd())
    if settings is not None:
        return load_codebook(settings.models.codebook, settings.root)
    return load_codebook("ai_distillation")


def _embedder(settings: Settings | None) -> Any:
    """The study's embedder, with the backend its analysis uses (a classifier trained on other
    vectors would be refused by the framing stage); a new study's outside a study."""
    if settings is not None:
        from pipeline.embed import make_embedder

        return make_embedder(settings)
    from pipeline.embed import new_study_embedder

    return new_study_embedder()


@frames_app.command()
@reports_errors
def check(
    codebook: Annotated[str, typer.Argument(help="Codebook id or path to a .yaml codebook file.")],
) -> None:
    """Validate a codebook file and summarise its frames.

    Errors name the file, the line and the fix.

    [bold]Example:[/bold] framewatch frames check my_codebook.yaml
    """
    from models.codebook import CodebookError
    from models.subject import example_problems

    book = load_codebook(codebook, Path.cwd())
    if book.subject is not None and (wrong := example_problems(book.subject)):
        raise CodebookError(
            f"{book.source}: subject: {'; '.join(wrong[:3])}; add terms, pairs or context words "
            "that tell them apart"
        )
    console.print(f"[bold]{book.ref}[/bold]: {len(book.frames)} frames, OK")
    if book.subject is not None:
        console.print(
            f"  subject: {len(book.subject.terms)} terms, {len(book.subject.pairs)} pairs, "
            f"{len(book.subject.context)} context words; its {len(book.subject.on_examples)} on- "
            f"and {len(book.subject.off_examples)} off-subject examples pass",
            highlight=False,
        )
    else:
        console.print("  no subject: every sentence is framed", highlight=False)
    if book.examples:
        console.print(f"  {len(book.examples)} labelled examples", highlight=False)
    for frame in book.frames:
        console.print(
            f"  {frame.id:<22} {len(frame.prototypes):>3} prototypes  {len(frame.cues):>3} cues"
            f"  {len(frame.counter_cues):>3} counter-cues  {frame.label}",
            highlight=False,
        )


@frames_app.command()
@reports_errors
def classify(
    file: Annotated[
        str, typer.Argument(help="Text file, one sentence per line; - for stdin.")
    ] = "-",
    codebook: CodebookOption = None,
    study: StudyOption = None,
) -> None:
    """Code arbitrary text: one JSON line per input line with every frame's score.

    Each line holds the input line number, the text, the score of every frame, the frames
    detected, the frames the text rebuts, the top frame (or null) and the model (as
    frame_mentions.model records it: the same sentence, codebook version and model get the same
    scores in analyze). Each line is taken to be on the codebook's subject: analyze decides that
    per document (subject_documents), classify scores what it is given. Blank lines are skipped; a
    line over 10,000 characters or not in UTF-8 is skipped and reported on stderr. An empty input
    prints nothing and says so on stderr (exit status 0). Uses the study's trained classifier when
    it has one.

    [bold]Example:[/bold] echo "They stole our model" | framewatch frames classify --codebook ai_distillation -
    """
    settings = _optional_settings(study)
    book = _codebook(codebook, settings)
    skipped: list[SentenceLine] = []
    detector = None
    classified = 0
    with _open_binary(file) as stream:
        lines = _sentences_noting_skipped(read_sentences(stream, file), skipped)
        while batch := list(islice(lines, CLASSIFY_BATCH)):
            if detector is None:
                detector = _detector(book, settings)
            _write_scores(detector, batch)
            classified += len(batch)
    _report_skipped(file, skipped, classified)


def _sentences_noting_skipped(
    lines: Iterator[SentenceLine], skipped: list[SentenceLine]
) -> Iterator[SentenceLine]:
    for line in lines:
        if line.problem:
            skipped.append(line)
        else:
            yield line


def _report_skipped(file: str, skipped: list[SentenceLine], classified: int) -> None:
    """Say which lines were skipped; refuse an input whose every line was."""
    name = "stdin" if file == "-" else file
    if not classified and skipped:
        more = f" (and {len(skipped) - 1:,} more lines)" if len(skipped) > 1 else ""
        raise InputFileError(
            f"{name}: nothing to classify: line {skipped[0].line} is {skipped[0].problem}{more}"
        )
    if not classified:
        err_console.print(f"{name}: no sentences to classify (the input is empty or blank)")
        return
    for line in skipped[:MAX_PROBLEMS_SHOWN]:
        err_console.print(
            f"Warning: {name}:{line.line}: skipped, {line.problem}",
            style="yellow",
            markup=False,
            highlight=False,
        )
    if len(skipped) > MAX_PROBLEMS_SHOWN:
        err_console.print(
            f"Warning: … and {len(skipped) - MAX_PROBLEMS_SHOWN:,} more lines skipped"
        )


def _write_scores(detector: Any, batch: list[SentenceLine]) -> None:
    """One JSON line per sentence of a batch."""
    texts = [line.text for line in batch]
    scores = detector.score(texts, detector.embedder.embed(texts))
    for row, (number, text, _) in enumerate(batch):
        record = {
            "line": number,
            "text": text,
            "scores": {
                f: round(float(p), 4)
                for f, p in zip(scores.frame_ids, scores.probs[row], strict=True)
            },
            "frames": [
                f for f, hit in zip(scores.frame_ids, scores.detected[row], strict=True) if hit
            ],
            "rebutted": [
                f for f, hit in zip(scores.frame_ids, scores.rebutted[row], strict=True) if hit
            ],
            "top": scores.top(row),
            # The detector and embedding variant, as frame_mentions.model records them.
            "model": detector.model_id,
        }
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


def _open_binary(file: str) -> AbstractContextManager[BinaryIO]:
    """The input's bytes: a file, or stdin for ``-`` (read line by line, with bounds)."""
    if file == "-":
        return nullcontext(sys.stdin.buffer)
    path = Path(file)
    if path.is_dir():
        raise InputFileError(f"{path}: a folder; give a text file with one sentence per line")
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read it ({exc.strerror})") from exc


def _detector(book: Codebook, settings: Settings | None) -> Any:
    from models.cues import load_spacy
    from models.detector import build_detector
    from pipeline.embed import detector_cache

    embedder = _embedder(settings)
    if settings is not None:
        return load_detector(settings, codebook=book, embedder=embedder)
    return build_detector(book, embedder, load_spacy(), cache=detector_cache(None))


@frames_app.command()
@reports_errors
def train(
    labels: LabelsOption,
    codebook: CodebookOption = None,
    embeddings_only: EmbeddingsOnlyOption = False,
    force: ForceOption = False,
    study: StudyOption = None,
) -> None:
    """Train a classifier on labelled sentences and store it beside the study's codebook.

    The classifier reads each sentence's embedding and its word and character n-grams
    (--embeddings-only: the embedding alone). Texts with one frame each train a single-label
    classifier; texts with several, a multi-label one. Detection (framewatch analyze, frames classify) then uses it for that codebook version.

    It needs at least 3 texts of each frame it learns, and refuses (unless --force) fewer than 20
    texts of any of the codebook's frames, too few to beat the untrained detector, or fewer texts
    than the stored classifier was trained on.

    [bold]Example:[/bold] framewatch frames train --codebook ai_distillation --labels coded.csv
    """
    settings = study_settings(study)
    book = _codebook(codebook, settings)
    weights, info = classifier_paths(classifier_folder(settings), book.id, book.version)
    check_classifier_targets(study_places(settings), weights, info)
    labelled = read_labels(labels, book.frame_ids)
    check_trainable(labelled, labels)
    for concern in _training_concerns(labelled, book, labels, info):
        if not force:
            raise UsageError(f"{concern}; or pass --force to train anyway")
        err_console.print(f"Warning: {concern}", style="yellow", markup=False, highlight=False)
    embedder = _embedder(settings)
    model = train_classifier(
        embedder.embed(labelled.texts),
        labelled.labels,
        book.frame_ids,
        single_label=labelled.single_label,
        codebook_ref=book.ref,
        embedding_model=embedder.model_id,
        texts=labelled.texts,
        lexical=not embeddings_only,
    )
    save_classifier(model, weights, info)
    mode = "single-label" if model.single_label else "multi-label"
    console.print(
        f"Trained a {mode} classifier on {len(labelled.texts)} texts: [bold]{model.model_id}[/bold]"
    )
    console.print(f"Stored in {weights}", highlight=False)


def _training_concerns(
    labelled: LabelledSet, book: Codebook, labels: Path, info: Path
) -> list[str]:
    """Why the classifier to train may do worse than the detector it replaces."""
    concerns = []
    stored = _stored_texts(info)
    if stored is not None and stored > len(labelled.texts):
        concerns.append(
            f"the stored classifier for {book.ref} was trained on {stored:,} texts, this set has "
            f"{len(labelled.texts):,}; train on a set at least as large"
        )
    short = frames_short_of_examples(labelled, book.frame_ids)
    if short:
        listed = ", ".join(f"{frame} {n}" for frame, n in short.items())
        concerns.append(
            f"{labels}: too few texts per frame to beat the untrained detector ({listed}); "
            f"label at least {MIN_FRAME_EXAMPLES} texts of every frame"
        )
    return concerns


def _stored_texts(info: Path) -> int | None:
    """How many texts the stored classifier was trained on; None without one (or unreadable)."""
    try:
        with info.open("rb") as handle:
            document = json.loads(handle.read(1024 * 1024))
        return int(document["texts"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@frames_app.command("evaluate")
@reports_errors
def evaluate_(
    labels: LabelsOption,
    codebook: CodebookOption = None,
    cv: Annotated[
        int, typer.Option(help="Cross-validate training on the labels with this many folds.")
    ] = 0,
    train_file: Annotated[
        Path | None,
        typer.Option("--train", help="Train on this labels file, evaluate on --labels."),
    ] = None,
    embeddings_only: EmbeddingsOnlyOption = False,
    study: StudyOption = None,
) -> None:
    """Per-frame precision, recall and F1, macro-F1 and a confusion table.

    Without --cv or --train, evaluates the detector as it stands (the study's trained classifier,
    else prototypes and cues) on the labels file.

    [bold]Example:[/bold] framewatch frames evaluate --labels coded.csv --cv 5
    """
    if cv and train_file is not None:
        raise UsageError("use either --cv K or --train FILE, not both")
    if cv == 1 or cv < 0:
        raise UsageError("--cv needs at least 2 folds, e.g. --cv 5")
    if embeddings_only and not (cv or train_file):
        raise UsageError("--embeddings-only applies to training: add --cv K or --train FILE")
    settings = _optional_settings(study)
    book = _codebook(codebook, settings)
    labelled = read_labels(labels, book.frame_ids)
    if cv:
        check_trainable(labelled, labels)
    gold = label_matrix(labelled.labels, book.frame_ids)
    predicted, proba = _predictions(book, settings, labelled, cv, train_file, not embeddings_only)
    report = evaluate(book.frame_ids, gold, predicted, proba)
    for line in format_report(report):
        console.print(line, highlight=False, markup=False)


def _predictions(
    book: Codebook,
    settings: Settings | None,
    labelled: LabelledSet,
    cv: int,
    train_file: Path | None,
    lexical: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Predictions to evaluate: cross-validated, from a model trained on --train, or as stands."""
    if cv:
        vectors = _embedder(settings).embed(labelled.texts)
        return cross_validate(
            vectors,
            labelled.labels,
            book.frame_ids,
            folds=cv,
            single_label=labelled.single_label,
            texts=labelled.texts,
            lexical=lexical,
        )
    if train_file is not None:
        training = read_labels(train_file, book.frame_ids)
        check_trainable(training, train_file)
        embedder = _embedder(settings)
        model = train_classifier(
            embedder.embed(training.texts),
            training.labels,
            book.frame_ids,
            single_label=training.single_label,
            codebook_ref=book.ref,
            embedding_model=embedder.model_id,
            texts=training.texts,
            lexical=lexical,
        )
        from models.classifier import decide

        proba = model.predict_proba(embedder.embed(labelled.texts), labelled.texts)
        return decide(proba, model.thresholds, model.single_label), proba
    detector = _detector(book, settings)
    scores = detector.score(labelled.texts, detector.embedder.embed(labelled.texts))
    return scores.detected, scores.probs
