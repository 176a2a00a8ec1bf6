"""Docker Engine probe: the containers of a compose project as plain facts, their logs and running user.

Every call has a timeout, and an engine that cannot be reached costs ONE attempt per probe object: the
failure is cached as an ``Unobservable`` and every later call returns it at once. The ``docker`` package
is imported lazily, so importing this module never touches the socket.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

if TYPE_CHECKING:
    import docker

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
ONEOFF_LABEL = "com.docker.compose.oneoff"
ALL_INTERFACES = frozenset({"", "0.0.0.0", "::", "[::]"})
DEFAULT_LOG_TAIL = 200
_MAX_ERROR = 240
MAX_PARALLEL_STATS = 8


@dataclass(frozen=True)
class Unobservable:
    """Why a live fact could not be observed (engine unreachable, offline, stack not running).

    ``reason`` names what could not be reached (e.g. the docker engine and its endpoint); ``where`` is a
    location for evidence lines; ``deliberate`` marks the live probes switched off by the user.
    """

    reason: str
    where: str = "docker"
    deliberate: bool = False  # --readiness-offline: asked for, so no evidence line repeats it

    def __str__(self) -> str:
        return self.reason


class PortBinding(NamedTuple):
    """One published port as the engine applied it: host address and port -> container port/proto."""

    host_ip: str
    host_port: str
    container_port: str

    @property
    def all_interfaces(self) -> bool:
        """An empty host IP, 0.0.0.0 or :: listens on every interface of the host."""
        return self.host_ip in ALL_INTERFACES

    def __str__(self) -> str:
        host = self.host_ip or "0.0.0.0"
        host = f"[{host}]" if ":" in host and not host.startswith("[") else host
        return f"{host}:{self.host_port}->{self.container_port}"


def _strs(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _bindings(ports: Any) -> tuple[PortBinding, ...]:
    """``{"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}], "9000/tcp": None}`` -> bindings."""
    out: list[PortBinding] = []
    if not isinstance(ports, Mapping):
        return ()
    for container_port, binds in sorted(ports.items()):
        for bind in binds or ():
            if isinstance(bind, Mapping):
                out.append(PortBinding(str(bind.get("HostIp") or ""), str(bind.get("HostPort") or ""), container_port))
    return tuple(out)


@dataclass(frozen=True)
class ContainerFacts:
    """What the engine says about one container (from its inspect data), as plain values.

    Environment variables are kept by NAME only: their values may be secrets.
    """

    name: str
    id: str
    project: str
    service: str
    status: str
    running: bool
    health: str | None
    exit_code: int
    image: str
    image_id: str
    cmd: tuple[str, ...]
    entrypoint: tuple[str, ...]
    user: str
    privileged: bool
    cap_drop: tuple[str, ...]
    cap_add: tuple[str, ...]
    security_opt: tuple[str, ...]
    read_only: bool
    memory: int
    nano_cpus: int
    cpu_quota: int
    cpu_period: int
    restart_policy: str
    restart_count: int
    oom_killed: bool
    pid: int
    started_at: str
    network_mode: str
    port_bindings: tuple[PortBinding, ...]
    env_names: tuple[str, ...]
    pid_mode: str = ""
    ipc_mode: str = ""
    userns_mode: str = ""
    uts_mode: str = ""
    cgroupns_mode: str = ""
    mounts: tuple[tuple[str, str, bool], ...] = ()  # (host source, container destination, writable)
    devices: tuple[str, ...] = ()
    pids_limit: int = 0

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> ContainerFacts:
        """Build from ``docker inspect`` data (``Container.attrs``)."""
        state = attrs.get("State") or {}
        config = attrs.get("Config") or {}
        host = attrs.get("HostConfig") or {}
        labels = config.get("Labels") or {}
        health = state.get("Health")
        running = bool(state.get("Running"))
        network = attrs.get("NetworkSettings") or {}
        # The applied bindings exist only while the container runs; otherwise show what it is configured with.
        ports = network.get("Ports") if running else host.get("PortBindings")
        return cls(
            name=str(attrs.get("Name") or "").lstrip("/"),
            id=str(attrs.get("Id") or "")[:12],
            project=str(labels.get(PROJECT_LABEL) or ""),
            service=str(labels.get(SERVICE_LABEL) or ""),
            status=str(state.get("Status") or ""),
            running=running,
            health=str(health["Status"]) if isinstance(health, Mapping) and health.get("Status") else None,
            exit_code=_int(state.get("ExitCode")),
            image=str(config.get("Image") or ""),
            image_id=str(attrs.get("Image") or ""),
            cmd=_strs(config.get("Cmd")),
            entrypoint=_strs(config.get("Entrypoint")),
            user=str(config.get("User") or ""),
            privileged=bool(host.get("Privileged")),
            cap_drop=_strs(host.get("CapDrop")),
            cap_add=_strs(host.get("CapAdd")),
            security_opt=_strs(host.get("SecurityOpt")),
            read_only=bool(host.get("ReadonlyRootfs")),
            memory=_int(host.get("Memory")),
            nano_cpus=_int(host.get("NanoCpus")),
            cpu_quota=_int(host.get("CpuQuota")),
            cpu_period=_int(host.get("CpuPeriod")),
            restart_policy=str((host.get("RestartPolicy") or {}).get("Name") or ""),
            restart_count=_int(attrs.get("RestartCount")),
            oom_killed=bool(state.get("OOMKilled")),
            pid=_int(state.get("Pid")),
            started_at=str(state.get("StartedAt") or ""),
            network_mode=str(host.get("NetworkMode") or ""),
            port_bindings=_bindings(ports),
            env_names=tuple(str(e).split("=", 1)[0] for e in config.get("Env") or ()),
            pid_mode=str(host.get("PidMode") or ""),
            ipc_mode=str(host.get("IpcMode") or ""),
            userns_mode=str(host.get("UsernsMode") or ""),
            uts_mode=str(host.get("UTSMode") or ""),
            cgroupns_mode=str(host.get("CgroupnsMode") or host.get("Cgroup") or ""),
            mounts=tuple(
                (str(m.get("Source") or ""), str(m.get("Destination") or ""), bool(m.get("RW", True)))
                for m in attrs.get("Mounts") or ()
                if isinstance(m, Mapping) and m.get("Type") == "bind"
            ),
            devices=tuple(
                f"{d.get('PathOnHost', '')}:{d.get('PathInContainer', '')}"
                for d in host.get("Devices") or ()
                if isinstance(d, Mapping)
            ),
            pids_limit=_int(host.get("PidsLimit")),
        )

    @property
    def location(self) -> str:
        """How evidence names this container."""
        return f"container {self.name} (compose service {self.service})" if self.service else f"container {self.name}"

    @property
    def cpus(self) -> float | None:
        """The CPU limit in CPUs (NanoCpus, else CpuQuota/CpuPeriod); None when unlimited."""
        if self.nano_cpus > 0:
            return self.nano_cpus / 1e9
        if self.cpu_quota > 0:
            return self.cpu_quota / (self.cpu_period or 100_000)
        return None

    @property
    def state_text(self) -> str:
        """``running (healthy)``, ``exited (code 1)``."""
        if self.running:
            return f"running ({self.health})" if self.health else "running"
        return f"{self.status or 'not running'} (code {self.exit_code})" if self.status == "exited" else self.status


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 3] + "..."


def _is_connection_failure(exc: BaseException) -> bool:
    """A timeout or a lost connection (as opposed to an API answer like 404): the engine is gone."""
    import requests

    if isinstance(exc, requests.exceptions.HTTPError):  # the engine answered (docker's APIError is one)
        return False
    return isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout | OSError)


T = TypeVar("T")


class DeadlineExceeded(TimeoutError):
    """An engine call that did not complete within its overall deadline (a dripping or stuck endpoint)."""


def within(deadline: float, what: str, call: Callable[[], T]) -> T:
    """``call()`` bounded by an overall ``deadline`` in seconds, not only per socket read.

    requests' timeout bounds each read, so an endpoint that drips a byte every two seconds never trips
    it. The call runs in a daemon thread (one the interpreter does not wait for at exit); when the
    deadline passes first, DeadlineExceeded is raised and the stuck call is abandoned."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    worker = threading.Thread(target=run, name=f"readiness-docker: {what}"[:60], daemon=True)
    worker.start()
    worker.join(deadline)
    if worker.is_alive():
        raise DeadlineExceeded(f"no complete answer within {deadline:g}s")
    if "error" in box:
        raise box["error"]
    return cast(T, box["value"])


class DockerProbe:
    """The Docker Engine at ``base_url`` (else ``$DOCKER_HOST``, else the local socket), probed lazily.

    The first call connects (fetching the engine's API version, i.e. one round trip); a failure there, or a
    timeout/lost connection later, is cached and returned by every later call without another attempt.
    """

    def __init__(self, base_url: str | None = None, timeout: float = 3.0) -> None:
        self._from_env = base_url is None
        self.base_url = base_url or os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST
        self.timeout = timeout
        self.deadline = timeout * 3  # a whole call, however slowly its bytes arrive
        self.connect_attempts = 0
        self._client: docker.DockerClient | None = None
        self._failure: Unobservable | None = None
        self._projects: dict[str, dict[str, list[ContainerFacts]] | Unobservable] = {}
        self._containers: dict[tuple[str, str], list[ContainerFacts] | Unobservable] = {}
        self._logs: dict[tuple[str, int], list[str] | Unobservable] = {}
        self._users: dict[tuple[str, int], str | Unobservable] = {}
        self._stats: dict[str, dict[str, Any] | Unobservable] = {}

    @property
    def where(self) -> str:
        return f"docker engine at {self.base_url}"

    def _unobservable(self, what: str) -> Unobservable:
        return Unobservable(what, self.where)

    # -- connection ---------------------------------------------------------------------------------
    def client(self) -> docker.DockerClient | Unobservable:
        """The connected client, or why there is none (cached: one attempt per probe)."""
        if self._failure is not None:
            return self._failure
        if self._client is not None:
            return self._client
        self.connect_attempts += 1
        try:
            import docker
            import docker.utils
        except ImportError as exc:
            self._failure = self._unobservable(
                f"docker engine at {self.base_url} not probed: python package 'docker' missing ({exc})"
            )
            return self._failure
        try:
            tls = docker.utils.kwargs_from_env().get("tls") if self._from_env else None
            # version="auto" asks the engine for its API version: the one ping of this probe.
            # (the stubs say int; requests takes the float timeout as it is)
            self._client = within(
                self.deadline,
                "connect",
                lambda: docker.DockerClient(
                    base_url=self.base_url, version="auto", timeout=cast(int, self.timeout), tls=tls or False
                ),
            )
        except Exception as exc:  # DockerException, requests errors, bad URLs: all mean "not reachable"
            self._failure = self._unobservable(f"docker engine unreachable at {self.base_url}: {_short(exc)}")
            return self._failure
        return self._client

    @property
    def failure(self) -> Unobservable | None:
        """The cached connection failure, if the engine was tried and could not be reached."""
        return self._failure

    def _call_failed(self, what: str, exc: Exception) -> Unobservable:
        if _is_connection_failure(exc):
            # The engine went away or timed out: later calls must not pay the timeout again.
            self._failure = self._unobservable(f"docker engine unreachable at {self.base_url}: {what}: {_short(exc)}")
            return self._failure
        return self._unobservable(f"docker engine at {self.base_url}: {what} failed: {_short(exc)}")

    # -- containers -----------------------------------------------------------------------------------
    def _list(self, labels: list[str]) -> list[ContainerFacts] | Unobservable:
        client = self.client()
        if isinstance(client, Unobservable):
            return client
        try:
            found = within(
                self.deadline,
                "list",
                lambda: client.containers.list(all=True, filters={"label": labels}, ignore_removed=True),
            )
        except Exception as exc:
            return self._call_failed(f"listing containers labelled {', '.join(labels)}", exc)
        facts = [ContainerFacts.from_attrs(c.attrs) for c in found]
        oneoff = {(c.id or "")[:12] for c in found if (c.labels or {}).get(ONEOFF_LABEL) == "True"}
        return sorted((f for f in facts if f.id not in oneoff), key=lambda f: f.name)

    def project_containers(self, project: str) -> dict[str, list[ContainerFacts]] | Unobservable:
        """Every container (running or not, one-off runs excluded) of a compose project, by compose service."""
        if project not in self._projects:
            listed = self._list([f"{PROJECT_LABEL}={project}"])
            if isinstance(listed, Unobservable):
                self._projects[project] = listed
            else:
                grouped: dict[str, list[ContainerFacts]] = {}
                for facts in listed:
                    grouped.setdefault(facts.service, []).append(facts)
                self._projects[project] = grouped
        return self._projects[project]

    def containers(self, project: str, service: str) -> list[ContainerFacts] | Unobservable:
        """The containers of one compose service of a project, identified by the compose labels only."""
        key = (project, service)
        if key not in self._containers:
            grouped = self._projects.get(project)
            if isinstance(grouped, dict):
                self._containers[key] = list(grouped.get(service, []))
            else:
                self._containers[key] = self._list([f"{PROJECT_LABEL}={project}", f"{SERVICE_LABEL}={service}"])
        return self._containers[key]

    def forget_project(self, project: str) -> None:
        """Drop what was learnt about a project's containers (after a drill changed them); a cached engine
        failure stays."""
        self._projects.pop(project, None)
        for key in [k for k in self._containers if k[0] == project]:
            del self._containers[key]
        self._logs.clear()
        self._users.clear()
        self._stats.clear()

    # -- logs and processes ---------------------------------------------------------------------------
    def logs(self, container_id: str, tail: int = DEFAULT_LOG_TAIL) -> list[str] | Unobservable:
        """The last ``tail`` lines of a container's stdout and stderr, decoded (cached)."""
        key = (container_id, tail)
        if key not in self._logs:
            client = self.client()
            if isinstance(client, Unobservable):
                return client
            try:
                raw = within(
                    self.deadline,
                    "logs",
                    lambda: client.api.logs(
                        container_id, stdout=True, stderr=True, stream=False, tail=tail, timestamps=False
                    ),
                )
            except Exception as exc:
                return self._call_failed(f"reading the logs of container {container_id}", exc)
            text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
            self._logs[key] = [line.rstrip("\r") for line in text.splitlines()]
        return self._logs[key]

    def stats(self, container_id: str) -> dict[str, Any] | Unobservable:
        """One ``docker stats`` sample of a container (stream=False; one-shot where the API has it, so the
        engine does not wait for a second CPU sample), cached per container (a failure too)."""
        if container_id not in self._stats:
            client = self.client()
            if isinstance(client, Unobservable):
                return client
            result: dict[str, Any] | Unobservable
            try:
                import docker.utils

                one_shot = None if docker.utils.version_lt(str(client.api.api_version), "1.41") else True
                raw = within(
                    self.deadline, "stats", lambda: client.api.stats(container_id, stream=False, one_shot=one_shot)
                )
                if isinstance(raw, Mapping):
                    result = dict(raw)
                else:
                    result = self._unobservable(f"docker engine at {self.base_url}: stats of {container_id}: no data")
            except Exception as exc:
                result = self._call_failed(f"stats of container {container_id}", exc)
            self._stats[container_id] = result
        return self._stats[container_id]

    def has_stats(self, container_id: str) -> bool:
        return container_id in self._stats

    def stats_many(self, container_ids: Sequence[str]) -> dict[str, dict[str, Any] | Unobservable]:
        """Samples of several containers, taken concurrently (still one request each): the engine answers a
        burst of stats requests at its 1 s collection tick, so one after another would cost ~1 s apiece."""
        todo = [i for i in dict.fromkeys(container_ids) if i not in self._stats]
        if len(todo) > 1 and not isinstance(self.client(), Unobservable):
            with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_STATS, len(todo))) as pool:
                list(pool.map(self.stats, todo))
        return {i: self.stats(i) for i in container_ids}

    def top_user(self, container_id: str, pid: int = 0) -> str | Unobservable:
        """The numeric uid of a running container's main process (``pid``, else its first process).

        Asks the engine's ``top`` (the host's ps: nothing runs inside the container); falls back to
        ``id -u`` executed in the container when top cannot give numeric uids.
        """
        key = (container_id, pid)
        if key in self._users:
            return self._users[key]
        client = self.client()
        if isinstance(client, Unobservable):
            return client
        result: str | Unobservable
        try:
            top = within(self.deadline, "top", lambda: client.api.top(container_id, ps_args="-o pid,uid"))
            rows = [[str(x) for x in row] for row in top.get("Processes") or []]
            titles = [str(t).upper() for t in top.get("Titles") or []]
            pid_col, uid_col = titles.index("PID"), titles.index("UID")
            mine = [r for r in rows if pid and r[pid_col] == str(pid)] or rows[:1]
            if not mine or not mine[0][uid_col].isdigit():
                raise ValueError(f"no numeric uid in top output {titles}")
            result = mine[0][uid_col]
        except Exception as exc:
            if _is_connection_failure(exc):
                return self._call_failed(f"top of container {container_id}", exc)
            result = self._exec_uid(client, container_id)
        self._users[key] = result
        return result

    def _exec_uid(self, client: docker.DockerClient, container_id: str) -> str | Unobservable:
        try:
            container = within(self.deadline, "get", lambda: client.containers.get(container_id))
            if container.status != "running":
                return self._unobservable(f"container {container_id} is {container.status}: no running user")
            code, output = container.exec_run(["id", "-u"], stdout=True, stderr=False)
        except Exception as exc:
            return self._call_failed(f"exec 'id -u' in container {container_id}", exc)
        raw = output if isinstance(output, bytes) else b""
        text = raw.decode("utf-8", errors="replace").strip()
        if code != 0 or not text.isdigit():
            return self._unobservable(f"docker engine at {self.base_url}: 'id -u' in {container_id} gave {code}")
        return text
