"""QA criteria: unit tests exist, their JUnit result is fresh and green, a replay/integration gate
passes, and the promotion gate is PASS, strict, fail-closed and run by CI.

Also home of ``report_gaps``, the one way every criterion here judges a JSON report.
"""

from __future__ import annotations

import ast
import re
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..config import ReportSpec
from ..context import ReportReading, Service, lookup
from ..errors import InputError
from ..results import Evidence, Verdict
from ..units import after_evaluation, format_age, parse_timestamp
from .observability import load_yaml

OWN_CODE_KINDS = frozenset({"service", "worker", "gate"})
STALE_POLICY_OK = ("fail", "block", "reject", "deny")


def has_own_code(service: Service) -> bool:
    """Kinds that are the team's code, or a row declaring code or lockfiles."""
    raw = service.spec.raw
    return service.kind in OWN_CODE_KINDS or bool(raw.get("code")) or bool(raw.get("lockfiles"))


# --------------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------------


def field_line(path: Path, dotted: str) -> int | None:
    """Best-effort line of a (dotted) field in a JSON file: where its last key first appears."""
    key = dotted.rsplit(".", 1)[-1]
    pattern = re.compile(rf'"{re.escape(key)}"\s*:')
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for no, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line):
            return no
    return None


def _at(reading: ReportReading, dotted: str | None) -> str:
    line = field_line(reading.path, dotted) if dotted else None
    return f"{reading.shown}:{line}" if line else reading.shown


def report_gaps(
    service: Service, spec: ReportSpec, what: str, *, need_status: bool = True
) -> tuple[ReportReading, list[str], list[Evidence]]:
    """Read a declared report and list what is wrong with it: missing, unparsable, failing, stale."""
    reading = service.read_report(spec)
    if not reading.usable:
        return reading, [f"{what}: {reading.problem}"], [Evidence(reading.shown, f"{what} unusable")]
    gaps: list[str] = []
    evidence: list[Evidence] = []
    if need_status:
        if spec.status_field is None:
            gaps.append(f"{what} {reading.shown} has no status declared ({spec.where}); declare status.field/pass")
            evidence.append(Evidence(spec.where, "report spec"))
        elif not reading.status_ok:
            passing = "/".join(str(p) for p in spec.status_pass)
            gaps.append(f"{what} {reading.shown} says {spec.status_field}={reading.status!r} (passes: {passing})")
        evidence.append(Evidence(_at(reading, spec.status_field), f"{spec.status_field}={reading.status!r}"))
    if not reading.fresh:
        gaps.append(f"{what} {reading.shown} is stale: {reading.freshness_text()}")
    evidence.append(Evidence(_at(reading, spec.timestamp), reading.freshness_text()))
    return reading, gaps, evidence


def _report_criterion(service: Service, key: str, what: str) -> Verdict:
    spec = service.report_spec(key)
    if spec is None:
        return Verdict.failed(
            f"{service.name} declares no {key} report ({what}); declare {key}: {{path, max_age, timestamp, status}}",
            Evidence(service.spec.where, "services.yaml entry"),
        )
    reading, gaps, evidence = report_gaps(service, spec, what)
    if gaps:
        return Verdict.failed("; ".join(gaps), *evidence)
    return Verdict.passed(
        f"{what} {reading.shown} passes ({spec.status_field}={reading.status!r}) and is fresh "
        f"({reading.freshness_text()})",
        *evidence,
    )


# --------------------------------------------------------------------------------------------------
# qa.unit-tests
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FoundTests:
    path: Path
    names: tuple[str, ...]
    first_line: int


def _tests_in(path: Path, shown: str) -> FoundTests:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=shown)
    except SyntaxError as exc:
        raise InputError(shown, exc.lineno, f"syntax error: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(shown, None, f"unreadable: {exc}") from None
    names: list[str] = []
    first = 0
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            names.append(node.name)
            first = first or node.lineno
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test"):
                    names.append(f"{node.name}.{item.name}")
                    first = first or item.lineno
    return FoundTests(path, tuple(names), first)


def _test_files(folder: Path) -> list[Path]:
    found = {p for p in folder.rglob("test_*.py")} | {p for p in folder.rglob("*_test.py")}
    return sorted(p for p in found if p.is_file())


def unit_tests(service: Service) -> Verdict:
    """The row's own code has a tests folder holding real test functions (parsed, not grepped)."""
    if not has_own_code(service):
        return Verdict.not_applicable(f"{service.kind} row has no code of its own to unit-test")
    rel = service.spec.raw.get("tests")
    if not rel:
        code = service.spec.raw.get("code")
        default = service.path(f"{code}/tests") if code else None
        if default is None or not default.is_dir():
            return Verdict.failed(
                f"{service.name} declares no tests folder; declare tests: <folder> and add unit tests",
                Evidence(service.spec.where, "services.yaml entry"),
            )
        folder = default
    else:
        folder = service.path(str(rel))
    shown = service.show(folder)
    if not folder.is_dir():
        return Verdict.failed(f"tests folder {shown} does not exist", Evidence(service.spec.where, "tests"))
    files = _test_files(folder)
    if not files:
        return Verdict.failed(f"tests folder {shown} holds no test_*.py / *_test.py file", Evidence(shown, "empty"))
    found: list[FoundTests] = []
    broken: list[str] = []
    for path in files:
        try:
            found.append(_tests_in(path, service.show(path)))
        except InputError as exc:
            broken.append(str(exc))
    with_tests = [f for f in found if f.names]
    evidence = [Evidence(f"{service.show(f.path)}:{f.first_line}", f"{len(f.names)} test(s)") for f in with_tests]
    if broken:
        return Verdict.failed(
            broken[0], *(Evidence(b.split(": ", 1)[0], "unparsable test file") for b in broken), *evidence
        )
    if not with_tests:
        return Verdict.failed(
            f"{len(files)} test file(s) in {shown} define no test function (def test_* or class Test*)",
            *(Evidence(service.show(p), "no tests") for p in files),
        )
    count = sum(len(f.names) for f in with_tests)
    return Verdict.passed(f"{count} test(s) in {len(with_tests)} file(s) under {shown}", *evidence)


# --------------------------------------------------------------------------------------------------
# qa.unit-test-results
# --------------------------------------------------------------------------------------------------


def _int_attr(el: ET.Element, name: str) -> int:
    try:
        return int(float(el.get(name, "0")))
    except ValueError:
        return 0


def unit_test_results(service: Service) -> Verdict:
    """A JUnit XML for the row's tests exists, ran more than zero tests, none failed, and it is fresh."""
    if not has_own_code(service):
        return Verdict.not_applicable(f"{service.kind} row has no code of its own to unit-test")
    spec = service.report_spec("junit")
    if spec is None:
        return Verdict.failed(
            f"{service.name} declares no junit report; declare junit: {{path, max_age}} and "
            "write it from the test run (pytest --junitxml)",
            Evidence(service.spec.where, "services.yaml entry"),
        )
    path = service.path(spec.path)
    shown = service.show(path)
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        return Verdict.failed(f"JUnit report {shown} does not exist", Evidence(spec.where, "junit"))
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        return Verdict.failed(f"{shown}:{line}: not valid XML: {exc}", Evidence(f"{shown}:{line}", "junit"))
    except OSError as exc:
        return Verdict.failed(f"JUnit report {shown} is unreadable: {exc}", Evidence(shown, "junit"))
    if root.tag not in ("testsuites", "testsuite"):
        return Verdict.failed(
            f"{shown}: root element <{root.tag}> is not <testsuites> or <testsuite>", Evidence(shown, "junit")
        )
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    cases = list(root.iter("testcase"))
    tests = max(len(cases), sum(_int_attr(s, "tests") for s in suites))
    failed_cases = [c for c in cases if c.find("failure") is not None]
    error_cases = [c for c in cases if c.find("error") is not None]
    failures = max(len(failed_cases), sum(_int_attr(s, "failures") for s in suites))
    errors = max(len(error_cases), sum(_int_attr(s, "errors") for s in suites))
    stamps: list[datetime] = []
    for s in suites:
        if s.get("timestamp"):
            try:
                stamps.append(parse_timestamp(s.get("timestamp")))
            except ValueError:
                return Verdict.failed(
                    f"{shown}: testsuite timestamp {s.get('timestamp')!r} is not a timestamp", Evidence(shown, "junit")
                )
    if stamps:
        when, source = max(stamps), "testsuite timestamp"
    else:
        when, source = datetime.fromtimestamp(path.stat().st_mtime).astimezone(), "file mtime"
    age = service.now - when
    limit = f" (max {format_age(spec.max_age)})" if spec.max_age else ""
    age_text = f"age {format_age(age)}{limit} by {source}"
    detail = f"{tests} tests, {failures} failures, {errors} errors; {age_text}"
    gaps: list[str] = []
    if tests == 0:
        gaps.append("ran 0 tests")
    if failures or errors:
        names = [c.get("name", "?") for c in (failed_cases + error_cases)[:3]]
        gaps.append(f"{failures} failure(s), {errors} error(s)" + (f" (e.g. {', '.join(names)})" if names else ""))
    if after_evaluation(when, service.now):
        gaps.append(f"{source} {when.isoformat()} is after the evaluation time; it cannot prove freshness")
    elif spec.max_age is not None and age > spec.max_age:
        gaps.append(f"stale: {age_text}")
    evidence = [Evidence(shown, detail)]
    if gaps:
        return Verdict.failed(f"JUnit report {shown}: {'; '.join(gaps)}", *evidence)
    return Verdict.passed(f"JUnit report {shown}: {detail}", *evidence)


# --------------------------------------------------------------------------------------------------
# qa.integration-gate
# --------------------------------------------------------------------------------------------------


def integration_gate(service: Service) -> Verdict:
    """A replay/regression (integration) report for the row exists, passes and is fresh."""
    if service.kind not in OWN_CODE_KINDS and not has_own_code(service):
        return Verdict.not_applicable(f"{service.kind} row without code of its own has no integration gate")
    return _report_criterion(service, "integration_gate", "integration gate report")


# --------------------------------------------------------------------------------------------------
# qa.promotion-gate
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CiCommand:
    text: str
    where: str
    env: dict[str, str]


def _ci_commands(
    node: Any, doc_lines: dict[tuple[str | int, ...], int], at: tuple[str | int, ...], env: dict[str, str], shown: str
) -> Iterator[CiCommand]:
    """Every shell command of a CI workflow (GitHub ``run``, GitLab ``script``) with the env around it."""
    if isinstance(node, dict):
        scope_env = dict(env)
        for key in ("env", "variables"):
            if isinstance(node.get(key), dict):
                scope_env.update({str(k): str(v) for k, v in node[key].items()})
        for key in ("run", "script", "before_script", "after_script"):
            value = node.get(key)
            items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            for i, item in enumerate(items):
                if isinstance(item, str):
                    keys = (*at, key) if isinstance(value, str) else (*at, key, i)
                    line = doc_lines.get(keys, doc_lines.get((*at, key), 1))
                    yield CiCommand(item, f"{shown}:{line}", scope_env)
        for key, value in node.items():
            if key not in ("run", "script", "before_script", "after_script"):
                yield from _ci_commands(value, doc_lines, (*at, key), scope_env, shown)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _ci_commands(item, doc_lines, (*at, i), env, shown)


def _invokes(command: str, targets: list[str], ignore: list[str]) -> bool:
    """Whether a shell command names the gate's code path, module or report (its tests and lockfiles,
    in ``ignore``, do not count: installing or unit-testing the gate is not running it)."""
    for line in command.replace("\\\n", " ").splitlines():
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            tokens = line.split()
        for tok in tokens:
            tok = tok.split("=", 1)[1] if tok.startswith("--") and "=" in tok else tok
            tok = tok[2:] if tok.startswith("./") else tok
            if any(tok == i or tok.startswith(i.rstrip("/") + "/") for i in ignore):
                continue
            for target in targets:
                module = target.replace("/", ".")
                if (
                    tok in (target, module)
                    or tok.startswith((target + "/", module + "."))
                    or f"/{target}/" in tok
                    or tok.endswith("/" + target)
                ):
                    return True
    return False


_TRUE = {"1", "true", "yes", "on", "strict"}


def _strict(cmd: CiCommand) -> bool:
    text = cmd.text
    if re.search(r"--strict(?:\s|=(?:true|1|yes)\b|$)", text) or re.search(r"--mode[= ]strict\b", text):
        return True
    if re.search(r"\b[A-Z_]*STRICT[A-Z_]*=(?:1|true|yes)\b", text, re.IGNORECASE):
        return True
    return any("strict" in k.lower() and v.strip().lower() in _TRUE for k, v in cmd.env.items())


def _ci_gaps(service: Service, targets: list[str]) -> tuple[list[str], list[Evidence]]:
    raw = service.spec.raw
    ignore = [
        str(p) for p in (raw.get("tests"), *(raw.get("lockfiles") or ()), (raw.get("junit") or {}).get("path")) if p
    ]
    rels = service.config.stack_paths("ci")
    if not rels:
        return ["the stack declares no CI workflow (stack.ci), so nothing runs the gate"], [
            Evidence(service.spec.where, "services.yaml entry")
        ]
    runs: list[CiCommand] = []
    problems: list[str] = []
    evidence: list[Evidence] = []
    for rel in rels:
        path = service.path(rel)
        shown = service.show(path)
        try:
            doc = load_yaml(path, shown)
        except InputError as exc:
            problems.append(str(exc))
            evidence.append(Evidence(shown, "CI workflow"))
            continue
        found = [c for c in _ci_commands(doc.data, doc.lines, (), {}, shown) if _invokes(c.text, targets, ignore)]
        runs.extend(found)
        if not found:
            evidence.append(Evidence(shown, f"no step runs {' / '.join(targets)}"))
    strict = [c for c in runs if _strict(c)]
    evidence += [
        Evidence(c.where, "runs the gate" + (" in strict mode" if _strict(c) else " (not strict)")) for c in runs
    ]
    if problems:
        return problems, evidence
    if not runs:
        return [f"no CI step in {', '.join(rels)} runs the gate ({' / '.join(targets)})"], evidence
    if not strict:
        return [f"CI runs the gate without strict mode at {', '.join(c.where for c in runs)}"], evidence
    return [], evidence


def promotion_gate(service: Service) -> Verdict:
    """The promotion gate's latest run is PASS, fresh, strict, fails closed on stale inputs, and a CI
    workflow runs it in strict mode; every unmet part is listed."""
    if service.kind != "gate":
        return Verdict.not_applicable("the stack's promotion gate is scored on its own row")
    spec = service.report_spec("promotion_gate")
    if spec is None:
        return Verdict.failed(
            f"{service.name} declares no promotion_gate report; declare promotion_gate: {{path, "
            "status, strict_field, stale_inputs_field}}",
            Evidence(service.spec.where, "services.yaml entry"),
        )
    reading, gaps, evidence = report_gaps(service, spec, "gate report")
    if reading.usable:
        strict_field = spec.extra.get("strict_field")
        stale_field = spec.extra.get("stale_inputs_field")
        for fld, what in ((strict_field, "strict_field"), (stale_field, "stale_inputs_field")):
            if not fld:
                gaps.append(f"promotion_gate declares no {what} ({spec.where})")
        if strict_field:
            try:
                value = lookup(reading.data, str(strict_field))
            except KeyError:
                value = None
                gaps.append(f"{reading.shown} has no {strict_field} field (strict mode unknown)")
            else:
                if value is not True:
                    gaps.append(f"gate ran non-strict ({strict_field}={value!r})")
            evidence.append(Evidence(_at(reading, str(strict_field)), f"{strict_field}={value!r}"))
        if stale_field:
            try:
                policy: Any = lookup(reading.data, str(stale_field))
            except KeyError:
                policy = None
                gaps.append(f"{reading.shown} has no {stale_field} field (stale-input policy unknown)")
            else:
                if not (isinstance(policy, str) and policy.strip().lower().startswith(STALE_POLICY_OK)):
                    gaps.append(f"stale inputs only {policy!r} ({stale_field}), not fail/block")
            evidence.append(Evidence(_at(reading, str(stale_field)), f"{stale_field}={policy!r}"))
    targets = [str(service.spec.raw["code"]).strip("/")] if service.spec.raw.get("code") else []
    targets.append(spec.path)
    ci_gaps, ci_evidence = _ci_gaps(service, targets)
    gaps += ci_gaps
    evidence += ci_evidence
    if gaps:
        return Verdict.failed(f"promotion gate: {'; '.join(gaps)}", *evidence)
    return Verdict.passed(
        f"promotion gate {reading.shown} is {reading.status!r}, fresh, strict, fails closed on "
        "stale inputs, and CI runs it strict",
        *evidence,
    )
