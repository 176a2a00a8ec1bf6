"""Unit tests of the QA check functions (unit tests, JUnit results, integration and promotion gates)."""

from __future__ import annotations

from pathlib import Path

from pytest_readiness.checks import qa
from pytest_readiness.results import Outcome
from tests.stacks import make_stack, service

BASE = """
version: 1
stack:
  name: t
  root: stack
  ci: [ci/release.yml]
services:
  - name: api
    kind: service
    target: L2
    code: api
    tests: api/tests
    junit: {path: reports/junit/api.xml, max_age: 7d}
    integration_gate:
      {path: reports/replay.json, max_age: 1d, timestamp: generated_at, status: {field: status, pass: [pass]}}
  - name: cache
    kind: datastore
    target: L2
  - name: gate
    kind: gate
    target: L2
    code: gates
    tests: gates/tests
    lockfiles: [gates/requirements.lock]
    promotion_gate:
      path: reports/gate/latest.json
      max_age: 1d
      timestamp: generated_at
      status: {field: verdict, pass: [PASS]}
      strict_field: strict
      stale_inputs_field: policy.stale_inputs
"""

TESTS = """
import pytest

def helper():
    return 1

def test_one():
    assert helper() == 1

class TestThing:
    def test_two(self):
        assert True
"""

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests">
  <testsuite name="pytest" errors="0" failures="0" skipped="0" tests="2" time="0.1"
             timestamp="2026-02-27T11:51:00+00:00">
    <testcase classname="tests.test_a" name="test_one" time="0.01"/>
    <testcase classname="tests.test_a" name="test_two" time="0.01"/>
  </testsuite>
</testsuites>
"""

GATE = """{
  "generated_at": "2026-02-27T11:55:00Z",
  "verdict": "PASS",
  "strict": true,
  "policy": {"stale_inputs": "fail"}
}"""

CI_STRICT = """
name: release
on: [push]
env:
  GATE_STRICT: "1"
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: pip install -r gates/requirements.lock
      - run: python -m pytest gates/tests
      - name: promotion gate
        run: |
          python -m gates.promotion_gate --out reports/gate/latest.json
"""


def mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def files(**over: str | None) -> dict[str, str]:
    base: dict[str, str | None] = {
        "api/app.py": "def f():\n    return 1\n",
        "api/tests/test_app.py": TESTS,
        "reports/junit/api.xml": JUNIT,
        "reports/replay.json": '{"generated_at": "2026-02-27T11:50:00Z", "status": "pass"}',
        "reports/gate/latest.json": GATE,
        "ci/release.yml": CI_STRICT,
        "gates/tests/test_gate.py": "def test_gate():\n    assert True\n",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


# -- qa.unit-tests ----------------------------------------------------------------------------------


def test_unit_tests_found_by_ast(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files())
    v = qa.unit_tests(service(stack, "api"))
    assert v.outcome is Outcome.PASSED
    assert "2 test(s)" in v.reason
    assert v.evidence[0].location.endswith("api/tests/test_app.py:6")
    assert qa.unit_tests(service(stack, "cache")).outcome is Outcome.NOT_APPLICABLE


def test_unit_tests_fail_without_test_functions_missing_folder_or_syntax_error(tmp_path: Path) -> None:
    stack = make_stack(
        tmp_path,
        BASE,
        files(**{"api/tests/test_app.py": "def helper():\n    pass\n", "gates/tests/test_gate.py": None}),
    )
    v = qa.unit_tests(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "define no test (def test_*, class Test*, a TestCase subclass)" in v.reason
    v = qa.unit_tests(service(stack, "gate"))
    assert v.outcome is Outcome.FAILED
    assert "does not exist" in v.reason
    stack = make_stack(mkdir(tmp_path / "b"), BASE, files(**{"api/tests/test_app.py": "def test_x(:\n"}))
    v = qa.unit_tests(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "test_app.py:1: syntax error" in v.reason


# -- qa.unit-test-results ---------------------------------------------------------------------------


def test_unit_test_results_pass(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files())
    v = qa.unit_test_results(service(stack, "api"))
    assert v.outcome is Outcome.PASSED
    assert "2 tests, 0 failures, 0 errors" in v.reason
    assert qa.unit_test_results(service(stack, "cache")).outcome is Outcome.NOT_APPLICABLE


def test_unit_test_results_failures_stale_empty_and_broken(tmp_path: Path) -> None:
    failing = JUNIT.replace(
        '<testcase classname="tests.test_a" name="test_two" time="0.01"/>',
        '<testcase classname="t" name="test_two"><failure message="boom"/></testcase>',
    )
    failing = failing.replace("2026-02-27T11:51", "2026-02-01T11:51")
    stack = make_stack(tmp_path, BASE, files(**{"reports/junit/api.xml": failing}))
    v = qa.unit_test_results(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "1 failure(s)" in v.reason
    assert "test_two" in v.reason
    assert "stale" in v.reason
    empty = '<testsuite name="x" tests="0" timestamp="2026-02-27T11:00:00"/>'
    stack = make_stack(mkdir(tmp_path / "b"), BASE, files(**{"reports/junit/api.xml": empty}))
    assert "ran 0 tests" in qa.unit_test_results(service(stack, "api")).reason
    stack = make_stack(mkdir(tmp_path / "c"), BASE, files(**{"reports/junit/api.xml": "<testsuites>\n<testsuite>\n"}))
    v = qa.unit_test_results(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "api.xml:3: not valid XML" in v.reason
    v = qa.unit_test_results(service(stack, "gate"))
    assert v.outcome is Outcome.FAILED
    assert "declares no junit" in v.reason


# -- qa.integration-gate ----------------------------------------------------------------------------


def test_integration_gate_pass_fail_na(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files())
    assert qa.integration_gate(service(stack, "api")).outcome is Outcome.PASSED
    assert qa.integration_gate(service(stack, "cache")).outcome is Outcome.NOT_APPLICABLE
    v = qa.integration_gate(service(stack, "gate"))
    assert v.outcome is Outcome.FAILED
    assert "declares no integration_gate" in v.reason
    stack = make_stack(
        mkdir(tmp_path / "b"),
        BASE,
        files(**{"reports/replay.json": '{"generated_at": "2026-02-27T11:50:00Z", "status": "warn"}'}),
    )
    v = qa.integration_gate(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "status='warn'" in v.reason


# -- qa.promotion-gate ------------------------------------------------------------------------------


def test_promotion_gate_pass_when_strict_fail_closed_and_in_ci(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files())
    v = qa.promotion_gate(service(stack, "gate"))
    assert v.outcome is Outcome.PASSED, v.reason
    assert any(e.location.endswith("ci/release.yml:12") and "strict" in e.detail for e in v.evidence)
    v = qa.promotion_gate(service(stack, "api"))
    assert v.outcome is Outcome.NOT_APPLICABLE
    assert "own row" in v.reason


def test_promotion_gate_lists_every_unmet_part(tmp_path: Path) -> None:
    report = GATE.replace('"PASS"', '"FAIL"').replace("true", "false").replace('"fail"', '"warn"')
    ci = CI_STRICT.replace(
        "      - name: promotion gate\n        run: |\n"
        "          python -m gates.promotion_gate --out reports/gate/latest.json\n",
        "",
    )
    stack = make_stack(tmp_path, BASE, files(**{"reports/gate/latest.json": report, "ci/release.yml": ci}))
    v = qa.promotion_gate(service(stack, "gate"))
    assert v.outcome is Outcome.FAILED
    for part in ("verdict='FAIL'", "non-strict", "'warn'", "no CI step"):
        assert part in v.reason, part
    assert any(e.location.endswith("latest.json:4") for e in v.evidence)  # the strict field's line


def test_promotion_gate_ci_without_strict_mode(tmp_path: Path) -> None:
    ci = CI_STRICT.replace('env:\n  GATE_STRICT: "1"\n', "")
    stack = make_stack(tmp_path, BASE, files(**{"ci/release.yml": ci}))
    v = qa.promotion_gate(service(stack, "gate"))
    assert v.outcome is Outcome.FAILED
    assert "without strict mode at" in v.reason
    assert "release.yml:10" in v.reason
    ci2 = ci.replace("--out reports", "--strict --out reports")
    stack = make_stack(mkdir(tmp_path / "b"), BASE, files(**{"ci/release.yml": ci2}))
    assert qa.promotion_gate(service(stack, "gate")).outcome is Outcome.PASSED


def test_promotion_gate_bad_ci_yaml(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, BASE, files(**{"ci/release.yml": "jobs: [\n"}))
    v = qa.promotion_gate(service(stack, "gate"))
    assert v.outcome is Outcome.FAILED
    assert "ci/release.yml:" in v.reason
    assert "YAML" in v.reason


def test_unit_test_results_from_the_future_prove_nothing(tmp_path: Path) -> None:
    future = JUNIT.replace("2026-02-27T11:51", "2026-03-05T11:51")
    stack = make_stack(tmp_path, BASE, files(**{"reports/junit/api.xml": future}))
    v = qa.unit_test_results(service(stack, "api"))
    assert v.outcome is Outcome.FAILED
    assert "after the evaluation time" in v.reason
