"""The embedded desk stack evaluated at the seed's Day 27 reproduces the seed's scorecard from evidence."""

from __future__ import annotations

import json
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.desk import run_desk

SEED_LEVELS = {
    "hummingbot-bots": "L1",
    "redis": "L1",
    "signal-service": "L1",
    "risk-service": "L1",
    "coordination-service": "L1",
    "event-store-service": "L1.5",
    "reconciliation-service": "L1.5",
    "shadow-parity-service": "L1.5",
    "portfolio-risk-service": "L1.5",
    "exchange-snapshot-service": "L1.5",
    "promotion-gates": "L2",
    "monitoring": "L2",
    "postgres-ops-db-writer": "L1.5",
}
CONNECTIVITY_ONLY = ("signal-service", "risk-service", "coordination-service")
FRESHNESS_BASED = (
    "event-store-service",
    "reconciliation-service",
    "shadow-parity-service",
    "portfolio-risk-service",
    "exchange-snapshot-service",
    "postgres-ops-db-writer",
)


@pytest.fixture
def desk(
    desk_run: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """This module reads the run's output and exit status too, not only its JSON."""
    return desk_run


def test_levels_overall_and_gate_match_the_seed(desk: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    proc, data = desk
    assert {s["name"]: s["level"] for s in data["services"]} == SEED_LEVELS
    assert data["checkpoint"]["overall"] == "L1.5"
    assert data["checkpoint"]["gate"] == "FAIL"
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "Gate: FAIL" in proc.stdout


def test_healthchecks_classified_as_the_seed_says(
    desk: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    _, data = desk
    by = {(r["service"], r["criterion"]): r for r in data["results"]}
    for name in CONNECTIVITY_ONLY:
        result = by[(name, "runtime.healthcheck-liveness")]
        assert result["outcome"] == "failed"
        assert "connectivity-only" in result["reason"]
    for name in FRESHNESS_BASED:
        result = by[(name, "runtime.healthcheck-liveness")]
        assert result["outcome"] == "failed"
        assert "freshness-based" in result["reason"]
    for name in ("redis", "monitoring"):
        assert by[(name, "runtime.healthcheck-liveness")]["outcome"] == "passed"
    # `pgrep -f hummingbot_quickstart.py` only proves a process exists: a wedged bot stays "healthy"
    bots = by[("hummingbot-bots", "runtime.healthcheck-liveness")]
    assert bots["outcome"] == "failed"
    assert "process-only" in bots["reason"]


def test_top_gaps_name_the_seed_gaps(desk: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    _, data = desk
    gaps = {s["name"]: [g["criterion"] for g in s["gaps"]] for s in data["services"]}
    for name in CONNECTIVITY_ONLY:
        assert gaps[name] == ["observability.alerts", "runtime.healthcheck-liveness", "slo.freshness"]
    assert set(gaps["hummingbot-bots"]) == {
        "hummingbot.fills-recorded",
        "hummingbot.paper-live-parity",
        "observability.alerts",
    }
    assert gaps["redis"][:2] == ["data.backup-restore", "observability.alerts"]
    assert "data.retention" in gaps["event-store-service"]
    assert "qa.promotion-gate" in gaps["promotion-gates"]
    blocking = data["checkpoint"]["blocking"]
    assert next(iter(blocking)) == "runtime.healthcheck-liveness"
    assert len(blocking["runtime.healthcheck-liveness"]) == 10  # the seed's nine, and the bots' pgrep


def test_every_result_is_complete_and_valid(desk: tuple[subprocess.CompletedProcess[str], dict[str, Any]]) -> None:
    _, data = desk
    schema = json.loads(resources.files("pytest_readiness").joinpath("schema/result.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)
    criteria = {c["id"] for c in data["criteria"]}
    results = {(r["service"], r["criterion"]) for r in data["results"]}
    assert results == {(s, c) for s in SEED_LEVELS for c in criteria}
    for r in data["results"]:
        if r["outcome"] in ("failed", "error"):
            assert r["reason"], r
        if r["outcome"] in ("passed", "failed"):
            assert r["evidence"], r
        if r["outcome"] == "not_applicable":
            assert r["reason"], r
    assert not [r for r in data["results"] if r["outcome"] == "error"]


def test_builtin_results_cite_artifacts_not_the_test(
    desk: tuple[subprocess.CompletedProcess[str], dict[str, Any]],
) -> None:
    _, data = desk
    lazy = [
        (r["service"], r["criterion"])
        for r in data["results"]
        if r["nodeid"].startswith("readiness_tests/")
        and r["outcome"] in ("passed", "failed")
        and all("readiness_tests/" in e["location"] for e in r["evidence"])
    ]
    assert not lazy


def test_xdist_gives_the_same_scorecard(
    desk: tuple[subprocess.CompletedProcess[str], dict[str, Any]], tmp_path: Path
) -> None:
    _, serial = desk
    _, parallel = run_desk(tmp_path, "-n", "2")
    assert parallel["services"] == serial["services"]
    assert parallel["checkpoint"] == serial["checkpoint"]
    strip = lambda r: {k: v for k, v in r.items() if k != "nodeid"}  # noqa: E731
    assert [strip(r) for r in parallel["results"]] == [strip(r) for r in serial["results"]]
