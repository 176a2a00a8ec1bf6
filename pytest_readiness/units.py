"""Parsing of the durations, sizes and timestamps users write in services.yaml and reports."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|us|s|m|h|d|w)")
_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*$", re.IGNORECASE)
_SIZE_FACTOR = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_duration(text: str | int | float) -> timedelta:
    """``"1h30m"``, ``"10m"``, ``"7d"``, ``"500ms"`` or a number of seconds; ValueError otherwise."""
    if isinstance(text, bool):
        raise ValueError(f"not a duration: {text!r}")
    if isinstance(text, int | float):
        return timedelta(seconds=text)
    s = text.strip()
    pos, total = 0, 0.0
    for match in _DURATION.finditer(s):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(s) or not s:
        raise ValueError(f"not a duration: {text!r} (write e.g. 10m, 1h30m, 7d)")
    return timedelta(seconds=total)


def parse_size(text: str | int) -> int:
    """``"50MB"``, ``"512m"``, ``"1GiB"`` or a byte count (binary multiples, as Docker reads them)."""
    if isinstance(text, bool):
        raise ValueError(f"not a size: {text!r}")
    if isinstance(text, int):
        return text
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r} (write e.g. 512m, 50MB, 1g)")
    return int(float(match.group(1)) * _SIZE_FACTOR[match.group(2)[:1].lower()])


def parse_timestamp(value: object) -> datetime:
    """An ISO 8601 string or epoch seconds as an aware UTC datetime; naive strings are read as UTC."""
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, tz=UTC)
        if not isinstance(value, str) or len(value) > 64:
            raise ValueError
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"not a timestamp: {str(value)[:64]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


CLOCK_SKEW = timedelta(minutes=5)


def after_evaluation(when: datetime, now: datetime, skew: timedelta = CLOCK_SKEW) -> bool:
    """True when a timestamp lies after the evaluation time (beyond clock skew): it proves no age.

    A fresh checkout gives every file today's mtime; judged at an earlier ``--readiness-now``
    such a file would otherwise look brand new.
    """
    return when - now > skew


def format_age(age: timedelta) -> str:
    """A short human age: ``4d 21h``, ``12m 5s``."""
    secs = int(age.total_seconds())
    sign = "-" if secs < 0 else ""
    secs = abs(secs)
    days, rem = divmod(secs, 86400)
    hours, rem = divmod(rem, 3600)
    mins, secs = divmod(rem, 60)
    if days:
        return f"{sign}{days}d" + (f" {hours}h" if hours else "")
    if hours:
        return f"{sign}{hours}h" + (f" {mins}m" if mins else "")
    if mins:
        return f"{sign}{mins}m" + (f" {secs}s" if secs else "")
    return f"{sign}{secs}s"
