"""The live probes of one stack: created once per process (on ``Stack.live``), honouring --readiness-offline."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import InputError
from .docker_probe import DEFAULT_LOG_TAIL, PROJECT_LABEL, ContainerFacts, DockerProbe, Unobservable
from .drills import DrillLockTimeout, DrillRunner, StackLock

if TYPE_CHECKING:
    from ..context import Stack

OFFLINE_REASON = "--readiness-offline: docker not probed"
T = TypeVar("T")


class LiveProbes:
    """What a criterion may observe of the running stack: its compose project's containers through Docker.

    A stack whose compose project has no running container at all is *not running*: its live parts are
    unobservable as a whole (not a failure per criterion). A running project with a declared compose
    service that has no container is a live failure for the criteria that need it running.

    With ``drills`` (``--readiness-drills``) every call to the engine holds the stack's drill lock shared,
    so no observation (of this or another xdist worker) lands in the middle of a drill; after a drill the
    cached observations are dropped and taken again.
    """

    def __init__(
        self,
        stack_name: str,
        project: str | None,
        offline: bool,
        docker: DockerProbe | None = None,
        drills: bool = False,
    ) -> None:
        self.stack_name = stack_name
        self.project = project
        self.offline = offline
        self.drills = drills
        self.docker: DockerProbe | None = None if offline else (docker or DockerProbe())
        self._state: dict[str, list[ContainerFacts]] | Unobservable | None = None
        self._runner: DrillRunner | None = None

    @classmethod
    def for_stack(cls, stack: Stack, docker: DockerProbe | None = None) -> LiveProbes:
        """The stack's compose project: ``stack.compose_project``, else the compose reader's project name."""
        project = stack.config.stack.get("compose_project")
        if not project:
            try:
                compose = stack.compose
            except InputError:
                compose = None
            project = compose.name if compose is not None else None
        return cls(stack.config.name, str(project) if project else None, stack.offline, docker, stack.drills)

    def unavailable(self) -> Unobservable | None:
        """Why Docker cannot be asked at all (offline, no compose project), else None."""
        if self.docker is None:
            return Unobservable(OFFLINE_REASON, "--readiness-offline", deliberate=True)
        if not self.project:
            return Unobservable(
                f"stack '{self.stack_name}' declares no compose project (stack.compose_project) and no compose file: "
                "no container to observe",
                "services.yaml",
            )
        return None

    def _observing(self, call: Callable[[], T]) -> T | Unobservable:
        """Run one engine call; with drills on, under the drill lock held shared (bounded wait)."""
        if not self.drills or not self.project:
            return call()
        try:
            with StackLock.for_project(self.project).shared():
                return call()
        except DrillLockTimeout as exc:
            return Unobservable(str(exc), self.docker.where if self.docker else "docker")

    def project_state(self) -> dict[str, list[ContainerFacts]] | Unobservable:
        """Every container of the project by compose service; unobservable when offline, unreachable, or when
        no container of the project is running (the stack is not up)."""
        if self._state is None:
            self._state = self._observe()
        return self._state

    def _observe(self) -> dict[str, list[ContainerFacts]] | Unobservable:
        blocked = self.unavailable()
        if blocked is not None:
            return blocked
        assert self.docker is not None
        assert self.project is not None
        docker, project = self.docker, self.project
        found = self._observing(lambda: docker.project_containers(project))
        if isinstance(found, Unobservable):
            return found
        every = [c for group in found.values() for c in group]
        if not any(c.running for c in every):
            stopped = f" ({len(every)} stopped)" if every else ""
            return Unobservable(
                f"stack '{self.stack_name}' is not running: no running container with label "
                f"{PROJECT_LABEL}={self.project}{stopped} ({self.docker.where})",
                self.docker.where,
            )
        return found

    def service_containers(self, services: Sequence[str]) -> dict[str, list[ContainerFacts]] | Unobservable:
        """The containers of the given compose services (an empty list: the running project has none)."""
        state = self.project_state()
        if isinstance(state, Unobservable):
            return state
        return {name: list(state.get(name, [])) for name in services}

    def logs(self, container: ContainerFacts, tail: int = DEFAULT_LOG_TAIL) -> list[str] | Unobservable:
        blocked = self.unavailable()
        if blocked is not None:
            return blocked
        docker = self.docker
        assert docker is not None
        return self._observing(lambda: docker.logs(container.id, tail))

    def process_user(self, container: ContainerFacts) -> str | Unobservable:
        """The uid the container's main process actually runs as (running containers only)."""
        blocked = self.unavailable()
        if blocked is not None:
            return blocked
        assert self.docker is not None
        if not container.running:
            return Unobservable(f"{container.location} is {container.status}: no running process", container.location)
        docker = self.docker
        return self._observing(lambda: docker.top_user(container.id, container.pid))

    def stats(self, container: ContainerFacts) -> dict[str, Any] | Unobservable:
        """One ``docker stats`` sample of a running container (memory usage against its limit)."""
        blocked = self.unavailable()
        if blocked is not None:
            return blocked
        docker = self.docker
        assert docker is not None
        if not container.running:
            return Unobservable(f"{container.location} is {container.status}: no usage to sample", container.location)
        if not docker.has_stats(container.id):
            # Sample every running container of the project at once: ~1 s in all instead of ~1 s each.
            state = self.project_state()
            running = [c.id for group in state.values() for c in group if c.running] if isinstance(state, dict) else []
            self._observing(lambda: docker.stats_many([container.id, *running]))
        return self._observing(lambda: docker.stats(container.id))

    # -- drills ---------------------------------------------------------------------------------------
    def drill_runner(self) -> DrillRunner | Unobservable:
        """The stack's drill runner (one per process), or why drills cannot reach the stack."""
        blocked = self.unavailable()
        if blocked is not None:
            return blocked
        assert self.docker is not None
        assert self.project is not None
        client = self.docker.client()
        if isinstance(client, Unobservable):
            return client
        if self._runner is None:
            self._runner = DrillRunner(self.docker, self.project, on_disturb=self.forget)
        return self._runner

    def forget(self) -> None:
        """Drop the cached observations of the project (a drill changed its containers)."""
        self._state = None
        if self.docker is not None and self.project:
            self.docker.forget_project(self.project)
