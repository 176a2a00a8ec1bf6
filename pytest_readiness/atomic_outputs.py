"""pytest's own report files (``--junitxml``, pytest-html's ``--html``) written whole or not at all.

Both plugins open their target with ``open("w")`` and write it in place: a run killed during that
write leaves an empty or truncated report that a CI page then shows as the truth. This controller-only
plugin points each writer at a temp file beside the target and renames it over the target once it is
complete; a temp file left by a killed run is removed at the next start. Neither plugin offers a hook
for this, so it adapts their writer objects (``LogXML.logfile``, ``HTMLReport._write_report``); when
their shape changes it steps aside and leaves them as they are.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .files import write_atomic

STALE_AFTER_SECONDS = 600  # no report takes ten minutes to write: an older temp file is a killed run's


def remove_stale_temp_files(target: Path, now: float | None = None) -> list[Path]:
    """Delete ``.NAME.*.tmp`` files a killed run left beside ``target``; returns what was removed."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        candidates = list(target.parent.glob(f".{target.name}.*.tmp"))
    except OSError:
        return removed
    for candidate in candidates:
        try:
            if candidate.is_file() and now - candidate.stat().st_mtime > STALE_AFTER_SECONDS:
                candidate.unlink()
                removed.append(candidate)
        except OSError:
            continue
    return removed


class AtomicOutputs:
    """Adapts the JUnit and HTML writers of this run; registered on the controller only."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.junit: Any = None
        self.junit_target: Path | None = None
        self.junit_temp: Path | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._adapt_junit()
        self._adapt_html()

    def _adapt_junit(self) -> None:
        from _pytest.junitxml import xml_key

        xml: Any = self.config.stash.get(xml_key, None)
        logfile = getattr(xml, "logfile", None)
        if not isinstance(logfile, str):
            return
        target = Path(logfile)
        remove_stale_temp_files(target)
        self.junit, self.junit_target = xml, target
        self.junit_temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        xml.logfile = str(self.junit_temp)

    def _adapt_html(self) -> None:
        try:
            from pytest_html.basereport import BaseReport  # type: ignore[import-untyped]
        except ImportError:
            return
        html = next((p for p in self.config.pluginmanager.get_plugins() if isinstance(p, BaseReport)), None)
        write: Callable[[str], None] | None = getattr(html, "_write_report", None)
        target = getattr(html, "_report_path", None)
        if write is None or not isinstance(target, Path):
            return
        remove_stale_temp_files(target)

        def write_whole(rendered_report: str) -> None:
            write_atomic(target, rendered_report)

        html._write_report = write_whole  # type: ignore[union-attr]

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """After LogXML wrote the temp file: rename it over the target, and show the target's name."""
        if self.junit is None or self.junit_temp is None or self.junit_target is None:
            return
        self.junit.logfile = str(self.junit_target)
        if self.junit_temp.is_file():
            os.replace(self.junit_temp, self.junit_target)
