"""The Reddit credentials go only to Reddit's token endpoint over HTTPS, or to one the study names."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawlers.oauth import REDDIT_OAUTH_BASE, REDDIT_TOKEN_URL, oauth_plan
from crawlers.spiders.reddit import RedditSpider
from pipeline.config import load_settings
from pipeline.errors import StudyError
from tests.conftest import MINIMAL_STUDY
from tests.crawlers.server import Site, serve

CREDENTIALS = {"FRAMEWATCH_REDDIT_CLIENT_ID": "id", "FRAMEWATCH_REDDIT_CLIENT_SECRET": "s3cret"}


@pytest.mark.parametrize(
    ("base", "token_url", "expected"),
    [
        ("https://www.reddit.com", None, (REDDIT_TOKEN_URL, REDDIT_OAUTH_BASE)),
        ("https://old.reddit.com/", None, (REDDIT_TOKEN_URL, REDDIT_OAUTH_BASE)),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/api/v1/access_token",
         ("http://127.0.0.1:8000/api/v1/access_token", "http://127.0.0.1:8000")),
        ("https://mirror.example", "https://mirror.example/token",
         ("https://mirror.example/token", "https://mirror.example")),
    ],
)  # fmt: skip
def test_credentials_go_where_allowed(
    base: str, token_url: str | None, expected: tuple[str, str]
) -> None:
    plan = oauth_plan(base, token_url, CREDENTIALS)
    assert plan is not None and (plan.token_url, plan.api_base) == expected
    assert (plan.client_id, plan.secret) == ("id", "s3cret")


@pytest.mark.parametrize(
    ("base", "token_url", "says"),
    [
        ("http://127.0.0.1:8000", None, "token_url"),  # a local server named only as base_url
        ("http://www.reddit.com", None, "token_url"),  # Reddit, but over plain HTTP
        ("https://mirror.example", None, "not https://…reddit.com"),
        ("https://reddit.com.evil.example", None, "not https://…reddit.com"),
        ("https://www.reddit.com", "http://evil.example/token", "unencrypted"),
        ("http://mirror.example", "https://mirror.example/token", "token would travel unencrypted"),
    ],
)
def test_credentials_are_refused_elsewhere(base: str, token_url: str | None, says: str) -> None:
    with pytest.raises(StudyError, match=says) as refused:
        oauth_plan(base, token_url, CREDENTIALS)
    assert "s3cret" not in str(refused.value)


def test_without_credentials_any_base_is_read_anonymously() -> None:
    assert oauth_plan("http://127.0.0.1:8000", None, {}) is None
    assert oauth_plan("http://127.0.0.1:8000", None, {"FRAMEWATCH_REDDIT_CLIENT_ID": "id"}) is None


@pytest.mark.parametrize(
    "token_url",
    ["http://mirror.example/api/v1/access_token", "ftp://127.0.0.1/token", "http://10.0.0.1/t"],
)
def test_study_refuses_a_token_url_in_clear(tmp_path: Path, token_url: str) -> None:
    study = tmp_path / "study.toml"
    study.write_text(MINIMAL_STUDY + f'\n[reddit]\ntoken_url = "{token_url}"\n')
    with pytest.raises(StudyError, match="unencrypted"):
        load_settings(study)


def test_study_accepts_a_loopback_token_url(tmp_path: Path) -> None:
    study = tmp_path / "study.toml"
    study.write_text(MINIMAL_STUDY + '\n[reddit]\ntoken_url = "http://[::1]:9/t"\n')
    assert load_settings(study).reddit.token_url == "http://[::1]:9/t"


def write_plan(tmp_path: Path, reddit: dict[str, Any]) -> Path:
    config = tmp_path / "reddit-config.json"
    config.write_text(json.dumps({"reddit": reddit}))
    plan = tmp_path / "reddit-plan.json"
    plan.write_text(json.dumps({"spider": "reddit", "config": str(config), "settings": {
        "LOG_FILE": str(tmp_path / "reddit.log")}, "stats_file": str(tmp_path / "stats.json")}))  # fmt: skip
    return plan


def test_spider_process_refuses_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    site = Site()
    site.add("/api/v1/access_token", '{"access_token": "t"}', content_type="application/json")
    with serve(site) as base:
        plan = write_plan(tmp_path, {"base_url": base, "subreddits": ["LocalLLaMA"]})
        done = subprocess.run([sys.executable, "-m", "crawlers.run", str(plan)],
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "token_url" in lines[0] and "s3cret" not in lines[0]
    assert site.requests == [] and site.authorizations == []
    assert not (tmp_path / "stats.json").exists()


def test_spider_run_by_hand_sends_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `scrapy crawl reddit` skips crawlers.run: the spider's own start() refuses as well.
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"reddit": {"base_url": "http://127.0.0.1:9", "subreddits": ["x"]}}))  # fmt: skip
    spider = RedditSpider(config=str(config))

    async def requests() -> list[Any]:
        return [r async for r in spider.start()]

    assert asyncio.run(requests()) == []
