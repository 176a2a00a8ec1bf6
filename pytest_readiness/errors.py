"""Structured errors: every bad input is reported as one line naming file, line and fix."""

from __future__ import annotations

from pathlib import Path


class ReadinessError(Exception):
    """Base class for every error the plugin raises on purpose."""


class InputError(ReadinessError):
    """A file the user wrote (services.yaml, compose, report, rules) is unusable.

    ``str(err)`` is the one line shown to the user: ``path:line: field: what is wrong``.
    """

    def __init__(self, path: Path | str, line: int | None, message: str, field: str | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.message = message
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {what}"


class ConfigError(InputError):
    """services.yaml (or a waiver or level override in it) is invalid; the run stops with exit 4."""
