"""What a criterion sees: one service, its stack, the evaluation time, and a place to cite evidence.

Plain Python (no pytest): pure check functions take a ``Service`` and return a ``Verdict``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from .compose import ComposeProject, ComposeService, load_compose, read_dotenv
from .config import ReportSpec, ServiceSpec, StackConfig, display_path
from .errors import InputError
from .levels import level_number
from .live.probes import LiveProbes
from .redact import Redactor
from .results import CriterionError, CriterionFailed, Evidence, NotApplicable, NotObserved, Outcome, Scope, Verdict
from .units import after_evaluation, format_age, parse_timestamp


@dataclass
class ReportReading:
    """A JSON report as found on disk: parsed data, its time, age and status, or why it is unusable."""

    spec: ReportSpec
    path: Path
    shown: str
    data: Any = None
    problem: str | None = None
    timestamp: datetime | None = None
    timestamp_source: str = ""
    age: timedelta | None = None
    status: object = None

    @property
    def usable(self) -> bool:
        return self.problem is None

    @property
    def fresh(self) -> bool:
        """Fresh only when the age is known and within max_age (no max_age: fresh if it has an age)."""
        if self.age is None:
            return False
        return self.spec.max_age is None or self.age <= self.spec.max_age

    @property
    def status_ok(self) -> bool:
        return self.spec.status_field is not None and self.status in self.spec.status_pass

    def freshness_text(self) -> str:
        if self.age is None:
            return "age unknown"
        limit = f" (max {format_age(self.spec.max_age)})" if self.spec.max_age else ""
        return f"age {format_age(self.age)}{limit} by {self.timestamp_source}"

    def evidence(self, detail: str = "") -> Evidence:
        return Evidence(self.shown, detail or self.freshness_text())


def lookup(data: Any, dotted: str) -> Any:
    """``a.b.0.c`` into nested dicts/lists; KeyError when a step is missing."""
    cur = data
    for part in dotted.split("."):
        if isinstance(cur, Mapping) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            raise KeyError(dotted)
    return cur


@dataclass
class Stack:
    """Per-process state shared by every criterion: the config, the clock, and parsed artifacts."""

    config: StackConfig
    now: datetime
    offline: bool = False
    target_override: str | None = None
    drills: bool = False  # --readiness-drills: drill criteria may disturb the running stack (restarts)
    _secrets: dict[str, str] | None = None
    _compose: ComposeProject | None = None
    _compose_error: InputError | None = None
    _json_cache: dict[Path, tuple[Any, str | None]] = field(default_factory=dict)
    _live: LiveProbes | None = field(default=None, repr=False)
    _redactor: Redactor | None = field(default=None, repr=False)

    @property
    def redactor(self) -> Redactor:
        """Masks the declared secret values in any text; built once, used on every report of the run."""
        if self._redactor is None:
            self._redactor = Redactor(self.secret_values())
        return self._redactor

    @property
    def live(self) -> LiveProbes:
        """The live probes (Docker), created on first use, once per process; offline they probe nothing."""
        if self._live is None:
            self._live = LiveProbes.for_stack(self)
        return self._live

    @property
    def compose(self) -> ComposeProject | None:
        """The stack's compose project, loaded once; None when the stack declares no compose file."""
        if self._compose is None and self._compose_error is None and self.config.stack_paths("compose"):
            paths = [self.config.resolve(p) for p in self.config.stack_paths("compose")]
            try:
                self._compose = load_compose(paths, display_root=Path.cwd())
            except InputError as exc:
                self._compose_error = exc
        if self._compose_error is not None:
            raise self._compose_error
        return self._compose

    def target_for(self, spec: ServiceSpec) -> str:
        """The declared target, raised (never lowered) by --readiness-target."""
        if self.target_override and level_number(self.target_override) > level_number(spec.target):
            return self.target_override
        return spec.target

    def secret_values(self) -> dict[str, str]:
        """Values of the declared secret variables: the environment first, then the compose ``.env``."""
        if self._secrets is None:
            names = self.config.stack_paths("secrets")
            found = {n: os.environ[n] for n in names if os.environ.get(n)}
            compose = self.config.stack_paths("compose")
            if compose:
                env_file = self.config.resolve(compose[0]).parent / ".env"
                dotenv = read_dotenv(env_file) if env_file.is_file() else {}
                for key, value in dotenv.items():
                    if key in names and value and key not in found:
                        found[key] = value
            self._secrets = found
        return self._secrets

    def read_json(self, path: Path) -> tuple[Any, str | None]:
        """Parsed JSON (or None) and the problem that stopped it, cached per file."""
        if path not in self._json_cache:
            shown = self.config.show(path)
            try:
                data: Any = json.loads(path.read_text(encoding="utf-8"))
                self._json_cache[path] = (data, None)
            except FileNotFoundError:
                self._json_cache[path] = (None, f"{shown} does not exist")
            except (OSError, UnicodeDecodeError) as exc:
                self._json_cache[path] = (None, f"{shown} is unreadable: {exc}")
            except json.JSONDecodeError as exc:
                self._json_cache[path] = (None, f"{shown}:{exc.lineno}: not valid JSON: {exc.msg}")
        return self._json_cache[path]

    def read_report(self, spec: ReportSpec) -> ReportReading:
        """Load a report and judge its age by its own timestamp field, else by its mtime."""
        path = self.config.resolve(spec.path)
        reading = ReportReading(spec, path, self.config.show(path))
        data, problem = self.read_json(path)
        if problem:
            reading.problem = problem
            return reading
        reading.data = data
        if spec.timestamp:
            try:
                raw = lookup(data, spec.timestamp)
                reading.timestamp = parse_timestamp(raw)
                reading.timestamp_source = f"field {spec.timestamp}={raw}"
            except KeyError:
                reading.problem = f"{reading.shown}: timestamp field {spec.timestamp!r} is missing"
                return reading
            except ValueError:
                reading.problem = f"{reading.shown}: timestamp field {spec.timestamp!r} is not a timestamp"
                return reading
        else:
            reading.timestamp = datetime.fromtimestamp(path.stat().st_mtime).astimezone()
            reading.timestamp_source = "file mtime"
        reading.age = self.now - reading.timestamp
        if after_evaluation(reading.timestamp, self.now):
            # A report "from the future" (a fresh checkout's mtime, a wrong clock) proves nothing.
            reading.problem = (
                f"{reading.shown}: {reading.timestamp_source} is {format_age(-reading.age)} after the evaluation "
                f"time {self.now.isoformat()}; it cannot prove freshness"
            )
            reading.age = None
            return reading
        if spec.status_field:
            try:
                reading.status = lookup(data, spec.status_field)
            except KeyError:
                reading.problem = f"{reading.shown}: status field {spec.status_field!r} is missing"
        return reading


class Service:
    """One service as a criterion sees it. Collects the evidence the criterion cites."""

    def __init__(self, stack: Stack, spec: ServiceSpec) -> None:
        self.stack = stack
        self.spec = spec
        self.evidence: list[Evidence] = []
        self.scope: Scope = Scope.STATIC
        self.pass_reason = ""

    # -- identity -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def target(self) -> str:
        return self.stack.target_for(self.spec)

    @property
    def config(self) -> StackConfig:
        return self.stack.config

    @property
    def now(self) -> datetime:
        return self.stack.now

    @property
    def offline(self) -> bool:
        return self.stack.offline

    def __repr__(self) -> str:
        return f"<Service {self.name} kind={self.kind} target={self.target}>"

    # -- artifacts ------------------------------------------------------------------------
    def path(self, rel: str) -> Path:
        """A path from services.yaml, resolved against the stack root."""
        return self.config.resolve(rel)

    def show(self, path: Path | str) -> str:
        return self.config.show(path)

    @staticmethod
    def show_path(path: Path | str) -> str:
        return display_path(path)

    @property
    def compose_services(self) -> list[ComposeService]:
        """The compose services this row covers; a name missing from the compose file is a failure."""
        project = self.stack.compose
        if not self.spec.compose_services:
            return []
        if project is None:
            self.fail(
                f"declares compose_services {list(self.spec.compose_services)} but the stack has no compose file",
                Evidence(self.spec.where, "services.yaml entry"),
            )
        missing = [n for n in self.spec.compose_services if n not in project.services]
        if missing:
            self.fail(
                f"compose service(s) {missing} not found in {', '.join(self.show(f) for f in project.files)}",
                Evidence(self.spec.where, "services.yaml entry"),
            )
        return [project.services[n] for n in self.spec.compose_services]

    def read_report(self, spec: ReportSpec) -> ReportReading:
        return self.stack.read_report(spec)

    @property
    def reports(self) -> list[ReportSpec]:
        return [
            ReportSpec.from_raw(r, f"{self.spec.where} reports[{i}]")
            for i, r in enumerate(self.spec.raw.get("reports", []))
        ]

    def report_spec(self, key: str) -> ReportSpec | None:
        """A single named report such as ``backup_drill``, ``integration_gate``, ``promotion_gate``, ``junit``."""
        raw = self.spec.raw.get(key)
        return ReportSpec.from_raw(raw, f"{self.spec.where} {key}") if raw else None

    def secret_values(self) -> dict[str, str]:
        """Values of the stack's declared secrets (never print them; cite the variable name)."""
        return self.stack.secret_values()

    # -- concluding -----------------------------------------------------------------------
    def cite(self, location: str | Path, detail: str = "", line: int | None = None) -> Evidence:
        """Record one piece of evidence; paths are shown relative to the working directory."""
        loc = self.show(location) if isinstance(location, Path) else location
        if line is not None:
            loc = f"{loc}:{line}"
        ev = Evidence(loc, detail)
        self.evidence.append(ev)
        return ev

    def decide(self, verdict: Verdict) -> None:
        """End the criterion with a check function's verdict (returns normally only when it passed)."""
        __tracebackhide__ = True  # the criterion's own line is the useful frame; also keeps reprs cheap
        self.evidence.extend(e for e in verdict.evidence if e not in self.evidence)
        self.scope = verdict.scope
        if verdict.outcome is Outcome.PASSED:
            self.pass_reason = verdict.reason
            return
        exc = {
            Outcome.NOT_APPLICABLE: NotApplicable,
            Outcome.NOT_OBSERVED: NotObserved,
            Outcome.ERROR: CriterionError,
        }.get(verdict.outcome, CriterionFailed)
        raise exc(verdict.reason)

    def fail(self, reason: str, *evidence: Evidence) -> NoReturn:
        __tracebackhide__ = True
        self.evidence.extend(e for e in evidence if e not in self.evidence)
        raise CriterionFailed(reason)

    def not_applicable(self, reason: str) -> NoReturn:
        __tracebackhide__ = True
        raise NotApplicable(reason)

    def not_observed(self, reason: str) -> NoReturn:
        __tracebackhide__ = True
        raise NotObserved(reason)
