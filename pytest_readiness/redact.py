"""Keep declared secret values out of every output: terminal, JSON, Markdown, HTML, JUnit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MIN_SECRET_LENGTH = 4


class Redactor:
    """Replaces each known secret value with ``<redacted:NAME>``; the name is safe to show."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        usable = {name: value for name, value in secrets.items() if len(value) >= MIN_SECRET_LENGTH}
        self._names = {value: name for name, value in usable.items()}
        ordered = sorted(self._names, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def text(self, value: str) -> str:
        if self._pattern is None:
            return value
        return self._pattern.sub(lambda m: f"<redacted:{self._names[m.group(0)]}>", value)

    def deep(self, value: Any) -> Any:
        """Redact every string inside nested dicts/lists (JSON-shaped data)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value
