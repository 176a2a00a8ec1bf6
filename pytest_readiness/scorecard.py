"""Turn collected results into the scorecard: levels, gaps, the SLO matrix and the checkpoint."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .context import Stack
from .levels import (
    DEFAULT_HALF_STEP,
    Checkpoint,
    Criterion,
    ServiceLevel,
    ServiceTarget,
    checkpoint,
    service_level,
)
from .results import CriterionResult, Outcome
from .units import format_age

SCHEMA_VERSION = 1
DEFAULT_LEVEL_NAMES = {"L0": "Prototype", "L1": "Pilot", "L2": "Production", "L3": "Hardened"}
"""Generic names; a stack names its own levels with ``stack.level_names`` (the desk uses the seed's)."""
NOT_OBSERVED_PREFIX = "live part not observed: "


@dataclass
class SloRow:
    domain: str
    service: str
    objective: str
    trigger: str
    alert: str | None
    owner: str | None
    evidence: str
    status: str
    detail: str
    age_seconds: float | None = None
    max_age_seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Scorecard:
    stack: str
    config: str
    now: datetime
    offline: bool
    partial: bool
    services: list[ServiceLevel]
    results: list[CriterionResult]
    catalog: list[Criterion]
    slos: list[SloRow]
    checkpoint: Checkpoint
    notes: list[str] = field(default_factory=list)
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    level_names: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LEVEL_NAMES))
    notices: list[dict[str, Any]] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": "pytest-readiness",
            "stack": self.stack,
            "config": self.config,
            "evaluated_at": self.now.isoformat(),
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "offline": self.offline,
            "partial": self.partial,
            "criteria": [
                {"id": c.id, "level": c.level, "critical": c.critical, "title": c.title} for c in self.catalog
            ],
            "services": [s.to_dict() for s in self.services],
            "results": [r.to_dict() for r in self.results],
            "slos": [s.to_dict() for s in self.slos],
            "checkpoint": self.checkpoint.to_dict(),
            "notes": self.notes,
            "warnings": self.warnings,
            "level_names": self.level_names,
            "notices": self.notices,
            **({"changes": self.changes} if self.changes else {}),
            **({"trend": self.trend} if self.trend else {}),
        }


def slo_matrix(stack: Stack) -> list[SloRow]:
    """The seed's SLO and alert ownership matrix, each row with the evidence's current age."""
    rows = []
    for slo in stack.config.slos:
        reading = stack.read_report(slo.evidence)
        if not reading.usable:
            status, detail = "missing", reading.problem or "unusable"
        elif reading.age is None:
            status, detail = "unknown", "age unknown"
        else:
            status = "fresh" if reading.fresh else "stale"
            limit = format_age(slo.evidence.max_age) if slo.evidence.max_age else "-"
            detail = f"age {format_age(reading.age)} (max {limit})"
        rows.append(
            SloRow(
                age_seconds=reading.age.total_seconds() if reading.usable and reading.age is not None else None,
                max_age_seconds=slo.evidence.max_age.total_seconds() if slo.evidence.max_age else None,
                domain=slo.domain,
                service=slo.service,
                objective=slo.objective,
                trigger=slo.trigger,
                alert=slo.alert,
                owner=slo.owner or stack.config.default_owner or None,
                evidence=reading.shown,
                status=status,
                detail=detail,
            )
        )
    return rows


def observation_notices(results: Iterable[CriterionResult]) -> list[dict[str, Any]]:
    """Each cause of "not observed" shared by several results, once, with how many it covers: an
    unreachable engine is one notice for the run, not one line per criterion."""
    counts: dict[str, int] = {}
    services: dict[str, set[str]] = {}
    for r in results:
        causes = [r.reason] if r.outcome is Outcome.NOT_OBSERVED else []
        causes += [
            e.detail.removeprefix(NOT_OBSERVED_PREFIX) for e in r.evidence if e.detail.startswith(NOT_OBSERVED_PREFIX)
        ]
        for cause in dict.fromkeys(causes):
            counts[cause] = counts.get(cause, 0) + 1
            services.setdefault(cause, set()).add(r.service)
    # Shared by several services: a cause of the run (an engine, an option), not of one service.
    shared = sorted(
        ((n, text) for text, n in counts.items() if len(services[text]) >= 2), key=lambda nt: (-nt[0], nt[1])
    )
    return [{"text": text, "count": n} for n, text in shared]


def pointer_evidence(stack: Stack, name: str) -> list[str]:
    """Where to look first for a row (the seed's Evidence column): its reports, else its compose entry."""
    spec = stack.config.service(name)
    out = [stack.config.show(stack.config.resolve(r["path"])) for r in spec.raw.get("reports", [])]
    for key in ("backup_drill", "integration_gate"):
        if key in spec.raw:
            out.append(stack.config.show(stack.config.resolve(spec.raw[key]["path"])))
    if not out and spec.compose_services and stack.config.stack_paths("compose"):
        out.append(stack.config.show(stack.config.resolve(stack.config.stack_paths("compose")[0])))
    if not out and "code" in spec.raw:
        out.append(stack.config.show(stack.config.resolve(spec.raw["code"])))
    return list(dict.fromkeys(out))


def build_scorecard(
    stack: Stack,
    results: Mapping[tuple[str, str], CriterionResult],
    catalog: Iterable[Criterion],
    *,
    half_step: float = DEFAULT_HALF_STEP,
    selection: str | None = None,
    notes: Iterable[str] = (),
) -> Scorecard:
    """Levels for every declared service, over the criteria that ran; missing results fail closed."""
    criteria = sorted(catalog, key=lambda c: c.id)
    targets = [ServiceTarget(s.name, stack.target_for(s), s.title) for s in stack.config.services]
    levels = []
    for target in targets:
        level = service_level(target, criteria, results, half_step=half_step)
        level.evidence = pointer_evidence(stack, target.name)
        levels.append(level)
    missing = [f"{t.name}/{c.id}" for t in targets for c in criteria if (t.name, c.id) not in results]
    all_notes = list(notes)
    if not criteria:
        all_notes.append("no readiness criterion ran: nothing can be certified")
    cp = checkpoint(levels, criteria, results, incomplete=missing, selection=selection)
    if not criteria:
        cp.gate = "FAIL"
        cp.reasons.append("no readiness criterion ran")
    ordered = sorted(results.values(), key=lambda r: (r.service, r.criterion))
    try:
        project = stack.compose
    except Exception:
        project = None
    return Scorecard(
        stack=stack.config.name,
        config=stack.config.show(stack.config.path),
        now=stack.now,
        offline=stack.offline,
        partial=bool(selection) or bool(missing) or any(r.from_history for r in ordered),
        services=levels,
        results=ordered,
        catalog=criteria,
        slos=slo_matrix(stack),
        checkpoint=cp,
        notes=all_notes,
        warnings=[f"compose: {w}" for w in project.warnings] if project is not None else [],
        level_names={**DEFAULT_LEVEL_NAMES, **(stack.config.stack.get("level_names") or {})},
        notices=observation_notices(ordered),
    )
