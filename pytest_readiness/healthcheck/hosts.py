"""Probe records and host:port parsing shared by the command and Python readers."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Probe:
    """One thing a command checks. ``kind``: liveness, connectivity, freshness, process or other."""

    kind: str
    command: str
    target: str | None
    detail: str = ""


def split_host_port(text: str) -> tuple[str | None, str | None]:
    """``host:port``, ``[::1]:port``, ``:port`` or ``host`` -> (host, port)."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, rest.lstrip(":") or None
    if text.count(":") > 1 and "$" not in text and "{" not in text:
        return text, None  # a bare IPv6 address
    host, _, port = text.partition(":")
    return host or None, port or None


def url_host(url: str) -> tuple[str | None, str | None]:
    """Host and port of a URL; scheme-less ``host:port/path`` is read as http."""
    candidate = url if "://" in url else "http://" + url
    try:
        netloc = urlsplit(candidate).netloc
    except ValueError:
        return None, None
    netloc = netloc.rpartition("@")[2]
    return split_host_port(netloc)
