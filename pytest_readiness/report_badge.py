"""``--readiness-badge=PATH``: an SVG shield with the overall level and the gate, for a README.

A pure function of the result dict; every text is escaped. Shaped like the shields.io "flat" badge
(no external font or asset), so it renders the same on GitHub, GitLab and in a browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

PASS_COLOUR = "#2e7d32"
FAIL_COLOUR = "#c62828"
LABEL_COLOUR = "#555"
CHAR_WIDTH = 6.6  # Verdana 11px, the shields.io estimate
PADDING = 10


def _width(text: str) -> int:
    return round(len(text) * CHAR_WIDTH) + PADDING


def render_badge(result: Mapping[str, Any], label: str = "readiness") -> str:
    """``readiness | L1.5 · gate FAIL``: green when the gate passes, red otherwise."""
    checkpoint = result.get("checkpoint") or {}
    overall = str(checkpoint.get("overall") or "?")
    gate = "PASS" if checkpoint.get("gate") == "PASS" else "FAIL"
    value = f"{overall} · gate {gate}"
    colour = PASS_COLOUR if gate == "PASS" else FAIL_COLOUR
    left, right = _width(label), _width(value)
    total = left + right
    title = f"{label}: {value} ({result.get('stack', '')})"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{escape(title, {chr(34): "&quot;"})}">'
        f"<title>{escape(title)}</title>"
        f'<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        f'<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="{LABEL_COLOUR}"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2:g}" y="14">{escape(label)}</text>'
        f'<text x="{left + right / 2:g}" y="14">{escape(value)}</text></g></svg>\n'
    )
