"""Where the Reddit spider may send the app's credentials and the token they buy: a pure decision.

With ``FRAMEWATCH_REDDIT_CLIENT_ID`` and ``FRAMEWATCH_REDDIT_CLIENT_SECRET`` in the environment, the
spider asks for an app-only OAuth token. The id and secret go only to Reddit's own token endpoint
over HTTPS, whatever ``[reddit] base_url`` says, unless the study names another endpoint with
``[reddit] token_url`` (https, or plain http to this machine's loopback address). The token then goes
only to ``oauth.reddit.com``, or to ``base_url`` when that is not Reddit, on the same terms. Anything
else is refused before a request is made, with a message that says what to set. Without credentials
the spider reads the public endpoints anonymously.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from pipeline.config import https_or_loopback
from pipeline.errors import StudyError

CLIENT_ID = "FRAMEWATCH_REDDIT_CLIENT_ID"
CLIENT_SECRET = "FRAMEWATCH_REDDIT_CLIENT_SECRET"
REDDIT_TOKEN_URL = "https://www.reddit.com/api/v1/access_token"
REDDIT_OAUTH_BASE = "https://oauth.reddit.com"


@dataclass(frozen=True)
class OAuthPlan:
    """Where to ask for the token, with what, and which base URL then gets the token."""

    token_url: str
    api_base: str
    client_id: str
    secret: str


def credentials(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The client id and secret from the environment, or None when either is unset."""
    client, secret = environ.get(CLIENT_ID, ""), environ.get(CLIENT_SECRET, "")
    return (client, secret) if client and secret else None


def is_reddit(url: str) -> bool:
    """Whether ``url`` is on reddit.com (``www.``, ``old.``, ``oauth.`` …)."""
    host = (urlsplit(url).hostname or "").lower()
    return host == "reddit.com" or host.endswith(".reddit.com")


def oauth_plan(
    base_url: str, token_url: str | None, environ: Mapping[str, str]
) -> OAuthPlan | None:
    """How to authenticate, or None to crawl anonymously (no credentials in the environment).

    Raises:
        StudyError: When the credentials or the token would go to a host the study did not name
            for them, or over plain HTTP to another machine.
    """
    found = credentials(environ)
    if found is None:
        return None
    base = base_url.rstrip("/")
    if token_url is None:
        if not (is_reddit(base) and urlsplit(base).scheme == "https"):
            raise StudyError(
                f'[reddit] base_url is "{base}", not https://…reddit.com, and {CLIENT_ID}/'
                f"{CLIENT_SECRET} are sent only to {REDDIT_TOKEN_URL}: unset them to read this "
                "server anonymously, or name its token endpoint in study.toml with [reddit] token_url = "
                '"https://…/api/v1/access_token" (plain http only to 127.0.0.1)'
            )
        token_url = REDDIT_TOKEN_URL
    elif not https_or_loopback(token_url):
        raise StudyError(
            f'[reddit] token_url "{token_url}" would carry the Reddit client secret unencrypted to '
            "another machine; use an https URL (plain http only to 127.0.0.1, ::1 or localhost)"
        )
    api_base = REDDIT_OAUTH_BASE if is_reddit(base) else base
    if not https_or_loopback(api_base):
        raise StudyError(
            f'[reddit] base_url "{base}" is plain http to another machine, and the OAuth token '
            f"would travel unencrypted; use https, or unset {CLIENT_ID}/{CLIENT_SECRET} to read it "
            "anonymously"
        )
    return OAuthPlan(token_url, api_base, *found)
