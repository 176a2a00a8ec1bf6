"""The plugin as pytest runs it: activation, parametrization, markers, waivers, exit status, outputs."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

SERVICES = """\
version: 1
stack:
  name: demo
  root: stack
  secrets: [DEMO_TOKEN]
services:
  - name: api
    kind: service
    target: L1
  - name: worker
    kind: worker
    target: L1
"""

CRITERIA = """\
import pytest

@pytest.mark.readiness(id="demo.reachable", level="L1", critical=True)
def test_reachable(service):
    service.cite("stack/README", detail="looked here")
    assert service.name != "{broken}", "{broken} is unreachable"

@pytest.mark.readiness(id="demo.polished", level="L2")
def test_polished(service):
    assert service.name == "nobody", f"{{service.name}} is not polished"
"""


@pytest.fixture
def stack(pytester: pytest.Pytester) -> pytest.Pytester:
    """A folder with services.yaml and two criteria; the built-in checklist is left out for speed."""
    pytester.makeini("[pytest]\nreadiness_builtin = false\n")
    (pytester.path / "stack").mkdir()
    pytester.makefile(".yaml", services=SERVICES)
    pytester.makepyfile(test_criteria=CRITERIA.format(broken="nobody-at-all"))
    return pytester


def run_json(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, Any]]:
    out = pytester.path / "out.json"
    result = pytester.runpytest("--readiness", "--readiness-json", str(out), *args)
    data = json.loads(out.read_text()) if out.exists() else {}
    return result, data


def result_schema() -> dict[str, Any]:
    text = resources.files("pytest_readiness").joinpath("schema/result.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def test_without_readiness_the_plugin_stays_out_of_the_way(stack: pytest.Pytester) -> None:
    stack.makepyfile(test_plain="def test_plain():\n    assert True\n")
    result = stack.runpytest("-v")
    result.assert_outcomes(passed=1, deselected=2)
    result.stdout.no_fnmatch_line("*scorecard*")
    assert result.ret == 0


def test_one_test_per_service_with_stable_ids(stack: pytest.Pytester) -> None:
    result = stack.runpytest("--readiness", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "test_criteria.py::test_reachable[api]",
            "test_criteria.py::test_reachable[worker]",
            "test_criteria.py::test_polished[api]",
            "test_criteria.py::test_polished[worker]",
        ]
    )


def test_gate_passes_and_gaps_above_target_are_xfail(stack: pytest.Pytester) -> None:
    result, data = run_json(stack)
    result.assert_outcomes(passed=2, xfailed=2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*readiness scorecard: demo*", "*Gate: PASS*"])
    assert {s["name"]: s["level"] for s in data["services"]} == {"api": "L1", "worker": "L1"}
    assert data["checkpoint"]["gate"] == "PASS"
    jsonschema.Draft202012Validator(result_schema(), format_checker=jsonschema.FormatChecker()).validate(data)


def test_failure_at_target_fails_the_run_with_reason_and_evidence(stack: pytest.Pytester) -> None:
    stack.makepyfile(test_criteria=CRITERIA.format(broken="api"))
    result, data = run_json(stack)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*readiness failures*",
            "api:",
            "  demo.reachable  stack/README  api is unreachable",
            "*readiness scorecard*",
            "*Below target (1 of 2): api L0<L1*",
            "*Gate: FAIL*",
        ]
    )
    res = {(r["service"], r["criterion"]): r for r in data["results"]}
    assert res[("api", "demo.reachable")]["outcome"] == "failed"
    assert res[("worker", "demo.reachable")]["outcome"] == "passed"
    assert data["services"][0]["gaps"][0] == {
        "criterion": "demo.reachable",
        "level": "L1",
        "reason": "api is unreachable",
        "outcome": "failed",
        "critical": True,
        "scope": "static",
        "fix": "test_criteria.py:6: make this criterion's assertion hold (a custom criterion without a fix of its own)",
    }


def test_rerun_one_criterion_for_one_service_by_node_id_and_k(stack: pytest.Pytester) -> None:
    result = stack.runpytest("--readiness", "test_criteria.py::test_reachable[api]")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*incomplete run*", "*Gate: FAIL*"])
    assert result.ret == 1  # a partial run never certifies the gate
    result = stack.runpytest("--readiness", "-k", "reachable and worker")
    result.assert_outcomes(passed=1, deselected=3)
    result.stdout.fnmatch_lines(["*partial run (-k)*"])


def test_target_option_raises_every_target(stack: pytest.Pytester) -> None:
    result, data = run_json(stack, "--readiness-target", "L2")
    assert result.ret == 1
    result.assert_outcomes(passed=2, failed=2)
    assert {s["target"] for s in data["services"]} == {"L2"}


def test_unexpired_waiver_counts_and_expired_waiver_fails(stack: pytest.Pytester) -> None:
    stack.makepyfile(test_criteria=CRITERIA.format(broken="api"))
    waiver = (
        "waivers:\n  - {service: api, criterion: demo.reachable, reason: vendor fix due, owner: ops, expires: %s}\n"
    )
    stack.makefile(".yaml", services=SERVICES + waiver % "2026-03-10")
    result, data = run_json(stack, "--readiness-now", "2026-03-01T00:00:00Z")
    assert result.ret == 0
    res = {(r["service"], r["criterion"]): r for r in data["results"]}
    assert res[("api", "demo.reachable")]["outcome"] == "waived"
    assert "vendor fix due" in res[("api", "demo.reachable")]["reason"]
    result.stdout.fnmatch_lines(
        ["*waived (count as passed until they expire)*", "api demo.reachable [[]L1[]] waived until 2026-03-10 by ops*"]
    )
    result, data = run_json(stack, "--readiness-now", "2026-03-11T00:00:00Z")
    assert result.ret == 1
    res = {(r["service"], r["criterion"]): r for r in data["results"]}
    assert res[("api", "demo.reachable")]["outcome"] == "failed"
    assert "waiver expired on 2026-03-10" in res[("api", "demo.reachable")]["reason"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("target: L1\n  - name: worker", "target: L5\n  - name: worker"),
            "services.yaml:9: services[[]0[]].target: 'L5' is not one of L0, L1, L2, L3",
        ),
        (("name: demo", "name: [demo"), "services.yaml:*: invalid YAML*"),
        (("root: stack", "root: gone"), "services.yaml:4: stack.root: folder 'gone' does not exist"),
    ],
)
def test_bad_config_is_a_usage_error_without_traceback(
    stack: pytest.Pytester, edit: tuple[str, str], message: str
) -> None:
    stack.makefile(".yaml", services=SERVICES.replace(*edit, 1))
    result = stack.runpytest("--readiness")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_waiver_naming_unknown_builtin_criterion_is_a_usage_error(stack: pytest.Pytester) -> None:
    waiver = (
        "waivers:\n  - {service: api, criterion: runtime.helthcheck, reason: typo, owner: ops, expires: 2030-01-01}\n"
    )
    stack.makefile(".yaml", services=SERVICES + waiver)
    result = stack.runpytest("--readiness")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: services.yaml:14: waivers[[]0[]].criterion: unknown criterion 'runtime.helthcheck'*"]
    )


def test_bad_now_is_a_usage_error(stack: pytest.Pytester) -> None:
    result = stack.runpytest("--readiness", "--readiness-now", "yesterday")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --readiness-now: 'yesterday' is not an ISO 8601 time*"])


def test_failures_are_one_line_each_and_details_show_the_evidence(stack: pytest.Pytester) -> None:
    """No traceback section by default; --readiness-details (or -v) adds every evidence line; an
    explicit --tb keeps pytest's own failure report."""
    stack.makepyfile(test_criteria=CRITERIA.format(broken="api"))
    plain, _ = run_json(stack)
    assert "= FAILURES =" not in plain.stdout.str()
    assert "evidence: stack/README" not in plain.stdout.str()
    detailed = stack.runpytest("--readiness", "--readiness-details")
    detailed.stdout.fnmatch_lines(["  demo.reachable  stack/README  api is unreachable", "*evidence: stack/README*"])
    traced = stack.runpytest("--readiness", "--tb=short")
    traced.stdout.fnmatch_lines(["*= FAILURES =*"])
    lines = plain.stdout.lines
    assert max(i for i, line in enumerate(lines) if "readiness scorecard" in line) > max(
        (i for i, line in enumerate(lines) if "short test summary" in line), default=-1
    )


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("id='demo.x', level='L5'", "*readiness level 'L5' for demo.x is not one of L1, L2, L3*"),
        ("id='nodot', level='L1'", "*readiness id 'nodot' is not of the form 'family.name'*"),
        ("id='demo.reachable', level='L1'", "*readiness id 'demo.reachable' is already used by*"),
        ("'demo.x', 'L1'", "*use @pytest.mark.readiness(id='family.name', level='L2', critical=False)*"),
    ],
)
def test_bad_markers_are_collection_errors(stack: pytest.Pytester, marker: str, message: str) -> None:
    stack.makepyfile(test_more=f"import pytest\n\n@pytest.mark.readiness({marker})\ndef test_x(service):\n    pass\n")
    result = stack.runpytest("--readiness")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting*", message])


def test_outcomes_na_not_observed_and_error(stack: pytest.Pytester) -> None:
    stack.makepyfile(
        test_more="""
        import pytest

        @pytest.mark.readiness(id="demo.kinds", level="L1")
        def test_kinds(service):
            if service.kind == "worker":
                service.not_applicable("workers publish nothing")
            service.not_observed("engine unreachable")

        @pytest.mark.readiness(id="demo.crashes", level="L1")
        def test_crashes(service):
            raise RuntimeError("boom")
    """
    )
    result, data = run_json(stack)
    res = {(r["service"], r["criterion"]): r for r in data["results"]}
    assert res[("worker", "demo.kinds")]["outcome"] == "not_applicable"
    assert res[("api", "demo.kinds")]["outcome"] == "not_observed"
    assert res[("api", "demo.crashes")]["outcome"] == "error"
    assert "RuntimeError: boom" in res[("api", "demo.crashes")]["reason"]
    assert data["checkpoint"]["gate"] == "FAIL"
    assert result.ret == 1
    levels = {s["name"]: s["level"] for s in data["services"]}
    assert levels == {"api": "L0", "worker": "L0"}


def test_secret_values_never_reach_terminal_json_or_junit(
    stack: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_TOKEN", "s3cr3t-value-123")
    stack.makepyfile(
        test_more="""
        import os, pytest

        @pytest.mark.readiness(id="demo.leaky", level="L1")
        def test_leaky(service):
            token = os.environ["DEMO_TOKEN"]
            service.cite(f"log says {token}")
            print(f"debug print of {token}")
            assert False, f"found {token} in the log"

        @pytest.mark.readiness(id="demo.chatty", level="L1")
        def test_chatty(service):
            print("token is", os.environ["DEMO_TOKEN"])
    """
    )
    result, data = run_json(stack, "--junitxml=junit.xml", "-rA", "-o", "junit_logging=all")
    text = result.stdout.str() + result.stderr.str()
    junit = (stack.path / "junit.xml").read_text()
    dumped = json.dumps(data)
    for out in (text, dumped, junit):
        assert "s3cr3t-value-123" not in out
    assert "<redacted:DEMO_TOKEN>" in dumped
    assert "debug print of &lt;redacted:DEMO_TOKEN&gt;" in junit


def test_junit_carries_service_criterion_level_outcome(stack: pytest.Pytester) -> None:
    stack.runpytest("--readiness", "--junitxml=junit.xml")
    junit = (stack.path / "junit.xml").read_text()
    for prop in (
        'name="service" value="api"',
        'name="criterion" value="demo.reachable"',
        'name="level" value="L1"',
        'name="outcome" value="passed"',
    ):
        assert prop in junit


def test_json_write_is_atomic_and_directory_created(stack: pytest.Pytester) -> None:
    result = stack.runpytest("--readiness", "--readiness-json", "deep/dir/out.json")
    assert result.ret == 0
    assert json.loads((stack.path / "deep/dir/out.json").read_text())["checkpoint"]["gate"] == "PASS"
    assert not [p for p in (stack.path / "deep/dir").iterdir() if p.name != "out.json"]


def test_xdist_gives_the_same_scorecard(stack: pytest.Pytester) -> None:
    stack.makepyfile(test_criteria=CRITERIA.format(broken="api"))
    serial = stack.path / "serial.json"
    par = stack.path / "par.json"
    stack.runpytest_subprocess("--readiness", "--readiness-json", str(serial), "-p", "no:cacheprovider")
    result = stack.runpytest_subprocess(
        "--readiness", "--readiness-json", str(par), "-n", "2", "-p", "no:cacheprovider"
    )
    assert result.ret == 1
    a, b = json.loads(serial.read_text()), json.loads(par.read_text())
    assert a["services"] == b["services"]
    assert a["checkpoint"] == b["checkpoint"]
    assert sorted(map(json.dumps, a["results"])) == sorted(map(json.dumps, b["results"]))


def test_help_lists_every_option_in_one_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["production-readiness scorecard (pytest-readiness):"])
    for option in (
        "--readiness ",
        "--readiness-config",
        "--readiness-now",
        "--readiness-offline",
        "--readiness-target",
        "--readiness-json",
    ):
        assert option in result.stdout.str()


def test_config_option_and_ini(stack: pytest.Pytester) -> None:
    (stack.path / "conf").mkdir()
    (stack.path / "services.yaml").rename(stack.path / "conf" / "desk.yaml")
    (stack.path / "conf" / "stack").mkdir()
    result = stack.runpytest("--readiness", "--readiness-config", "conf/desk.yaml", "test_criteria.py")
    assert result.ret == 0, result.stdout.str()
    stack.makeini("[pytest]\nreadiness_builtin = false\nreadiness_config = conf/desk.yaml\n")
    result = stack.runpytest("--readiness", "test_criteria.py")
    assert result.ret == 0


def resolve(path: Path) -> Path:
    return path.resolve()


def test_stack_can_move_a_criterion_to_another_level(stack: pytest.Pytester) -> None:
    stack.makefile(".yaml", services=SERVICES + "criteria:\n  demo.polished: {level: L1}\n")
    result, data = run_json(stack)
    assert result.ret == 1
    result.assert_outcomes(passed=2, failed=2)
    assert {r["level"] for r in data["results"] if r["criterion"] == "demo.polished"} == {"L1"}
    assert {s["level"] for s in data["services"]} == {"L0"}


def test_report_from_the_future_is_not_fresh(tmp_path: Path) -> None:
    from tests.stacks import make_stack

    yaml_text = """\
version: 1
stack: {name: t, root: stack}
services:
  - name: api
    kind: service
    target: L1
    reports:
      - {path: r.json, max_age: 10m, timestamp: generated_at}
      - {path: m.json, max_age: 10m}
"""
    stack = make_stack(tmp_path, yaml_text, {"r.json": '{"generated_at": "2026-02-27T12:30:00Z"}', "m.json": "{}"})
    spec = stack.config.service("api")
    from pytest_readiness.config import ReportSpec

    future = stack.read_report(ReportSpec.from_raw(spec.raw["reports"][0], "x"))
    assert not future.fresh
    assert "after the evaluation time" in (future.problem or "")
    by_mtime = stack.read_report(ReportSpec.from_raw(spec.raw["reports"][1], "x"))  # written today, judged at NOW
    assert not by_mtime.fresh
    assert "file mtime" in (by_mtime.problem or "")


def test_unwritable_json_path_is_a_usage_error_before_any_test(stack: pytest.Pytester) -> None:
    (stack.path / "adir").mkdir()
    result = stack.runpytest("--readiness", "--readiness-json", "adir")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --readiness-json: */adir is a directory; give a file path"])
    (stack.path / "ro").mkdir(mode=0o500)
    result = stack.runpytest("--readiness", "--readiness-json", "ro/out.json")
    if os.geteuid() != 0:  # root writes anywhere
        assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_collect_only_prints_no_scorecard(stack: pytest.Pytester) -> None:
    result = stack.runpytest("--readiness", "--co", "-q")
    assert result.ret == 0
    result.stdout.no_fnmatch_line("*readiness scorecard*")


def test_report_write_failure_is_one_line_and_fails_the_run(stack: pytest.Pytester) -> None:
    stack.makepyfile(
        test_more="""
        import pathlib, pytest

        @pytest.mark.readiness(id="demo.sabotage", level="L1")
        def test_sabotage(service):
            pathlib.Path("out").write_text("a file where the report folder should be")
    """
    )
    result = stack.runpytest("--readiness", "--readiness-json", "out/x.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["ERROR: --readiness-json: cannot write */out/x.json: *"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_a_secret_found_only_in_compose_is_masked_in_every_form(stack: pytest.Pytester) -> None:
    """Not declared in services.yaml: discovered in the compose environment, masked raw, URL-encoded and
    HTML-escaped in the terminal, JSON and JUnit."""
    secret = "Zq9&k<v>7 tR!p"
    (stack.path / "stack" / "compose.yaml").write_text(
        f"services:\n  api:\n    image: api:1.0.0\n    environment:\n      API_PASSWORD: '{secret}'\n"
    )
    stack.makefile(
        ".yaml",
        services=SERVICES.replace("    kind: service\n", "    kind: service\n    compose_services: [api]\n").replace(
            "stack:\n  name: demo\n", "stack:\n  name: demo\n  compose: [compose.yaml]\n"
        ),
    )
    stack.makepyfile(
        test_more=f"""
        import pytest
        from urllib.parse import quote

        @pytest.mark.readiness(id="demo.leaky", level="L1")
        def test_leaky(service):
            secret = {secret!r}
            service.cite(f"dsn postgresql://u:{{quote(secret, safe='')}}@db/x")
            print("debug", secret)
            assert False, f"found {{secret}} in the log"
    """
    )
    result, data = run_json(stack, "--junitxml=junit.xml", "-rA", "-o", "junit_logging=all")
    text = result.stdout.str() + result.stderr.str()
    junit = (stack.path / "junit.xml").read_text()
    dumped = json.dumps(data)
    encoded = "Zq9%26k%3Cv%3E7%20tR%21p"
    for out in (text, dumped, junit):
        for form in (secret, encoded, "Zq9&amp;k&lt;v&gt;7"):
            assert form not in out
    assert "<redacted:API_PASSWORD>" in dumped
