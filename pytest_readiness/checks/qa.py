"""QA criteria: unit tests exist, their JUnit result is fresh and green, a replay/integration gate
passes, and the promotion gate is PASS, strict, fail-closed and run by CI.

Tests are found as their runner would collect them: pytest's ``test_*.py``/``*_test.py`` functions and
``Test*`` classes, ``unittest.TestCase`` and Django ``TestCase``/``SimpleTestCase`` subclasses, Django
``tests.py`` modules; ``*.test.js``/``*.spec.ts``, ``*_test.go``, RSpec ``*_spec.rb`` for other code.
Also home of ``report_gaps``, the one way every criterion here judges a JSON report.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..artifacts import ArtifactError
from ..config import ReportSpec
from ..context import ReportReading, Service, lookup
from ..results import Evidence, Verdict
from ..units import after_evaluation, format_age, parse_timestamp
from .common import has_own_code, third_party_reason

STALE_POLICY_OK = ("fail", "block", "reject", "deny")
_PY_TEST_FILE = re.compile(r"^(test_.*|.*_test|tests?)\.py$")
_OTHER_TEST_FILE = re.compile(
    r"(\.(test|spec)\.(js|jsx|ts|tsx|mjs|cjs)|_test\.go|_spec\.rb|_test\.rb|Tests?\.(java|kt|cs))$"
)
_OTHER_TEST_MARK = re.compile(
    r"^\s*(it|test|describe)\s*\(|^func Test[A-Z_]|^\s*(it|describe|context)\s+['\"]|@Test\b|\[Fact\]|"
    r"\[Test\]|def test_",
    re.M,
)
_SKIP_DIRS = frozenset({"node_modules", ".venv", "venv", "site-packages", "vendor", "dist", "build", ".git"})


# --------------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------------


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
            gaps.append(
                f"{what} {reading.shown} says {spec.status_field}={str(reading.status)[:40]!r} (passes: {passing})"
            )
        evidence.append(Evidence(reading.at(spec.status_field), f"{spec.status_field}={str(reading.status)[:40]!r}"))
    if not reading.fresh:
        gaps.append(f"{what} {reading.shown} is stale: {reading.freshness_text()}")
    evidence.append(Evidence(reading.at(spec.timestamp), reading.freshness_text()))
    return reading, gaps, evidence


def report_fix(reading: ReportReading, gaps: list[str], what: str) -> str:
    """The fix for a report that is missing, failing or stale."""
    if reading.problem and "does not exist" in reading.problem:
        return f"{reading.shown}: make the {what} job write this report (and run it on its schedule)"
    if reading.problem:
        return (
            f"{reading.shown}: make the {what} job write a whole, valid report "
            f"({reading.problem.split(': ', 1)[-1]}), written to a temp file and renamed"
        )
    if any("stale" in g for g in gaps):
        return f"{reading.shown}: run the {what} again and schedule it within its max_age"
    return f"{reading.at(reading.spec.status_field)}: fix what the {what} reports and rerun it until it passes"


def _report_criterion(service: Service, key: str, what: str) -> Verdict:
    spec = service.report_spec(key)
    if spec is None:
        return Verdict.failed(
            f"{service.name} declares no {key} report ({what}); declare {key}: {{path, max_age, timestamp, status}}",
            Evidence(service.spec.where, "services.yaml entry"),
            fix=f"{service.spec.where}: add  {key}: {{path: reports/{service.name}/{key}.json, max_age: 1d, "
            "timestamp: generated_at, status: {field: status, pass: [pass]}}",
        )
    reading, gaps, evidence = report_gaps(service, spec, what)
    if gaps:
        return Verdict.failed("; ".join(gaps), *evidence, fix=report_fix(reading, gaps, what))
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


def _is_test_case_class(node: ast.ClassDef) -> bool:
    """``unittest.TestCase``/Django ``TestCase``/``SimpleTestCase``/DRF ``APITestCase`` and friends."""
    for base in node.bases:
        name = ast.unparse(base).rsplit(".", 1)[-1]
        if name.endswith(("TestCase", "TestCaseMixin")) or name in ("TestCase", "IsolatedAsyncioTestCase"):
            return True
    return False


def python_tests(text: str, shown: str) -> tuple[list[str], int]:
    """(test names, first line) as pytest (and unittest/Django) would collect them from one module."""
    tree = ast.parse(text, filename=shown)
    names: list[str] = []
    first = 0
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            names.append(node.name)
            first = first or node.lineno
        elif isinstance(node, ast.ClassDef) and (node.name.startswith("Test") or _is_test_case_class(node)):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test"):
                    names.append(f"{node.name}.{item.name}")
                    first = first or item.lineno
    return names, first


def _tests_in(service: Service, path: Path) -> FoundTests:
    shown = service.show(path)
    text = service.artifacts.text(path).text
    if path.suffix == ".py":
        try:
            names, first = python_tests(text, shown)
        except SyntaxError as exc:
            raise ArtifactError(shown, exc.lineno, f"syntax error: {exc.msg}", "malformed") from None
        except ValueError as exc:
            raise ArtifactError(shown, None, f"cannot parse: {exc}", "malformed") from None
        return FoundTests(path, tuple(names), first)
    marks = list(_OTHER_TEST_MARK.finditer(text))
    line = text.count("\n", 0, marks[0].start()) + 1 if marks else 0
    return FoundTests(path, tuple(m.group(0).strip()[:40] for m in marks), line)


def test_files(service: Service, folder: Path, *, whole_tree: bool) -> list[Path]:
    """Files a test runner would collect below ``folder`` (a tests folder, or a whole build context)."""
    out = []
    for path in service.artifacts.files_under(folder):
        rel = path.relative_to(folder).parts
        if any(part in _SKIP_DIRS for part in rel[:-1]):
            continue
        name = path.name
        in_tests_dir = any(p in ("tests", "test", "__tests__", "spec") for p in rel[:-1])
        if name.endswith(".py"):
            if _PY_TEST_FILE.match(name) or (in_tests_dir and not whole_tree and name != "__init__.py"):
                out.append(path)
        elif _OTHER_TEST_FILE.search(name) or (in_tests_dir and name.endswith((".js", ".ts", ".rb", ".go"))):
            out.append(path)
    return out


def _test_folders(service: Service) -> tuple[list[Path], bool, str]:
    """Where to look for tests: the declared folder, else the code folder, else the build contexts."""
    rel = service.spec.raw.get("tests")
    if rel:
        return [service.path(str(rel))], False, "declared tests folder"
    code = service.spec.raw.get("code")
    if code:
        return [service.path(str(code))], True, "code folder"
    try:
        contexts = [c.build_context for c in service.compose_services if c.build_context is not None]
    except Exception:
        contexts = []
    return list(dict.fromkeys(contexts)), True, "build context"


def unit_tests(service: Service) -> Verdict:
    """The row's own code has tests its runner would collect (parsed, not grepped)."""
    if not has_own_code(service):
        return Verdict.not_applicable(third_party_reason(service))
    folders, whole_tree, how = _test_folders(service)
    if not folders:
        return Verdict.failed(
            f"{service.name} declares no tests folder and has no code folder or build context to look in",
            Evidence(service.spec.where, "services.yaml entry"),
            fix=f"{service.spec.where}: add  tests: <folder>  and unit tests in it",
        )
    files: list[Path] = []
    for folder in folders:
        if not service.artifacts.is_dir(folder):
            return Verdict.failed(
                f"tests folder {service.show(folder)} does not exist",
                Evidence(service.spec.where, "tests"),
                fix=f"{service.spec.where}: point tests at the folder holding the unit tests "
                f"(none at {service.show(folder)})",
            )
        files.extend(test_files(service, folder, whole_tree=whole_tree))
    shown = ", ".join(service.show(f) for f in folders)
    if not files:
        return Verdict.failed(
            f"no test files in the {how} {shown} (looked for test_*.py, *_test.py, tests.py, *.test.js, "
            "*_test.go, *_spec.rb)",
            Evidence(shown, "no test files"),
            fix=f"{shown}: add unit tests for the core logic (e.g. tests/test_<module>.py)",
        )
    found: list[FoundTests] = []
    broken: list[str] = []
    for path in files:
        try:
            found.append(_tests_in(service, path))
        except ArtifactError as exc:
            broken.append(str(exc))
    with_tests = [f for f in found if f.names]
    evidence = [Evidence(f"{service.show(f.path)}:{f.first_line}", f"{len(f.names)} test(s)") for f in with_tests]
    if broken and not with_tests:
        return Verdict.failed(
            broken[0],
            *(Evidence(b.split(": ", 1)[0], "unparsable test file") for b in broken),
            *evidence,
            fix=f"{broken[0].split(': ', 1)[0]}: fix the test file so it parses",
        )
    if not with_tests:
        return Verdict.failed(
            f"{len(files)} test file(s) in {shown} define no test (def test_*, class Test*, a TestCase subclass)",
            *(Evidence(service.show(p), "no tests") for p in files[:8]),
            fix=f"{service.show(files[0])}: write test functions (def test_...) for the core logic",
        )
    count = sum(len(f.names) for f in with_tests)
    note = f"; {len(broken)} file(s) did not parse" if broken else ""
    return Verdict.passed(f"{count} test(s) in {len(with_tests)} file(s) under the {how} {shown}{note}", *evidence[:12])


# --------------------------------------------------------------------------------------------------
# qa.unit-test-results
# --------------------------------------------------------------------------------------------------


def _int_attr(el: Any, name: str) -> int:
    try:
        value = float(el.get(name, "0"))
        return int(value) if value == value and abs(value) < 1e12 else 0
    except (ValueError, OverflowError):
        return 0


def unit_test_results(service: Service) -> Verdict:
    """A JUnit XML for the row's tests exists, ran more than zero tests, none failed, and it is fresh."""
    if not has_own_code(service):
        return Verdict.not_applicable(third_party_reason(service))
    spec = service.report_spec("junit")
    if spec is None:
        return Verdict.failed(
            f"{service.name} declares no junit report; declare junit: {{path, max_age}} and "
            "write it from the test run (pytest --junitxml)",
            Evidence(service.spec.where, "services.yaml entry"),
            fix=f"{service.spec.where}: add  junit: {{path: reports/junit/{service.name}.xml, max_age: 7d}}  and run "
            f"the tests with --junitxml=reports/junit/{service.name}.xml in CI",
        )
    path = service.path(spec.path)
    shown = service.show(path)
    try:
        root = service.artifacts.xml(path)
        mtime = service.artifacts.stat(path).st_mtime
    except ArtifactError as exc:
        if exc.missing:
            return Verdict.failed(
                f"JUnit report {shown} does not exist",
                Evidence(spec.where, "junit"),
                fix=f"{shown}: write it from the test run (pytest --junitxml={spec.path})",
            )
        return Verdict.failed(
            str(exc),
            Evidence(f"{exc.path}:{exc.line}" if exc.line else exc.path, "junit"),
            fix=f"{exc.path}: {exc.message}",
        )
    if root.tag not in ("testsuites", "testsuite"):
        return Verdict.failed(
            f"{shown}: root element <{root.tag[:40]}> is not <testsuites> or <testsuite>",
            Evidence(shown, "junit"),
            fix=f"{shown}: write JUnit XML (pytest --junitxml)",
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
                    f"{shown}: testsuite timestamp {str(s.get('timestamp'))[:40]!r} is not a timestamp",
                    Evidence(shown, "junit"),
                    fix=f"{shown}: write an ISO 8601 testsuite timestamp",
                )
    if stamps:
        when, source = max(stamps), "testsuite timestamp"
    else:
        when, source = datetime.fromtimestamp(mtime).astimezone(), "file mtime"
    age = service.now - when
    limit = f" (max {format_age(spec.max_age)})" if spec.max_age else ""
    age_text = f"age {format_age(age)}{limit} by {source}"
    detail = f"{tests} tests, {failures} failures, {errors} errors; {age_text}"
    gaps: list[str] = []
    if tests == 0:
        gaps.append("ran 0 tests")
    if failures or errors:
        names = [str(c.get("name", "?"))[:60] for c in (failed_cases + error_cases)[:3]]
        gaps.append(f"{failures} failure(s), {errors} error(s)" + (f" (e.g. {', '.join(names)})" if names else ""))
    if after_evaluation(when, service.now):
        gaps.append(f"{source} {when.isoformat()} is after the evaluation time; it cannot prove freshness")
    elif spec.max_age is not None and age > spec.max_age:
        gaps.append(f"stale: {age_text}")
    evidence = [Evidence(shown, detail)]
    if gaps:
        return Verdict.failed(
            f"JUnit report {shown}: {'; '.join(gaps)}",
            *evidence,
            fix=f"{shown}: rerun the unit tests green in CI (pytest --junitxml) within {limit or 'its max_age'}",
        )
    return Verdict.passed(f"JUnit report {shown}: {detail}", *evidence)


# --------------------------------------------------------------------------------------------------
# qa.integration-gate
# --------------------------------------------------------------------------------------------------


def integration_gate(service: Service) -> Verdict:
    """A replay/regression (integration) report for the row exists, passes and is fresh."""
    if not has_own_code(service):
        return Verdict.not_applicable(third_party_reason(service))
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
            doc = service.artifacts.yaml(path)
        except ArtifactError as exc:
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
            fix=f"{service.spec.where}: add  promotion_gate: {{path: reports/promotion_gates/latest.json, max_age: 1d, "
            "status: {field: status, pass: [PASS]}, strict_field: strict, stale_inputs_field: stale_inputs}",
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
            evidence.append(Evidence(reading.at(str(strict_field)), f"{strict_field}={value!r}"))
        if stale_field:
            try:
                policy: Any = lookup(reading.data, str(stale_field))
            except KeyError:
                policy = None
                gaps.append(f"{reading.shown} has no {stale_field} field (stale-input policy unknown)")
            else:
                if not (isinstance(policy, str) and policy.strip().lower().startswith(STALE_POLICY_OK)):
                    gaps.append(f"stale inputs only {policy!r} ({stale_field}), not fail/block")
            evidence.append(Evidence(reading.at(str(stale_field)), f"{stale_field}={policy!r}"))
    targets = [str(service.spec.raw["code"]).strip("/")] if service.spec.raw.get("code") else []
    targets.append(spec.path)
    ci_gaps, ci_evidence = _ci_gaps(service, targets)
    gaps += ci_gaps
    evidence += ci_evidence
    if gaps:
        return Verdict.failed(
            f"promotion gate: {'; '.join(gaps)}",
            *evidence,
            fix=f"{reading.shown}: {gaps[0]}; make the gate run strict in CI and fail on stale inputs",
        )
    return Verdict.passed(
        f"promotion gate {reading.shown} is {reading.status!r}, fresh, strict, fails closed on "
        "stale inputs, and CI runs it strict",
        *evidence,
    )
