"""Unit tests of the SLO check functions (evidence freshness, alert and SLO ownership)."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_readiness.checks import slo
from pytest_readiness.results import Outcome
from tests.stacks import make_stack, service

BASE = """
version: 1
stack:
  name: t
  root: stack
  alert_rules: [rules.yml]
  default_owner: Desk Ops
services:
  - name: recon
    kind: service
    target: L2
    reports:
      - {path: reports/recon.json, max_age: 10m, timestamp: generated_at}
  - name: writer
    kind: worker
    target: L2
    outputs:
      - {dataset: staged, path: out/staged.jsonl, key: id}
  - name: cache
    kind: datastore
    target: L2
slos:
  - {domain: Recon freshness, service: recon, evidence: reports/recon.json, timestamp: generated_at, max_age: 10m,
     alert: ReconStale, owner: Recon Team}
"""

RULES = """
groups:
  - name: recon
    rules:
      - alert: ReconStale
        expr: time() - recon_last_success_timestamp_seconds > 600
        labels: {service: recon, owner: Recon Team}
      - alert: ReconFailed
        expr: recon_last_status == 0
        labels: {service: recon}
        annotations: {owner: Recon Team}
"""


def files(**over: str | None) -> dict[str, str]:
    base: dict[str, str | None] = {
        "rules.yml": RULES,
        "reports/recon.json": '{\n  "generated_at": "2026-02-27T11:55:00Z",\n  "status": "pass"\n}',
        "out/staged.jsonl": '{"id": 1}\n',
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def test_freshness_pass_and_na(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files())
    v = slo.freshness(service(stack, "recon"))
    assert v.outcome is Outcome.PASSED
    assert re.search(r"age 5m( 0s)? <= 10m", v.reason)
    assert any(e.location.endswith("reports/recon.json:2") for e in v.evidence)
    assert slo.freshness(service(stack, "cache")).outcome is Outcome.NOT_APPLICABLE


def test_freshness_stale_gives_age_vs_baseline(tmp_path: Path) -> None:
    report = '{"generated_at": "2026-02-22T09:00:00Z"}'
    stack = make_stack(tmp_path, BASE, files(**{"reports/recon.json": report}))
    v = slo.freshness(service(stack, "recon"))
    assert v.outcome is Outcome.FAILED
    assert "5d 3h old, baseline 10m" in v.reason


def test_freshness_missing_evidence_and_uncovered_outputs(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files(**{"reports/recon.json": None}))
    v = slo.freshness(service(stack, "recon"))
    assert v.outcome is Outcome.FAILED
    assert "does not exist" in v.reason
    v = slo.freshness(service(stack, "writer"))
    assert v.outcome is Outcome.FAILED
    assert "no freshness SLO covers writer's outputs" in v.reason


def test_alert_ownership_pass(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files())
    v = slo.alert_ownership(service(stack, "recon"))
    assert v.outcome is Outcome.PASSED, v.reason
    assert len(v.evidence) == 3


def test_alert_ownership_default_owner_missing_alert_and_nothing_at_all(tmp_path: Path) -> None:
    yaml = BASE.replace("owner: Recon Team}", "owner: desk ops}").replace("alert: ReconStale", "alert: ReconGone")
    rules = RULES.replace("annotations: {owner: Recon Team}", "annotations: {summary: x}")
    stack = make_stack(tmp_path, yaml, files(**{"rules.yml": rules}))
    v = slo.alert_ownership(service(stack, "recon"))
    assert v.outcome is Outcome.FAILED
    assert "SLO 'Recon freshness'" in v.reason
    assert "alert ReconFailed" in v.reason
    assert "alert ReconStale" not in v.reason
    assert "ReconGone is not in" in v.reason
    v = slo.alert_ownership(service(stack, "cache"))
    assert v.outcome is Outcome.FAILED
    assert "no SLO row and no alert rule" in v.reason
