"""Importing JSONL, CSV and Parquet corpora: mappings, presets, bad rows, re-imports."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import random
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from pipeline.bounded_io import MAX_LINE_CHARS
from pipeline.documents import content_hash
from pipeline.errors import InputFileError, UsageError
from pipeline.importer import (
    RowError,
    check_mapping,
    detect_format,
    import_file,
    parse_mapping,
    record_to_document,
    resolve_mapping,
)
from pipeline.sources import inspect_source
from pipeline.store import scalar
from tests.conftest import FIXTURES, shared_data

DEFAULT = resolve_mapping(None, {})


def write_jsonl(path: Path, records: Sequence[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def article(n: int, **extra: object) -> dict[str, object]:
    return {
        "url": f"https://ledger.example/story/{n}",
        "outlet": "ledger",
        "title": f"Story {n}",
        "text": f"Body of story number {n}.",
        "published_at": f"2026-10-0{1 + n % 9}",
        **extra,
    }


def test_parse_mapping() -> None:
    assert parse_mapping("text=content_original, outlet=source") == {
        "text": "content_original",
        "outlet": "source",
    }
    assert parse_mapping(None) == {}
    with pytest.raises(UsageError, match='unknown field "body"'):
        parse_mapping("body=text")
    with pytest.raises(UsageError, match="FIELD=COLUMN"):
        parse_mapping("text")


def test_resolve_mapping_layers_preset_and_overrides() -> None:
    mapping = resolve_mapping("allsides", {"outlet": "source_url"})
    assert mapping["text"] == ("content_original", "content")
    assert mapping["outlet"] == ("source_url",)
    with pytest.raises(UsageError, match="allsides, mediacloud"):
        resolve_mapping("gdelt", {})


def test_detect_format() -> None:
    assert detect_format(Path("a.jsonl"), None) == "jsonl"
    assert detect_format(Path("a.ndjson.gz"), None) == "jsonl"
    assert detect_format(Path("a.CSV"), None) == "csv"
    assert detect_format(Path("a.parquet"), None) == "parquet"
    assert detect_format(Path("a.txt"), "csv") == "csv"
    with pytest.raises(UsageError, match="--format"):
        detect_format(Path("a.txt"), None)
    with pytest.raises(UsageError, match="unknown format"):
        detect_format(Path("a.jsonl"), "xml")


def test_record_to_document_maps_fields_and_keeps_the_rest() -> None:
    row, warnings = record_to_document(
        {
            "link": "https://Ledger.example/a?utm_medium=x",
            "headline": " A  title ",
            "content": "Text.",
            "authors": ["Ann", "Bo"],
            "date": "2026-10-01",
            "topic": "ai",
            "empty": "",
        },
        DEFAULT,
        outlet=None,
        run_id="r1",
    )
    assert warnings == []
    assert row.canonical_url == "https://ledger.example/a"
    assert row.outlet == "ledger.example", "the URL's domain stands in for a missing outlet"
    assert row.title == "A title"
    assert row.author == "Ann; Bo"
    assert row.published_at == datetime(2026, 10, 1)
    assert json.loads(row.extra or "{}") == {"topic": "ai"}
    assert row.run_id == "r1"


def test_record_with_bad_date_is_kept_without_date() -> None:
    row, warnings = record_to_document(
        article(1, published_at="0001-11-30"), DEFAULT, outlet=None, run_id=None
    )
    assert row.published_at is None
    assert len(warnings) == 1 and "stored without a date" in warnings[0]


def test_jsonl_with_bad_lines_reports_line_numbers(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lines = [json.dumps(article(n)) for n in range(1, 8)]
    lines[1] = lines[1][:40]  # truncated JSON on line 2
    lines[3] = "[1, 2, 3]"  # not an object, line 4
    lines[4] = json.dumps(
        {"url": "https://ledger.example/x", "outlet": "ledger"}
    )  # no title or text, line 5
    lines.insert(5, "")  # a blank line is not an error; shifts the rest
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_file(con, path, DEFAULT, fmt="jsonl")
    assert [(p.line, p.skipped) for p in report.problems] == [(2, True), (4, True), (5, True)]
    assert "invalid JSON" in report.problems[0].reason
    assert "not an object" in report.problems[1].reason
    assert "no title and no text" in report.problems[2].reason
    assert (report.read, report.stored, report.skipped) == (7, 4, 3)
    assert scalar(con, "SELECT count(*) FROM documents") == 4


def test_reimport_adds_nothing_and_batches_commit(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [article(n) for n in range(25)] + [article(3)])
    first = import_file(con, path, DEFAULT, fmt="jsonl", batch_size=7)
    assert (first.stored, first.already_stored) == (25, 1)
    second = import_file(con, path, DEFAULT, fmt="jsonl", batch_size=7)
    assert (second.stored, second.already_stored) == (0, 26)
    assert scalar(con, "SELECT count(*) FROM documents") == 25


def test_gzipped_jsonl(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(article(n)) + "\n" for n in range(3))
    assert import_file(con, path, DEFAULT, fmt=detect_format(path, None)).stored == 3


def test_mediacloud_csv_preset(con: duckdb.DuckDBPyConnection) -> None:
    path = FIXTURES / "mediacloud_stories.csv"
    report = import_file(con, path, resolve_mapping("mediacloud", {}), fmt="csv")
    assert (report.stored, report.skipped) == (3, 1)
    assert report.problems[0].line == 5 and "no title and no text" in report.problems[0].reason
    rows = con.execute(
        "SELECT source_id, outlet, canonical_url, published_at, language, extra->>'themes' FROM documents ORDER BY source_id"
    ).fetchall()
    assert rows[0] == (
        "1001",
        "Ledger",
        "https://ledger.example/tech/lab-accuses-rivals",
        datetime(2026, 10, 1, 9, 30),
        "en",
        None,
    )
    assert rows[1][5] == "technology"
    assert rows[2][3] is None, "an empty date is unknown, not an error"


def test_csv_with_wrong_field_count(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        'url,outlet,title,text\nhttps://a.example/1,a,One,"Multi\nline body"\nhttps://a.example/2,a,Two\nhttps://a.example/3,a,Three,Body\n',
        encoding="utf-8",
    )
    report = import_file(con, path, DEFAULT, fmt="csv")
    assert [(p.line, p.reason) for p in report.problems] == [(4, "3 fields where the header has 4")]
    assert report.stored == 2


def test_parquet_with_map(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    table = pa.table(
        {
            "link": ["https://a.example/1", "https://a.example/2"],
            "site": ["alpha", "alpha"],
            "body": ["First body.", None],
            "headline": ["First", None],
            "when": [datetime(2026, 10, 1), datetime(2026, 10, 2)],
        }
    )
    path = tmp_path / "c.parquet"
    pq.write_table(table, path)
    mapping = resolve_mapping(
        None, parse_mapping("url=link,outlet=site,text=body,title=headline,published_at=when")
    )
    report = import_file(con, path, mapping, fmt="parquet")
    assert (report.stored, [p.line for p in report.problems]) == (1, [2])
    assert con.execute("SELECT outlet, published_at FROM documents").fetchall() == [
        ("alpha", datetime(2026, 10, 1))
    ]


def test_missing_and_unreadable_files(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        import_file(con, tmp_path / "nope.jsonl", DEFAULT, fmt="jsonl")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"definitely not parquet")
    with pytest.raises(InputFileError, match="not a readable Parquet file"):
        import_file(con, bad, DEFAULT, fmt="parquet")


ALLSIDES = ("allsides_article_bias", "subset_12topics_3000.jsonl")


def test_allsides_import_is_complete_and_idempotent(con: duckdb.DuckDBPyConnection) -> None:
    path = shared_data(*ALLSIDES)
    mapping = resolve_mapping("allsides", {})
    first = import_file(con, path, mapping, fmt="jsonl")
    assert (first.read, first.stored, first.skipped) == (2949, 2949, 0)
    complete = con.execute(
        "SELECT count(*) FROM documents WHERE outlet IS NOT NULL AND title IS NOT NULL"
        " AND length(text) > 200 AND published_at IS NOT NULL AND source_id IS NOT NULL"
    ).fetchall()
    assert complete == [(2949,)]
    assert scalar(con, "SELECT count(DISTINCT outlet) FROM documents") == 135
    assert scalar(con, "SELECT count(*) FROM documents WHERE extra->>'topic' = 'coronavirus'") > 0
    again = import_file(con, path, mapping, fmt="jsonl")
    assert (again.stored, again.already_stored) == (0, 2949)
    assert scalar(con, "SELECT count(*) FROM documents") == 2949


def test_allsides_copy_with_ten_corrupted_lines(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    lines = shared_data(*ALLSIDES).read_bytes().splitlines(keepends=True)
    rng = random.Random(7)
    broken = sorted(rng.sample(range(len(lines)), 10))
    for i, index in enumerate(broken):
        line = lines[index]
        lines[index] = [line[: len(line) // 2] + b"\n", b"\xff\xfe garbage\n", b'{"ID": 1,,}\n'][
            i % 3
        ]
    path = tmp_path / "corrupted.jsonl"
    path.write_bytes(b"".join(lines))
    report = import_file(con, path, resolve_mapping("allsides", {}), fmt="jsonl")
    assert [p.line for p in report.problems] == [index + 1 for index in broken]
    assert (report.stored, report.skipped) == (2939, 10)
    assert scalar(con, "SELECT count(*) FROM documents") == 2939


# --- Silent wrong data (issue 22, item 6) -----------------------------------------------------


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("value", ["2026", "Nov", "-1", "10:30", "2026-02", "Feb 29"])
def test_partial_dates_are_left_empty_and_counted_once(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, value: str
) -> None:
    rows = [article(n) for n in range(3)]
    rows[1]["published_at"] = value
    rows[2]["published_at"] = value
    report = import_file(con, write_jsonl(tmp_path / "c.jsonl", rows), DEFAULT, fmt="jsonl")
    assert (report.stored, report.skipped, report.problems) == (3, 0, [])
    assert (report.partial_dates, report.partial_date_example) == (2, (2, value))
    dates = con.execute("SELECT published_at FROM documents ORDER BY url").fetchall()
    assert dates == [(datetime(2026, 10, 1),), (None,), (None,)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-02-03", datetime(2026, 2, 3)),
        ("Tue, 03 Feb 2026 10:00:00 +0200", datetime(2026, 2, 3, 8, 0)),
        ("2026-02-03T10:30:00Z", datetime(2026, 2, 3, 10, 30)),
        ("3 February 2026", datetime(2026, 2, 3)),
        (1_770_076_800, datetime(2026, 2, 3)),
    ],
)
def test_full_dates_still_parse(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, value: object, expected: datetime
) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [article(1, published_at=value)])
    report = import_file(con, path, DEFAULT, fmt="jsonl")
    assert (report.stored, report.partial_dates) == (1, 0)
    assert scalar(con, "SELECT published_at FROM documents") == expected


def test_check_mapping_refuses_unknown_columns_listing_those_present(tmp_path: Path) -> None:
    csv_file = write_csv(tmp_path / "c.csv", "url,title,body\nhttps://a.example/1,One,Body\n")
    with pytest.raises(UsageError, match=r'no column "bdy"; the columns are: url, title, body'):
        check_mapping(inspect_source(csv_file, "csv"), {"text": "bdy"}, None)
    jsonl = write_jsonl(tmp_path / "c.jsonl", [{"title": "a"}, {"title": "b", "body": "c"}])
    check_mapping(inspect_source(jsonl, "jsonl"), {"text": "body"}, None)
    with pytest.raises(UsageError, match="the columns are: title, body"):
        check_mapping(inspect_source(jsonl, "jsonl"), {"text": "bdy"}, None)
    parquet = tmp_path / "c.parquet"
    pq.write_table(pa.table({"headline": ["a"]}), parquet)
    with pytest.raises(UsageError, match="the columns are: headline"):
        check_mapping(inspect_source(parquet, "parquet"), {"title": "title"}, None)


def test_reimport_fills_in_empty_texts_without_duplicating(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "c.csv",
        "url,title,body,outlet\n"
        "https://a.example/1,One,Body one.,ledger\n"
        ",Two,Body two.,ledger\n"  # no URL: its id comes from its content
        "https://a.example/3,Three,Body three.,ledger\n",
    )
    wrong = resolve_mapping(None, {"text": "bdy"})
    assert import_file(con, path, wrong, fmt="csv").stored == 3
    con.execute("UPDATE documents SET text = 'Kept.' WHERE title = 'Three'")
    assert scalar(con, "SELECT count(*) FROM documents WHERE text IS NULL") == 2
    right = resolve_mapping(None, {"text": "body"})
    report = import_file(con, path, right, fmt="csv")
    assert (report.stored, report.filled, report.already_stored) == (0, 2, 1)
    assert con.execute("SELECT title, text FROM documents ORDER BY title").fetchall() == [
        ("One", "Body one."),
        ("Three", "Kept."),
        ("Two", "Body two."),
    ]
    hashes = con.execute("SELECT content_hash FROM documents WHERE title <> 'Three'").fetchall()
    assert sorted(h for (h,) in hashes) == sorted(
        [content_hash("One", "Body one."), content_hash("Two", "Body two.")]
    )
    again = import_file(con, path, right, fmt="csv")
    assert (again.stored, again.filled, again.already_stored) == (0, 0, 3)
    assert scalar(con, "SELECT count(*) FROM documents") == 3


def test_nested_json_is_stored_as_json_text(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    record = article(1, text={"o": 1, "p": ["é"]}, title=[{"t": "x"}], meta={"k": [1, 2]})
    import_file(con, write_jsonl(tmp_path / "c.jsonl", [record]), DEFAULT, fmt="jsonl")
    text, title, extra = con.execute("SELECT text, title, extra FROM documents").fetchall()[0]
    assert json.loads(text) == {"o": 1, "p": ["é"]}
    assert json.loads(title) == [{"t": "x"}]
    assert json.loads(extra) == {"meta": {"k": [1, 2]}}


def test_parquet_structs_become_json_and_bytes_are_refused(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "c.parquet"
    table = pa.table(
        {
            "url": ["https://a.example/1"],
            "outlet": ["ledger"],
            "title": ["One"],
            "text": [{"o": 1}],
            "thumb": pa.array([b"\xff\xd8"], pa.binary()),
        }
    )
    pq.write_table(table, path)
    source = inspect_source(path, "parquet")
    assert source.binary_columns == ("thumb",)
    check_mapping(source, {}, None)
    with pytest.raises(UsageError, match='column "thumb" \\(for text\\) holds bytes'):
        check_mapping(source, {"text": "thumb"}, None)
    report = import_file(con, path, DEFAULT, fmt="parquet")
    assert report.stored == 1
    assert con.execute("SELECT text, extra FROM documents").fetchall() == [('{"o": 1}', None)]
    with pytest.raises(RowError, match='column "body" holds bytes'):
        record_to_document({"title": "x", "body": b"\xff"}, resolve_mapping(None, {"text": "body"}), outlet="a", run_id=None)  # fmt: skip


LATIN1_ROWS = (
    "url,title,text,outlet\n"
    "https://a.example/1,One,Plain.,ledger\n"
    "https://a.example/2,Caf\xe9,Caf\xe9 cr\xe8me.,ledger\n"
    "https://a.example/3,Three,Plain three.,ledger\n"
)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_rows_not_in_the_encoding_are_skipped_in_every_format(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, fmt: str
) -> None:
    if fmt == "csv":
        path = write_csv(tmp_path / "c.csv", LATIN1_ROWS, "latin-1")
    else:
        lines = [json.dumps(article(n), ensure_ascii=False) for n in range(3)]
        lines[1] = lines[1].replace("Story 1", "Caf\xe9")
        path = write_csv(tmp_path / "c.jsonl", "\n".join(lines) + "\n", "latin-1")
    report = import_file(con, path, DEFAULT, fmt=fmt)
    line = 3 if fmt == "csv" else 2
    assert [(p.line, p.reason) for p in report.problems] == [(line, "not valid UTF-8 text")]
    assert (report.stored, report.undecodable) == (2, [line])
    assert scalar(con, "SELECT count(*) FROM documents WHERE text LIKE '%\ufffd%'") == 0
    fixed = import_file(con, path, DEFAULT, fmt=fmt, source=inspect_source(path, fmt, encoding="cp1252"))  # fmt: skip
    assert (fixed.stored, fixed.already_stored, fixed.skipped) == (1, 2, 0)
    assert scalar(con, "SELECT count(*) FROM documents WHERE title = 'Café'") == 1


@pytest.mark.parametrize(
    ("text", "encoding", "described"),
    [
        (
            "url;title;text\nhttps://a.example/1;Grüße;Aus Köln.\n",
            "utf-16",
            "UTF-16 (byte-order mark), semicolon-separated",
        ),
        (
            "url\ttitle\ttext\nhttps://a.example/1\tGrüße\tAus Köln.\n",
            "utf-8",
            "UTF-8, tab-separated",
        ),
        (
            "url;title;text\nhttps://a.example/1;Grüße;Aus Köln.\n",
            "utf-16-le",
            "UTF-16-LE (no byte-order mark",
        ),
        (
            "\ufeffurl|title|text\nhttps://a.example/1|Grüße|Aus Köln.\n",
            "utf-8",
            "UTF-8 (byte-order mark), pipe-separated",
        ),
    ],
)
def test_encoding_and_delimiter_are_found(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, text: str, encoding: str, described: str
) -> None:
    path = write_csv(tmp_path / "c.csv", text, encoding)
    source = inspect_source(path, "csv")
    assert described in source.describe()
    report = import_file(con, path, DEFAULT, fmt="csv", outlet="ledger", source=source)
    assert (report.stored, report.problems) == (1, [])
    assert con.execute("SELECT title, text FROM documents").fetchall() == [("Grüße", "Aus Köln.")]


def test_delimiter_option_wins(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", "a;b,c\n1;2,3\n")
    assert inspect_source(path, "csv").columns == ("a;b", "c")
    assert inspect_source(path, "csv", delimiter=";").columns == ("a", "b,c")
    with pytest.raises(UsageError, match="one character"):
        inspect_source(path, "csv", delimiter=";;")
    with pytest.raises(UsageError, match='unknown encoding "klingon"'):
        inspect_source(path, "csv", encoding="klingon")


# --- Compressed input (issue 22, items 7 and 8) ---------------------------------------------------


def _compress(codec: str, data: bytes) -> bytes:
    if codec == "gzip":
        return gzip.compress(data)
    if codec == "bzip2":
        return bz2.compress(data, compresslevel=1)
    if codec == "xz":
        return lzma.compress(data)
    return zstandard.ZstdCompressor().compress(data)


def _readable_prefix(codec: str, data: bytes) -> bytes:
    """What the standard decoders make of a truncated stream."""
    if codec == "gzip":
        return zlib.decompressobj(wbits=31).decompress(data)
    if codec == "bzip2":
        return bz2.BZ2Decompressor().decompress(data)
    if codec == "xz":
        return lzma.LZMADecompressor().decompress(data)
    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


CODECS = {"gzip": ".gz", "bzip2": ".bz2", "xz": ".xz", "zstd": ".zst"}


@pytest.mark.parametrize("codec", CODECS)
def test_truncated_compressed_file_keeps_every_whole_line(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, codec: str
) -> None:
    data = "".join(json.dumps(article(n, url=f"https://a.example/{n}")) + "\n" for n in range(6000)).encode()  # fmt: skip
    packed = _compress(codec, data)
    cut = packed[: int(len(packed) * 0.7)]
    whole = _readable_prefix(codec, cut).count(b"\n")
    assert 0 < whole < 6000
    path = tmp_path / f"c.jsonl{CODECS[codec]}"
    path.write_bytes(cut)
    report = import_file(con, path, DEFAULT, fmt="jsonl")
    assert report.cut is not None and "truncated" in report.cut
    assert (report.stored, report.skipped) == (whole, 1)
    assert report.problems[-1].line == whole + 1
    kept = con.execute("SELECT url FROM documents").fetchall()
    assert sorted(kept) == sorted((f"https://a.example/{n}",) for n in range(whole))
    again = import_file(con, path, DEFAULT, fmt="jsonl")
    assert (again.stored, again.already_stored) == (0, whole)
    assert scalar(con, "SELECT count(*) FROM documents") == whole


@pytest.mark.parametrize("codec", CODECS)
def test_whole_compressed_files_of_every_codec(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, codec: str
) -> None:
    first = "".join(json.dumps(article(n)) + "\n" for n in range(5)).encode()
    second = "".join(json.dumps(article(n)) + "\n" for n in range(5, 9)).encode()
    path = tmp_path / f"c.jsonl{CODECS[codec]}"
    path.write_bytes(_compress(codec, first) + _compress(codec, second))  # two members
    report = import_file(con, path, DEFAULT, fmt="jsonl")
    assert (report.stored, report.problems, report.cut) == (9, [], None)


def test_a_gz_that_is_not_gzip_is_refused(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl.gz", [article(1)])
    with pytest.raises(InputFileError, match="named as gzip but is not compressed"):
        inspect_source(path, "jsonl")


def test_an_overlong_line_is_skipped_with_its_number(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "c.jsonl.gz"
    with gzip.open(path, "wb") as handle:
        handle.write((json.dumps(article(1)) + "\n").encode())
        handle.write(b'{"text": "' + b"a" * (MAX_LINE_CHARS + 10) + b'"}\n')
        handle.write((json.dumps(article(2)) + "\n").encode())
    report = import_file(con, path, DEFAULT, fmt="jsonl")
    assert [(p.line, p.skipped) for p in report.problems] == [(2, True)]
    assert "longer than" in report.problems[0].reason
    assert report.stored == 2


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.mkdir(), "is a folder"),
        (lambda p: None, "no such file"),
    ],
)
def test_paths_that_are_not_files_say_what_they_are(
    tmp_path: Path, make: Callable[[Path], object], message: str
) -> None:
    path = tmp_path / "c.csv"
    make(path)
    with pytest.raises(InputFileError, match=message):
        inspect_source(path, "csv")
    with pytest.raises(InputFileError, match="is not a regular file"):
        inspect_source(Path("/dev/null"), "csv")
