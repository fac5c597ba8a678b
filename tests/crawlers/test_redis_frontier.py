"""A crawl whose frontier lives in Redis (scrapy-redis) stores the same rows as a single-process crawl."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import redis

from flows.demo.server import serve_demo
from flows.demo.study import write_demo_study

pytestmark = pytest.mark.slow
FRAMEWATCH = Path(sys.executable).with_name("framewatch")


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = shutil.which("redis-server")
    if not server:
        pytest.skip(
            "redis-server is not installed (make test installs Debian's redis-server where it can)"
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def crawl(study: Path) -> None:
    done = subprocess.run(
        [str(FRAMEWATCH), "crawl", "--study", str(study)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def documents(study: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(study.parent / "data" / "framewatch.duckdb"), read_only=True)
    try:
        return con.execute(
            "SELECT doc_id, kind, outlet, title, text, published_at, parent_id FROM documents ORDER BY doc_id"
        ).fetchall()
    finally:
        con.close()


def test_redis_frontier_gives_the_same_rows(tmp_path: Path, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    with serve_demo(port=0) as server:
        plain = write_demo_study(tmp_path / "plain", server.world.base_url)
        shared = write_demo_study(tmp_path / "shared", server.world.base_url)
        shared.write_text(
            shared.read_text() + f'\n[crawl]\nredis_url = "{redis_url}"\n', encoding="utf-8"
        )
        before = client.info("stats")["total_commands_processed"]
        crawl(shared)
        used = client.info("stats")["total_commands_processed"] - before
        crawl(plain)
    assert used > 100, "the crawl scheduled its requests through Redis"
    assert client.keys("framewatch:*") == [], "a finished crawl leaves no queue behind"
    rows = documents(shared)
    assert len(rows) == 128
    assert rows == documents(plain)
