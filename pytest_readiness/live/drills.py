"""Drills: disturb the running stack on purpose (``--readiness-drills``), carefully.

Safety rules (DESIGN.md, "Drills: safety first"):

- a drill acts only on a container of the stack's compose project found through the probe layer by its
  compose labels (``com.docker.compose.project`` / ``com.docker.compose.service``), and checks those labels
  again on the engine's current inspect data right before touching it; never a name pattern;
- drills run one at a time per compose project, across processes (xdist workers, concurrent runs): an
  exclusive ``fcntl.flock`` on ``<tempdir>/pytest-readiness-drills-<sha256(project)>.lock``, waited for at
  most ``LOCK_WAIT_S`` and then a clear error; a run with drills takes the same lock *shared* around its
  live observations, so no worker observes a container in the middle of another worker's restart;
- every drill restores what it touched in a ``finally`` (the container running again, waited healthy, both
  bounded), records how long the service was disturbed, and a drill that cannot restore says so loudly
  (``DrillResult.restore_error``: the criterion errors and the gate fails);
- no drill here sends a signal. ``main_pid`` is the one place a container's main process id is read (from
  inspect ``State.Pid`` while it runs), and it refuses a pid <= 1 outright: ``kill(0, ...)`` hits the
  tool's own process group, ``kill(-1, ...)`` every process it may signal.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..levels import level_number
from ..results import Verdict
from .docker_probe import PROJECT_LABEL, SERVICE_LABEL, ContainerFacts, DockerProbe, Unobservable

if TYPE_CHECKING:
    from docker.models.containers import Container

    from ..context import Service

DRILLS_OPTION_REASON = "drill not run: pass --readiness-drills"
LOCK_WAIT_S = 300.0
LOCK_POLL_S = 0.1
POLL_S = 0.5
STOP_TIMEOUT_S = 10
WAIT_MARGIN_S = 30.0
WAIT_CAP_S = 180.0
# Docker's own healthcheck defaults, used when a container's healthcheck leaves a timing unset.
DEFAULT_INTERVAL_S = 30.0
DEFAULT_RETRIES = 3
DEFAULT_START_PERIOD_S = 0.0
_NS = 1e9


class DrillRefused(Exception):
    """A drill would act on something it must not touch (a foreign container, a pid <= 1)."""


class DrillLockTimeout(Exception):
    """The stack's drill lock could not be taken within the bounded wait."""


# ---------------------------------------------------------------------------------------------------
# The per-stack lock
# ---------------------------------------------------------------------------------------------------


def lock_path(project: str, directory: str | os.PathLike[str] | None = None) -> Path:
    """The lock file of a compose project: in the temp dir, named after a hash of the project name."""
    digest = hashlib.sha256(project.encode("utf-8")).hexdigest()[:16]
    return Path(directory or tempfile.gettempdir()) / f"pytest-readiness-drills-{digest}.lock"


class StackLock:
    """The drill lock of one compose project in this process: exclusive for drills, shared for observations.

    Across processes it is an ``fcntl.flock`` on ``lock_path(project)``; within the process one object per
    lock file (``for_project``) makes it re-entrant for the holding thread and serialises other threads.
    Every wait is bounded; running out raises ``DrillLockTimeout`` naming the project, the file and the holder.
    """

    _instances: ClassVar[dict[Path, StackLock]] = {}
    _instances_guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, project: str, path: Path) -> None:
        self.project = project
        self.path = path
        self._mutex = threading.RLock()
        self._fd: int | None = None
        self._mode = 0
        self._depth = 0

    @classmethod
    def for_project(cls, project: str, directory: str | os.PathLike[str] | None = None) -> StackLock:
        path = lock_path(project, directory)
        with cls._instances_guard:
            if path not in cls._instances:
                cls._instances[path] = cls(project, path)
            return cls._instances[path]

    @property
    def held(self) -> bool:
        return self._depth > 0

    @contextlib.contextmanager
    def exclusive(self, wait_s: float = LOCK_WAIT_S, purpose: str = "a drill") -> Iterator[float]:
        """Hold the lock alone (a drill); yields the seconds spent waiting for it."""
        waited = self._acquire(fcntl.LOCK_EX, wait_s, purpose)
        try:
            yield waited
        finally:
            self._release()

    @contextlib.contextmanager
    def shared(self, wait_s: float = LOCK_WAIT_S, purpose: str = "observing the stack") -> Iterator[float]:
        """Hold the lock with other observers (no drill runs meanwhile); a no-op inside an exclusive hold."""
        waited = self._acquire(fcntl.LOCK_SH, wait_s, purpose)
        try:
            yield waited
        finally:
            self._release()

    def _timeout(self, wait_s: float, purpose: str) -> DrillLockTimeout:
        holder = ""
        with contextlib.suppress(OSError):
            holder = self.path.read_text(encoding="utf-8", errors="replace").strip()[:200]
        return DrillLockTimeout(
            f"could not get the drill lock of compose project {self.project} for {purpose} within {wait_s:g} s "
            f"({self.path}): another process holds it"
            + (f" ({holder})" if holder else " (a drill run on this stack)")
            + "; drills run one at a time per stack: wait for that run to end, then retry"
        )

    def _open(self) -> int:
        flags = os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            return os.open(self.path, os.O_RDWR | flags, 0o644)
        except PermissionError:  # created by another user: a read-only descriptor can still be locked
            return os.open(self.path, os.O_RDONLY | flags)

    def _acquire(self, mode: int, wait_s: float, purpose: str) -> float:
        start = time.monotonic()
        deadline = start + max(wait_s, 0.0)
        if not self._mutex.acquire(timeout=max(wait_s, 0.0)):
            raise self._timeout(wait_s, purpose)
        try:
            if self._depth:
                if mode == fcntl.LOCK_EX and self._mode == fcntl.LOCK_SH:
                    raise RuntimeError("a drill cannot start inside a shared hold of the drill lock")
                self._depth += 1
                return 0.0
            fd = self._open()
            try:
                while True:
                    try:
                        fcntl.flock(fd, mode | fcntl.LOCK_NB)
                        break
                    except OSError as exc:
                        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                            raise
                        if time.monotonic() >= deadline:
                            raise self._timeout(wait_s, purpose) from None
                        time.sleep(LOCK_POLL_S)
                if mode == fcntl.LOCK_EX:
                    with contextlib.suppress(OSError):
                        os.ftruncate(fd, 0)
                        os.pwrite(fd, f"pid {os.getpid()}: {purpose}\n".encode(), 0)
            except BaseException:
                os.close(fd)
                raise
            self._fd, self._mode, self._depth = fd, mode, 1
            return time.monotonic() - start
        except BaseException:
            self._mutex.release()
            raise

    def _release(self) -> None:
        try:
            self._depth -= 1
            if self._depth == 0 and self._fd is not None:
                fd, mode = self._fd, self._mode
                self._fd, self._mode = None, 0
                try:
                    if mode == fcntl.LOCK_EX:
                        with contextlib.suppress(OSError):
                            os.ftruncate(fd, 0)
                    fcntl.flock(fd, fcntl.LOCK_UN)
                finally:
                    os.close(fd)
        finally:
            self._mutex.release()


# ---------------------------------------------------------------------------------------------------
# Inspect data, read safely
# ---------------------------------------------------------------------------------------------------


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _name(attrs: Mapping[str, Any]) -> str:
    return str(attrs.get("Name") or attrs.get("Id") or "?").lstrip("/")


def main_pid(attrs: Mapping[str, Any]) -> int:
    """The host pid of a running container's main process, from its inspect data (``State.Pid``).

    Refuses (``DrillRefused``) a container that is not running and any pid <= 1: ``kill(0, sig)`` would
    signal the caller's own process group, ``kill(-1, sig)`` every process it may signal, pid 1 the host's
    init. Read it again right before any use: a restarted container has a new pid.
    """
    state = attrs.get("State") or {}
    name = _name(attrs)
    if not state.get("Running"):
        raise DrillRefused(f"container {name} is {state.get('Status') or 'not running'}: no main process")
    raw = state.get("Pid")
    if isinstance(raw, int) and not isinstance(raw, bool):
        pid = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        pid = int(raw)
    else:
        pid = -1
    if pid <= 1:
        raise DrillRefused(
            f"container {name}: refusing main pid {raw!r} (<= 1): kill(0)/kill(-1) would hit the tool's own "
            "process group or every process"
        )
    return pid


@dataclass(frozen=True)
class HealthTiming:
    """A container's applied healthcheck (inspect ``Config.Healthcheck``), Docker defaults filled in."""

    enabled: bool
    interval: float
    retries: int
    start_period: float

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> HealthTiming:
        hc = (attrs.get("Config") or {}).get("Healthcheck") or {}
        test = hc.get("Test") or []
        enabled = bool(test) and test[0] != "NONE"
        return cls(
            enabled=enabled,
            interval=_int(hc.get("Interval")) / _NS or DEFAULT_INTERVAL_S,
            retries=_int(hc.get("Retries")) or DEFAULT_RETRIES,
            start_period=_int(hc.get("StartPeriod")) / _NS or DEFAULT_START_PERIOD_S,
        )

    @property
    def wait_s(self) -> float:
        """How long a drill waits for healthy: start_period + interval x retries + 30 s, at most 180 s."""
        return min(self.start_period + self.interval * self.retries + WAIT_MARGIN_S, WAIT_CAP_S)


def _state(attrs: Mapping[str, Any]) -> tuple[bool, str, str | None, str]:
    """(running, status, health status or None, StartedAt)."""
    state = attrs.get("State") or {}
    health = state.get("Health")
    status = str(health.get("Status")) if isinstance(health, Mapping) and health.get("Status") else None
    return bool(state.get("Running")), str(state.get("Status") or ""), status, str(state.get("StartedAt") or "")


def _state_text(attrs: Mapping[str, Any]) -> str:
    running, status, health, _ = _state(attrs)
    if running:
        return f"running ({health})" if health else "running"
    code = _int((attrs.get("State") or {}).get("ExitCode"))
    return f"{status or 'not running'} (code {code})" if status == "exited" else (status or "not running")


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 240 else text[:237] + "..."


# ---------------------------------------------------------------------------------------------------
# The restart drill
# ---------------------------------------------------------------------------------------------------


@dataclass
class DrillResult:
    """What one restart drill did to one container, measured on this host's monotonic clock."""

    container: str
    service: str
    before: str = ""  # state before the drill, e.g. "running (healthy)", "exited (code 137)"
    after: str = ""  # state when the drill let go of it
    touched: bool = False  # the drill acted on the container (restart or start)
    restarted: bool = False  # the restart call succeeded
    healthy: bool = False  # healthy (or running, without a healthcheck) again within the wait
    has_healthcheck: bool = True
    wait_s: float = 0.0  # the longest the drill waits for healthy (start_period + interval x retries + 30 s)
    stop_s: float | None = None  # restart call: stop + start, until the engine said started
    start_to_healthy_s: float | None = None  # from started to the first healthy inspect
    disturbed_s: float = 0.0  # from the restart call until healthy again (or until the drill let go)
    pid_before: int | None = None
    pid_after: int | None = None
    restored: bool = True  # running again when the drill let go (or never touched)
    restore_error: str | None = None  # "drill could not restore container X: ..."
    problem: str | None = None  # why the drill could not measure (refused, restart failed, ...)
    notes: list[str] = field(default_factory=list)

    @property
    def location(self) -> str:
        """How evidence names the container."""
        return f"container {self.container} (compose service {self.service})"

    @property
    def was_running(self) -> bool:
        return self.before.startswith("running")

    def timing_text(self) -> str:
        parts = []
        if self.stop_s is not None:
            parts.append(f"restart call {self.stop_s:.1f}s")
        if self.start_to_healthy_s is not None:
            parts.append(f"start -> {'healthy' if self.has_healthcheck else 'running'} {self.start_to_healthy_s:.1f}s")
        parts.append(f"service disturbed {self.disturbed_s:.1f}s")
        if self.pid_before is not None or self.pid_after is not None:
            parts.append(f"main pid {self.pid_before or '-'} -> {self.pid_after or '-'}")
        return ", ".join(parts)


class DrillRunner:
    """Runs drills on the containers of one compose project, one at a time per stack (``StackLock``).

    ``docker`` is the stack's probe (its client, timeout and cached engine failure); ``on_disturb`` is
    called after every drill that touched a container, so cached observations are dropped.
    """

    def __init__(
        self,
        docker: DockerProbe,
        project: str,
        *,
        lock: StackLock | None = None,
        lock_wait_s: float = LOCK_WAIT_S,
        poll_s: float = POLL_S,
        on_disturb: Callable[[], None] | None = None,
    ) -> None:
        self.docker = docker
        self.project = project
        self.lock = lock or StackLock.for_project(project)
        self.lock_wait_s = lock_wait_s
        self.poll_s = poll_s
        self.on_disturb = on_disturb

    def locked(self, purpose: str = "a drill") -> contextlib.AbstractContextManager[float]:
        """Hold the stack's drill lock alone (re-entrant): wrap a multi-step drill in it."""
        return self.lock.exclusive(self.lock_wait_s, purpose)

    # -- helpers --------------------------------------------------------------------------------------
    def _verify(self, obj: Container, facts: ContainerFacts) -> None:
        """The engine's current labels must say: this project, the compose service we were asked about."""
        labels = (obj.attrs.get("Config") or {}).get("Labels") or {}
        project, service = labels.get(PROJECT_LABEL), labels.get(SERVICE_LABEL)
        if project != self.project or service != facts.service or facts.project != self.project:
            raise DrillRefused(
                f"container {facts.name} is labelled {PROJECT_LABEL}={project!r}, {SERVICE_LABEL}={service!r}, "
                f"not compose project {self.project!r} service {facts.service!r}: not touched"
            )

    def _is_up(self, obj: Container, started_before: str | None) -> bool:
        obj.reload()
        running, _, health, started = _state(obj.attrs)
        if not running or (started_before is not None and started == started_before):
            return False
        return health is None or health == "healthy"

    def _wait_up(self, obj: Container, until: float, started_before: str | None = None) -> float | None:
        """Poll inspect until running and healthy (a fresh start when ``started_before`` is given)."""
        while True:
            if self._is_up(obj, started_before):
                return time.monotonic()
            if time.monotonic() >= until:
                return None
            time.sleep(self.poll_s)

    def _restore(self, obj: Container, result: DrillResult, wait_s: float) -> float | None:
        """Make sure the container runs again (start it if not) and wait for healthy, bounded."""
        try:
            obj.reload()
            running, status, _, _ = _state(obj.attrs)
            if not running:
                result.notes.append(f"{status or 'not running'} after the drill: started it again")
                result.touched = True
                obj.start()
            # A container the drill already waited for gets one more look; one started here gets the full wait.
            up_at = self._wait_up(obj, time.monotonic() + (wait_s if not running else 0.0))
            obj.reload()
            result.after = _state_text(obj.attrs)
            if not _state(obj.attrs)[0]:
                result.restored = False
                result.restore_error = (
                    f"drill could not restore container {result.container}: still {result.after} after "
                    f"starting it and waiting {wait_s:.0f}s"
                )
            elif up_at is None:
                result.notes.append(f"running but not healthy when the drill let go ({result.after})")
            return up_at
        except Exception as exc:
            result.restored = False
            result.restore_error = f"drill could not restore container {result.container}: {_short(exc)}"
            return None

    # -- the drill ------------------------------------------------------------------------------------
    def restart_drill(self, container: ContainerFacts) -> DrillResult:
        """Restart one container of the project and measure start-to-healthy; always restores it.

        The container is found again by id and its compose labels are checked before anything is done.
        The result says what happened; ``restore_error`` is set (loudly) when it could not be brought back.
        """
        result = DrillResult(container.name, container.service)
        client = self.docker.client()
        if isinstance(client, Unobservable):
            result.problem = client.reason
            return result
        with self.locked(f"a restart drill of {container.location}"):
            try:
                obj = client.containers.get(container.id)
                self._verify(obj, container)
            except DrillRefused as exc:
                result.problem = str(exc)
                return result
            except Exception as exc:
                result.problem = f"cannot inspect {container.location}: {_short(exc)}"
                return result
            timing = HealthTiming.from_attrs(obj.attrs)
            result.has_healthcheck = timing.enabled
            result.wait_s = timing.wait_s
            result.before = _state_text(obj.attrs)
            started_before = _state(obj.attrs)[3]
            if result.was_running:
                try:
                    result.pid_before = main_pid(obj.attrs)
                except DrillRefused as exc:
                    result.problem = str(exc)
                    return result
            else:
                result.notes.append(f"{result.before} before the drill")
            start = time.monotonic()
            up_at: float | None = None
            try:
                result.touched = True
                obj.restart(timeout=STOP_TIMEOUT_S)
                result.restarted = True
                started = time.monotonic()
                result.stop_s = started - start
                up_at = self._wait_up(obj, started + timing.wait_s, started_before)
                if up_at is not None:
                    result.healthy = True
                    result.start_to_healthy_s = up_at - started
                    result.pid_after = main_pid(obj.attrs)
                    if result.pid_after == result.pid_before:
                        result.problem = f"the restart did not replace the main process (pid {result.pid_after})"
                else:
                    obj.reload()
                    result.problem = (
                        f"not {'healthy' if timing.enabled else 'running'} within {timing.wait_s:.0f}s of the "
                        f"restart ({_state_text(obj.attrs)})"
                    )
            except Exception as exc:
                result.problem = f"restart drill failed: {_short(exc)}"
            finally:
                restored_at = self._restore(obj, result, timing.wait_s)
                end = up_at or restored_at or time.monotonic()
                result.disturbed_s = end - start
                if self.on_disturb is not None:
                    self.on_disturb()
        return result


# ---------------------------------------------------------------------------------------------------
# When a drill criterion may run at all
# ---------------------------------------------------------------------------------------------------


def drill_precondition(service: Service) -> Verdict | None:
    """Why a drill criterion must not disturb the stack for this row (not observed), else None.

    Drills are opt-in (``--readiness-drills``) and only for rows targeting L3; offline or with the engine
    unreachable they cannot run. Never ``passed``: a drill that did not run proves nothing.
    """
    below = level_number(service.target) < 3
    if not service.stack.drills:
        extra = f" (and drills run only for rows targeting L3; {service.name} targets {service.target})"
        return Verdict.not_observed(DRILLS_OPTION_REASON + (extra if below else ""))
    if below:
        return Verdict.not_observed(
            f"drills run only for rows targeting L3 ({service.name} targets {service.target}): "
            "they disturb the running stack"
        )
    runner = service.stack.live.drill_runner()
    if isinstance(runner, Unobservable):
        return Verdict.not_observed(f"drill not run: {runner.reason}")
    return None
