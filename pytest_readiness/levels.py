"""The level engine: results in, levels, gaps and the decision checkpoint out. No pytest here."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from .results import CriterionResult, Evidence, Outcome

LEVELS = ("L0", "L1", "L2", "L3")
CRITERION_LEVELS = ("L1", "L2", "L3")
LEVEL_VALUES = (0.0, 1.0, 1.5, 2.0, 2.5, 3.0)
DEFAULT_HALF_STEP = 0.5
DEFAULT_TOP_GAPS = 3


def level_number(level: str) -> float:
    """``"L1.5"`` -> 1.5; ValueError for anything that is not a level (L0, L1, L1.5, L2, L2.5, L3)."""
    try:
        value = float(level[1:]) if level.startswith("L") else -1.0
    except ValueError:
        value = -1.0
    if value not in LEVEL_VALUES:
        raise ValueError(f"not a level: {level!r}")
    return value


def level_name(value: float) -> str:
    return f"L{int(value)}" if value == int(value) else f"L{value:g}"


class WaiverLike(Protocol):
    @property
    def service(self) -> str: ...
    @property
    def criterion(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def expires(self) -> date: ...
    @property
    def where(self) -> str: ...


@dataclass(frozen=True)
class Criterion:
    """A catalog entry: id, level (after the stack's override), whether it is critical."""

    id: str
    level: str
    critical: bool = False
    title: str = ""

    @property
    def sort_key(self) -> tuple[float, bool, str]:
        """Gap order: lowest level first, critical first, then by id (stable across installs)."""
        return (level_number(self.level), not self.critical, self.id)


def apply_waiver(result: CriterionResult, waivers: Iterable[WaiverLike], today: date) -> CriterionResult:
    """A non-passing result covered by an unexpired waiver becomes WAIVED; an expired one says so."""
    if result.outcome in (Outcome.PASSED, Outcome.NOT_APPLICABLE, Outcome.WAIVED):
        return result
    for waiver in waivers:
        if waiver.service != result.service or waiver.criterion != result.criterion:
            continue
        if today <= waiver.expires:
            return CriterionResult(
                service=result.service,
                criterion=result.criterion,
                level=result.level,
                outcome=Outcome.WAIVED,
                reason=f"waived until {waiver.expires} by {waiver.owner}: {waiver.reason} "
                f"(underlying: {result.outcome.value}: {result.reason})",
                evidence=[*result.evidence, Evidence(waiver.where, "waiver")],
                critical=result.critical,
                scope=result.scope,
                nodeid=result.nodeid,
                title=result.title,
                fix=result.fix,
            )
        result.reason = f"{result.reason} [waiver expired on {waiver.expires} ({waiver.where}); renew or fix]"
        result.evidence = [*result.evidence, Evidence(waiver.where, f"expired waiver ({waiver.expires})")]
    return result


@dataclass
class Gap:
    criterion: str
    level: str
    reason: str
    outcome: str
    critical: bool
    scope: str = "static"
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "level": self.level,
            "reason": self.reason,
            "outcome": self.outcome,
            "critical": self.critical,
            "scope": self.scope,
            "fix": self.fix,
        }


@dataclass
class ServiceLevel:
    name: str
    title: str
    target: str
    level: str
    meets_target: bool
    gaps: list[Gap]
    all_gaps: int
    counts: dict[str, int]
    evidence: list[str] = field(default_factory=list)
    level_if_observed: str = ""
    unobserved: dict[str, str] = field(default_factory=dict)  # criterion id -> what would observe it

    @property
    def unverified(self) -> bool:
        """The level would be higher if what was not observed passed."""
        return bool(self.level_if_observed) and self.level_if_observed != self.level

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "target": self.target,
            "level": self.level,
            "level_if_observed": self.level_if_observed or self.level,
            "unobserved": sorted(self.unobserved),
            "unobserved_reasons": dict(sorted(self.unobserved.items())),
            "meets_target": self.meets_target,
            "gaps": [g.to_dict() for g in self.gaps],
            "open_gaps": self.all_gaps,
            "counts": self.counts,
            "evidence": self.evidence,
        }


@dataclass
class Checkpoint:
    overall: str
    weakest: list[str]
    next_level: str | None
    blocking: dict[str, list[str]]
    gate: str
    reasons: list[str]
    below_target: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "weakest": self.weakest,
            "next_level": self.next_level,
            "blocking": self.blocking,
            "gate": self.gate,
            "reasons": self.reasons,
            "below_target": self.below_target,
        }


@dataclass(frozen=True)
class ServiceTarget:
    name: str
    target: str
    title: str = ""


def _effective(
    results: Mapping[tuple[str, str], CriterionResult], service: str, criterion: Criterion
) -> CriterionResult:
    found = results.get((service, criterion.id))
    if found is not None:
        return found
    return CriterionResult(
        service,
        criterion.id,
        criterion.level,
        Outcome.NOT_OBSERVED,
        "not run in this session (deselected or not collected); a gap until it runs",
        critical=criterion.critical,
    )


def service_level(
    service: ServiceTarget,
    catalog: Sequence[Criterion],
    results: Mapping[tuple[str, str], CriterionResult],
    *,
    half_step: float = DEFAULT_HALF_STEP,
    top: int = DEFAULT_TOP_GAPS,
) -> ServiceLevel:
    """Highest L whose applicable criteria at or below it all passed (or are waived), plus the half step."""
    rows = [(c, _effective(results, service.name, c)) for c in catalog]
    applicable = [(c, r) for c, r in rows if r.outcome.applicable]
    value = _level_value(applicable, lambda r: r.outcome.counts_as_passed, half_step)
    # What could not be seen: results that ran and said "not observed" (a criterion that did not run at
    # all is not "unobserved", it is missing, and stays a gap in both levels).
    unobserved = [
        (c, r) for c, r in applicable if r.outcome is Outcome.NOT_OBSERVED and (service.name, c.id) in results
    ]
    unobserved_ids = {c.id for c, _ in unobserved}
    if_observed = _level_value(
        applicable, lambda r: r.outcome.counts_as_passed or r.criterion in unobserved_ids, half_step
    )
    failing = [(c, r) for c, r in applicable if not r.outcome.counts_as_passed]
    failing.sort(key=lambda cr: cr[0].sort_key)
    gaps = [Gap(c.id, c.level, r.reason, r.outcome.value, c.critical, r.scope, r.fix) for c, r in failing]
    counts: dict[str, int] = {}
    for _, r in rows:
        counts[r.outcome.value] = counts.get(r.outcome.value, 0) + 1
    level = level_name(value)
    return ServiceLevel(
        name=service.name,
        title=service.title or service.name,
        target=service.target,
        level=level,
        meets_target=value >= level_number(service.target),
        gaps=gaps[:top],
        all_gaps=len(gaps),
        counts=counts,
        level_if_observed=level_name(if_observed),
        unobserved={c.id: r.reason for c, r in unobserved},
    )


def _level_value(
    applicable: Sequence[tuple[Criterion, CriterionResult]],
    passes: Callable[[CriterionResult], bool],
    half_step: float,
) -> float:
    """Highest L whose criteria at or below it all pass, plus the half step (which starts at L1)."""
    reached = 0
    for n in (1, 2, 3):
        if all(passes(r) for c, r in applicable if level_number(c.level) == n):
            reached = n
        else:
            break
    value: float = reached
    # Half steps start at L1 (the seed's L1.5): a service failing any L1 criterion is a prototype.
    if 1 <= reached < 3:
        upper = [r for c, r in applicable if level_number(c.level) == reached + 1]
        passing = sum(1 for r in upper if passes(r))
        if upper and passing / len(upper) >= half_step:
            value = reached + 0.5
    return value


def median_level(values: Sequence[float]) -> float:
    """The median; with an even count, the mean of the middle two rounded down to a level that exists."""
    ordered = sorted(values)
    n = len(ordered)
    if n % 2:
        return ordered[n // 2]
    mid = (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return max(v for v in LEVEL_VALUES if v <= mid)


def checkpoint(
    levels: Sequence[ServiceLevel],
    catalog: Sequence[Criterion],
    results: Mapping[tuple[str, str], CriterionResult],
    *,
    incomplete: Sequence[str] = (),
    selection: str | None = None,
) -> Checkpoint:
    """Overall level, why the stack is not at the next level, and the gate verdict."""
    values = {s.name: level_number(s.level) for s in levels}
    overall = median_level(list(values.values())) if values else 0.0
    lowest = min(values.values()) if values else 0.0
    weakest = [name for name, v in values.items() if v == lowest]
    next_value = int(overall) + 1 if overall < 3 else None
    blocking: dict[str, list[str]] = {}
    if next_value is not None:
        for s in levels:
            if values[s.name] >= next_value:
                continue
            for c in catalog:
                if level_number(c.level) > next_value:
                    continue
                r = _effective(results, s.name, c)
                if r.outcome.applicable and not r.outcome.counts_as_passed:
                    blocking.setdefault(c.id, []).append(s.name)
    order = {c.id: c.sort_key for c in catalog}
    blocking = dict(sorted(blocking.items(), key=lambda kv: (-len(kv[1]), order[kv[0]])))
    below = [f"{s.name}: {s.level} < target {s.target}" for s in levels if not s.meets_target]
    errored = sorted({f"{r.service}/{r.criterion}" for r in results.values() if r.outcome is Outcome.ERROR})
    reasons: list[str] = []
    if next_value is not None and blocking:
        reasons.append(
            f"not yet L{next_value}: "
            + "; ".join(
                f"{cid} fails for {len(names)} service(s) ({', '.join(names)})" for cid, names in blocking.items()
            )
        )
    reasons.extend(below)
    if errored:
        reasons.append(
            f"{len(errored)} criterion run(s) errored: {', '.join(errored[:5])}" + (" ..." if len(errored) > 5 else "")
        )
    if incomplete:
        reasons.append(
            f"incomplete run: {len(incomplete)} criterion result(s) missing, e.g. {', '.join(incomplete[:3])}"
        )
    if selection:
        reasons.append(f"partial run ({selection}): the gate is only decided over the full checklist")
    carried = [r for r in results.values() if r.from_history]
    if carried:
        reasons.append(
            f"{len(carried)} result(s) carried over from the last full run ({carried[0].from_history}), "
            "not observed now: the gate is only decided by a full run"
        )
    full = not incomplete and not selection and not carried
    gate = "PASS" if not below and not errored and full and levels else "FAIL"
    return Checkpoint(
        overall=level_name(overall),
        weakest=weakest,
        next_level=f"L{next_value}" if next_value is not None else None,
        blocking=blocking,
        gate=gate,
        reasons=reasons,
        below_target=below,
    )
