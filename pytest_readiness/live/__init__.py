"""Live evidence: what the running stack shows, and how it combines with a criterion's static part.

The rules (``combine``):

- a live failure fails the criterion, whatever the static part said (and losing the engine can never
  turn it into a pass: an unobservable live part only ever falls back to the static verdict);
- an unobservable live part leaves the static verdict, labelled ``static only`` (a static part that was
  itself not observed stays not observed, with both reasons);
- static pass + live pass is ``static+live``; a live part that decides a criterion whose static part saw
  nothing is ``live``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from ..results import Evidence, Outcome, Scope, Verdict
from .docker_probe import ContainerFacts, DockerProbe, PortBinding, Unobservable
from .drills import (
    DRILLS_OPTION_REASON,
    DrillLockTimeout,
    DrillRefused,
    DrillResult,
    DrillRunner,
    StackLock,
    drill_precondition,
    main_pid,
)
from .probes import OFFLINE_REASON, LiveProbes

if TYPE_CHECKING:
    from ..context import Service

__all__ = [
    "DRILLS_OPTION_REASON",
    "OFFLINE_REASON",
    "ContainerFacts",
    "DockerProbe",
    "DrillLockTimeout",
    "DrillRefused",
    "DrillResult",
    "DrillRunner",
    "LivePart",
    "LiveProbes",
    "PortBinding",
    "StackLock",
    "Unobservable",
    "combine",
    "drill_containers",
    "drill_precondition",
    "every_container",
    "main_pid",
    "missing_container",
    "row_containers",
    "with_live",
]

LivePart = Verdict | Unobservable | None


def _merge(*groups: Iterable[Evidence]) -> tuple[Evidence, ...]:
    return tuple(dict.fromkeys(e for group in groups for e in group))


def combine(static: Verdict, live: LivePart) -> Verdict:
    """One verdict from a criterion's static part and its live part (None: the row has no live part)."""
    if live is None or static.outcome is Outcome.NOT_APPLICABLE:
        return static
    if isinstance(live, Verdict) and live.outcome is Outcome.NOT_APPLICABLE:
        return static
    if isinstance(live, Unobservable) or live.outcome in (Outcome.NOT_OBSERVED, Outcome.ERROR):
        why = live.reason
        quiet = isinstance(live, Unobservable) and live.deliberate
        where = live.where if isinstance(live, Unobservable) else "live"
        note = [] if quiet else [Evidence(where, f"live part not observed: {why}")]
        if static.outcome is Outcome.NOT_OBSERVED:
            return Verdict.not_observed(f"{static.reason}; live: {why}", *_merge(static.evidence, note))
        return replace(static, evidence=_merge(static.evidence, note), scope=Scope.STATIC_ONLY)
    if static.outcome is Outcome.NOT_OBSERVED:
        # Nothing static to read (e.g. no log file): the running containers decide.
        return replace(live, evidence=_merge(live.evidence, static.evidence), scope=Scope.LIVE)
    both = Scope.STATIC_AND_LIVE
    if live.outcome is Outcome.FAILED:
        if static.outcome is Outcome.PASSED:
            reason = f"live: {live.reason} (the static part passed: {static.reason})"
            return Verdict.failed(reason, *_merge(live.evidence, static.evidence), scope=both)
        evidence = _merge(static.evidence, live.evidence)
        return Verdict.failed(f"{static.reason}; live: {live.reason}", *evidence, scope=both)
    if static.outcome is Outcome.PASSED:
        evidence = _merge(static.evidence, live.evidence)
        return Verdict.passed(f"{static.reason}; live: {live.reason}", *evidence, scope=both)
    # the static part failed (or errored) and the running stack looks fine: the static gap stands
    return replace(static, evidence=_merge(static.evidence, live.evidence), scope=both)


def with_live(static: Verdict, live: Callable[[], LivePart]) -> Verdict:
    """``combine`` that does not probe at all when the static part says the criterion does not apply."""
    if static.outcome is Outcome.NOT_APPLICABLE:
        return static
    return combine(static, live())


def row_containers(service: Service) -> dict[str, list[ContainerFacts]] | Unobservable | None:
    """The row's compose services -> their containers in the stack's project (None: the row has none)."""
    if not service.spec.compose_services:
        return None
    return service.stack.live.service_containers(service.spec.compose_services)


def every_container(service: Service) -> list[ContainerFacts] | Unobservable | None:
    """Every container of the row in the running project; Unobservable when there is none to look at."""
    found = row_containers(service)
    if not isinstance(found, dict):
        return found
    every = [c for containers in found.values() for c in containers]
    if not every:
        return Unobservable(
            f"no container of compose service(s) {', '.join(found)} in project {service.stack.live.project}",
            service.spec.where,
        )
    return every


def drill_containers(service: Service) -> dict[str, list[ContainerFacts]] | Verdict:
    """The row's containers for a drill, or the verdict that stops it before anything is touched: not
    observed when drills were not asked for, the row targets below L3, offline, the engine is unreachable
    or the stack is not running; N/A for a row without containers."""
    blocked = drill_precondition(service)
    if blocked is not None:
        return blocked
    found = row_containers(service)
    if found is None:
        return Verdict.not_applicable(f"{service.name} declares no compose_services: nothing to drill")
    if isinstance(found, Unobservable):
        return Verdict.not_observed(f"drill not run: {found.reason}")
    return found


def missing_container(service: Service, compose_service: str) -> Evidence:
    """Evidence for a declared compose service that has no container in the running project."""
    project = service.stack.live.project
    return Evidence(
        f"compose service {compose_service} (project {project})",
        f"no container for compose service {compose_service} in project {project}",
    )
