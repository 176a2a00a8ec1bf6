"""The scorecard as Markdown in the seed checklist's own layout, so the ops document is replaced 1:1.

A pure function over the result dict (what ``--readiness-json`` writes): no pytest, no clock. Every value
taken from the result is escaped for Markdown, so a reason such as ``<script>…</script>`` or ``a | b``
can neither inject markup nor break a table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from .render import clip, level_label

__all__ = ["md_cell", "md_link", "render_markdown"]

SCORECARD_HEADER = "| Service / Component | Current Level | Biggest Gaps (Top 3) | Evidence |"
SCORECARD_RULE = "|---|---:|---|---|"
SLO_HEADER = "| Domain | Baseline SLO | Alert Trigger | Owner | Evidence |"
SLO_RULE = "|---|---|---|---|---|"
REASON_WIDTH = 120
DETAIL_WIDTH = 300
EVIDENCE_LINKS = 3
ARROWS = {"up": "▲", "down": "▼"}

# Characters that are Markdown syntax anywhere in a line; `_` only at a word edge (intraword `_` is inert in GFM).
_SPECIAL = re.compile(r"[\\`*\[\]|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_LINE = re.compile(r"^(?P<path>.+):(?P<line>\d+)$")
# Kept as-is in a link destination; everything else (space, parentheses, `<`, `>`, `|`, backtick) is %-encoded.
_URL_SAFE = "/:?#@!$&'*+,;=%-._~"
_PATH_SAFE = "/:@!$&'*+,;=-._~"
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def md_cell(value: object) -> str:
    """One line of Markdown text that shows ``value`` literally, safe inside a table cell."""
    text = " ".join(str(value).split())
    text = _ENTITY.sub("&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def md_link(location: str) -> str:
    """``[path](path)`` for a relative or absolute path, ``path:LINE`` links to ``path#LLINE``.

    http(s) URLs link as given; any other scheme (``javascript:``, ``redis://``) is shown as text, never a link.
    """
    location = " ".join(location.split())
    if not location:
        return "-"
    if re.match(r"^https?://", location, re.IGNORECASE):
        return f"[{md_cell(location)}]({quote(location, safe=_URL_SAFE)})"
    match = _LINE.match(location)
    path, anchor = (match.group("path"), f"#L{int(match.group('line'))}") if match else (location, "")
    if _SCHEME.match(path) and not _DRIVE.match(path):
        return md_cell(location)
    return f"[{md_cell(location)}]({quote(path, safe=_PATH_SAFE)}{anchor})"


def _level_name(level: str, names: Mapping[str, str] | None = None) -> str:
    """``L1.5`` -> ``Pilot+``, or the stack's own name for it (``stack.level_names``)."""
    return level_label(level, names)[len(level) + 2 : -1]


def _level_cell(service: Mapping[str, Any], change: Mapping[str, Any] | None) -> str:
    level = str(service["level"])
    text = level
    if change:
        direction = change.get("direction")
        previous = change.get("previous")
        if direction in ARROWS and previous:
            text = f"{level} {ARROWS[direction]} (was {previous})"
        elif direction == "new":
            text = f"{level} (new)"
    text += f" · target {service['target']}"
    return md_cell(text)


def _gap_text(gap: Mapping[str, Any], width: int) -> str:
    scope = " [static only]" if gap.get("scope") == "static only" else ""
    return f"{gap['criterion']}{scope}: {clip(str(gap.get('reason', '')), width)}"


def _gaps_cell(service: Mapping[str, Any]) -> str:
    gaps: Sequence[Mapping[str, Any]] = service.get("gaps") or []
    if not gaps:
        return "none"
    text = "; ".join(_gap_text(g, REASON_WIDTH) for g in gaps[:3])
    more = int(service.get("open_gaps", len(gaps))) - min(len(gaps), 3)
    if more > 0:
        text += f" (+{more} more)"
    return md_cell(text)


def _evidence_cell(locations: Sequence[str]) -> str:
    if not locations:
        return "-"
    links = ", ".join(md_link(str(loc)) for loc in locations[:EVIDENCE_LINKS])
    if len(locations) > EVIDENCE_LINKS:
        links += f" (+{len(locations) - EVIDENCE_LINKS} more)"
    return links


def _scorecard(result: Mapping[str, Any]) -> Iterator[str]:
    changes: Mapping[str, Mapping[str, Any]] = result.get("changes") or {}
    yield "## Service-by-Service Scorecard"
    yield ""
    yield "Status is evidence-backed from current artifacts and runtime topology."
    yield ""
    yield SCORECARD_HEADER
    yield SCORECARD_RULE
    for s in result.get("services", []):
        name = md_cell(s.get("title") or s["name"])
        level = _level_cell(s, changes.get(s["name"]))
        yield f"| {name} | {level} | {_gaps_cell(s)} | {_evidence_cell(s.get('evidence') or [])} |"
    removed = sorted(n for n, c in changes.items() if c.get("direction") == "removed")
    if removed:
        yield ""
        yield "Removed since the last run: " + ", ".join(
            md_cell(f"{n} (was {changes[n].get('previous') or '-'})") for n in removed
        )
    yield ""


def _slo_matrix(result: Mapping[str, Any]) -> Iterator[str]:
    yield "## SLO and Alert Ownership Matrix"
    yield ""
    slos: Sequence[Mapping[str, Any]] = result.get("slos") or []
    if not slos:
        yield "No SLO rows are declared in the stack's config."
        yield ""
        return
    yield SLO_HEADER
    yield SLO_RULE
    for row in slos:
        alert = row.get("alert")
        trigger = str(row.get("trigger") or "-")
        trigger += f" (alert {alert})" if alert else " (no alert named)"
        owner = row.get("owner") or "unassigned"
        status = str(row.get("status", "unknown"))
        shown = md_cell(f"{status}: {row['detail']}" if row.get("detail") else status)
        shown = f"**{shown}**" if status in ("stale", "missing") else shown
        evidence = f"{md_link(str(row.get('evidence', '')))} — {shown}"
        cells = [md_cell(row.get("domain", "-")), md_cell(row.get("objective") or "-"), md_cell(trigger)]
        yield f"| {' | '.join(cells)} | {md_cell(owner)} | {evidence} |"
    yield ""


def _checkpoint(result: Mapping[str, Any]) -> Iterator[str]:
    cp: Mapping[str, Any] = result.get("checkpoint") or {}
    services: Sequence[Mapping[str, Any]] = result.get("services") or []
    critical = {c["id"] for c in result.get("criteria") or [] if c.get("critical")}
    stack = md_cell(result.get("stack", ""))
    names = result.get("level_names")
    yield "## Decision Checkpoint"
    yield ""
    overall = str(cp.get("overall", "L0"))
    yield f"- Current {stack} stack readiness: **{md_cell(f'{overall} overall ({_level_name(overall, names)})')}**."
    weakest = cp.get("weakest") or []
    if weakest:
        yield f"- Weakest: {md_cell(', '.join(weakest))}."
    blocking: Mapping[str, Sequence[str]] = cp.get("blocking") or {}
    next_level = cp.get("next_level")
    if next_level:
        label = f"{_level_name(str(next_level), names)} ({next_level})"
        if blocking:
            yield f"- Not yet {md_cell(label)} because:"
            for criterion, names in blocking.items():
                mark = " (critical)" if criterion in critical else ""
                count = f"{len(names)} service{'s' if len(names) != 1 else ''}"
                yield f"  - {md_cell(criterion)}{mark} fails for {count}: {md_cell(', '.join(names))}"
        else:
            yield f"- Not yet {md_cell(label)}."
    below = [s for s in services if not s.get("meets_target", True)]
    if below:
        text = ", ".join(f"{s['name']} {s['level']} < {s['target']}" for s in below)
        yield f"- Below target ({len(below)} of {len(services)}): {md_cell(text)}."
    elif services:
        yield f"- All {len(services)} services meet their target."
    below_lines = set(cp.get("below_target") or [])
    for reason in cp.get("reasons") or []:
        if not str(reason).startswith("not yet ") and reason not in below_lines:
            yield f"- {md_cell(clip(str(reason), DETAIL_WIDTH))}"
    for note in result.get("notes") or []:
        yield f"- Note: {md_cell(clip(str(note), DETAIL_WIDTH))}"
    scope = []
    if result.get("offline"):
        scope.append("offline: live parts not observed")
    if result.get("partial"):
        scope.append("partial run: not every criterion was collected")
    suffix = f" ({md_cell('; '.join(scope))})" if scope else ""
    yield f"- Promotion gate: **{md_cell(cp.get('gate', 'FAIL'))}**{suffix}."
    yield ""


def _per_service_gaps(result: Mapping[str, Any]) -> Iterator[str]:
    below = [s for s in result.get("services") or [] if not s.get("meets_target", True) and s.get("gaps")]
    if not below:
        return
    yield "## Gaps to Target"
    yield ""
    for s in below:
        yield f"### {md_cell(s.get('title') or s['name'])} ({md_cell(s['level'])}, target {md_cell(s['target'])})"
        yield ""
        for g in s["gaps"]:
            critical = ", critical" if g.get("critical") else ""
            text = f"{g['criterion']} [{g['level']}{critical}]"
            yield f"- {md_cell(text)}: {md_cell(clip(str(g.get('reason', '')), DETAIL_WIDTH))}"
            if g.get("fix"):
                yield f"  - fix: {md_cell(str(g['fix']))}"
        more = int(s.get("open_gaps", len(s["gaps"]))) - len(s["gaps"])
        if more > 0:
            yield f"- … and {more} more open (see the JSON report)"
        yield ""


def _waivers(result: Mapping[str, Any]) -> Iterator[str]:
    waived = [r for r in result.get("results") or [] if r.get("outcome") == "waived"]
    if not waived:
        return
    yield "## Waivers"
    yield ""
    yield "Waived results count as passed until the waiver expires."
    yield ""
    for r in waived:
        text = f"{r['service']} {r['criterion']} [{r['level']}]"
        yield f"- {md_cell(text)}: {md_cell(clip(str(r.get('reason', '')), DETAIL_WIDTH))}"
    yield ""


def render_markdown(result: Mapping[str, Any]) -> str:
    """The scorecard, the SLO matrix and the decision checkpoint as one Markdown document.

    ``result`` is the dict ``--readiness-json`` writes (optionally with ``changes`` from the history).
    The output depends only on it; ``generated_at`` is deliberately not shown, so reruns diff cleanly.
    """
    lines = [
        f"# Production Readiness Scorecard: {md_cell(result.get('stack', ''))} stack",
        "",
        f"Evaluated at {md_cell(result.get('evaluated_at', ''))}"
        + (f" from {md_link(str(result['config']))}" if result.get("config") else "")
        + " by pytest-readiness.",
        "",
        *_scorecard(result),
        *_slo_matrix(result),
        *_checkpoint(result),
        *_per_service_gaps(result),
        *_waivers(result),
    ]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"
