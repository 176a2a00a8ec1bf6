"""SLO criteria: the SLO matrix's evidence is fresh, and every SLO row and alert has a real owner.

A row that writes reports or outputs without any freshness SLO is a gap in the matrix itself.
"""

from __future__ import annotations

from ..config import SloSpec
from ..context import Service
from ..results import Evidence, Verdict
from ..units import format_age
from .common import fixes
from .observability import load_alert_rules, row_rules
from .qa import report_fix


def slos_where(service: Service) -> str:
    """Where an slos row goes: the slos list when there is one, else the top of services.yaml."""
    data = service.config.document.data
    return service.config.where(("slos",) if isinstance(data, dict) and "slos" in data else ())


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
            fix=f"{slos_where(service)}: add  slos: [{{domain: {service.name} freshness, service: {service.name}, "
            f"evidence: {writes[0]}, max_age: 10m, alert: ..., owner: ...}}]",
        )
    gaps: list[str] = []
    evidence: list[Evidence] = []
    held: list[str] = []
    todo: list[str] = []
    for slo in slos:
        reading = service.read_report(slo.evidence)
        baseline = format_age(slo.evidence.max_age) if slo.evidence.max_age else "?"
        if not reading.usable:
            gaps.append(f"{slo.domain}: {reading.problem}")
            evidence.append(Evidence(slo.where, f"SLO {slo.domain}: evidence unusable"))
            todo.append(report_fix(reading, gaps, f"{slo.domain} evidence"))
            continue
        loc = reading.at(slo.evidence.timestamp)
        age = format_age(reading.age) if reading.age is not None else "unknown"
        if reading.fresh:
            held.append(f"{slo.domain}: {reading.shown} age {age} <= {baseline}")
            evidence.append(Evidence(loc, f"{slo.domain}: {reading.freshness_text()}"))
        else:
            gaps.append(f"{slo.domain}: {reading.shown} is {age} old, baseline {baseline} ({reading.timestamp_source})")
            evidence.append(Evidence(loc, f"{slo.domain}: stale, {reading.freshness_text()}"))
            todo.append(f"{loc}: find why {service.name} stopped writing it within {baseline} and restart the writer")
        evidence.append(Evidence(slo.where, f"SLO row {slo.domain}"))
    if gaps:
        return Verdict.failed(f"SLO evidence stale: {'; '.join(gaps)}", *evidence, fix=fixes(todo))
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
            ruleset.problems[0],
            *(Evidence(p.split(": ", 1)[0], "unreadable rules") for p in ruleset.problems),
            fix=ruleset.problems[0],
        )
    mine = row_rules(service, ruleset)
    if not slos and not mine:
        return Verdict.failed(
            f"{service.name} has no SLO row and no alert rule, so nobody owns its alerting",
            Evidence(service.spec.where, "services.yaml entry"),
            fix=f"{service.spec.where}: add alert rules labelled service: {service.name} with labels.owner, and an "
            "slos row naming its owner",
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
        first = next((r.where for r in mine if _is_default(r.owner, default)), None) or (slos[0].where if slos else "")
        return Verdict.failed(
            "; ".join(gaps),
            *evidence,
            fix=f"{first}: name the owning team (labels.owner on the rule, owner: on the SLO row)",
        )
    return Verdict.passed(
        f"{len(slos)} SLO row(s) and {len(mine)} alert rule(s) of {service.name} have named "
        "owners and every SLO alert exists",
        *evidence,
    )
