"""What a criterion sees: one service, its stack, the evaluation time, and a place to cite evidence.

Plain Python (no pytest): pure check functions take a ``Service`` and return a ``Verdict``. Every file
is read through ``Stack.artifacts`` (the one door); the live probes are made by a factory the plugin
hands in, so this module does not know how probes are built.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .artifacts import ArtifactError, Artifacts
from .artifacts.door import DEFAULT_MAX_BYTES
from .compose import ComposeError, ComposeProject, ComposeService, load_project
from .config import ReportSpec, ServiceSpec, StackConfig, display_path
from .errors import InputError
from .levels import level_number
from .redact import Redactor
from .results import CriterionError, CriterionFailed, Evidence, NotApplicable, NotObserved, Outcome, Scope, Verdict
from .units import after_evaluation, format_age, parse_timestamp

if TYPE_CHECKING:
    from .live.probes import LiveProbes

LiveFactory = Callable[["Stack"], "LiveProbes"]


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
    text: str = ""

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

    def line_of(self, dotted: str | None) -> int | None:
        """Best-effort line of a (dotted) field: where its last key first appears in the file."""
        if not dotted or not self.text:
            return None
        key = dotted.rsplit(".", 1)[-1]
        import json

        at = self.text.find(json.dumps(key) + ":")
        if at < 0:
            at = self.text.find(json.dumps(key) + " :")
        return None if at < 0 else self.text.count("\n", 0, at) + 1

    def at(self, dotted: str | None) -> str:
        line = self.line_of(dotted)
        return f"{self.shown}:{line}" if line else self.shown


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
    """Per-process state shared by every criterion: the config, the clock, the files and the compose model."""

    config: StackConfig
    now: datetime
    offline: bool = False
    target_override: str | None = None
    drills: bool = False  # --readiness-drills: drill criteria may disturb the running stack (restarts)
    profiles: tuple[str, ...] = ()
    live_factory: LiveFactory | None = field(default=None, repr=False)
    artifacts: Artifacts = field(init=False, repr=False)
    _secrets: dict[str, str] | None = field(default=None, repr=False)
    _compose: ComposeProject | None = field(default=None, repr=False)
    _compose_error: InputError | None = field(default=None, repr=False)
    _live: LiveProbes | None = field(default=None, repr=False)
    _redactor: Redactor | None = field(default=None, repr=False)
    _memo: dict[tuple[str, Any], Any] = field(default_factory=dict, repr=False)
    max_file_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self) -> None:
        self.artifacts = Artifacts(self.config.root, show=display_path, max_bytes=self.max_file_bytes)

    def memo(self, kind: str, key: Any, make: Callable[[], Any]) -> Any:
        """Something derived from the stack's artifacts (a parsed Dockerfile, a rule index), made once per
        process and shared by every criterion and service; an InputError is remembered like a value."""
        slot = (kind, key)
        if slot not in self._memo:
            try:
                self._memo[slot] = make()
            except InputError as exc:
                self._memo[slot] = exc
        found = self._memo[slot]
        if isinstance(found, InputError):
            raise found
        return found

    @property
    def redactor(self) -> Redactor:
        """Masks every secret value the stack holds (declared in services.yaml and discovered in its
        compose files, env_files, .env and Dockerfiles) in any text; built once, used on every report."""
        if self._redactor is None:
            values = dict(self.secret_values())
            try:
                from .secrets import discover, redaction_values

                names = {spec.name.lower() for spec in self.config.services}
                with contextlib.suppress(Exception):
                    names |= {n.lower() for n in (self.compose.services if self.compose else ())}
                for name, value in redaction_values(discover(self)).items():
                    # a weak password equal to a service's name (POSTGRES_PASSWORD=postgres) is a finding
                    # for secrets-not-logged; masking the name would blank the whole report
                    if value not in values.values() and value.lower() not in names:
                        values[name if name not in values else f"{name}_found"] = value
            except Exception:
                pass
            self._redactor = Redactor(values)
        return self._redactor

    @property
    def live(self) -> LiveProbes:
        """The live probes, made on first use by the factory the plugin gave (once per process)."""
        if self._live is None:
            if self.live_factory is None:
                raise RuntimeError("this Stack was made without live_factory; pass LiveProbes.for_stack")
            self._live = self.live_factory(self)
        return self._live

    @property
    def compose(self) -> ComposeProject | None:
        """The stack's compose project, resolved once; None when the stack declares no compose file."""
        if self._compose is None and self._compose_error is None and self.config.stack_paths("compose"):
            paths = [self.config.resolve(p) for p in self.config.stack_paths("compose")]
            try:
                self._compose = load_project(self.artifacts, paths, profiles=self.profiles)
            except (ComposeError, ArtifactError) as exc:
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
            compose_files = self.config.stack_paths("compose")
            if compose_files:
                from .compose.files import dotenv_values

                dotenv_path = self.config.resolve(compose_files[0]).parent / ".env"
                dotenv = dotenv_values(dotenv_path) if self.artifacts.is_file(dotenv_path) else {}
                for key, value in dotenv.items():
                    if key in names and value and key not in found:
                        found[key] = value
            self._secrets = found
        return self._secrets

    def read_report(self, spec: ReportSpec) -> ReportReading:
        """Load a report and judge its age by its own timestamp field, else by its mtime."""
        path = self.config.resolve(spec.path)
        reading = ReportReading(spec, path, self.config.show(path))
        try:
            doc = self.artifacts.json(path)
            mtime = self.artifacts.stat(path).st_mtime
        except ArtifactError as exc:
            reading.problem = str(exc)
            return reading
        reading.data, reading.text = doc.data, doc.text
        if spec.timestamp:
            try:
                raw = lookup(doc.data, spec.timestamp)
                reading.timestamp = parse_timestamp(raw)
                reading.timestamp_source = f"field {spec.timestamp}={str(raw)[:40]}"
            except KeyError:
                reading.problem = f"{reading.shown}: timestamp field {spec.timestamp!r} is missing"
                return reading
            except ValueError:
                reading.problem = f"{reading.shown}: timestamp field {spec.timestamp!r} is not a timestamp"
                return reading
        else:
            reading.timestamp = datetime.fromtimestamp(mtime).astimezone()
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
                reading.status = lookup(doc.data, spec.status_field)
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
        self.fix: str | None = None

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

    @property
    def artifacts(self) -> Artifacts:
        return self.stack.artifacts

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
        """The compose services this row covers; a name missing from the compose project is a failure."""
        if not self.spec.compose_services:
            return []
        project = self.stack.compose
        if project is None:
            self.fail(
                f"declares compose_services {list(self.spec.compose_services)} but the stack has no compose file",
                Evidence(self.spec.where, "services.yaml entry"),
            )
        missing = [n for n in self.spec.compose_services if n not in project.services]
        if missing:
            self.fail(
                missing_service_text(project, missing[0]),
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
        self.fix = verdict.fix
        if verdict.outcome is Outcome.PASSED:
            self.pass_reason = verdict.reason
            return
        exc = {
            Outcome.NOT_APPLICABLE: NotApplicable,
            Outcome.NOT_OBSERVED: NotObserved,
            Outcome.ERROR: CriterionError,
        }.get(verdict.outcome, CriterionFailed)
        raise exc(verdict.reason)

    def fail(self, reason: str, *evidence: Evidence, fix: str | None = None) -> NoReturn:
        __tracebackhide__ = True
        self.evidence.extend(e for e in evidence if e not in self.evidence)
        if fix:
            self.fix = fix
        raise CriterionFailed(reason)

    def not_applicable(self, reason: str) -> NoReturn:
        __tracebackhide__ = True
        raise NotApplicable(reason)

    def not_observed(self, reason: str) -> NoReturn:
        __tracebackhide__ = True
        raise NotObserved(reason)


def missing_service_text(project: ComposeProject, name: str) -> str:
    """Why a compose service named in services.yaml is not in the project, with the closest name."""
    inactive = project.inactive.get(name)
    if inactive is not None:
        profiles = inactive.raw.get("profiles") or []
        which = ", ".join(str(p) for p in profiles) if isinstance(profiles, list) else str(profiles)
        return (
            f"compose service {name!r} is in profile {which}, which is not active; "
            f"pass --readiness-profile={which.split(',')[0].strip()} or set COMPOSE_PROFILES"
        )
    close = get_close_matches(name, list(project.services), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; it has {', '.join(sorted(project.services)[:8])}"
    files = ", ".join(project.show(f) for f in project.files[:3])
    return f"compose service {name!r} is not in the compose project ({files}){hint}"
