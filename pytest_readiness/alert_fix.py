"""``--readiness-fix-alerts=PATH``: the alert rules every service is missing, and promtool tests that fire them.

For each row, the families ``observability.alerts`` requires (failure for every service, staleness for a
report/output writer, lag for a consumer or replica) minus those its rules already cover become rules
labelled ``service: <row>`` with the row's owner; ``PATH`` gets the rules and ``<stem>.test.yml`` beside
it a promtool unit test per rule whose input series make it fire. Both pass ``promtool check rules`` and
``promtool test rules``; adding ``PATH`` to ``stack.alert_rules`` satisfies ``observability.alerts``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .checks.observability import (
    CATEGORIES,
    _camel,
    _target_host,
    classify,
    load_alert_rules,
    required_families,
    row_rules,
)
from .context import Service, Stack
from .files import write_atomic

DEFAULT_STALE_S = 600
DEFAULT_LAG = 1000
FOR = {"failure": "2m", "stale": "5m", "lag": "10m"}


@dataclass(frozen=True)
class Missing:
    """One alert a row lacks."""

    service: str
    family: str
    owner: str
    job: str
    metric: str
    threshold: int


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "service"


def _scrape_job(service: Service) -> str:
    wanted = (service.spec.raw.get("metrics") or {}).get("job")
    if wanted:
        return str(wanted)
    rel = service.config.stack.get("prometheus_config")
    hosts = set(service.spec.compose_services)
    if rel:
        try:
            data = service.artifacts.yaml(service.path(str(rel))).data
        except Exception:
            data = None
        for job in (data or {}).get("scrape_configs") or [] if isinstance(data, dict) else []:
            if not isinstance(job, dict):
                continue
            for static in job.get("static_configs") or []:
                for target in (static or {}).get("targets") or [] if isinstance(static, dict) else []:
                    if _target_host(str(target)) in hosts:
                        return str(job.get("job_name", ""))
    return next(iter(service.spec.compose_services), service.name)


def _stale_threshold(service: Service) -> int:
    ages = [s.evidence.max_age for s in service.config.slos if s.service == service.name and s.evidence.max_age]
    ages += [r.max_age for r in service.reports if r.max_age]
    return int(min(ages).total_seconds()) if ages else DEFAULT_STALE_S


def missing_alerts(stack: Stack) -> list[Missing]:
    """What each row's rules lack, in catalog order (jobs and gates have no alerts of their own)."""
    out: list[Missing] = []
    for spec in stack.config.services:
        service = Service(stack, spec)
        if spec.kind in ("job", "gate"):
            continue
        required, _ = required_families(service)
        ruleset = load_alert_rules(service)
        covered: set[str] = set()
        if not ruleset.problems:
            for rule in row_rules(service, ruleset):
                covered |= classify(rule)
        metrics = spec.raw.get("metrics") or {}
        owner = spec.owner or stack.config.default_owner or "unowned"
        for family in (f for f in CATEGORIES if f in required and f not in covered):
            if family == "failure":
                metric, threshold = "up", 0
            elif family == "stale":
                metric = str(metrics.get("freshness_metric") or f"{_snake(spec.name)}_last_success_timestamp_seconds")
                threshold = _stale_threshold(service)
            else:
                metric, threshold = str(metrics.get("lag_metric") or f"{_snake(spec.name)}_consumer_lag"), DEFAULT_LAG
            out.append(Missing(spec.name, family, owner, _scrape_job(service), metric, threshold))
    return out


def _rule(m: Missing) -> dict[str, Any]:
    name = _camel(m.service) + {"failure": "Down", "stale": "Stale", "lag": "Lag"}[m.family]
    if m.family == "failure":
        expr = f'up{{job="{m.job}"}} == 0'
        summary = f"{m.service} is down: Prometheus cannot scrape job {m.job}"
    elif m.family == "stale":
        expr = f"time() - {m.metric} > {m.threshold}"
        summary = f"{m.service} is stale: no success for more than {m.threshold}s ({m.metric})"
    else:
        expr = f"{m.metric} > {m.threshold}"
        summary = f"{m.service} lags: {m.metric} above {m.threshold}"
    return {
        "alert": name,
        "expr": expr,
        "for": FOR[m.family],
        "labels": {"service": m.service, "severity": "page" if m.family == "failure" else "warning", "owner": m.owner},
        "annotations": {
            "summary": summary,
            "owner": m.owner,
            "generated_by": "pytest-readiness --readiness-fix-alerts",
        },
    }


def _test(m: Missing, rule: dict[str, Any]) -> dict[str, Any]:
    labels = {"job": m.job, "instance": f"{m.job}:9100"}
    if m.family == "failure":
        series, values = f'up{{job="{m.job}", instance="{m.job}:9100"}}', "0x20"
    elif m.family == "stale":
        series, values = f'{m.metric}{{job="{m.job}", instance="{m.job}:9100"}}', ""
    else:
        series, values = f'{m.metric}{{job="{m.job}", instance="{m.job}:9100"}}', f"{m.threshold * 5}x60"
    eval_time = {"failure": "10m", "stale": f"{max(m.threshold // 60 + 15, 20)}m", "lag": "30m"}[m.family]
    if m.family == "stale":  # the success timestamp stays at 0 while time() runs past the threshold
        values = f"0x{max(m.threshold // 60 + 30, 60)}"
    return {
        "interval": "1m",
        "input_series": [{"series": series, "values": values}],
        "alert_rule_test": [
            {
                "eval_time": eval_time,
                "alertname": rule["alert"],
                "exp_alerts": [{"exp_labels": {**labels, **rule["labels"]}, "exp_annotations": rule["annotations"]}],
            }
        ],
    }


def render(stack: Stack, rules_path: Path) -> tuple[str, str, int]:
    """(rules text, tests text, number of rules) for the stack's missing alerts."""
    missing = missing_alerts(stack)
    groups: dict[str, list[dict[str, Any]]] = {}
    tests: list[dict[str, Any]] = []
    for m in missing:
        rule = _rule(m)
        groups.setdefault(m.service, []).append(rule)
        tests.append(_test(m, rule))
    header = (
        "# Alert rules written by pytest-readiness --readiness-fix-alerts: what each service's rules lacked.\n"
        "# Review the thresholds and metric names, then add this file to stack.alert_rules.\n"
    )
    rules_doc = {"groups": [{"name": f"readiness-{_snake(name)}", "rules": rules} for name, rules in groups.items()]}
    tests_doc = {"rule_files": [rules_path.name], "evaluation_interval": "1m", "tests": tests}
    return header + _dump(rules_doc), header.replace("Alert rules", "promtool tests") + _dump(tests_doc), len(missing)


def _dump(doc: dict[str, Any]) -> str:
    return str(yaml.safe_dump(doc, sort_keys=False, width=120, allow_unicode=True))


def promtool_tests_for(rules_path: Path) -> Path:
    """``generated.yml`` -> ``generated.test.yml`` beside it."""
    return rules_path.with_name(f"{rules_path.stem}.test{rules_path.suffix or '.yml'}")


def write(stack: Stack, rules_path: Path) -> tuple[Path, int]:
    """Write the rules and their tests; (the tests file, number of rules)."""
    rules_text, tests_text, count = render(stack, rules_path)
    tests = promtool_tests_for(rules_path)
    write_atomic(rules_path, rules_text)
    write_atomic(tests, tests_text)
    return tests, count
