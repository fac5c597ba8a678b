"""Codebooks: versioned YAML files that define the frames of a study.

A codebook names its frames and, for each, a definition, cue phrases (matched on lemmas), counter-cues
(phrases that rebut the frame), prototype sentences and the actors it usually concerns. The shipped
codebooks live in ``models/codebooks/``; a study can point ``[models] codebook`` at its own file.
Errors name the file, the line and the fix, in the manner of ``study.toml`` errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.subject import Subject
from pipeline.errors import ModelError

CODEBOOK_DIR = Path(__file__).parent / "codebooks"
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
MIN_PROTOTYPES = 3


class CodebookError(ModelError):
    """A codebook file is missing, is not valid YAML, or breaks the codebook schema."""


class _Lined(dict[str, Any]):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader whose mappings are :class:`_Lined`."""


def _construct_lined(loader: _LineLoader, node: yaml.MappingNode) -> Any:
    data = _Lined()
    data.line = node.start_mark.line + 1
    data.key_lines = {
        str(key.value): key.start_mark.line + 1
        for key, _ in node.value
        if isinstance(key, yaml.ScalarNode)
    }
    yield data
    data.update({str(k): v for k, v in loader.construct_mapping(node, deep=True).items()})


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_lined)


class Frame(BaseModel):
    """One frame of a codebook."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    label: str
    definition: str
    prototypes: tuple[str, ...]
    cues: tuple[str, ...] = ()
    patterns: tuple[tuple[dict[str, Any], ...], ...] = ()
    counter_cues: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()


class Example(BaseModel):
    """A labelled training sentence written for the codebook: its frames (none = empty)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    labels: tuple[str, ...]
    text: str


class Codebook(BaseModel):
    """A versioned set of frames.

    Attributes:
        id: Short name, e.g. ``ai_distillation``.
        version: Version string; bump it whenever frames, cues or prototypes change.
        rejections: Phrases that rebut whatever frame a sentence's cues name ("misunderstands").
        background: Frame-free sentences on the same subject, used to calibrate the detector.
        actors: Canonical actor name → the names that refer to it in text.
        cue_weight: Log-odds added to a frame's score when one of its cues matches (trained
            classifiers only: the codebook's own detector learns each cue's weight).
        subject: What the story is about; text off the subject is never framed. None frames
            everything (a generic codebook).
        examples: Labelled sentences written for the codebook (a TSV file named in the YAML),
            which the detector learns from beside the prototypes and background sentences.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    version: str
    description: str = ""
    frames: tuple[Frame, ...] = Field(min_length=2)
    background: tuple[str, ...] = ()
    rejections: tuple[str, ...] = ()
    actors: dict[str, tuple[str, ...]] = {}
    cue_weight: float = 1.0
    subject: Subject | None = None
    examples: tuple[Example, ...] = ()
    source: str = ""

    @property
    def ref(self) -> str:
        """Versioned resource name, e.g. ``codebook.ai_distillation.v1``."""
        return f"codebook.{self.id}.v{self.version}"

    @property
    def frame_ids(self) -> list[str]:
        """The frame ids in codebook order."""
        return [frame.id for frame in self.frames]


@dataclass(frozen=True)
class _Problem:
    line: int
    where: str
    message: str


def resolve_codebook_path(ref: str, root: Path | None = None) -> Path:
    """Find a codebook: a path to a YAML file (relative to ``root``) or a shipped codebook id.

    Raises:
        CodebookError: When neither exists.
    """
    candidate = Path(ref).expanduser()
    if root is not None and not candidate.is_absolute():
        candidate = root / candidate
    if candidate.suffix in {".yaml", ".yml"} or candidate.is_file():
        if not candidate.is_file():
            raise CodebookError(f"{candidate}: no such codebook file; check [models] codebook")
        return candidate
    shipped = CODEBOOK_DIR / f"{ref}.yaml"
    if shipped.is_file():
        return shipped
    known = ", ".join(list_codebooks())
    raise CodebookError(
        f'unknown codebook "{ref}"; use one of {known} or a path to a .yaml codebook file'
    )


def list_codebooks() -> list[str]:
    """Ids of the codebooks shipped with framewatch."""
    return sorted(path.stem for path in CODEBOOK_DIR.glob("*.yaml"))


def load_codebook(ref: str, root: Path | None = None) -> Codebook:
    """Load and validate a codebook.

    Args:
        ref: A shipped codebook id (``ai_distillation``) or a path to a YAML file.
        root: Folder that relative paths are resolved against (the study folder).

    Raises:
        CodebookError: With ``FILE:LINE: where: what; fix`` for the first problems found.
    """
    from models.codebook_checks import codebook_problems, read_codebook_text

    path = resolve_codebook_path(ref, root)
    try:
        raw = yaml.load(read_codebook_text(path), Loader=_LineLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CodebookError(
            f"{path}:{line}: not valid YAML ({problem}); check the indentation and quote "
            "text that contains a colon"
        ) from exc
    if not isinstance(raw, _Lined):
        raise CodebookError(f"{path}:1: a codebook is a mapping with id, version and frames")
    if isinstance(raw.get("examples"), str):
        raw["examples"] = read_examples(path.parent / raw["examples"], path, raw)
    problems = _schema_problems(raw) or _semantic_problems(raw) or codebook_problems(raw)
    if problems:
        lines = [f"{path}:{p.line}: {p.where}: {p.message}" for p in problems[:5]]
        raise CodebookError("; ".join(lines))
    return Codebook.model_validate({**raw, "source": str(path)})


MAX_EXAMPLES_BYTES = 20_000_000


def read_examples(file: Path, codebook_path: Path, raw: _Lined) -> list[dict[str, Any]]:
    """Read a codebook's examples file: ``labels<TAB>sentence`` rows under a header.

    Labels are frame ids joined by ``;``, or ``none``.

    Raises:
        CodebookError: When the file is missing, too large, not UTF-8, or a row is malformed or
            names a frame the codebook lacks (with its line).
    """
    where = f"{codebook_path}:{raw.key_lines.get('examples', raw.line)}: examples"
    try:
        if file.stat().st_size > MAX_EXAMPLES_BYTES:
            raise CodebookError(f"{where}: {file} is over 20 MB; keep examples to sentences")
        lines = file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise CodebookError(f"{where}: {file} does not exist; write it or remove the key") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(f"{where}: cannot read {file} as UTF-8 text ({exc})") from exc
    frames = raw.get("frames")
    known = (
        {str(f.get("id")) for f in frames if isinstance(f, dict)}
        if isinstance(frames, list)
        else set()
    )
    examples = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        labels, tab, text = line.partition("\t")
        ids = [] if labels.strip() in {"", "none"} else [x.strip() for x in labels.split(";")]
        unknown = sorted(set(ids) - known)
        if not tab or not text.strip() or unknown:
            problem = (
                f"frame {unknown[0]} is not in the codebook"
                if unknown
                else ("write labels<TAB>sentence")
            )
            raise CodebookError(f"{file}:{number}: {problem}")
        examples.append({"labels": tuple(ids), "text": text.strip()})
    return examples


def _schema_problems(raw: _Lined) -> list[_Problem]:
    try:
        Codebook.model_validate(dict(raw))
    except ValidationError as exc:
        errors = exc.errors()
        locs = [tuple(error["loc"]) for error in errors]
        # An error on a list because one of its items failed repeats the item's error: drop it.
        return [
            _schema_problem(raw, error)
            for error, loc in zip(errors, locs, strict=True)
            if not any(other[: len(loc)] == loc and other != loc for other in locs)
        ]
    return []


def _schema_problem(raw: _Lined, error: Any) -> _Problem:
    loc = tuple(error["loc"])
    line: int = raw.line
    node: Any = raw
    for part in loc:
        if isinstance(node, _Lined) and isinstance(part, str):
            line = node.key_lines.get(part, node.line)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = node.line if isinstance(node, _Lined) else line
        else:
            break
    where = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in loc).replace(".[", "[")
    message = error["msg"]
    if error["type"] == "missing":
        message = f"{where.rsplit('.', 1)[-1]} is missing; add it"
    elif error["type"] == "extra_forbidden":
        message = "unknown key; remove it or check its spelling"
    return _Problem(line, where or "codebook", message)


def _semantic_problems(raw: _Lined) -> list[_Problem]:
    problems: list[_Problem] = []
    if not _ID.match(str(raw["id"])):
        problems.append(_Problem(raw.key_lines["id"], "id", "use lower-case letters, digits, _"))
    seen: set[str] = set()
    actors = set((raw.get("actors") or {}).keys())
    for index, frame in enumerate(raw["frames"]):
        where, line = f"frames[{index}]", frame.line
        frame_id = str(frame["id"])
        if not _ID.match(frame_id):
            problems.append(_Problem(line, where, f'frame id "{frame_id}": use a-z, 0-9 and _'))
        if frame_id in seen:
            problems.append(_Problem(line, where, f'frame id "{frame_id}" appears twice'))
        seen.add(frame_id)
        if len(frame["prototypes"]) < MIN_PROTOTYPES:
            problems.append(
                _Problem(
                    frame.key_lines["prototypes"],
                    f"{where}.prototypes",
                    f"frame {frame_id} has {len(frame['prototypes'])} prototype sentences; "
                    f"write at least {MIN_PROTOTYPES}",
                )
            )
        for actor in frame.get("actors") or ():
            if actors and actor not in actors:
                problems.append(
                    _Problem(
                        frame.key_lines["actors"],
                        f"{where}.actors",
                        f'actor "{actor}" is not in the codebook\'s actors; add it there',
                    )
                )
    return problems
