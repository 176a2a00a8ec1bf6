"""``--readiness-fix-alerts``: the missing rules and their tests pass promtool, and then satisfy the criterion."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_readiness.alert_fix import promtool_tests_for, render, write
from pytest_readiness.checks import observability
from pytest_readiness.results import Outcome
from tests.engines import require_promtool
from tests.stacks import make_stack, service

SERVICES = """
version: 1
stack:
  name: t
  root: stack
  compose: [compose.yml]
  alert_rules: [rules/have.yml]
  default_owner: Ops
services:
  - {name: api, kind: service, compose_services: [api], target: L2, owner: Payments,
     reports: [{path: r/api.json, max_age: 15m}]}
  - {name: queue, kind: worker, compose_services: [queue], target: L2}
  - {name: db, kind: datastore, compose_services: [db], target: L2}
  - {name: migrate, kind: job, compose_services: [migrate], target: L2}
"""
FILES = {
    "compose.yml": """
        services:
          api: {image: "a:1.0"}
          queue: {image: "q:1.0"}
          db: {image: "postgres:16.4"}
          migrate: {image: "a:1.0", command: ["migrate"], restart: "no"}
    """,
    "rules/have.yml": """
        groups:
          - name: db
            rules:
              - alert: DbDown
                expr: up{job="db"} == 0
                labels: {service: db}
    """,
}


def test_only_what_is_missing_is_generated(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, SERVICES, FILES)
    rules, tests, count = render(stack, tmp_path / "gen.yml")
    assert count == 4  # api: stale + failure; queue: failure + lag; db covered; the job has none
    assert "ApiStale" in rules
    assert "time() - api_last_success_timestamp_seconds > 900" in rules
    assert "QueueLag" in rules
    assert "DbDown" not in rules
    assert "Migrate" not in rules
    assert "owner: Payments" in rules
    assert "rule_files:\n- gen.yml" in tests
    assert promtool_tests_for(tmp_path / "gen.yml").name == "gen.test.yml"


def test_generated_rules_pass_promtool_and_then_the_criterion(tmp_path: Path) -> None:
    promtool = require_promtool()
    stack = make_stack(tmp_path, SERVICES, FILES)
    target = tmp_path / "stack" / "rules" / "gen.yml"
    tests, _ = write(stack, target)
    check = subprocess.run([promtool, "check", "rules", str(target)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    run = subprocess.run([promtool, "test", "rules", tests.name], cwd=tests.parent, capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    again = make_stack(tmp_path, SERVICES.replace("[rules/have.yml]", "[rules/have.yml, rules/gen.yml]"), {})
    for name in ("api", "queue", "db"):
        verdict = observability.alerts(service(again, name))
        assert verdict.outcome is Outcome.PASSED, (name, verdict.reason)
    assert observability.alerts(service(again, "migrate")).outcome is Outcome.NOT_APPLICABLE


@pytest.mark.parametrize("bad", ["groups: 5\n", "groups: [{name: g, rules: [{alert: X, expr: 'up ==', labels: 3}]}]\n"])
def test_broken_existing_rules_generate_everything_and_never_crash(tmp_path: Path, bad: str) -> None:
    stack = make_stack(tmp_path, SERVICES, {**FILES, "rules/have.yml": bad})
    _, _, count = render(stack, tmp_path / "gen.yml")
    assert count == 5
