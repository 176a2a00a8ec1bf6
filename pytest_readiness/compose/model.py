"""The service model the checks read: Compose's resolved project, typed, with ``file:line`` marks.

Values come from Compose's own model (``resolver``), so what is judged is what ``docker compose up``
would run: a string ``command`` is already split into the argv Docker gets, a port written as
``"3000"`` is a port Docker publishes on every interface, a limit set in an override file or an
extended service is there. Locations come from ``marks``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .marks import Entry, Location, ProjectMarks, ServiceMarks

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$", re.IGNORECASE)
ALL_INTERFACES = frozenset({"", "0.0.0.0", "::", "[::]"})


def parse_duration(value: object) -> float:
    """Seconds in a compose/Go duration (``1m30s``, ``500ms``, ``1h``); a bare number means seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text in ("0", "+0", "-0"):
        return 0.0
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if not body:
        raise ValueError("empty duration")
    total, pos = 0.0, 0
    while pos < len(body):
        match = _DURATION_PART.match(body, pos)
        if match is None:
            raise ValueError(f"{text!r} is not a duration")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    return sign * total


def parse_memory(value: object) -> int:
    """Bytes in a compose size (``512m``, ``1g``, ``256MiB``, ``134217728``); units are powers of 1024."""
    if isinstance(value, bool):
        raise ValueError(f"expected a size, got {value!r}")
    if isinstance(value, int):
        return value
    match = _MEMORY.match(str(value).strip())
    if match is None:
        raise ValueError(f"{value!r} is not a size")
    power = " kmgtp".index(match.group(2).lower()) if match.group(2) else 0
    return int(float(match.group(1)) * 1024**power)


def test_text(test: tuple[str, ...]) -> str:
    """A healthcheck test as one shell-readable line: argv joined for CMD, the string for CMD-SHELL."""
    if not test or test[0] == "NONE":
        return ""
    if test[0] == "CMD":
        return shlex.join(test[1:])
    if test[0] == "CMD-SHELL":
        return " ".join(test[1:])
    return shlex.join(test)


@dataclass(frozen=True)
class Healthcheck:
    """A service healthcheck; ``test`` is the list form (``CMD``, ``CMD-SHELL`` or ``NONE``).

    An empty ``test`` means the compose file sets options but inherits the image's test."""

    test: tuple[str, ...]
    disabled: bool
    interval: float | None
    timeout: float | None
    retries: int | None
    start_period: float | None
    start_interval: float | None = None

    @property
    def command_text(self) -> str:
        return test_text(self.test)


@dataclass(frozen=True)
class Port:
    """One ``ports:`` entry as Docker applies it. Every entry is published: without a host port Docker
    picks an ephemeral one; without a host IP it listens on every interface."""

    target: str
    published: str | None
    host_ip: str | None
    protocol: str
    mode: str | None
    where: str
    written: Any = None

    @property
    def on_all_interfaces(self) -> bool:
        return self.host_ip is None or self.host_ip in ALL_INTERFACES

    @property
    def binding(self) -> str:
        host = "0.0.0.0" if self.on_all_interfaces else self.host_ip
        return f"{host}:{self.published or '(ephemeral)'}->{self.target}/{self.protocol}"


@dataclass(frozen=True)
class Mount:
    """One ``volumes:`` entry as Compose normalized it (long syntax)."""

    type: str
    source: str
    target: str
    read_only: bool
    where: str


def _strs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, dict):
        return tuple(str(k) for k in value)
    return (str(value),)


def _opt_str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _duration(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class ComposeService:
    """One service of the resolved project, with ``where()`` to cite the line that set any key."""

    name: str
    model: dict[str, Any] = field(repr=False)
    marks: ServiceMarks = field(repr=False, compare=False)
    show: Callable[[Path | str], str] = field(repr=False, compare=False)
    project_dir: Path = field(default=Path("."), repr=False)

    # -- locating ------------------------------------------------------------------------------------
    def location(self, *keys: str | int) -> Location:
        return self.marks.where(*keys)

    def where(self, *keys: str | int) -> str:
        """``relpath:LINE`` of the deepest key along ``keys`` as written; the service's line if none."""
        path, line = self.marks.where(*keys)
        return f"{self.show(path)}:{line}"

    def line_of(self, *keys: str | int) -> int:
        return self.marks.where(*keys)[1]

    def file_of(self, *keys: str | int) -> Path:
        return self.marks.where(*keys)[0]

    def cite(self, entry: Entry) -> str:
        return f"{self.show(entry.location[0])}:{entry.location[1]}"

    @property
    def file(self) -> Path:
        return self.marks.origin[0]

    @property
    def line(self) -> int:
        return self.marks.origin[1]

    @property
    def written(self) -> dict[str, Any]:
        """The service's keys as written (merged over files, before interpolation): for how, not what."""
        return self.marks.raw

    def entries(self, key: str) -> list[Entry]:
        return list(self.marks.entries.get(key, []))

    def env_location(self, name: str) -> str | None:
        """Where environment variable ``name`` is set: its compose line, else its env_file line."""
        entry = self.marks.entry("environment", name) or self.marks.entry("env_file_vars", name)
        return self.cite(entry) if entry else None

    # -- what it is ----------------------------------------------------------------------------------
    @property
    def image(self) -> str | None:
        return _opt_str(self.model.get("image"))

    @property
    def build(self) -> dict[str, Any] | None:
        build = self.model.get("build")
        return build if isinstance(build, dict) else None

    @property
    def builds(self) -> bool:
        """The stack builds this service's image (``build:``): its code is the team's own."""
        return self.build is not None

    @property
    def build_context(self) -> Path | None:
        build = self.build
        if build is None:
            return None
        context = str(build.get("context") or ".")
        if "://" in context or context.startswith("git@"):
            return None  # a remote context: nothing on disk to read
        return (self.project_dir / context).resolve()

    @property
    def dockerfile(self) -> Path | None:
        build, context = self.build, self.build_context
        if build is None or context is None or build.get("dockerfile_inline") is not None:
            return None
        return (context / str(build.get("dockerfile") or "Dockerfile")).resolve()

    @property
    def build_target(self) -> str | None:
        build = self.build
        return _opt_str(build.get("target")) if build else None

    @property
    def command(self) -> list[str] | None:
        value = self.model.get("command")
        return [str(v) for v in value] if isinstance(value, list) else None

    @property
    def entrypoint(self) -> list[str] | None:
        value = self.model.get("entrypoint")
        return [str(v) for v in value] if isinstance(value, list) else None

    @property
    def command_text(self) -> str | None:
        return shlex.join(self.command) if self.command is not None else None

    @property
    def entrypoint_text(self) -> str | None:
        return shlex.join(self.entrypoint) if self.entrypoint is not None else None

    @property
    def healthcheck(self) -> Healthcheck | None:
        hc = self.model.get("healthcheck")
        if not isinstance(hc, dict):
            return None
        test = tuple(str(t) for t in hc.get("test") or ())
        if len(test) == 1 and test[0] not in ("NONE", "CMD", "CMD-SHELL"):
            test = ("CMD-SHELL", test[0])
        retries = hc.get("retries")
        return Healthcheck(
            test=test,
            disabled=bool(hc.get("disable")) or test[:1] == ("NONE",),
            interval=_duration(hc.get("interval")),
            timeout=_duration(hc.get("timeout")),
            retries=int(retries) if isinstance(retries, int | float) and not isinstance(retries, bool) else None,
            start_period=_duration(hc.get("start_period")),
            start_interval=_duration(hc.get("start_interval")),
        )

    @property
    def restart(self) -> str | None:
        return _opt_str(self.model.get("restart"))

    @property
    def restart_policy(self) -> str | None:
        deploy = self.model.get("deploy") or {}
        policy = deploy.get("restart_policy") if isinstance(deploy, dict) else None
        return _opt_str(policy.get("condition")) if isinstance(policy, dict) else None

    def _limit(self, key: str) -> Any:
        deploy = self.model.get("deploy") or {}
        limits = ((deploy.get("resources") or {}).get("limits") or {}) if isinstance(deploy, dict) else {}
        return limits.get(key) if isinstance(limits, dict) else None

    @property
    def memory_limit(self) -> int | None:
        for value in (self._limit("memory"), self.model.get("mem_limit")):
            if value not in (None, "", 0, "0"):
                try:
                    return parse_memory(value)
                except ValueError:
                    continue
        return None

    @property
    def cpu_limit(self) -> float | None:
        for value in (self._limit("cpus"), self.model.get("cpus")):
            number = _number(value)
            if number:
                return number
        return None

    @property
    def pids_limit(self) -> int | None:
        for value in (self._limit("pids"), self.model.get("pids_limit")):
            number = _number(value)
            if number is not None and number > 0:
                return int(number)
        return None

    @property
    def ports(self) -> tuple[Port, ...]:
        out: list[Port] = []
        written = self.entries("ports")
        for index, port in enumerate(self.model.get("ports") or []):
            if not isinstance(port, dict):
                continue
            target = str(port.get("target", ""))
            entry = _matching_port(written, port, index)
            out.append(
                Port(
                    target=target,
                    published=_opt_str(port.get("published")),
                    host_ip=_opt_str(port.get("host_ip")),
                    protocol=str(port.get("protocol") or "tcp"),
                    mode=_opt_str(port.get("mode")),
                    where=self.cite(entry) if entry else self.where("ports"),
                    written=entry.value if entry else None,
                )
            )
        return tuple(out)

    @property
    def expose(self) -> tuple[str, ...]:
        return _strs(self.model.get("expose"))

    @property
    def volumes(self) -> tuple[Mount, ...]:
        out: list[Mount] = []
        written = self.entries("volumes")
        for index, vol in enumerate(self.model.get("volumes") or []):
            if not isinstance(vol, dict):
                continue
            target = str(vol.get("target", ""))
            entry = next((e for e in written if target and target in str(e.value)), None)
            if entry is None and index < len(written):
                entry = written[index]
            out.append(
                Mount(
                    type=str(vol.get("type") or "volume"),
                    source=str(vol.get("source") or ""),
                    target=target,
                    read_only=bool(vol.get("read_only")),
                    where=self.cite(entry) if entry else self.where("volumes"),
                )
            )
        return tuple(out)

    @property
    def user(self) -> str | None:
        return _opt_str(self.model.get("user"))

    @property
    def privileged(self) -> bool:
        return bool(self.model.get("privileged"))

    @property
    def cap_add(self) -> tuple[str, ...]:
        return _strs(self.model.get("cap_add"))

    @property
    def cap_drop(self) -> tuple[str, ...]:
        return _strs(self.model.get("cap_drop"))

    @property
    def security_opt(self) -> tuple[str, ...]:
        return _strs(self.model.get("security_opt"))

    @property
    def read_only(self) -> bool:
        return bool(self.model.get("read_only"))

    @property
    def devices(self) -> tuple[str, ...]:
        out = []
        for dev in self.model.get("devices") or []:
            if isinstance(dev, dict):
                out.append(f"{dev.get('source', '')}:{dev.get('target', '')}")
            else:
                out.append(str(dev))
        return tuple(out)

    def namespace(self, key: str) -> str | None:
        """``network_mode``, ``pid``, ``ipc``, ``userns_mode``, ``uts`` or ``cgroup`` as resolved."""
        return _opt_str(self.model.get(key))

    @property
    def network_mode(self) -> str | None:
        return self.namespace("network_mode")

    @property
    def logging_driver(self) -> str | None:
        logging = self.model.get("logging") or {}
        return _opt_str(logging.get("driver")) if isinstance(logging, dict) else None

    @property
    def logging_options(self) -> dict[str, str]:
        logging = self.model.get("logging") or {}
        options = logging.get("options") if isinstance(logging, dict) else None
        return {str(k): str(v) for k, v in options.items()} if isinstance(options, dict) else {}

    @property
    def depends_on(self) -> dict[str, str]:
        value = self.model.get("depends_on") or {}
        if isinstance(value, list):
            return dict.fromkeys((str(v) for v in value), "service_started")
        if not isinstance(value, dict):
            return {}
        return {
            str(name): str((spec or {}).get("condition") or "service_started")
            if isinstance(spec, dict)
            else "service_started"
            for name, spec in value.items()
        }

    @property
    def depends_on_written_as_list(self) -> bool:
        return isinstance(self.written.get("depends_on"), list)

    @property
    def environment(self) -> dict[str, str | None]:
        """Environment as the container gets it (``env_file`` merged in by Compose). May hold secrets."""
        env = self.model.get("environment") or {}
        if not isinstance(env, dict):
            return {}
        return {str(k): None if v is None else str(v) for k, v in env.items()}

    @property
    def env_files(self) -> tuple[Path, ...]:
        return tuple(path for path, _ in self.marks.env_files)

    @property
    def labels(self) -> dict[str, str]:
        labels = self.model.get("labels") or {}
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}

    @property
    def container_name(self) -> str | None:
        return _opt_str(self.model.get("container_name"))

    @property
    def hostname(self) -> str | None:
        return _opt_str(self.model.get("hostname"))

    @property
    def stop_grace_period(self) -> float | None:
        return _duration(self.model.get("stop_grace_period"))

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(str(s.get("source")) if isinstance(s, dict) else str(s) for s in self.model.get("secrets") or [])

    @property
    def profiles(self) -> tuple[str, ...]:
        return _strs(self.model.get("profiles"))

    @property
    def replicas(self) -> int:
        deploy = self.model.get("deploy") or {}
        value = deploy.get("replicas") if isinstance(deploy, dict) else None
        if value is None:
            value = self.model.get("scale")
        number = _number(value)
        return 1 if number is None else int(number)


def _matching_port(written: list[Entry], port: Mapping[str, Any], index: int) -> Entry | None:
    """The ``ports:`` entry as written that produced this resolved port (by container port)."""
    target = str(port.get("target", ""))
    published = str(port.get("published") or "")

    def container_port(value: Any) -> tuple[str, str]:
        if isinstance(value, dict):
            return str(value.get("target", "")), str(value.get("published") or "")
        text = str(value).split("/", 1)[0]
        parts = text.rsplit(":", 2)
        return parts[-1], parts[-2] if len(parts) > 1 else ""

    candidates = [e for e in written if container_port(e.value)[0] == target]
    exact = [e for e in candidates if container_port(e.value)[1] in (published, "") or "$" in str(e.value)]
    picked = exact or candidates
    if picked:
        return picked[0]
    return written[index] if index < len(written) else None


@dataclass(frozen=True)
class ComposeProject:
    """The resolved project: its services, name, the files read and Compose's warnings, located."""

    name: str
    project_dir: Path
    files: tuple[Path, ...]
    services: dict[str, ComposeService]
    model: dict[str, Any] = field(repr=False)
    marks: ProjectMarks = field(repr=False, compare=False)
    warnings: tuple[str, ...] = ()
    show: Callable[[Path | str], str] = field(default=str, repr=False, compare=False)

    def where(self, *keys: str) -> str:
        found = self.marks.where_dotted(".".join(keys)) or (self.files[0], 1)
        return f"{self.show(found[0])}:{found[1]}"

    def display(self, path: Path) -> str:
        return self.show(path)

    @property
    def inactive(self) -> dict[str, ServiceMarks]:
        """Services written in the files that Compose left out (inactive profile)."""
        return {n: m for n, m in self.marks.services.items() if n not in self.services}

    def top_level(self, key: str) -> dict[str, Any]:
        value = self.model.get(key)
        return value if isinstance(value, dict) else {}
