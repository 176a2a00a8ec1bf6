"""The controller-side scorecard: gathers results from reports (serial or xdist), decides the gate,
writes the report files and prints the terminal summary."""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from .context import Stack
from .files import dump_json, write_atomic
from .levels import Criterion
from .outcomes import builtin_catalog
from .render import (
    MIN_WIDTH,
    checkpoint_lines,
    clip,
    clip_middle,
    failure_lines,
    gap_lines,
    scorecard_lines,
    slo_lines,
    unobserved_lines,
    waiver_lines,
)
from .results import CriterionResult, Outcome
from .scorecard import Scorecard, build_scorecard

_SEVERITY = {Outcome.ERROR: 3, Outcome.FAILED: 2}


def _json_text(result: dict[str, Any]) -> str:
    return dump_json(result)


def _markdown_text(result: dict[str, Any]) -> str:
    from .report_markdown import render_markdown

    return render_markdown(result)


def _sarif_text(result: dict[str, Any]) -> str:
    from .report_sarif import render_sarif

    return dump_json(render_sarif(result, tool_version=_version()))


def _textfile_text(result: dict[str, Any]) -> str:
    from .report_textfile import render_textfile

    return render_textfile(result)


def _badge_text(result: dict[str, Any]) -> str:
    from .report_badge import render_badge

    return render_badge(result)


def _version() -> str:
    try:
        return metadata.version("pytest-readiness")
    except metadata.PackageNotFoundError:
        return "0+unknown"


# (option dest, flag, renderer): every report file is rendered from the same redacted result dict.
OUTPUTS: tuple[tuple[str, str, Callable[[dict[str, Any]], str]], ...] = (
    ("readiness_json", "--readiness-json", _json_text),
    ("readiness_md", "--readiness-md", _markdown_text),
    ("readiness_sarif", "--readiness-sarif", _sarif_text),
    ("readiness_textfile", "--readiness-textfile", _textfile_text),
    ("readiness_badge", "--readiness-badge", _badge_text),
)


def output_path(config: pytest.Config, dest: str) -> Path | None:
    """Where an output option writes, resolved against the invocation directory."""
    option = config.getoption(dest)
    return Path(config.invocation_params.dir, option) if option else None


def check_outputs(config: pytest.Config) -> None:
    """Refuse before any test runs when a report could not be written at the end."""
    for dest, flag, _ in OUTPUTS:
        check_writable(output_path(config, dest), flag)
    check_writable(output_path(config, "readiness_fix_alerts"), "--readiness-fix-alerts")
    history = output_path(config, "readiness_history")
    if history is not None and history.exists() and not history.is_dir():
        raise pytest.UsageError(f"--readiness-history: {history} is a file; give a folder")


def check_writable(path: Path | None, option: str) -> None:
    if path is None:
        return
    if path.is_dir():
        raise pytest.UsageError(f"{option}: {path} is a directory; give a file path")
    parent = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise pytest.UsageError(f"{option}: cannot create {path} (no writable folder above it)")


class ScorecardReporter:
    """Registered only on the controller (never on xdist workers)."""

    def __init__(self, config: pytest.Config, stack: Stack, *, line_failures: bool = False) -> None:
        self.config = config
        self.stack = stack
        self.line_failures = line_failures  # pytest's FAILURES section is off: the scorecard lists them
        self.redactor = stack.redactor
        self.results: dict[tuple[str, str], CriterionResult] = {}
        self.criteria: dict[str, Criterion] = {}
        self.errors: list[str] = []
        self.written: list[str] = []
        self.regressions: list[str] = []
        self._card: Scorecard | None = None
        self._result: dict[str, Any] | None = None

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

    def card(self) -> Scorecard:
        """The scorecard, computed once when every result is in (pytest-html may ask first)."""
        if self._card is None:
            half = float(str(self.config.getini("readiness_half_step")))
            catalog = self._catalog()
            results: dict[tuple[str, str], CriterionResult] = dict(self.results)
            history = output_path(self.config, "readiness_history")
            previous: dict[str, Any] | None = None
            trend: list[dict[str, Any]] = []
            warnings: list[str] = []
            if history is not None:
                from .history import carry_over, find_previous, level_trend

                previous, found = find_previous(history, self.stack.config.name)
                trend, more = level_trend(history, self.stack.config.name)
                warnings = list(dict.fromkeys([*found, *more]))
                if previous is not None:
                    wanted = [(s.name, c.id) for s in self.stack.config.services for c in catalog]
                    results, carried = carry_over(previous, results, wanted)
                    warnings.extend(carried)
            card = build_scorecard(self.stack, results, catalog, half_step=half, selection=self._selection())
            card.notes.extend(warnings)
            if history is not None:
                self._compare_with_history(card, previous, trend)
            self._card = card
        return self._card

    def result(self) -> dict[str, Any]:
        """The redacted result dict every report file is rendered from."""
        if self._result is None:
            self._result = self.redactor.deep(self.card().to_dict())
        return self._result

    def _compare_with_history(
        self, card: Scorecard, previous: dict[str, Any] | None, trend: list[dict[str, Any]]
    ) -> None:
        from .history import compare, regressions, trend_point

        current = card.to_dict()
        card.changes = compare(previous, current)
        card.trend = [*trend, {**trend_point(current), "current": True}]
        self.regressions = regressions(card.changes)
        if self.regressions and self.config.getoption("readiness_fail_on_regression"):
            card.checkpoint.gate = "FAIL"
            card.checkpoint.reasons.extend(self.regressions)

    def _write(self, dest: str, flag: str, render: Callable[[dict[str, Any]], str]) -> None:
        path = output_path(self.config, dest)
        if path is None:
            return
        try:
            write_atomic(path, render(self.result()))
        except OSError as exc:
            self.errors.append(f"{flag}: cannot write {path}: {exc.strerror or exc}")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.config.option.collectonly:
            return
        card = self.card()
        for dest, flag, render in OUTPUTS:
            self._write(dest, flag, render)
        alerts = output_path(self.config, "readiness_fix_alerts")
        if alerts is not None:
            from .alert_fix import write as write_alerts

            try:
                tests, count = write_alerts(self.stack, alerts)
                self.written.append(
                    f"readiness fix-alerts: {count} rule(s) in {alerts}, their promtool tests in {tests}"
                )
            except OSError as exc:
                self.errors.append(f"--readiness-fix-alerts: cannot write {alerts}: {exc.strerror or exc}")
        history = output_path(self.config, "readiness_history")
        if history is not None:
            from .history import append_run, prune

            try:
                append_run(history, self.result())
                prune(history, keep=int(str(self.config.getini("readiness_history_keep"))))
            except OSError as exc:
                self.errors.append(f"--readiness-history: cannot write to {history}: {exc.strerror or exc}")
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.OK if card.checkpoint.gate == "PASS" else pytest.ExitCode.TESTS_FAILED
        if self.errors and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a lost report never passes the run

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Readiness failures are listed one line each in the scorecard: pytest's tracebacks and FAILED
        lines would repeat them (kept when the user chose ``--tb`` or ``-r``, or collection failed)."""
        if not self.line_failures:
            return
        if session.testsfailed:
            self.line_failures = False
            return
        self.config.option.tbstyle = "no"
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        chars = getattr(terminal, "reportchars", None)
        if self.config.option.reportchars == "fE" and isinstance(chars, str):
            terminal.reportchars = chars.replace("f", "")  # type: ignore[union-attr]

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> Generator[None, None, None]:
        """After pytest's own summary (its short test summary included): the scorecard comes last."""
        try:
            return (yield)
        finally:
            if self._card is not None and not self.config.option.collectonly:
                self._print_scorecard(terminalreporter)

    def _print_scorecard(self, tr: pytest.TerminalReporter) -> None:
        card = self._card
        assert card is not None
        width = max(tr._tw.fullwidth, MIN_WIDTH)
        details = bool(self.config.getoption("readiness_details")) or self.config.option.verbose > 0

        def lines(title: str, rows: list[str], sep: str = "-") -> None:
            if rows:
                tr.write_sep(sep, self.redactor.text(clip(title, width - 4)))  # the stack name is input
                for row in rows:
                    markup = {"red": True} if row.startswith("Gate: FAIL") else {}
                    markup = {"green": True} if row.startswith("Gate: PASS") else markup
                    tr.write_line(self.redactor.text(row), **markup)

        for dest, _flag, _ in OUTPUTS:
            path = output_path(self.config, dest)
            if path is not None and not any(str(path) in e for e in self.errors):
                tr.write_line(clip_middle(f"readiness {dest.removeprefix('readiness_')}: {path}", width))
        for line in self.written:
            tr.write_line(clip_middle(line, width))
        for warning in card.warnings:
            tr.write_line(clip(f"warning: {self.redactor.text(warning)}", width), yellow=True)
        if self.line_failures or details:
            hint = "" if details else " (-v or --readiness-details: evidence and fix)"
            lines(f"readiness failures{hint}", list(failure_lines(card, width, details=details)))
        lines(f"readiness scorecard: {card.stack} at {card.now.isoformat()}", list(scorecard_lines(card, width)), "=")
        lines("top gaps (! critical)", list(gap_lines(card, width)))
        lines("not observed (the level if it passes)", list(unobserved_lines(card, width)))
        lines("waived (count as passed until they expire)", list(waiver_lines(card, width)))
        lines("regressions since the last run", [clip(r, width) for r in self.regressions])
        lines("SLO and alert ownership matrix", list(slo_lines(card, width)))
        lines("decision checkpoint", list(checkpoint_lines(card, width)))
        for error in self.errors:
            tr.write_line(f"ERROR: {error}", red=True, bold=True)  # whole: it names the file that was lost
