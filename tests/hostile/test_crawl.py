"""Hostile studies and pages given to ``framewatch crawl`` and ``framewatch extract``.

Reddit credentials in the environment go nowhere the study did not name for them: the crawl is
refused before any request, and the server that would have received them sees nothing. A saved page
that is a gzip bomb or pathologically deep is refused with its reason, in bounded memory.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_STUDY
from tests.crawlers.server import Site, serve
from tests.hostile.conftest import assert_refused, run_framewatch, snapshot

pytestmark = pytest.mark.slow

SECRET = "sentinel-secret-7d2a"


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAMEWATCH_REDDIT_CLIENT_ID", "sentinel-id")
    monkeypatch.setenv("FRAMEWATCH_REDDIT_CLIENT_SECRET", SECRET)


def with_reddit(folder: Path, lines: str) -> None:
    (folder / "study.toml").write_text(MINIMAL_STUDY + "\n[reddit]\n" + lines, encoding="utf-8")


@pytest.mark.parametrize(
    ("reddit", "says"),
    [
        ('base_url = "{base}"\n', "token_url"),  # a local server over plain http
        ('base_url = "{https}"\n', "not https://…reddit.com"),  # another host, even over https
        ('base_url = "http://www.reddit.com"\n', "not https://…reddit.com"),  # Reddit in clear
        ('base_url = "http://{host}.nip.example"\ntoken_url = "https://x.example/t"\n',
         "unencrypted"),  # a token endpoint named, but the token would go out in clear
    ],
)  # fmt: skip
def test_credentials_are_not_sent_where_the_study_did_not_name(
    hostile_study: Path, credentials: None, reddit: str, says: str
) -> None:
    site = Site()
    site.add("/api/v1/access_token", '{"access_token": "t"}', content_type="application/json")
    with serve(site) as base:
        https = base.replace("http://", "https://")
        text = reddit.format(base=base, https=https, host="mirror")
        with_reddit(hostile_study, text + 'subreddits = ["LocalLLaMA"]\n')
        before = snapshot(hostile_study)
        outcome = run_framewatch(["crawl", "--only", "reddit"], hostile_study)
    assert_refused(outcome, mentions=says)
    assert outcome.returncode == 2 and SECRET not in outcome.message
    assert site.requests == []  # no token request, no listing: nothing reached the server
    assert snapshot(hostile_study) == before


@pytest.mark.parametrize(
    "token_url", ["http://evil.example/api/v1/access_token", "ftp://127.0.0.1/token"]
)
def test_a_token_url_in_clear_is_refused_even_without_credentials(
    hostile_study: Path, token_url: str
) -> None:
    with_reddit(hostile_study, f'token_url = "{token_url}"\nsubreddits = ["LocalLLaMA"]\n')
    before = snapshot(hostile_study)
    outcome = run_framewatch(["crawl", "--only", "reddit"], hostile_study)
    assert_refused(outcome, mentions="unencrypted")
    assert snapshot(hostile_study) == before


def test_a_gzip_bomb_page_is_refused_in_bounded_memory(hostile_study: Path) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = b"".join(packer.compress(b"<p>" + b" " * 2**20) for _ in range(1024)) + packer.flush()
    (hostile_study / "page.html.gz").write_bytes(bomb)
    before = snapshot(hostile_study)
    outcome = run_framewatch(["extract", "page.html.gz", "--url", "https://a.example/1"],
                             hostile_study)  # fmt: skip
    assert_refused(outcome, mentions="not a readable page")
    assert snapshot(hostile_study) == before
    # The command itself takes ~200 MiB; at most 20 MiB is unpacked (the old code unpacked 1 GiB).
    assert outcome.peak_mib < 400, f"peak {outcome.peak_mib:.0f} MiB"


def test_a_pathologically_deep_page_says_so(hostile_study: Path) -> None:
    body = "<p>" + "A sentence of the article. " * 40 + "</p>"
    page = "<html><body>" + "<div>" * 100_000 + body + "</div>" * 100_000 + "</body></html>"
    (hostile_study / "deep.html").write_text(page)
    outcome = run_framewatch(["extract", "deep.html", "--url", "https://a.example/1"],
                             hostile_study)  # fmt: skip
    assert_refused(outcome, mentions="nested 256 levels deep")
    assert "no article found" not in outcome.message
