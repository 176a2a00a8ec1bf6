"""pytest-readiness: a production-readiness checklist as executable, evidence-backed pytest criteria."""

from .context import ReportReading, Service, Stack
from .errors import ConfigError, InputError, ReadinessError
from .results import CriterionFailed, Evidence, NotApplicable, NotObserved, Outcome, Scope, Verdict

__all__ = [
    "ConfigError",
    "CriterionFailed",
    "Evidence",
    "InputError",
    "NotApplicable",
    "NotObserved",
    "Outcome",
    "ReadinessError",
    "ReportReading",
    "Scope",
    "Service",
    "Stack",
    "Verdict",
]
