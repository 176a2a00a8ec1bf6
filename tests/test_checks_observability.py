"""Unit tests of the observability check functions on tiny stacks written to tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_readiness.checks import observability, promtool
from pytest_readiness.checks.observability import AlertRule, classify, metric_names
from pytest_readiness.results import Outcome, Scope
from tests.engines import require_promtool
from tests.stacks import make_stack, service

BASE = """
version: 1
stack:
  name: t
  root: stack
  compose: [compose.yml]
  prometheus_config: prom/prometheus.yml
  alert_rules: [prom/rules.yml]
  alert_tests: [prom/rules_test.yml]
  dashboards: [dashboards]
  default_owner: Desk Ops
services:
  - name: api
    kind: service
    compose_services: [api]
    target: L2
    logs: [logs/api/*.log]
    metrics: {job: api, freshness_metric: api_last_event_age_seconds, lag_metric: api_consumer_lag_seconds}
  - name: db
    kind: datastore
    compose_services: [db]
    target: L2
  - name: gate
    kind: gate
    target: L2
"""

COMPOSE = """
services:
  api:
    image: api:1.0
  db:
    image: postgres:16
"""

PROM = """
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: api
    static_configs:
      - targets: ["api:8000"]
  - job_name: postgres
    static_configs:
      - targets:
          - "db:9187"
"""

RULES = """
groups:
  - name: api
    rules:
      - alert: ApiStale
        expr: time() - api_last_event_timestamp_seconds > 600
        labels: {service: api, owner: Desk Ops}
      - alert: ApiErrors
        expr: rate(api_errors_total[5m]) > 0
        labels: {service: api}
      - alert: ApiLag
        expr: api_consumer_lag_seconds > 60
        labels: {service: api}
      - record: job:api_errors:rate5m
        expr: rate(api_errors_total[5m])
  - name: db
    rules:
      - alert: DbDown
        expr: pg_up == 0
        labels: {service: db}
"""

RULES_TEST = """
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: api_last_event_timestamp_seconds
        values: "0x30"
      - series: api_errors_total
        values: "0+10x30"
      - series: api_consumer_lag_seconds
        values: "120x30"
    alert_rule_test:
      - eval_time: 20m
        alertname: ApiStale
        exp_alerts:
          - exp_labels: {service: api, owner: Desk Ops}
      - eval_time: 20m
        alertname: ApiErrors
        exp_alerts:
          - exp_labels: {service: api}
      - eval_time: 20m
        alertname: ApiLag
        exp_alerts:
          - exp_labels: {service: api}
"""

DASHBOARD = """
{
  "title": "API",
  "panels": [
    {"type": "row", "title": "r", "panels": [
      {"title": "lag", "targets": [{"expr": "api_consumer_lag_seconds", "refId": "A"}]}
    ]},
    {"title": "freshness", "targets": [
      {"expr": "time() - api_last_event_timestamp_seconds", "refId": "A"},
      {"expr": "api_last_event_age_seconds", "refId": "B"}
    ]},
    {"title": "errors", "targets": [{"expr": "sum(rate(api_errors_total[5m]))", "refId": "A"}]}
  ]
}
"""

JSON_LOG = '{"ts": "2026-02-27T11:58:00Z", "level": "info", "msg": "tick"}\n'


def files(**over: str) -> dict[str, str]:
    base = {
        "compose.yml": COMPOSE,
        "prom/prometheus.yml": PROM,
        "prom/rules.yml": RULES,
        "prom/rules_test.yml": RULES_TEST,
        "dashboards/api.json": DASHBOARD,
        "logs/api/api.log": JSON_LOG * 5,
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def no_promtool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(promtool, "promtool_path", lambda: None)


# -- PromQL -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("time() - x_ts > 900", ["x_ts"]),
        (
            'sum by (job) (rate(req_total{job="a", code=~"5.."}[5m])) / ignoring(code) sum(rate(req_total[5m]))',
            ["req_total"],
        ),
        ('absent(up{job="prometheus"} == 1)', ["up"]),
        ("histogram_quantile(0.99, sum(rate(lat_bucket[5m])) by (le)) > 1", ["lat_bucket"]),
        ("max_over_time(a[10m:1m]) offset 5m > bool 3 and on(job) group_left(instance) b", ["a", "b"]),
        ('{__name__="named", job="y"} == 0', ["named"]),
        ('label_replace(up, "dst", "$1", "src", "(.*)") unless job:rec:rate5m', ["up", "job:rec:rate5m"]),
        ("sum without (instance) (c) > Inf", ["c"]),
    ],
)
def test_metric_names_skip_functions_keywords_and_labels(expr: str, names: list[str]) -> None:
    assert metric_names(expr) == names


def rule(name: str, expr: str) -> AlertRule:
    return AlertRule(name, expr, {}, {}, "g", "f:1")


@pytest.mark.parametrize(
    ("name", "expr", "cats"),
    [
        ("XStale", "time() - x_last_success_timestamp_seconds > 600", {"stale"}),
        ("XMissing", "absent(x_up)", {"stale"}),
        ("XOld", "x_report_age_seconds > 300", {"stale"}),
        ("XDown", 'up{job="x"} == 0', {"failure"}),
        ("XBroken", "increase(x_write_errors_total[10m]) > 0", {"failure"}),
        ("XBehind", "x_consumer_lag_seconds > 30", {"lag"}),
        ("XSlow", "histogram_quantile(0.99, rate(x_action_latency_seconds_bucket[5m])) > 5", {"lag"}),
        ("XWeird", "x_something > 3", set()),
    ],
)
def test_classify(name: str, expr: str, cats: set[str]) -> None:
    assert classify(rule(name, expr)) == cats


# -- observability.metrics --------------------------------------------------------------------------


def test_metrics_passes_on_job_name_and_on_target_host(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files())
    v = observability.metrics(service(stack, "api"))
    assert v.outcome is Outcome.PASSED
    assert v.scope is Scope.STATIC_ONLY
    assert v.evidence[0].location.endswith("prom/prometheus.yml:4")
    v = observability.metrics(service(stack, "db"))
    assert v.outcome is Outcome.PASSED
    assert "db:9187" in v.evidence[0].detail
    assert v.evidence[0].location.endswith(":10")


def test_metrics_fails_without_matching_job_and_is_na_for_gates(tmp_path: Path) -> None:
    prom = "scrape_configs:\n  - job_name: other\n    static_configs:\n      - targets: ['other:1']\n"
    stack = make_stack(tmp_path, BASE, files(**{"prom/prometheus.yml": prom}))
    v = observability.metrics(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "add a scrape job" in v.reason
    assert v.evidence
    assert v.fix is not None
    assert "job_name: api" in v.fix
    assert observability.metrics(service(stack, "gate")).outcome is Outcome.NOT_APPLICABLE


def test_metrics_bad_yaml_is_one_line_failure(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files(**{"prom/prometheus.yml": "scrape_configs:\n  - job_name: [\n"}))
    v = observability.metrics(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "prom/prometheus.yml:" in v.reason
    assert "YAML" in v.reason


# -- observability.structured-logs ------------------------------------------------------------------


def test_structured_logs_pass(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files())
    v = observability.structured_logs(service(stack, "api"))
    assert v.outcome is Outcome.PASSED
    assert "5/5" in v.reason
    assert v.evidence[0].location.endswith("logs/api/api.log:1")


def test_structured_logs_fail_names_first_offending_line_and_share(tmp_path: Path) -> None:
    log = JSON_LOG * 2 + '{"msg": "no level"}\n' + "2026-02-27 11:58:00 INFO plain text\n"
    stack = make_stack(tmp_path, BASE, files(**{"logs/api/api.log": log}))
    v = observability.structured_logs(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "2/4" in v.reason
    assert "logs/api/api.log:3" in v.reason
    assert "no level field" in v.reason
    assert "plain text" not in v.reason + str(v.evidence)  # never echo log content


def test_structured_logs_samples_only_the_tail(tmp_path: Path) -> None:
    log = "plain old line\n" * 10 + JSON_LOG * 250
    stack = make_stack(tmp_path, BASE, files(**{"logs/api/api.log": log}))
    v = observability.structured_logs(service(stack, "api"))
    assert v.outcome is Outcome.PASSED
    assert "200/200" in v.reason
    assert v.evidence[0].location.endswith("api.log:61")


def test_structured_logs_accepts_other_level_names(tmp_path: Path) -> None:
    log = '{"severity": "INFO"}\n{"levelname": "WARNING"}\n{"log": {"level": "error"}}\n{"level": 30}\n'
    stack = make_stack(tmp_path, BASE, files(**{"logs/api/api.log": log}))
    assert observability.structured_logs(service(stack, "api")).outcome is Outcome.PASSED


def test_structured_logs_not_observed_without_files_and_na_without_logs(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files(**{"logs/api/api.log": None}))  # type: ignore[arg-type]
    v = observability.structured_logs(service(stack, "api"))
    assert v.outcome is Outcome.NOT_OBSERVED
    assert "logs/api/*.log" in v.reason
    assert observability.structured_logs(service(stack, "gate")).outcome is Outcome.NOT_APPLICABLE


# -- observability.alerts ---------------------------------------------------------------------------


def test_alerts_pass_with_stale_failure_lag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_promtool(monkeypatch)
    stack = make_stack(tmp_path, BASE, files())
    v = observability.alerts(service(stack, "api"))
    assert v.outcome is Outcome.PASSED, v.reason
    assert [e.location.rsplit(":", 1)[1] for e in v.evidence] == ["4", "7", "10"]
    db = observability.alerts(service(stack, "db"))  # a datastore writing no report needs a down alert only
    assert db.outcome is Outcome.PASSED, db.reason
    assert "failure: every service needs a down/failure alert" in db.reason


def test_alerts_required_families_follow_what_the_service_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_promtool(monkeypatch)
    writer = BASE.replace("    compose_services: [db]\n", "    compose_services: [db]\n    reports: [{path: r.json}]\n")
    stack = make_stack(tmp_path, writer, files())
    v = observability.alerts(service(stack, "db"))
    assert v.outcome is Outcome.FAILED
    assert "stale: it writes r.json" in v.reason
    assert v.fix is not None
    assert "DbStale" in v.fix
    assert "service: db" in v.fix


def test_alerts_fail_naming_missing_categories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_promtool(monkeypatch)
    rules = RULES.replace("api_consumer_lag_seconds > 60", "api_queue_size > 60").replace("ApiLag", "ApiQueue")
    stack = make_stack(tmp_path, BASE, files(**{"prom/rules.yml": rules}))
    v = observability.alerts(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "no lag condition" in v.reason
    assert "lag: services.yaml declares its lag (metrics.lag_metric)" in v.reason
    assert v.fix is not None
    assert "ApiLag" in v.fix


def test_alerts_fail_without_rules_for_the_row(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_promtool(monkeypatch)
    stack = make_stack(tmp_path, BASE.replace("kind: gate", "kind: gate\n    alerts: [Gate]"), files())
    v = observability.alerts(service(stack, "gate"))
    assert v.outcome is Outcome.FAILED
    assert "no alert rule for gate" in v.reason
    assert v.evidence


def test_alerts_fallback_alerts_field_selects_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_promtool(monkeypatch)
    stack = make_stack(tmp_path, BASE.replace("kind: datastore", "kind: datastore\n    alerts: [Api]"), files())
    v = observability.alerts(service(stack, "db"))
    assert v.outcome is Outcome.PASSED, v.reason


def test_alerts_yaml_error_names_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_promtool(monkeypatch)
    stack = make_stack(tmp_path, BASE, files(**{"prom/rules.yml": "groups:\n  - name: x\n    rules: [\n"}))
    v = observability.alerts(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "prom/rules.yml:" in v.reason
    assert "\n" not in v.reason


def test_alerts_promtool_rejects_bad_promql(tmp_path: Path) -> None:
    require_promtool()
    bad = RULES.replace("api_consumer_lag_seconds > 60", "api_consumer_lag_seconds{ > 60")
    stack = make_stack(tmp_path, BASE, files(**{"prom/rules.yml": bad}))
    v = observability.alerts(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert v.reason.startswith("promtool check rules rejects")
    assert "prom/rules.yml: 11:15:" in v.reason
    assert "ApiLag" in v.reason
    assert "Checking" not in v.reason


def test_alerts_promtool_accepts_good_rules(tmp_path: Path) -> None:
    require_promtool()
    stack = make_stack(tmp_path, BASE, files())
    v = observability.alerts(service(stack, "api"))
    assert v.outcome is Outcome.PASSED
    assert "promtool check rules ok" in v.reason


# -- observability.alert-tests ----------------------------------------------------------------------


def test_alert_tests_pass_with_promtool(tmp_path: Path) -> None:
    require_promtool()
    stack = make_stack(tmp_path, BASE, files())
    v = observability.alert_tests(service(stack, "api"))
    assert v.outcome is Outcome.PASSED, v.reason
    assert any("rules_test.yml" in e.location for e in v.evidence)


def test_alert_tests_fail_when_promtool_test_fails(tmp_path: Path) -> None:
    require_promtool()
    failing = RULES_TEST.replace('"120x30"', '"1x30"')  # lag never crosses 60: ApiLag does not fire
    stack = make_stack(tmp_path, BASE, files(**{"prom/rules_test.yml": failing}))
    v = observability.alert_tests(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "promtool test rules fails" in v.reason


def test_alert_tests_not_observed_without_promtool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_promtool(monkeypatch)
    stack = make_stack(tmp_path, BASE, files())
    v = observability.alert_tests(service(stack, "api"))
    assert v.outcome is Outcome.NOT_OBSERVED
    assert "promtool not installed" in v.reason


def test_alert_tests_fail_when_an_alert_is_never_fired(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_promtool(monkeypatch)
    test = RULES_TEST.replace(
        "alertname: ApiLag\n        exp_alerts:\n          - exp_labels: {service: api}",
        "alertname: ApiLag\n        exp_alerts: []",
    )
    stack = make_stack(tmp_path, BASE, files(**{"prom/rules_test.yml": test}))
    v = observability.alert_tests(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "no promtool test fires ApiLag" in v.reason
    assert observability.alert_tests(service(stack, "gate")).outcome is Outcome.FAILED  # no alerts at all


# -- observability.dashboards -----------------------------------------------------------------------


def test_dashboards_pass_when_every_metric_is_charted(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files())
    v = observability.dashboards(service(stack, "api"))
    assert v.outcome is Outcome.PASSED, v.reason
    assert any(e.location.endswith("dashboards/api.json:5") for e in v.evidence)


def test_dashboards_list_missing_metrics(tmp_path: Path) -> None:
    dash = DASHBOARD.replace('{"expr": "api_last_event_age_seconds", "refId": "B"}', '{"refId": "B"}')
    stack = make_stack(tmp_path, BASE, files(**{"dashboards/api.json": dash}))
    v = observability.dashboards(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "api_last_event_age_seconds" in v.reason
    assert "1/4" in v.reason
    v = observability.dashboards(service(stack, "gate"))
    assert v.outcome is Outcome.FAILED
    assert "no SLO metric" in v.reason


def test_dashboards_bad_json_names_the_line(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files(**{"dashboards/api.json": '{\n  "title": "x",\n  oops\n}'}))
    v = observability.dashboards(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "dashboards/api.json:3: not valid JSON" in v.reason


def test_structured_logs_tail_of_a_large_file_counts_lines_exactly(tmp_path: Path) -> None:
    bad = "plain line " + "x" * 600 + "\n"
    log = bad * 3000 + JSON_LOG * 199 + bad.rstrip("\n")  # no trailing newline on the last line
    stack = make_stack(tmp_path, BASE, files(**{"logs/api/api.log": log}))
    v = observability.structured_logs(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "199/200" in v.reason
    assert "logs/api/api.log:3200" in v.reason  # the first offending sampled line is the very last one
