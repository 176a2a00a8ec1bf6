"""Plain-text rendering of the scorecard for the terminal (and CI logs): fits 120 columns."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

from .scorecard import Scorecard

MARK = {True: "ok", False: "BELOW"}


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def _table(headers: list[str], rows: list[list[str]], widths: list[int]) -> Iterator[str]:
    """Rows whose last-but-one column wraps; other cells are clipped to their width."""
    def fmt(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    yield fmt(headers)
    yield fmt(["-" * w for w in widths])
    wrap_col = len(widths) - 2
    for row in rows:
        wrapped = textwrap.wrap(row[wrap_col], widths[wrap_col]) or [""]
        first = [_clip(c, w) if i != wrap_col else wrapped[0] for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        yield fmt(first)
        for more in wrapped[1:]:
            yield fmt(["" if i != wrap_col else more for i in range(len(widths))])


def scorecard_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    """The scorecard table: service, target, level, top gaps (ids), one evidence pointer."""
    width = max(width, 100)
    name_w, target_w, level_w, ev_w = 26, 6, 12, 30
    gaps_w = width - (name_w + target_w + level_w + ev_w + 8)
    rows = []
    for s in card.services:
        gaps = ", ".join(f"{g.criterion}" for g in s.gaps) or "-"
        if s.all_gaps > len(s.gaps):
            gaps += f" (+{s.all_gaps - len(s.gaps)} more)"
        level = f"{s.level} {MARK[s.meets_target]}"
        rows.append([s.name, s.target, level, gaps, s.evidence[0] if s.evidence else "-"])
    yield from _table(["Service / Component", "Target", "Level", "Biggest gaps (top 3)", "Evidence"], rows,
                      [name_w, target_w, level_w, gaps_w, ev_w])


def gap_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    """Each below-target service's top gaps with the reason a person can act on."""
    for s in card.services:
        if s.meets_target or not s.gaps:
            continue
        yield f"{s.name} ({s.level}, target {s.target}):"
        for g in s.gaps:
            mark = "!" if g.critical else "-"
            yield _clip(f"  {mark} {g.criterion} [{g.level}] {g.reason}", width)


def slo_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    if not card.slos:
        yield "(no SLO rows declared)"
        return
    rows = [[r.domain, r.owner or "-", r.alert or "-", f"{r.status}: {r.detail}", r.evidence] for r in card.slos]
    ev_w = 34
    widths = [30, 10, 26, width - (30 + 10 + 26 + ev_w + 8), ev_w]
    yield from _table(["Domain", "Owner", "Alert", "Evidence status", "Evidence"], rows, widths)


def checkpoint_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    cp = card.checkpoint
    yield f"Overall: {cp.overall} (median of {len(card.services)} services; weakest: {', '.join(cp.weakest) or '-'})"
    for reason in cp.reasons:
        yield from textwrap.wrap(f"- {reason}", width, subsequent_indent="  ")
    for note in card.notes:
        yield from textwrap.wrap(f"- note: {note}", width, subsequent_indent="  ")
    scope = []
    if card.offline:
        scope.append("offline: live parts not observed")
    if card.partial:
        scope.append("partial run")
    suffix = f" ({'; '.join(scope)})" if scope else ""
    yield f"Gate: {cp.gate}{suffix}"
