"""The scorecard as Prometheus metrics for node_exporter's textfile collector.

A pure function over the result dict (what ``--readiness-json`` writes), rendered with prometheus_client's
own exposition writer (``generate_latest`` over a private ``CollectorRegistry``), so names, label escaping
and HELP/TYPE lines follow the format exactly. Levels are numbers: ``L1.5`` is 1.5.

Write the text atomically (``files.write_atomic``) into the collector's directory, e.g.
``--readiness-textfile=/var/lib/node_exporter/textfile_collector/readiness.prom``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from .levels import level_number

__all__ = ["CRITERION_VALUES", "render_textfile"]

# Decided outcomes only: not_applicable has no series (absent, not 0).
CRITERION_VALUES = {"passed": 1.0, "waived": 1.0, "failed": 0.0, "error": 0.0, "not_observed": 0.0}


class _ResultCollector:
    """A one-shot collector over a result dict (prometheus_client's Collector protocol)."""

    def __init__(self, result: Mapping[str, Any]) -> None:
        self._result = result

    def collect(self) -> Iterator[Metric]:
        result = self._result
        services = list(result.get("services") or [])
        cp: Mapping[str, Any] = result.get("checkpoint") or {}

        level = GaugeMetricFamily(
            "readiness_level",
            "Readiness level each service reached (0-3; 1.5 and 2.5 are the half steps), labelled with its target.",
            labels=["service", "target"],
        )
        target = GaugeMetricFamily(
            "readiness_target_level", "Readiness level each service is expected to reach (0-3).", labels=["service"]
        )
        meets = GaugeMetricFamily(
            "readiness_meets_target", "1 if the service's level is at or above its target, else 0.", labels=["service"]
        )
        gaps = GaugeMetricFamily(
            "readiness_open_gaps",
            "Criteria the service has not passed (failed, error or not observed), any level.",
            labels=["service"],
        )
        for s in services:
            name = str(s["name"])
            level.add_metric([name, str(s["target"])], level_number(str(s["level"])))
            target.add_metric([name], level_number(str(s["target"])))
            meets.add_metric([name], 1.0 if s.get("meets_target") else 0.0)
            if "open_gaps" in s:
                gaps.add_metric([name], float(s["open_gaps"]))
        yield from (level, target, meets, gaps)

        passed = GaugeMetricFamily(
            "readiness_criterion_passed",
            "1 if the criterion passed (or is waived) for the service, 0 if it failed, errored or was not observed; "
            "not-applicable criteria have no series.",
            labels=["service", "criterion", "level"],
        )
        values: dict[tuple[str, str, str], float] = {}
        for r in result.get("results") or []:
            value = CRITERION_VALUES.get(str(r.get("outcome")))
            if value is None:
                continue
            key = (str(r["service"]), str(r["criterion"]), str(r["level"]))
            values[key] = min(value, values.get(key, value))  # a repeated check counts only if every run passed
        for key, value in values.items():
            passed.add_metric(list(key), value)
        yield passed

        gate = GaugeMetricFamily("readiness_gate_pass", "1 if the readiness gate passed, 0 if it failed.")
        gate.add_metric([], 1.0 if cp.get("gate") == "PASS" else 0.0)
        overall = GaugeMetricFamily(
            "readiness_overall_level", "Overall readiness level of the stack (the checkpoint's level, 0-3)."
        )
        overall.add_metric([], level_number(str(cp.get("overall", "L0"))))
        evaluated = GaugeMetricFamily(
            "readiness_evaluated_timestamp_seconds",
            "Unix time the evidence was evaluated at (the run's evaluation time, not the file's write time).",
        )
        when = datetime.fromisoformat(str(result["evaluated_at"]))
        evaluated.add_metric([], (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())
        yield from (gate, overall, evaluated)


def render_textfile(result: Mapping[str, Any]) -> str:
    """Prometheus text exposition (version 0.0.4) of the scorecard: levels, targets, criteria, gate."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ResultCollector(result))
    text: str = generate_latest(registry).decode("utf-8")
    return text
