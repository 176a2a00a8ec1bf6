"""The controller-side scorecard: gathers results from reports (serial or xdist), decides the gate."""

from __future__ import annotations

import json
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


class ScorecardReporter:
    """Registered only on the controller (never on xdist workers)."""

    def __init__(self, config: pytest.Config, stack: Stack) -> None:
        self.config = config
        self.stack = stack
        self.results: dict[tuple[str, str], CriterionResult] = {}
        self.criteria: dict[str, Criterion] = {}

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
        half = float(str(self.config.getini("readiness_half_step")))
        card = build_scorecard(self.stack, self.results, self._catalog(), half_step=half, selection=self._selection())
        self.config.stash[SCORECARD_KEY] = card
        redactor = Redactor(self.stack.secret_values())
        json_path = self.config.getoption("readiness_json")
        if json_path:
            data = redactor.deep(card.to_dict())
            write_atomic(Path(self.config.invocation_params.dir, json_path), json.dumps(data, indent=2) + "\n")
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.OK if card.checkpoint.gate == "PASS" else pytest.ExitCode.TESTS_FAILED

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
        json_path = self.config.getoption("readiness_json")
        if json_path:
            tr.write_line(f"readiness JSON: {json_path}")
