"""Translate between pytest (markers, call info, reports) and readiness results.

A criterion's result travels on its TestReport as plain builtins (``report.readiness`` and
``user_properties``) so it survives xdist serialization and lands in JUnit XML.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from functools import cache
from pathlib import Path

import pytest

from .artifacts import dotted
from .config import StackConfig
from .context import Service, Stack
from .errors import ConfigError
from .levels import CRITERION_LEVELS, Criterion, apply_waiver, level_number
from .redact import Redactor
from .results import CriterionOutcome, CriterionResult, Evidence, Outcome

ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9.-]*$")
REASON_MAX = 600


def criterion_from_marker(marker: pytest.Mark, where: str) -> Criterion:
    """Validate ``@pytest.mark.readiness(id=..., level=..., critical=...)``; bad use is a collection error."""
    kwargs = dict(marker.kwargs)
    unknown = set(kwargs) - {"id", "level", "critical", "title"}
    if marker.args or unknown:
        raise pytest.Collector.CollectError(
            f"{where}: use @pytest.mark.readiness(id='family.name', level='L2', critical=False)"
            + (f"; unknown argument(s) {sorted(unknown)}" if unknown else "")
        )
    cid, level = kwargs.get("id"), kwargs.get("level")
    if not isinstance(cid, str) or not ID_PATTERN.match(cid):
        raise pytest.Collector.CollectError(f"{where}: readiness id {cid!r} is not of the form 'family.name'")
    if level not in CRITERION_LEVELS:
        raise pytest.Collector.CollectError(
            f"{where}: readiness level {level!r} for {cid} is not one of {', '.join(CRITERION_LEVELS)}"
        )
    critical = kwargs.get("critical", False)
    if not isinstance(critical, bool):
        raise pytest.Collector.CollectError(f"{where}: readiness critical= must be True or False")
    return Criterion(id=cid, level=str(level), critical=critical, title=str(kwargs.get("title", "")))


@cache
def builtin_catalog() -> tuple[Criterion, ...]:
    """The criteria shipped in ``readiness_tests``, read from their markers (no collection needed)."""
    import readiness_tests

    found: list[Criterion] = []
    for info in pkgutil.iter_modules(readiness_tests.__path__):
        module = importlib.import_module(f"readiness_tests.{info.name}")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            for mark in getattr(func, "pytestmark", []):
                if mark.name == "readiness":
                    found.append(criterion_from_marker(mark, f"readiness_tests/{info.name}.py::{name}"))
    return tuple(sorted(found, key=lambda c: c.id))


def validate_references(config: StackConfig) -> None:
    """Waivers and level overrides must name a real criterion; a typo in a built-in family is an error."""
    known = {c.id for c in builtin_catalog()}
    families = {c.id.split(".")[0] for c in builtin_catalog()}
    refs: list[tuple[str, tuple[str | int, ...]]] = [
        (w.criterion, ("waivers", i, "criterion")) for i, w in enumerate(config.waivers)
    ]
    refs += [(cid, ("criteria", cid)) for cid in config.level_overrides]
    for cid, keys in refs:
        if cid.split(".")[0] in families and cid not in known:
            close = sorted(k for k in known if k.split(".")[0] == cid.split(".")[0])
            raise ConfigError(
                config.show(config.path),
                config.document.line_of(keys),
                f"unknown criterion {cid!r}; built-in {cid.split('.')[0]} criteria: {', '.join(close)}",
                dotted(keys),
            )


def _location(path: str | Path, line: int) -> str:
    return f"{Service.show_path(path)}:{line}"


def _classify(call: pytest.CallInfo[None]) -> tuple[Outcome, str, str | None]:
    """Outcome, reason and crash location from how the test phase ended."""
    excinfo = call.excinfo
    if excinfo is None:
        return Outcome.PASSED, "", None
    crash = excinfo.traceback[-1] if excinfo.traceback else None
    where = _location(crash.path, crash.lineno + 1) if crash is not None else None
    value = excinfo.value
    first = str(value).strip().splitlines()[0] if str(value).strip() else ""
    if isinstance(value, CriterionOutcome):
        return value.outcome, value.reason, None
    if call.when != "call" and not isinstance(value, pytest.skip.Exception):
        return Outcome.ERROR, f"{call.when} error: {excinfo.typename}: {first}", where
    if isinstance(value, pytest.skip.Exception):
        return Outcome.NOT_OBSERVED, f"skipped: {first or 'no reason given'}", None
    if isinstance(value, AssertionError | pytest.fail.Exception | pytest.xfail.Exception):
        return Outcome.FAILED, first or "assertion failed", where
    return Outcome.ERROR, f"{excinfo.typename}: {first}", where


def attach_result(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport, stack: Stack) -> None:
    """Compute the readiness result for this phase, apply waivers and targets, shape the report."""
    marker = item.get_closest_marker("readiness")
    callspec = getattr(item, "callspec", None)
    if marker is None or callspec is None or "_readiness_service" not in callspec.params:
        return
    redactor = stack.redactor
    # Captured stdout/stderr/log sections reach the terminal and JUnit system-out (from the
    # teardown report, which carries every phase's sections): redact them in every phase.
    report.sections = [(title, redactor.text(body)) for title, body in report.sections]
    if call.excinfo is None and call.when != "call":
        return
    criterion = criterion_from_marker(marker, item.nodeid)
    level = stack.config.level_overrides.get(criterion.id, criterion.level)
    name = str(callspec.params["_readiness_service"])
    target = stack.target_for(stack.config.service(name))
    svc = item.funcargs.get("service") if hasattr(item, "funcargs") else None
    outcome, reason, where = _classify(call)
    evidence = list(svc.evidence) if isinstance(svc, Service) else []
    if outcome is Outcome.PASSED and isinstance(svc, Service):
        reason = svc.pass_reason or "passed"
    if where and outcome in (Outcome.FAILED, Outcome.ERROR) and not evidence:
        evidence.append(Evidence(where, "where the criterion failed"))
    if not evidence and outcome in (Outcome.PASSED, Outcome.FAILED):
        path, lineno, _ = item.location
        evidence.append(Evidence(f"{path}:{(lineno or 0) + 1}", "criterion test; it cited no evidence of its own"))
    scope = svc.scope.value if isinstance(svc, Service) else "static"
    fix = svc.fix if isinstance(svc, Service) and outcome in (Outcome.FAILED, Outcome.ERROR) else None
    if fix is None and outcome is Outcome.FAILED and where:
        fix = f"{where}: make this criterion's assertion hold (a custom criterion without a fix of its own)"
    result = CriterionResult(
        service=name,
        criterion=criterion.id,
        level=level,
        outcome=outcome,
        reason=reason,
        evidence=evidence,
        critical=criterion.critical,
        scope=scope,
        nodeid=item.nodeid,
        title=criterion.title,
        fix=fix,
    )
    result = apply_waiver(result, stack.config.waivers, stack.now.date())
    reason_text = redactor.text(result.reason)
    result.reason = reason_text if len(reason_text) <= REASON_MAX else reason_text[: REASON_MAX - 1] + "…"
    result.evidence = [Evidence(redactor.text(e.location), redactor.text(e.detail)) for e in result.evidence]
    if result.fix is not None:
        fix_text = redactor.text(result.fix)
        result.fix = fix_text if len(fix_text) <= REASON_MAX else fix_text[: REASON_MAX - 1] + "…"
    _shape(report, result, target, item, redactor)
    report.readiness = result.to_dict()  # type: ignore[attr-defined]
    properties = [
        ("service", name),
        ("criterion", criterion.id),
        ("level", level),
        ("outcome", result.outcome.value),
        ("reason", result.reason),
        ("evidence", "; ".join(str(e) for e in result.evidence)),
    ]
    # junitxml reads properties from the teardown report, which copies the item's list.
    report.user_properties.extend(properties)
    if call.when != "teardown":
        item.user_properties.extend(properties)


def _shape(
    report: pytest.TestReport, result: CriterionResult, target: str, item: pytest.Item, redactor: Redactor
) -> None:
    """Show the result the pytest way: gaps above target and waived gaps as xfail, N/A as skip."""
    path, lineno, _ = item.location
    scope = ", static only" if result.scope == "static only" else ""
    head = f"{result.service} {result.criterion} [{result.level}{scope}]"
    above_target = level_number(result.level) > level_number(target)
    if result.outcome is Outcome.WAIVED:
        report.outcome = "skipped"
        report.wasxfail = f"{head} {result.reason}"
    elif result.outcome is Outcome.FAILED and above_target:
        report.outcome = "skipped"
        report.wasxfail = f"{head} above target {target}: {result.reason}"
    elif result.outcome is Outcome.FAILED:
        report.outcome = "failed"
        lines = [f"{head}: {result.reason}", *(f"  evidence: {e}" for e in result.evidence)]
        if result.fix:
            lines.append(f"  fix: {result.fix}")
        report.longrepr = "\n".join(lines)
    elif result.outcome in (Outcome.NOT_APPLICABLE, Outcome.NOT_OBSERVED):
        label = "N/A" if result.outcome is Outcome.NOT_APPLICABLE else "not observed"
        report.outcome = "skipped"
        report.longrepr = (path, (lineno or 0) + 1, f"{label}: {result.reason}")
    elif (
        result.outcome is Outcome.ERROR
        and report.longrepr is not None
        and redactor.text(str(report.longrepr)) != str(report.longrepr)
    ):
        report.longrepr = redactor.text(str(report.longrepr))
