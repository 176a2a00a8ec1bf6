"""Plain-text rendering of the scorecard for terminals and CI logs; every line fits the given width."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence

from .levels import level_number
from .scorecard import Scorecard

LEVEL_NAMES = {0: "Prototype", 1: "Desk-Soak", 2: "Semi-Pro Prod", 3: "Institutional"}
GAP_LINES = 3
ARROWS = {"up": "▲", "down": "▼"}
BLOCKING_LINES = 10


def level_label(level: str) -> str:
    """``L1.5`` -> ``L1.5 (Desk-Soak+)``, the seed's names for the levels."""
    value = level_number(level)
    name = LEVEL_NAMES[int(value)] + ("+" if value != int(value) else "")
    return f"{level} ({name})"


def clip(text: str, width: int) -> str:
    """One line of at most ``width`` characters, cut at the end."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def clip_left(text: str, width: int) -> str:
    """Cut at the start, so a path keeps its file name."""
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def _rows(cells: Sequence[Sequence[str]], widths: Sequence[int]) -> Iterator[str]:
    """One table row whose cells may hold several lines each."""
    height = max(len(c) for c in cells)
    for i in range(height):
        parts = [(c[i] if i < len(c) else "").ljust(w) for c, w in zip(cells, widths, strict=True)]
        yield "  ".join(parts).rstrip()


def _widths(width: int, fixed: Sequence[int], flexible: int) -> list[int]:
    """Fixed columns plus the ``flexible`` index sharing what is left of the line."""
    rest = width - sum(fixed) - 2 * len(fixed)
    out = list(fixed)
    out.insert(flexible, max(rest, 16))
    return out


def scorecard_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    """Service, target, level, top gaps (one per line), one evidence pointer."""
    widths = _widths(width, [26, 6, 12, 42], 4)
    headers = ["Service / Component", "Target", "Level", "Biggest gaps (top 3)", "Evidence"]
    yield from _rows([[h] for h in headers], widths)
    yield "  ".join("-" * w for w in widths)
    for s in card.services:
        gaps = [clip(f"{g.criterion}{' !' if g.critical else ''}", widths[3]) for g in s.gaps[:GAP_LINES]] or ["-"]
        if s.all_gaps > len(s.gaps):
            gaps.append(f"(+{s.all_gaps - len(s.gaps)} more)")
        arrow = ARROWS.get(card.changes.get(s.name, {}).get("direction", ""), "")
        level = f"{s.level} {'ok' if s.meets_target else 'BELOW'}{' ' + arrow if arrow else ''}"
        evidence = [clip_left(s.evidence[0], widths[4])] if s.evidence else ["-"]
        yield from _rows([[clip(s.name, widths[0])], [s.target], [level], gaps, evidence], widths)


def gap_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    """Each below-target service's top gaps with the reason a person can act on."""
    for s in card.services:
        if s.meets_target or not s.gaps:
            continue
        yield f"{s.name} ({s.level}, target {s.target}):"
        for g in s.gaps:
            mark = "!" if g.critical else "-"
            tag = f"{g.level}, {g.scope}" if g.scope == "static only" else g.level
            yield clip(f"  {mark} {g.criterion} [{tag}] {g.reason}", width)


def waiver_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    """Every result an unexpired waiver covers: it counts as passed, so it must stay visible."""
    for r in card.results:
        if r.outcome.value == "waived":
            yield clip(f"{r.service} {r.criterion} [{r.level}] {r.reason}", width)


def slo_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    if not card.slos:
        yield "(no SLO rows declared)"
        return
    widths = _widths(width, [28, 10, 26, 26], 4)
    yield from _rows([["Domain"], ["Owner"], ["Alert"], ["Evidence status"], ["Evidence"]], widths)
    yield "  ".join("-" * w for w in widths)
    for r in card.slos:
        cells = [r.domain, r.owner or "-", r.alert or "-", f"{r.status}: {r.detail}"]
        clipped = [[clip(c, w)] for c, w in zip(cells, widths, strict=False)]
        yield from _rows([*clipped, [clip_left(r.evidence, widths[4])]], widths)


def checkpoint_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    cp = card.checkpoint
    weakest = ", ".join(cp.weakest) or "-"
    yield clip(
        f"Overall: {level_label(cp.overall)}, the median of {len(card.services)} services; weakest: {weakest}", width
    )
    if cp.next_level and cp.blocking:
        yield f"Not yet {level_label(cp.next_level)} because:"
        items = list(cp.blocking.items())
        for criterion, names in items[:BLOCKING_LINES]:
            yield clip(f"  - {criterion} fails for {len(names)}: {', '.join(names)}", width)
        if len(items) > BLOCKING_LINES:
            yield f"- ... and {len(items) - BLOCKING_LINES} more criteria (see --readiness-json)"
    below = [s for s in card.services if not s.meets_target]
    if below:
        text = ", ".join(f"{s.name} {s.level}<{s.target}" for s in below)
        yield from textwrap.wrap(
            f"Below target ({len(below)} of {len(card.services)}): {text}",
            width,
            subsequent_indent="  ",
            break_on_hyphens=False,
        )
    for reason in cp.reasons:
        if not reason.startswith("not yet ") and reason not in cp.below_target:
            yield clip(f"- {reason}", width)
    for note in card.notes:
        yield clip(f"- note: {note}", width)
    scope = []
    if card.offline:
        scope.append("offline: live parts not observed")
    if card.partial:
        scope.append("partial run")
    suffix = f" ({'; '.join(scope)})" if scope else ""
    yield f"Gate: {cp.gate}{suffix}"
