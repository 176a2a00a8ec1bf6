"""Probes for the real engines the test-suite needs (no tests in here).

Each ``require_*`` function checks that one engine answers and returns how to
reach it. When the engine is absent it calls ``pytest.skip(reason)`` on a
developer's machine, but ``pytest.fail(reason)`` when the environment variable
``CI`` is ``"true"``: CI must never go green by skipping the engine tests.

The engines are installed and started by ``scripts/setup-engines.sh``; every
message below names that script. Every network probe times out after at most
``PROBE_TIMEOUT_S`` seconds.

Usage from a test module::

    from tests.engines import require_redis

    def test_something() -> None:
        url = require_redis()
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

import pytest

if TYPE_CHECKING:
    import docker

__all__ = [
    "BUSYBOX_IMAGE",
    "POSTGRES_DSN",
    "PROBE_TIMEOUT_S",
    "REDIS_URL",
    "DockerEngine",
    "engine_missing",
    "require_compose",
    "require_docker",
    "require_postgres",
    "require_promtool",
    "require_redis",
]

PROBE_TIMEOUT_S = 2
DOCKER_BASE_URL = "unix:///var/run/docker.sock"
BUSYBOX_IMAGE = "readiness-busybox:1.36"
REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_DSN = "postgresql://readiness:readiness@127.0.0.1:5432/readiness"

_HINT = "run `bash scripts/setup-engines.sh` (as root) to install and start it"


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def engine_missing(reason: str) -> NoReturn:
    """Skip locally, fail in CI (CI=true)."""
    message = f"{reason}; {_HINT}"
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@dataclass(frozen=True)
class DockerEngine:
    """A Docker Engine that answered ``/_ping``."""

    base_url: str
    server_version: str
    api_version: str

    def client(self, timeout: int = 60) -> docker.DockerClient:
        """A client for real work (longer timeout than the probe's)."""
        import docker

        return docker.DockerClient(base_url=self.base_url, version="auto", timeout=timeout)


def require_docker() -> DockerEngine:
    """The Docker Engine at ``$DOCKER_HOST`` (default the local unix socket)."""
    try:
        import docker
        import docker.errors
    except ImportError as exc:
        engine_missing(f"python package 'docker' is not importable ({exc})")
    base_url = os.environ.get("DOCKER_HOST") or DOCKER_BASE_URL
    try:
        api = docker.APIClient(base_url=base_url, version="auto", timeout=PROBE_TIMEOUT_S)
        try:
            if not api.ping():
                engine_missing(f"docker engine at {base_url} did not answer /_ping with OK")
            info = api.version()
        finally:
            api.close()
    except (docker.errors.DockerException, OSError) as exc:
        engine_missing(f"docker engine at {base_url} is not answering ({exc})")
    return DockerEngine(
        base_url=base_url,
        server_version=str(info.get("Version", "")),
        api_version=str(info.get("ApiVersion", "")),
    )


def require_redis() -> str:
    """URL of a Redis server that answered PING."""
    try:
        import redis
    except ImportError as exc:
        engine_missing(f"python package 'redis' is not importable ({exc})")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=PROBE_TIMEOUT_S, socket_timeout=PROBE_TIMEOUT_S)
    try:
        if not client.ping():
            engine_missing(f"redis at {REDIS_URL} did not answer PING")
    except (redis.RedisError, OSError) as exc:
        engine_missing(f"redis at {REDIS_URL} is not answering ({exc})")
    finally:
        client.close()
    return REDIS_URL


def require_postgres() -> str:
    """DSN of a PostgreSQL server that accepted the ``readiness`` role's login."""
    try:
        import psycopg
    except ImportError as exc:
        engine_missing(f"python package 'psycopg' is not importable ({exc})")
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=PROBE_TIMEOUT_S) as conn:
            conn.execute("select 1")
    except (psycopg.Error, OSError) as exc:
        engine_missing(f"postgres at {_redact(POSTGRES_DSN)} refused or did not answer ({exc})")
    return POSTGRES_DSN


def require_promtool() -> str:
    """Absolute path of the ``promtool`` executable."""
    path = shutil.which("promtool")
    if path is None:
        engine_missing("promtool is not on PATH (Debian package 'prometheus')")
    return path


def _redact(dsn: str) -> str:
    scheme, sep, rest = dsn.partition("://")
    creds, at, host = rest.rpartition("@")
    if not at:
        return dsn
    user = creds.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


def require_compose() -> str:
    """The docker CLI with the Compose v2 plugin (`docker compose config` needs no engine)."""
    import subprocess

    docker = shutil.which("docker")
    if docker is None:
        engine_missing("the docker CLI is not installed")
    proc = subprocess.run([docker, "compose", "version"], capture_output=True, text=True, timeout=10, check=False)
    if proc.returncode != 0:
        engine_missing(f"docker compose is not available: {(proc.stderr or proc.stdout).strip()[:200]}")
    return docker
