"""Smoke tests: the real engines from scripts/setup-engines.sh answer.

Locally these skip when an engine is absent; with CI=true they fail instead.
"""

from __future__ import annotations

import subprocess

from tests.engines import (
    BUSYBOX_IMAGE,
    require_docker,
    require_postgres,
    require_promtool,
    require_redis,
)


def test_docker_engine_answers_and_has_busybox_image() -> None:
    engine = require_docker()
    client = engine.client(timeout=10)
    try:
        assert client.ping() is True
        image = client.images.get(BUSYBOX_IMAGE)
        assert BUSYBOX_IMAGE in image.tags
    finally:
        client.close()


def test_redis_answers_ping() -> None:
    import redis

    url = require_redis()
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        assert client.ping() is True
    finally:
        client.close()


def test_postgres_select_1() -> None:
    import psycopg

    dsn = require_postgres()
    with psycopg.connect(dsn, connect_timeout=2) as conn:
        row = conn.execute("select 1").fetchone()
    assert row == (1,)


def test_promtool_version_exits_zero() -> None:
    promtool = require_promtool()
    result = subprocess.run([promtool, "--version"], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert "promtool" in (result.stdout + result.stderr)
