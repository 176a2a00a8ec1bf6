"""The node_exporter textfile export: promtool accepts it and it parses back to the desk's levels."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from pytest_readiness.report_textfile import render_textfile
from tests.engines import require_promtool

METRICS = {
    "readiness_level",
    "readiness_target_level",
    "readiness_meets_target",
    "readiness_open_gaps",
    "readiness_criterion_passed",
    "readiness_gate_pass",
    "readiness_overall_level",
    "readiness_evaluated_timestamp_seconds",
}


def samples(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """metric name -> {sorted label items: value}."""
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge", family.name
        assert family.documentation, f"{family.name} has no HELP"
        for sample in family.samples:
            key = tuple(sorted(sample.labels.items()))
            assert key not in out.setdefault(sample.name, {}), f"duplicate series {sample.name}{key}"
            out[sample.name][key] = sample.value
    return out


def promtool_check(text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_promtool(), "check", "metrics"], input=text, text=True, capture_output=True, timeout=60, check=False
    )


OUTCOMES = [
    ("a.pass", "L1", "passed"),
    ("a.waive", "L2", "waived"),
    ("a.fail", "L2", "failed"),
    ("a.err", "L3", "error"),
    ("a.live", "L3", "not_observed"),
    ("a.na", "L2", "not_applicable"),
    ("a.twice", "L2", "passed"),
    ("a.twice", "L2", "failed"),
]


def small_result(**overrides: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "stack": "mini",
        "evaluated_at": "2026-02-27T12:00:30Z",
        "services": [
            {"name": "api", "target": "L3", "level": "L2.5", "meets_target": False, "gaps": [], "evidence": []},
        ],
        "results": [
            {"service": "api", "criterion": criterion, "level": level, "outcome": outcome, "reason": "", "evidence": []}
            for criterion, level, outcome in OUTCOMES
        ],
        "slos": [],
        "checkpoint": {"overall": "L2.5", "gate": "PASS", "reasons": []},
    }
    result.update(overrides)
    return result


def test_promtool_accepts_the_desk_export(desk: dict[str, Any]) -> None:
    text = render_textfile(desk)
    proc = promtool_check(text)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "", "promtool lint findings: " + proc.stdout
    assert proc.stderr.strip() == ""


def test_desk_export_parses_back_to_the_scorecard(desk: dict[str, Any]) -> None:
    text = render_textfile(desk)
    got = samples(text)
    assert set(got) == METRICS
    level = got["readiness_level"]
    assert level[(("service", "event-store-service"), ("target", "L2"))] == 1.5
    assert level[(("service", "signal-service"), ("target", "L2"))] == 1.0
    assert level[(("service", "promotion-gates"), ("target", "L2"))] == 2.0
    assert len(level) == len(desk["services"]) == 13
    assert got["readiness_target_level"][(("service", "redis"),)] == 2.0
    assert got["readiness_meets_target"][(("service", "monitoring"),)] == 1.0
    assert got["readiness_meets_target"][(("service", "redis"),)] == 0.0
    assert sum(got["readiness_meets_target"].values()) == 2
    assert got["readiness_open_gaps"][(("service", "hummingbot-bots"),)] == 16.0  # 3 L3 live/drill: not observed
    assert got["readiness_gate_pass"][()] == 0.0
    assert got["readiness_overall_level"][()] == 1.5
    assert got["readiness_evaluated_timestamp_seconds"][()] == datetime(2026, 2, 27, 12, tzinfo=UTC).timestamp()

    passed = got["readiness_criterion_passed"]
    decided = [r for r in desk["results"] if r["outcome"] != "not_applicable"]
    assert len(passed) == len(decided)
    assert sum(passed.values()) == sum(r["outcome"] in ("passed", "waived") for r in decided)
    key = (("criterion", "runtime.healthcheck-liveness"), ("level", "L2"), ("service", "signal-service"))
    assert passed[key] == 0.0
    key = (("criterion", "runtime.healthcheck-liveness"), ("level", "L2"), ("service", "redis"))
    assert passed[key] == 1.0
    na = next(r for r in desk["results"] if r["outcome"] == "not_applicable")
    na_key = (("criterion", na["criterion"]), ("level", na["level"]), ("service", na["service"]))
    assert na_key not in passed


def test_outcome_values_half_levels_and_duplicates() -> None:
    text = render_textfile(small_result())
    got = samples(text)
    passed = {dict(k)["criterion"]: v for k, v in got["readiness_criterion_passed"].items()}
    assert passed == {"a.pass": 1.0, "a.waive": 1.0, "a.fail": 0.0, "a.err": 0.0, "a.live": 0.0, "a.twice": 0.0}
    assert got["readiness_level"][(("service", "api"), ("target", "L3"))] == 2.5
    assert got["readiness_target_level"][(("service", "api"),)] == 3.0
    assert got["readiness_gate_pass"][()] == 1.0
    assert got["readiness_overall_level"][()] == 2.5
    assert got["readiness_evaluated_timestamp_seconds"][()] == datetime(2026, 2, 27, 12, 0, 30, tzinfo=UTC).timestamp()
    assert "readiness_open_gaps" not in got  # no open_gaps in this result: no series, not a made-up 0
    assert render_textfile(small_result()) == text


def test_label_values_are_escaped() -> None:
    name = 'we"ird\\svc\nname <script>'
    result = small_result(
        services=[{"name": name, "target": "L1", "level": "L0", "meets_target": False, "gaps": [], "evidence": []}],
        results=[
            {"service": name, "criterion": "x.y", "level": "L1", "outcome": "failed", "reason": "", "evidence": []}
        ],
    )
    text = render_textfile(result)
    assert "\nname" not in text
    got = samples(text)
    assert got["readiness_level"][(("service", name), ("target", "L1"))] == 0.0
    proc = promtool_check(text)
    assert proc.returncode == 0, proc.stdout + proc.stderr
