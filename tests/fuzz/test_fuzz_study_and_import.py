"""Property-based tests: the study-file loader and the corpus importer never fail in an undocumented way.

Each runs 1,000 examples: any input either loads or raises the documented error (StudyError,
InputFileError), and an import accounts for every row it read (stored, already stored or skipped).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import tomli_w
from hypothesis import example, given
from hypothesis import strategies as st

from pipeline.config import load_settings
from pipeline.errors import InputFileError, StudyError
from pipeline.importer import import_file, resolve_mapping
from pipeline.store import connect, scalar
from tests.fuzz import FUZZ

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=8,
)
KEYS = {
    "study": ["name", "database", "data_dir", "languages", "timezone", "colour"],
    "filters": ["keywords", "start_date", "end_date"],
    "reddit": ["base_url", "subreddits", "threads", "listing", "searches"],
    "models": ["embedding", "spacy", "codebook"],
    "schedule": ["weekly", "crawl", "timezone"],
}
outlet_keys = [
    "name",
    "kind",
    "homepage",
    "feeds",
    "sitemaps",
    "start_urls",
    "allow",
    "deny",
    "depth",
    "x",
]


def _toml_safe(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return [_toml_safe(v) for v in value if v is not None]
    if isinstance(value, dict):
        return {k: _toml_safe(v) for k, v in value.items()}
    return value


@st.composite
def study_documents(draw: st.DrawFn) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for section, keys in KEYS.items():
        if draw(st.booleans()):
            chosen = draw(st.lists(st.sampled_from(keys), max_size=4, unique=True))
            document[section] = {k: _toml_safe(draw(values)) for k in chosen}
    if draw(st.booleans()):
        document["study"] = {**document.get("study", {}), "name": draw(st.text(max_size=12))}
    outlets = draw(
        st.lists(
            st.dictionaries(st.sampled_from(outlet_keys), values.map(_toml_safe), max_size=5),
            max_size=3,
        )
    )
    if outlets:
        document["outlets"] = outlets
    return document


@FUZZ
@given(document=study_documents())
@example(document={"study": {"languages": ["\n"], "name": "0"}})  # a value with a newline
def test_structured_study_files(tmp_path: Path, document: dict[str, Any]) -> None:
    path = tmp_path / "study.toml"
    path.write_text(tomli_w.dumps(document), encoding="utf-8")
    try:
        loaded = load_settings(path)
    except StudyError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("study.toml: ")
    else:
        assert loaded.study.name


@FUZZ
@given(text=st.text(max_size=300))
def test_arbitrary_study_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    try:
        loaded = load_settings(path)
    except StudyError as exc:
        assert "\n" not in str(exc)
    else:
        assert loaded.study.name, "only a file with [study] name can load"


records = st.dictionaries(
    st.sampled_from(
        ["url", "outlet", "title", "text", "date", "authors", "id", "kind", "language", "extra"]
    ),
    values,
    max_size=8,
)
lines = st.one_of(
    records.map(lambda r: json.dumps(r, default=str)),
    st.text(max_size=80).filter(lambda t: "\n" not in t and "\r" not in t),
)


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    return connect(tmp_path_factory.mktemp("fuzz") / "fuzz.duckdb")


@FUZZ
@given(rows=st.lists(lines, max_size=12))
def test_jsonl_import_accounts_for_every_row(
    fuzz_db: duckdb.DuckDBPyConnection, tmp_path: Path, rows: list[str]
) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = scalar(fuzz_db, "SELECT count(*) FROM documents")
    try:
        report = import_file(fuzz_db, path, resolve_mapping(None, {}), fmt="jsonl")
    except InputFileError:
        # Refused whole only when nothing in it is a JSON object (empty, binary, not JSON Lines).
        assert not any(isinstance(_json_or_none(r), dict) for r in rows)
        return
    # a row that fills in a stored document's empty text is counted as filled, not stored
    assert report.stored + report.already_stored + report.filled + report.skipped == report.read
    assert report.read == sum(1 for r in rows if r.encode().strip())  # blank lines are not rows
    assert scalar(fuzz_db, "SELECT count(*) FROM documents") == before + report.stored


def _json_or_none(row: str) -> object:
    try:
        return json.loads(row)
    except ValueError:
        return None


@FUZZ
@given(content=st.binary(max_size=400))
def test_csv_import_of_arbitrary_bytes(
    fuzz_db: duckdb.DuckDBPyConnection, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(b"url,outlet,title,text\n" + content)
    try:
        report = import_file(fuzz_db, path, resolve_mapping(None, {}), fmt="csv")
    except InputFileError:
        return
    # a row that fills in a stored document's empty text is counted as filled, not stored
    assert report.stored + report.already_stored + report.filled + report.skipped == report.read
