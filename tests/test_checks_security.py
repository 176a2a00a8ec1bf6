"""Unit tests of the security criteria (secrets in logs, exposure, least privilege, key rotation)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_readiness.checks import security
from pytest_readiness.results import Outcome, Scope, Verdict
from tests.stacks import make_stack, service

SERVICES = """
version: 1
stack:
  name: t
  root: stack
  compose: [compose/compose.yml]
  runbooks: runbooks.md
  key_rotation: {{heading: Key rotation, max_age: 90d}}
  secrets: [API_SECRET, DB_PASSWORD]
  allowed_bind_addresses: [10.0.0.5]
services:
  - name: app
    kind: service
    compose_services: [app]
    target: L2
    logs: [logs/app/*.log]
    reports:
      - {{path: reports/app.json, max_age: 10m}}
    outputs:
      - {{dataset: out, path: outputs/app.jsonl}}
  - name: db
    kind: datastore
    compose_services: [db]
    target: L2
    logs: [logs/db/*.log]
  - name: gate
    kind: gate
    target: L2
    logs: [logs/gate/*.log]
"""

APP = """
    image: acme/app:1.0.0
    environment:
      API_SECRET: ${{API_SECRET}}
      LOG_LEVEL: info
    ports:
      - "{port}"
    user: "10001"
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    read_only: true
"""

DB = """
    image: postgres:16.2-alpine
    environment:
      - POSTGRES_USER=ops
      - POSTGRES_PASSWORD=${{DB_PASSWORD}}
"""

LOG = """
2026-02-27T11:50:00Z INFO app started version=1.0.0
{"ts": "2026-02-27T11:51:00Z", "level": "info", "msg": "order placed", "order_id": "a3f9c2e1b7d84f6a9e0c1d2b3a4f5e6d"}
{"ts": "2026-02-27T11:52:00Z", "level": "info", "msg": "auth ok", "password": "***"}
"""

REPORT = """
{"generated_at": "2026-02-27T11:55:00Z", "status": "pass",
 "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
"""

RUNBOOK = """
# Runbooks

## Restarts

Restart with docker compose.

## Key rotation

Last reviewed: {reviewed}

1. Create a new key, store it in the vault.
2. Redeploy and delete the old key.

## Other

Text.
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("API_SECRET", "DB_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


def files(
    *,
    port: str = "127.0.0.1:8080:8080",
    app: str = APP,
    log: str = LOG,
    report: str = REPORT,
    reviewed: str = "2026-01-15",
    more: dict[str, str] | None = None,
) -> dict[str, str]:
    return {
        "compose/compose.yml": "services:\n  app:"
        + app.format(port=port).rstrip()
        + "\n  db:"
        + DB.format().rstrip()
        + "\n",
        "logs/app/app.log": log,
        "reports/app.json": report,
        "outputs/app.jsonl": '{"id": "1", "value": 3}\n',
        "runbooks.md": RUNBOOK.format(reviewed=reviewed),
        **(more or {}),
    }


def check(tmp_path: Path, fn: str, name: str = "app", **kwargs: object) -> Verdict:
    stack = make_stack(tmp_path, SERVICES.format(), files(**kwargs))  # type: ignore[arg-type]
    verdict: Verdict = getattr(security, fn)(service(stack, name))
    return verdict


# -- security.secrets-not-logged ------------------------------------------------------------------


def test_clean_files_pass_with_count(tmp_path: Path) -> None:
    verdict = check(tmp_path, "secrets_not_logged")
    assert verdict.outcome is Outcome.PASSED, verdict.reason
    assert "3 file(s)" in verdict.reason
    assert any("2 environment value(s)" in e.detail for e in verdict.evidence)


def test_declared_secret_value_in_log_fails_without_showing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    value = "Zq8xLm2Vp4Rt6Nw"
    monkeypatch.setenv("API_SECRET", value)
    log = LOG + f"2026-02-27T11:53:00Z DEBUG signing with {value}\n"
    verdict = check(tmp_path, "secrets_not_logged", log=log)
    assert verdict.outcome is Outcome.FAILED
    assert verdict.evidence[0].location == "stack/logs/app/app.log:4"
    assert "API_SECRET" in verdict.evidence[0].detail
    shown = verdict.reason + " ".join(f"{e.location} {e.detail}" for e in verdict.evidence)
    assert value not in shown


def test_dotenv_value_beside_compose_counts(tmp_path: Path) -> None:
    value = "pg-Secret-Value-771"
    verdict = check(
        tmp_path,
        "secrets_not_logged",
        "db",
        more={
            "compose/.env": f"DB_PASSWORD={value}\nOTHER=6379\n",
            "logs/db/db.log": f"FATAL password authentication failed ({value})\nport 6379\n",
        },
    )
    assert verdict.outcome is Outcome.FAILED
    assert "DB_PASSWORD" in verdict.evidence[0].detail
    assert len(verdict.evidence) == 1
    assert value not in verdict.reason + verdict.evidence[0].detail


@pytest.mark.parametrize(
    ("line", "detector"),
    [
        ('{"level": "info", "msg": "aws", "key": "AKIAIOSFODNN7EXAMPLE"}', "AWS Access Key"),
        ("-----BEGIN RSA PRIVATE KEY-----", "Private Key"),
        ('connecting with api_key="Xk29fj38SLd92kfj3lsd9"', "Secret Keyword"),
        ("db url postgresql://ops:s3cretpw@db:5432/ops", "password in a URL"),
    ],
)
def test_secret_shaped_tokens_fail_masked(tmp_path: Path, line: str, detector: str) -> None:
    verdict = check(tmp_path, "secrets_not_logged", log=LOG + line + "\n")
    assert verdict.outcome is Outcome.FAILED, verdict.reason
    assert verdict.evidence[0].location == "stack/logs/app/app.log:4"
    assert detector in verdict.evidence[0].detail
    assert "value masked" in verdict.evidence[0].detail


def test_literal_secret_in_compose_environment_fails(tmp_path: Path) -> None:
    app = APP.replace("${{API_SECRET}}", "hardcoded-secret-1234")
    verdict = check(tmp_path, "secrets_not_logged", app=app)
    assert verdict.outcome is Outcome.FAILED
    assert verdict.evidence[0].location == "stack/compose/compose.yml:5"
    assert "hardcoded-secret-1234" not in verdict.reason


def test_nothing_to_scan_is_not_observed(tmp_path: Path) -> None:
    verdict = check(tmp_path, "secrets_not_logged", "gate")
    assert verdict.outcome is Outcome.NOT_OBSERVED
    assert "logs/gate/*.log" in verdict.reason


# -- security.network-exposure --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("port", "outcome"),
    [
        ("127.0.0.1:8080:8080", Outcome.PASSED),
        ("[::1]:8080:8080", Outcome.PASSED),
        ("10.0.0.5:8080:8080", Outcome.PASSED),
        ("8080:8080", Outcome.FAILED),
        ("0.0.0.0:8080:8080", Outcome.FAILED),
        ("192.168.1.10:8080:8080", Outcome.FAILED),
    ],
)
def test_port_bindings(tmp_path: Path, port: str, outcome: Outcome) -> None:
    verdict = check(tmp_path, "network_exposure", port=port)
    assert verdict.outcome is outcome, verdict.reason
    assert verdict.evidence[0].location == "stack/compose/compose.yml:8"
    assert verdict.scope is Scope.STATIC_ONLY


def test_no_published_ports_passes_and_gate_not_applicable(tmp_path: Path) -> None:
    verdict = check(tmp_path, "network_exposure", "db")
    assert verdict.outcome is Outcome.PASSED
    assert "no published ports" in verdict.evidence[0].detail
    assert check(tmp_path, "network_exposure", "gate").outcome is Outcome.NOT_APPLICABLE


def test_host_network_fails(tmp_path: Path) -> None:
    app = "\n    image: acme/app:1.0.0\n    network_mode: host\n"
    verdict = check(tmp_path, "network_exposure", app=app)
    assert verdict.outcome is Outcome.FAILED
    assert "network_mode: host" in verdict.reason


# -- security.least-privilege ---------------------------------------------------------------------


def test_least_privilege_passes_when_hardened(tmp_path: Path) -> None:
    verdict = check(tmp_path, "least_privilege")
    assert verdict.outcome is Outcome.PASSED, verdict.reason


def test_least_privilege_lists_every_gap(tmp_path: Path) -> None:
    verdict = check(tmp_path, "least_privilege", "db")
    assert verdict.outcome is Outcome.FAILED
    details = [e.detail for e in verdict.evidence]
    assert len(details) == 4
    assert any("no user set" in d for d in details)
    assert any("cap_drop" in d for d in details)
    assert any("no-new-privileges" in d for d in details)
    assert any("read_only" in d for d in details)


def test_root_user_and_privileged_fail(tmp_path: Path) -> None:
    app = APP.replace('user: "10001"', 'user: "0:0"\n    privileged: true')
    verdict = check(tmp_path, "least_privilege", app=app)
    assert verdict.outcome is Outcome.FAILED
    assert "is root" in verdict.reason
    assert "privileged" in verdict.reason


def test_dockerfile_user_counts(tmp_path: Path) -> None:
    app = APP.replace('    user: "10001"\n', "    build: ../app\n")
    verdict = check(
        tmp_path,
        "least_privilege",
        app=app,
        more={"app/Dockerfile": 'FROM python:3.11-slim\nUSER 10001\nCMD ["python"]\n'},
    )
    assert verdict.outcome is Outcome.PASSED, verdict.reason


# -- security.key-rotation ------------------------------------------------------------------------


def test_key_rotation_reviewed_recently_passes(tmp_path: Path) -> None:
    verdict = check(tmp_path, "key_rotation")
    assert verdict.outcome is Outcome.PASSED, verdict.reason
    locations = [e.location for e in verdict.evidence]
    assert "stack/runbooks.md:7" in locations
    assert "stack/runbooks.md:9" in locations
    assert "stack/compose/compose.yml:5" in locations


def test_key_rotation_stale_fails(tmp_path: Path) -> None:
    verdict = check(tmp_path, "key_rotation", reviewed="2025-09-01")
    assert verdict.outcome is Outcome.FAILED
    assert "older than 90d" in verdict.reason


def test_key_rotation_missing_or_empty_section_fails(tmp_path: Path) -> None:
    verdict = check(tmp_path, "key_rotation", more={"runbooks.md": "# Runbooks\n\n## Restarts\n\nText.\n"})
    assert verdict.outcome is Outcome.FAILED
    assert "no 'Key rotation' heading" in verdict.reason
    empty = "# Runbooks\n\n## Key rotation\n\nLast reviewed: 2026-02-01\n\n## Other\n\nx\n"
    verdict = check(tmp_path, "key_rotation", more={"runbooks.md": empty})
    assert verdict.outcome is Outcome.FAILED
    assert "empty" in verdict.reason


def test_key_rotation_not_applicable_without_secret_use(tmp_path: Path) -> None:
    app = APP.replace("      API_SECRET: ${{API_SECRET}}\n", "")
    verdict = check(tmp_path, "key_rotation", app=app)
    assert verdict.outcome is Outcome.NOT_APPLICABLE
    assert check(tmp_path, "key_rotation", "gate").outcome is Outcome.NOT_APPLICABLE
    assert check(tmp_path, "key_rotation", "db").outcome is Outcome.PASSED


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_key_rotation_prefers_git_history(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, SERVICES.format(), files(reviewed="2026-02-20"))
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
        "GIT_AUTHOR_DATE": "2025-06-01T10:00:00Z",
        "GIT_COMMITTER_DATE": "2025-06-01T10:00:00Z",
        "PATH": "/usr/bin:/bin:/usr/local/bin",
        "HOME": str(tmp_path),
    }
    for args in (["init", "-q"], ["add", "stack/runbooks.md"], ["commit", "-q", "-m", "runbook"]):
        subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True)
    verdict = security.key_rotation(service(stack, "app"))
    assert verdict.outcome is Outcome.FAILED
    assert "git" in " ".join(e.detail for e in verdict.evidence)
