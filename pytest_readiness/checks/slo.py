"""SLO criteria: the SLO matrix's evidence is fresh, and every SLO row and alert has a real owner.

A row that writes reports or outputs without any freshness SLO is a gap in the matrix itself.
"""

from __future__ import annotations

from ..config import SloSpec
from ..context import Service
from ..results import Evidence, Verdict
from ..units import format_age
from .observability import load_alert_rules, row_rules
from .qa import field_line


def slos_of(service: Service) -> list[SloSpec]:
    return [s for s in service.config.slos if s.service == service.name]


def freshness(service: Service) -> Verdict:
    """Every SLO row of this service has evidence whose own timestamp is within the baseline."""
    raw = service.spec.raw
    writes = [str(r.get("path")) for r in raw.get("reports") or []]
    writes += [str(o.get("path")) for o in raw.get("outputs") or []]
    if not writes:
        return Verdict.not_applicable(f"{service.kind} row declares no reports or outputs")
    slos = slos_of(service)
    if not slos:
        return Verdict.failed(
            f"no freshness SLO covers {service.name}'s outputs ({', '.join(writes[:3])}"
            f"{' ...' if len(writes) > 3 else ''}); add an slos row with evidence and max_age",
            Evidence(service.spec.where, "services.yaml entry"),
        )
    gaps: list[str] = []
    evidence: list[Evidence] = []
    held: list[str] = []
    for slo in slos:
        reading = service.read_report(slo.evidence)
        baseline = format_age(slo.evidence.max_age) if slo.evidence.max_age else "?"
        if not reading.usable:
            gaps.append(f"{slo.domain}: {reading.problem}")
            evidence.append(Evidence(slo.where, f"SLO {slo.domain}: evidence unusable"))
            continue
        line = field_line(reading.path, slo.evidence.timestamp) if slo.evidence.timestamp else None
        loc = f"{reading.shown}:{line}" if line else reading.shown
        age = format_age(reading.age) if reading.age is not None else "unknown"
        if reading.fresh:
            held.append(f"{slo.domain}: {reading.shown} age {age} <= {baseline}")
            evidence.append(Evidence(loc, f"{slo.domain}: {reading.freshness_text()}"))
        else:
            gaps.append(f"{slo.domain}: {reading.shown} is {age} old, baseline {baseline} ({reading.timestamp_source})")
            evidence.append(Evidence(loc, f"{slo.domain}: stale, {reading.freshness_text()}"))
        evidence.append(Evidence(slo.where, f"SLO row {slo.domain}"))
    if gaps:
        return Verdict.failed(f"SLO evidence stale: {'; '.join(gaps)}", *evidence)
    return Verdict.passed("; ".join(held), *evidence)


def _is_default(owner: str | None, default: str) -> bool:
    return not owner or not owner.strip() or owner.strip().casefold() == default.strip().casefold()


def alert_ownership(service: Service) -> Verdict:
    """Each SLO row and each alert of the row has a named owner other than the stack's default owner,
    and each SLO row's alert exists by name in the rules."""
    default = service.config.default_owner
    slos = slos_of(service)
    ruleset = load_alert_rules(service)
    if ruleset.problems:
        return Verdict.failed(
            ruleset.problems[0], *(Evidence(p.split(": ", 1)[0], "unreadable rules") for p in ruleset.problems)
        )
    mine = row_rules(service, ruleset.rules)
    if not slos and not mine:
        return Verdict.failed(
            f"{service.name} has no SLO row and no alert rule, so nobody owns its alerting",
            Evidence(service.spec.where, "services.yaml entry"),
        )
    all_names = {r.name for r in ruleset.rules}
    unowned: list[str] = []
    missing_alerts: list[str] = []
    evidence: list[Evidence] = []
    for slo in slos:
        ok = not _is_default(slo.owner, default)
        if not ok:
            unowned.append(f"SLO {slo.domain!r}")
        evidence.append(Evidence(slo.where, f"SLO {slo.domain}: owner {slo.owner!r}"))
        if not slo.alert:
            missing_alerts.append(f"SLO {slo.domain!r} names no alert")
        elif slo.alert not in all_names:
            files = ", ".join(ruleset.shown) or "any rule file"
            missing_alerts.append(f"SLO {slo.domain!r} alert {slo.alert} is not in {files}")
    for rule in mine:
        if _is_default(rule.owner, default):
            unowned.append(f"alert {rule.name}")
        evidence.append(Evidence(rule.where, f"{rule.name}: owner {rule.owner!r}"))
    gaps: list[str] = []
    if unowned:
        who = f"the default owner {default!r}" if default else "nobody"
        gaps.append(f"{len(unowned)} owned by {who} or unowned: {', '.join(unowned)}; name a real owner (labels.owner)")
    gaps += missing_alerts
    if gaps:
        return Verdict.failed("; ".join(gaps), *evidence)
    return Verdict.passed(
        f"{len(slos)} SLO row(s) and {len(mine)} alert rule(s) of {service.name} have named "
        "owners and every SLO alert exists",
        *evidence,
    )
