"""What a criterion concludes about one service: an outcome, a reason a person can act on, evidence."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Outcome(enum.StrEnum):
    """The contract's outcome words; only PASSED and WAIVED count towards a level."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    NOT_OBSERVED = "not_observed"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"

    @property
    def counts_as_passed(self) -> bool:
        return self in (Outcome.PASSED, Outcome.WAIVED)

    @property
    def applicable(self) -> bool:
        return self is not Outcome.NOT_APPLICABLE


class Scope(enum.StrEnum):
    """Which part of a criterion decided it; STATIC_ONLY flags a live part that was not observed."""

    STATIC = "static"
    LIVE = "live"
    STATIC_AND_LIVE = "static+live"
    STATIC_ONLY = "static only"


@dataclass(frozen=True)
class Evidence:
    """One place a person can open to see why: ``file:line``, a URL, a container or a report field."""

    location: str
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"location": self.location, "detail": self.detail}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Evidence:
        return cls(str(raw.get("location", "")), str(raw.get("detail", "")))

    def __str__(self) -> str:
        return f"{self.location} ({self.detail})" if self.detail else self.location


@dataclass(frozen=True)
class Verdict:
    """What a pure check function returns; the criterion test turns it into a pytest outcome."""

    outcome: Outcome
    reason: str
    evidence: tuple[Evidence, ...] = ()
    scope: Scope = Scope.STATIC
    fix: str | None = None  # the concrete change that closes a gap, at the file and line to change

    @classmethod
    def passed(cls, reason: str, *evidence: Evidence, scope: Scope = Scope.STATIC) -> Verdict:
        return cls(Outcome.PASSED, reason, evidence, scope)

    @classmethod
    def failed(cls, reason: str, *evidence: Evidence, scope: Scope = Scope.STATIC, fix: str | None = None) -> Verdict:
        return cls(Outcome.FAILED, reason, evidence, scope, fix)

    @classmethod
    def not_applicable(cls, reason: str, *evidence: Evidence) -> Verdict:
        return cls(Outcome.NOT_APPLICABLE, reason, evidence)

    @classmethod
    def not_observed(cls, reason: str, *evidence: Evidence, scope: Scope = Scope.LIVE) -> Verdict:
        return cls(Outcome.NOT_OBSERVED, reason, evidence, scope)

    @classmethod
    def error(cls, reason: str, *evidence: Evidence, scope: Scope = Scope.LIVE, fix: str | None = None) -> Verdict:
        """The criterion could not do its job safely (e.g. a drill that could not restore what it touched):
        shown as an error, never counted, and the gate fails."""
        return cls(Outcome.ERROR, reason, evidence, scope, fix)

    def with_fix(self, fix: str | None) -> Verdict:
        """This verdict with ``fix`` (kept only on a gap: a pass needs no fix)."""
        if self.outcome not in (Outcome.FAILED, Outcome.ERROR) or not fix:
            return self
        return Verdict(self.outcome, self.reason, self.evidence, self.scope, fix)


@dataclass
class CriterionResult:
    """A criterion's result for one service, as carried on reports and written to JSON."""

    service: str
    criterion: str
    level: str
    outcome: Outcome
    reason: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    critical: bool = False
    scope: str = Scope.STATIC.value
    nodeid: str = ""
    title: str = ""
    fix: str | None = None
    # Carried over from the last full run in --readiness-history because this run did not run it.
    from_history: str | None = None  # that run's evaluated_at

    def to_dict(self) -> dict[str, Any]:
        carried = {"from_history": True, "history_evaluated_at": self.from_history} if self.from_history else {}
        return {
            "service": self.service,
            "criterion": self.criterion,
            "level": self.level,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "evidence": [e.to_dict() for e in self.evidence],
            "critical": self.critical,
            "scope": self.scope,
            "nodeid": self.nodeid,
            "title": self.title,
            "fix": self.fix,
            **carried,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> CriterionResult:
        return cls(
            service=str(raw["service"]),
            criterion=str(raw["criterion"]),
            level=str(raw["level"]),
            outcome=Outcome(raw["outcome"]),
            reason=str(raw.get("reason", "")),
            evidence=[Evidence.from_dict(e) for e in raw.get("evidence", [])],
            critical=bool(raw.get("critical", False)),
            scope=str(raw.get("scope", Scope.STATIC.value)),
            nodeid=str(raw.get("nodeid", "")),
            title=str(raw.get("title", "")),
            fix=None if raw.get("fix") is None else str(raw.get("fix")),
            from_history=str(raw.get("history_evaluated_at") or "") or None if raw.get("from_history") else None,
        )


class CriterionOutcome(Exception):
    """Raised inside a criterion to end it with an outcome other than pass/fail."""

    outcome: Outcome = Outcome.FAILED

    def __init__(self, reason: str, *evidence: Evidence) -> None:
        super().__init__(reason)
        self.reason = reason
        self.evidence = evidence


class CriterionFailed(CriterionOutcome, AssertionError):
    """The criterion looked and found a gap."""

    outcome = Outcome.FAILED


class NotApplicable(CriterionOutcome):
    """The criterion does not apply to this service (shown as N/A with the reason)."""

    outcome = Outcome.NOT_APPLICABLE


class CriterionError(CriterionOutcome):
    """The criterion could not complete safely (e.g. a drill left a container down): an error, the gate fails."""

    outcome = Outcome.ERROR


class NotObserved(CriterionOutcome):
    """The evidence could not be observed (offline, engine unreachable); never counts as passed."""

    outcome = Outcome.NOT_OBSERVED
