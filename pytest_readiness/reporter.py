"""The controller-side scorecard: gathers results from reports (serial or xdist), decides the gate."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .context import Stack
from .files import write_atomic
from .levels import Criterion
from .outcomes import builtin_catalog
from .redact import Redactor
from .render import checkpoint_lines, gap_lines, scorecard_lines, slo_lines, waiver_lines
from .results import CriterionResult, Outcome
from .scorecard import Scorecard, build_scorecard

SCORECARD_KEY = pytest.StashKey[Scorecard]()
_SEVERITY = {Outcome.ERROR: 3, Outcome.FAILED: 2}


def json_output(config: pytest.Config) -> Path | None:
    """Where --readiness-json writes, resolved against the invocation directory."""
    option = config.getoption("readiness_json")
    return Path(config.invocation_params.dir, option) if option else None


def check_writable(path: Path | None, option: str) -> None:
    """Refuse before any test runs when a report could not be written at the end."""
    if path is None:
        return
    if path.is_dir():
        raise pytest.UsageError(f"{option}: {path} is a directory; give a file path")
    parent = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise pytest.UsageError(f"{option}: cannot create {path} (no writable folder above it)")


class ScorecardReporter:
    """Registered only on the controller (never on xdist workers)."""

    def __init__(self, config: pytest.Config, stack: Stack) -> None:
        self.config = config
        self.stack = stack
        self.results: dict[tuple[str, str], CriterionResult] = {}
        self.criteria: dict[str, Criterion] = {}
        self.write_errors: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        raw = getattr(report, "readiness", None)
        if not isinstance(raw, dict):
            return
        result = CriterionResult.from_dict(raw)
        key = (result.service, result.criterion)
        previous = self.results.get(key)
        # A later phase (teardown) only replaces a result when it is worse (an error after a pass).
        if previous is None or _SEVERITY.get(result.outcome, 0) > _SEVERITY.get(previous.outcome, 0):
            self.results[key] = result
        self.criteria[result.criterion] = Criterion(result.criterion, result.level, result.critical, result.title)

    def _selection(self) -> str | None:
        """Why this run may not cover the whole checklist (-k, -m, --deselect, --lf, --sw)."""
        opt = self.config.option
        parts = []
        for flag, value in (
            ("-k", getattr(opt, "keyword", "")),
            ("-m", getattr(opt, "markexpr", "")),
            ("--deselect", getattr(opt, "deselect", None)),
            ("--lf", getattr(opt, "lf", False)),
            ("--sw", getattr(opt, "stepwise", False)),
        ):
            if value:
                parts.append(flag)
        return ", ".join(parts) or None

    def _catalog(self) -> list[Criterion]:
        """Every criterion that ran, plus the built-in checklist: one that did not run fails closed."""
        catalog = dict(self.criteria)
        if self.config.getini("readiness_builtin"):
            overrides = self.stack.config.level_overrides
            for c in builtin_catalog():
                catalog.setdefault(c.id, Criterion(c.id, overrides.get(c.id, c.level), c.critical, c.title))
        return list(catalog.values())

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.config.option.collectonly:
            return
        half = float(str(self.config.getini("readiness_half_step")))
        card = build_scorecard(self.stack, self.results, self._catalog(), half_step=half, selection=self._selection())
        self.config.stash[SCORECARD_KEY] = card
        redactor = Redactor(self.stack.secret_values())
        json_path = json_output(self.config)
        if json_path:
            data = redactor.deep(card.to_dict())
            try:
                write_atomic(json_path, json.dumps(data, indent=2) + "\n")
            except OSError as exc:
                self.write_errors.append(f"--readiness-json: cannot write {json_path}: {exc.strerror or exc}")
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.OK if card.checkpoint.gate == "PASS" else pytest.ExitCode.TESTS_FAILED
        if self.write_errors and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a lost report never passes the run

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        card = self.config.stash.get(SCORECARD_KEY, None)
        if card is None:
            return
        redactor = Redactor(self.stack.secret_values())
        # Non-tty CI pages report 80 columns but do not wrap: lay out for 120 there.
        width = min(max(terminalreporter._tw.fullwidth, 120), 160)
        tr = terminalreporter
        tr.write_sep("=", f"readiness scorecard: {card.stack} at {card.now.isoformat()}")
        for line in scorecard_lines(card, width):
            tr.write_line(redactor.text(line))
        gaps = list(gap_lines(card, width))
        if gaps:
            tr.write_sep("-", "top gaps (! critical)")
            for line in gaps:
                tr.write_line(redactor.text(line))
        waived = list(waiver_lines(card, width))
        if waived:
            tr.write_sep("-", "waived (count as passed until they expire)")
            for line in waived:
                tr.write_line(redactor.text(line))
        tr.write_sep("-", "SLO and alert ownership matrix")
        for line in slo_lines(card, width):
            tr.write_line(redactor.text(line))
        tr.write_sep("-", "decision checkpoint")
        for line in checkpoint_lines(card, width):
            markup = (
                {"red": True}
                if line.startswith("Gate: FAIL")
                else {"green": True}
                if line.startswith("Gate: PASS")
                else {}
            )
            tr.write_line(redactor.text(line), **markup)
        json_path = json_output(self.config)
        if json_path and not self.write_errors:
            tr.write_line(f"readiness JSON: {json_path}")
        for error in self.write_errors:
            tr.write_line(f"ERROR: {error}", red=True, bold=True)
