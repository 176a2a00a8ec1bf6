"""Keep every known secret value, in each form it is written in, out of every output: terminal, JSON,
Markdown, HTML, JUnit."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MIN_SECRET_LENGTH = 4


def encoded_forms(value: str) -> list[str]:
    """The value and the forms it takes in the outputs: URL-encoded (a DSN), JSON-, HTML- and
    XML-escaped (a report), with backslash escapes (a log line), base64 (a basic-auth header)."""
    forms = [
        value,
        quote(value, safe=""),
        quote_plus(value, safe=""),
        json.dumps(value)[1:-1],
        html.escape(value, quote=True),
        html.escape(value, quote=False),
        value.encode("unicode_escape").decode("ascii", "replace"),
        base64.b64encode(value.encode()).decode().rstrip("="),
    ]
    return [f for f in dict.fromkeys(forms) if len(f) >= MIN_SECRET_LENGTH]


class Redactor:
    """Replaces each known secret value with ``<redacted:NAME>``; the name is safe to show."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        usable = {name: value for name, value in secrets.items() if len(value) >= MIN_SECRET_LENGTH}
        self._names: dict[str, str] = {}
        for name, value in usable.items():
            for form in encoded_forms(value):
                self._names.setdefault(form, name)
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
