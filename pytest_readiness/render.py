"""Plain-text rendering of the scorecard for terminals and CI logs.

Every line fits the given width (the real terminal's, 60 columns and up): cells are clipped, never
wrapped, and a ``file:line`` is shortened from the middle so its file name and line number survive.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence

from .levels import level_number
from .results import CriterionResult, Outcome
from .scorecard import DEFAULT_LEVEL_NAMES, Scorecard

GAP_LINES = 3
ARROWS = {"up": "▲", "down": "▼"}
BLOCKING_LINES = 10
MIN_WIDTH = 60
_LINE_SUFFIX = re.compile(r"(:\d+(?::\d+)?)$")
_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")


def level_label(level: str, names: Mapping[str, str] | None = None) -> str:
    """``L1.5`` -> ``L1.5 (Pilot+)``, with the stack's names for the levels when it has them."""
    value = level_number(level)
    table = {**DEFAULT_LEVEL_NAMES, **(names or {})}
    name = table[f"L{int(value)}"] + ("+" if value != int(value) else "")
    return f"{level} ({name})"


def clip(text: str, width: int) -> str:
    """One line of at most ``width`` characters, cut at the end (line breaks in it become spaces)."""
    text = _BREAKS.sub(" ", text).rstrip()
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def clip_middle(text: str, width: int) -> str:
    """At most ``width`` characters, cut in the middle: a path keeps its leading folders as far as they
    fit, its file name and its ``:line``, the parts a person needs to open it."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    if width < 2:
        return text[:width]
    match = _LINE_SUFFIX.search(text)
    suffix = match.group(1) if match else ""
    body = text[: len(text) - len(suffix)]
    name_at = body.rfind("/") + 1
    keep = body[name_at:] + suffix
    if name_at > 0 and len(keep) + 2 <= width:
        head = body[: width - len(keep) - 2]
        head = head[: head.rfind("/") + 1] if "/" in head else ""
        return f"{head}…/{keep}"
    return "…" + text[-(width - 1) :]


def clip_left(text: str, width: int) -> str:
    """Cut at the start, so a path keeps its file name."""
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def fit(prefix: str, reason: str, location: str, width: int) -> str:
    """``prefix reason… (location)`` in one line of ``width``: the location is kept, the reason is cut."""
    where = f" ({clip_middle(location, max(min(width // 3, 40), 16))})" if location else ""
    room = width - len(prefix) - len(where)
    if room < 8:
        return clip(f"{prefix}{where}", width)
    return f"{prefix}{clip(reason, room)}{where}"


def _rows(cells: Sequence[Sequence[str]], widths: Sequence[int]) -> Iterator[str]:
    """One table row whose cells may hold several lines each."""
    height = max(len(c) for c in cells)
    for i in range(height):
        parts = [(c[i] if i < len(c) else "").ljust(w) for c, w in zip(cells, widths, strict=True)]
        yield "  ".join(parts).rstrip()


def _first_location(result: CriterionResult) -> str:
    return next((e.location for e in result.evidence if e.location), "")


def _notice_index(card: Scorecard) -> dict[str, int]:
    return {str(n["text"]): i for i, n in enumerate(card.notices, 1)}


def _shown_reason(reason: str, notices: Mapping[str, int]) -> str:
    """A reason that is a run-wide notice is shown by its number, so it is printed once."""
    number = notices.get(reason)
    return f"not observed: see notice {number}" if number else reason


def scorecard_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    """Service, target, level (and the level if what was not observed passes), top gaps, evidence."""
    width = max(width, MIN_WIDTH)
    service_w = min(max([len(s.name) for s in card.services] + [7]), 26, max(width // 4, 12))
    widths = [service_w, 6, 11, width - service_w - 6 - 11 - 6]
    headers = ["Service", "Target", "Level", "Biggest gaps (! critical) and evidence"]
    yield from _rows([[clip(h, w)] for h, w in zip(headers, widths, strict=True)], widths)
    yield "  ".join("-" * w for w in widths)
    for s in card.services:
        gaps = [clip(f"{g.criterion}{' !' if g.critical else ''}", widths[3]) for g in s.gaps[:GAP_LINES]] or ["-"]
        if s.all_gaps > len(s.gaps):
            gaps.append(f"(+{s.all_gaps - len(s.gaps)} more)")
        if s.evidence:
            gaps.append(clip_middle(f"@ {s.evidence[0]}", widths[3]))
        arrow = ARROWS.get(card.changes.get(s.name, {}).get("direction", ""), "")
        level = [f"{s.level} {'ok' if s.meets_target else 'BELOW'}{' ' + arrow if arrow else ''}"]
        if s.unverified:
            level.append(f"{s.level_if_observed}? unseen")
        yield from _rows([[clip(s.name, widths[0])], [s.target], level, gaps], widths)


def unobserved_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    """What could not be seen: each run-wide cause once, then each service whose level it holds back."""
    width = max(width, MIN_WIDTH)
    for i, notice in enumerate(card.notices, 1):
        yield clip(f"notice {i}: {notice['text']} ({notice['count']} criterion run(s))", width)
    notices = _notice_index(card)
    for s in card.services:
        if not s.unverified:
            continue
        count = len(s.unobserved)
        head = f"{s.name}: {s.level} · {s.level_if_observed} if {count} unobserved criterion"
        yield clip(f"{head}{'s' if count != 1 else ''} pass{'es' if count == 1 else ''}", width)
        for criterion, reason in sorted(s.unobserved.items()):
            yield clip(f"  - {criterion}: {_shown_reason(reason, notices)}", width)


def failure_lines(card: Scorecard, width: int = 120, *, details: bool = False) -> Iterator[str]:
    """Every failed or errored criterion at or below its service's target, one line each under its
    service: criterion, the first evidence ``file:line``, the reason; with ``details`` every evidence
    line and the fix follow."""
    width = max(width, MIN_WIDTH)
    targets = {s.name: s.target for s in card.services}
    notices = _notice_index(card)
    by_service: dict[str, list[CriterionResult]] = {}
    for r in card.results:
        if r.outcome not in (Outcome.FAILED, Outcome.ERROR) or r.from_history:
            continue
        if r.outcome is Outcome.FAILED and level_number(r.level) > level_number(targets.get(r.service, "L3")):
            continue  # above target: an xfail, listed under the service's gaps
        by_service.setdefault(r.service, []).append(r)
    where_w = max(min(34, width // 3), 16)
    for name in [s.name for s in card.services if s.name in by_service]:
        yield clip(f"{name}:", width)
        for r in by_service[name]:
            word = "ERROR " if r.outcome is Outcome.ERROR else ""
            where = clip_middle(_first_location(r) or "-", where_w)
            head = f"  {word}{r.criterion}  {where}  "
            yield clip(head + _shown_reason(r.reason, notices), width) if len(head) < width - 8 else clip(head, width)
            if details:
                for e in r.evidence:
                    shown = _shown_reason(e.detail.removeprefix("live part not observed: "), notices)
                    yield clip(
                        f"      evidence: {clip_middle(e.location, width // 2)}{f' ({shown})' if shown else ''}", width
                    )
                if r.fix:
                    yield from textwrap.wrap(
                        f"fix: {r.fix}",
                        width,
                        initial_indent="      ",
                        subsequent_indent="        ",
                        break_on_hyphens=False,
                    )


def gap_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    """Each below-target service's top gaps with the reason a person can act on and where to look."""
    width = max(width, MIN_WIDTH)
    by_key = {(r.service, r.criterion): r for r in card.results}
    notices = _notice_index(card)
    for s in card.services:
        if s.meets_target or not s.gaps:
            continue
        yield clip(f"{s.name} ({s.level}, target {s.target}):", width)
        for g in s.gaps:
            mark = "!" if g.critical else "-"
            tag = f"{g.level}, {g.scope}" if g.scope == "static only" else g.level
            result = by_key.get((s.name, g.criterion))
            location = _first_location(result) if result is not None else ""
            yield fit(f"  {mark} {g.criterion} [{tag}] ", _shown_reason(g.reason, notices), location, width)


def waiver_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    """Every result an unexpired waiver covers: it counts as passed, so it must stay visible."""
    for r in card.results:
        if r.outcome.value == "waived":
            yield clip(f"{r.service} {r.criterion} [{r.level}] {r.reason}", max(width, MIN_WIDTH))


def slo_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    """The SLO and alert ownership matrix; under 120 columns each row takes two lines (who and what
    on the first, the evidence's status and file on the second) instead of squeezing five columns."""
    width = max(width, MIN_WIDTH)
    if not card.slos:
        yield "(no SLO rows declared)"
        return
    wide = width >= 120
    domain = 28 if wide else max(min(28, width // 3), 16)
    fixed = [domain, 12]
    if wide:
        rest = width - sum(fixed) - 28 - 2 * 4
        widths = [*fixed, rest // 2, 28, rest - rest // 2]
        headers = ["Domain", "Owner", "Alert", "Evidence status", "Evidence"]
    else:
        widths = [*fixed, width - sum(fixed) - 4]
        headers = ["Domain", "Owner", "Alert (then: evidence status and file)"]
    yield from _rows([[clip(h, w)] for h, w in zip(headers, widths, strict=True)], widths)
    yield "  ".join("-" * w for w in widths)
    for r in card.slos:
        status = f"{r.status}: {r.detail}"
        who = [r.domain, r.owner or "-", r.alert or "-"]
        if wide:
            cells = [*who, status]
            clipped = [[clip(cell, w)] for cell, w in zip(cells, widths, strict=False)]
            yield from _rows([*clipped, [clip_middle(r.evidence, widths[4])]], widths)
        else:
            yield from _rows([[clip(cell, w)] for cell, w in zip(who, widths, strict=True)], widths)
            room = width - 4 - len(status) - 3
            evidence = f" · {clip_middle(r.evidence, room)}" if room >= 12 else ""
            yield clip(f"    {status}{evidence}", width)


def checkpoint_lines(card: Scorecard, width: int = 120) -> Iterator[str]:
    width = max(width, MIN_WIDTH)
    cp = card.checkpoint
    names = card.level_names
    weakest = ", ".join(cp.weakest) or "-"
    yield clip(
        f"Overall: {level_label(cp.overall, names)}, the median of {len(card.services)} services; weakest: {weakest}",
        width,
    )
    if cp.next_level and cp.blocking:
        yield clip(f"Not yet {level_label(cp.next_level, names)} because:", width)
        items = list(cp.blocking.items())
        for criterion, services in items[:BLOCKING_LINES]:
            yield clip(f"  - {criterion} fails for {len(services)}: {', '.join(services)}", width)
        if len(items) > BLOCKING_LINES:
            yield f"  - ... and {len(items) - BLOCKING_LINES} more criteria (listed in every report file)"
    below = [s for s in card.services if not s.meets_target]
    if below:
        text = ", ".join(f"{s.name} {s.level}<{s.target}" for s in below)
        yield from textwrap.wrap(
            f"Below target ({len(below)} of {len(card.services)}): {text}",
            width,
            subsequent_indent="  ",
            break_on_hyphens=False,
            break_long_words=True,
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
    yield clip(f"Gate: {cp.gate}{suffix}", width)
