"""Unit tests of the runtime criteria (healthchecks, restarts, startup bounds, backoff, limits)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.checks import runtime
from pytest_readiness.results import Outcome, Scope, Verdict
from tests.stacks import make_stack, service

SERVICES = """
version: 1
stack:
  name: t
  root: stack
  compose: [compose.yml]
services:
  - name: app
    kind: service
    compose_services: [app]
    target: L2
    code: app
    config: [app/config.yaml]
    tests: app/tests
  - name: db
    kind: datastore
    compose_services: [db]
    target: L2
  - name: gate
    kind: gate
    target: L2
    code: gates
"""

GOOD_APP = """
    image: acme/app:1.0.0
    build: ./app
    ports: ["127.0.0.1:8080:8080"]
    depends_on:
      db:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "curl", "-fsS", "http://localhost:8080/healthz"]
      interval: 15s
      timeout: 3s
      retries: 5
      start_period: 30s
    restart: unless-stopped
    deploy:
      resources:
        limits:
          memory: 256m
          cpus: "0.5"
          pids: 128
"""

GOOD_DB = """
    image: redis:7.2.4-alpine
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 10s
      retries: 3
      start_period: 10s
    restart: always
    mem_limit: 1g
    cpus: 1
    pids_limit: 200
"""

CONFIG = """
redis:
  url: redis://db:6379/0
  reconnect_backoff_s: 0.5
  max_retries: 8
"""

CODE = """
import time

import redis


def run(client):
    while True:
        try:
            return client.ping()
        except redis.ConnectionError:
            time.sleep(1)
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def check(
    tmp_path: Path,
    fn: str,
    name: str = "app",
    *,
    app: str = GOOD_APP,
    db: str = GOOD_DB,
    more: dict[str, str] | None = None,
    config: str = CONFIG,
    code: str = CODE,
) -> Verdict:
    files = {
        "compose.yml": "services:\n  app:" + app.rstrip() + "\n  db:" + db.rstrip() + "\n",
        "app/Dockerfile": 'FROM python:3.11-slim\nCOPY . /app\nCMD ["python", "-m", "app"]\n',
        "app/config.yaml": config,
        "app/app/main.py": code,
        **(more or {}),
    }
    stack = make_stack(tmp_path, SERVICES, files)
    verdict: Verdict = getattr(runtime, fn)(service(stack, name))
    return verdict


def replace(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


# -- runtime.healthcheck --------------------------------------------------------------------------


def test_healthcheck_present_passes(tmp_path: Path) -> None:
    verdict = check(tmp_path, "healthcheck")
    assert verdict.outcome is Outcome.PASSED
    assert verdict.evidence[0].location == "stack/compose.yml:9"
    assert "curl -fsS http://localhost:8080/healthz" in verdict.evidence[0].detail


def test_missing_or_disabled_healthcheck_fails(tmp_path: Path) -> None:
    no_hc = GOOD_DB.split("    healthcheck:")[0] + "    restart: always\n"
    verdict = check(tmp_path, "healthcheck", "db", db=no_hc)
    assert verdict.outcome is Outcome.FAILED
    assert "no healthcheck" in verdict.reason
    disabled = replace(GOOD_DB, '      test: ["CMD", "redis-cli", "ping"]', "      disable: true")
    verdict = check(tmp_path, "healthcheck", "db", db=disabled)
    assert verdict.outcome is Outcome.FAILED
    assert "disabled" in verdict.reason


def test_dockerfile_healthcheck_counts_and_none_disables(tmp_path: Path) -> None:
    app = GOOD_APP.split("    healthcheck:")[0] + "    restart: unless-stopped\n"
    dockerfile = (
        "FROM python:3.11-slim\nHEALTHCHECK --interval=20s --start-period=10s --retries=3 "
        'CMD curl -f http://localhost:8080/healthz || exit 1\nCMD ["python"]\n'
    )
    verdict = check(tmp_path, "healthcheck", app=app, more={"app/Dockerfile": dockerfile})
    assert verdict.outcome is Outcome.PASSED
    assert verdict.evidence[0].location == "stack/app/Dockerfile:2"
    assert check(tmp_path, "startup_bounded", app=app, more={"app/Dockerfile": dockerfile}).outcome is Outcome.PASSED
    none = "FROM python:3.11-slim\nHEALTHCHECK NONE\n"
    assert check(tmp_path, "healthcheck", app=app, more={"app/Dockerfile": none}).outcome is Outcome.FAILED


def test_gate_is_not_applicable(tmp_path: Path) -> None:
    for fn in (
        "healthcheck",
        "healthcheck_liveness",
        "restart_policy",
        "startup_bounded",
        "resource_limits",
        "backoff_retry",
    ):
        verdict = check(tmp_path, fn, "gate")
        assert verdict.outcome is Outcome.NOT_APPLICABLE, fn
        assert verdict.reason


# -- runtime.healthcheck-liveness -----------------------------------------------------------------


def test_own_port_probe_is_liveness(tmp_path: Path) -> None:
    verdict = check(tmp_path, "healthcheck_liveness")
    assert verdict.outcome is Outcome.PASSED
    assert verdict.scope is Scope.STATIC_ONLY


@pytest.mark.parametrize(
    ("test", "kind"),
    [
        ('["CMD", "redis-cli", "-h", "db", "ping"]', "connectivity-only"),
        ('["CMD-SHELL", "test -n \\"$$(find /data/events.jsonl -mmin -2)\\""]', "freshness-based"),
    ],
)
def test_dependency_or_file_probe_fails(tmp_path: Path, test: str, kind: str) -> None:
    app = replace(GOOD_APP, '["CMD", "curl", "-fsS", "http://localhost:8080/healthz"]', test)
    verdict = check(tmp_path, "healthcheck_liveness", app=app)
    assert verdict.outcome is Outcome.FAILED
    assert kind in verdict.reason
    assert "stack/compose.yml:9" in verdict.reason
    assert verdict.evidence[0].location == "stack/compose.yml:9"


# -- runtime.restart-policy -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "outcome"),
    [
        ("    restart: unless-stopped\n", Outcome.PASSED),
        ("    restart: on-failure:5\n", Outcome.PASSED),
        ('    restart: "no"\n', Outcome.FAILED),
        ("", Outcome.FAILED),
        ("    deploy:\n      restart_policy:\n        condition: any\n", Outcome.PASSED),
        ("    deploy:\n      restart_policy:\n        condition: none\n", Outcome.FAILED),
    ],
)
def test_restart_policy(tmp_path: Path, line: str, outcome: Outcome) -> None:
    db = "\n    image: redis:7.2.4-alpine\n" + line
    verdict = check(tmp_path, "restart_policy", "db", db=db)
    assert verdict.outcome is outcome, verdict.reason
    assert verdict.evidence


# -- runtime.startup-bounded ----------------------------------------------------------------------


def test_startup_bounded_passes_and_reports_bound(tmp_path: Path) -> None:
    verdict = check(tmp_path, "startup_bounded")
    assert verdict.outcome is Outcome.PASSED
    assert "unhealthy after <= 105s" in verdict.evidence[0].detail


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("      start_period: 30s\n", "", "start_period not set"),
        ("      start_period: 30s\n", "      start_period: 10m\n", "start_period 600s > 300s"),
        ("      interval: 15s\n", "      interval: 2m\n", "interval 120s"),
        ("      retries: 5\n", "      retries: 0\n", "retries 0 not in 1..10"),
    ],
)
def test_startup_unbounded_fails(tmp_path: Path, old: str, new: str, words: str) -> None:
    verdict = check(tmp_path, "startup_bounded", app=replace(GOOD_APP, old, new))
    assert verdict.outcome is Outcome.FAILED
    assert words in verdict.reason
    assert verdict.evidence[0].location == "stack/compose.yml:9"


# -- runtime.backoff-retry ------------------------------------------------------------------------


def test_backoff_passes_with_healthy_dependency_and_settings(tmp_path: Path) -> None:
    verdict = check(tmp_path, "backoff_retry")
    assert verdict.outcome is Outcome.PASSED, verdict.reason
    locations = [e.location for e in verdict.evidence]
    assert "stack/compose.yml:7" in locations  # depends_on.db
    assert "stack/app/config.yaml:3" in locations  # reconnect_backoff_s
    assert "stack/app/config.yaml:4" in locations  # max_retries
    assert "stack/app/app/main.py:11" in locations  # time.sleep in except inside a loop


def test_list_depends_on_and_started_condition_fail(tmp_path: Path) -> None:
    listed = replace(
        GOOD_APP, "    depends_on:\n      db:\n        condition: service_healthy\n", "    depends_on: [db]\n"
    )
    verdict = check(tmp_path, "backoff_retry", app=listed)
    assert verdict.outcome is Outcome.FAILED
    assert "list" in verdict.reason
    started = replace(GOOD_APP, "service_healthy", "service_started")
    verdict = check(tmp_path, "backoff_retry", app=started)
    assert verdict.outcome is Outcome.FAILED
    assert "service_started" in verdict.reason


def test_no_retry_anywhere_fails(tmp_path: Path) -> None:
    verdict = check(
        tmp_path,
        "backoff_retry",
        config="redis:\n  url: redis://db:6379/0\n  timeout: 5\n",
        code="def run(client):\n    return client.ping()\n",
    )
    assert verdict.outcome is Outcome.FAILED
    assert "no reconnect/retry/backoff setting for db" in verdict.reason
    assert verdict.fix is not None


def test_code_detection_tenacity_and_names(tmp_path: Path) -> None:
    code = (
        "from tenacity import retry, stop_after_attempt\n\n\n@retry(stop=stop_after_attempt(5))\n"
        "def connect():\n    pass\n"
    )
    verdict = check(
        tmp_path,
        "backoff_retry",
        config="x: 1\n",
        code=code,
        more={"app/tests/test_x.py": "def test_retry():\n    pass\n"},
    )
    assert verdict.outcome is Outcome.PASSED
    locations = [e.location for e in verdict.evidence]
    assert "stack/app/app/main.py:4" in locations
    assert not any("tests" in loc for loc in locations)


def test_no_dependencies_no_code_is_not_applicable(tmp_path: Path) -> None:
    verdict = check(tmp_path, "backoff_retry", "db")
    assert verdict.outcome is Outcome.NOT_APPLICABLE
    assert "no depends_on and no code of its own" in verdict.reason


def test_missing_config_or_bad_yaml_fails_with_path(tmp_path: Path) -> None:
    verdict = check(tmp_path, "backoff_retry", config="redis: [unclosed\n")
    assert verdict.outcome is Outcome.FAILED
    assert verdict.reason.startswith("stack/app/config.yaml:")


# -- runtime.resource-limits ----------------------------------------------------------------------


def test_limits_deploy_and_legacy_keys_pass(tmp_path: Path) -> None:
    assert check(tmp_path, "resource_limits").outcome is Outcome.PASSED
    verdict = check(tmp_path, "resource_limits", "db")
    assert verdict.outcome is Outcome.PASSED
    assert "memory 1g, cpus 1, pids 200" in verdict.evidence[0].detail


def test_no_pids_limit_fails_even_with_memory_and_cpus(tmp_path: Path) -> None:
    """A fork bomb exhausts the host's pid table whatever the memory and CPU limits say."""
    db = replace(GOOD_DB, "    pids_limit: 200\n", "")
    verdict = check(tmp_path, "resource_limits", "db", db=db)
    assert verdict.outcome is Outcome.FAILED
    assert "no pids limit" in verdict.reason
    assert "pids_limit" in verdict.reason
    assert verdict.fix
    assert "pids: 256" in verdict.fix


def test_pids_limit_of_minus_one_is_unlimited(tmp_path: Path) -> None:
    db = replace(GOOD_DB, "    pids_limit: 200\n", "    pids_limit: -1\n")
    verdict = check(tmp_path, "resource_limits", "db", db=db)
    assert verdict.outcome is Outcome.FAILED
    assert "no pids limit" in verdict.reason


def test_missing_limits_fail(tmp_path: Path) -> None:
    db = replace(GOOD_DB, "    cpus: 1\n", "")
    verdict = check(tmp_path, "resource_limits", "db", db=db)
    assert verdict.outcome is Outcome.FAILED
    assert "no cpus limit" in verdict.reason
    assert verdict.scope is Scope.STATIC_ONLY
