"""The live probes of one stack: created once per process (on ``Stack.live``), honouring --readiness-offline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import InputError
from .docker_probe import DEFAULT_LOG_TAIL, PROJECT_LABEL, ContainerFacts, DockerProbe, Unobservable

if TYPE_CHECKING:
    from ..context import Stack

OFFLINE_REASON = "--readiness-offline: docker not probed"


class LiveProbes:
    """What a criterion may observe of the running stack: its compose project's containers through Docker.

    A stack whose compose project has no running container at all is *not running*: its live parts are
    unobservable as a whole (not a failure per criterion). A running project with a declared compose
    service that has no container is a live failure for the criteria that need it running.
    """

    def __init__(self, stack_name: str, project: str | None, offline: bool, docker: DockerProbe | None = None) -> None:
        self.stack_name = stack_name
        self.project = project
        self.offline = offline
        self.docker: DockerProbe | None = None if offline else (docker or DockerProbe())
        self._state: dict[str, list[ContainerFacts]] | Unobservable | None = None

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
        return cls(stack.config.name, str(project) if project else None, stack.offline, docker)

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
        found = self.docker.project_containers(self.project)
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
        assert self.docker is not None
        return self.docker.logs(container.id, tail)

    def process_user(self, container: ContainerFacts) -> str | Unobservable:
        """The uid the container's main process actually runs as (running containers only)."""
        blocked = self.unavailable()
        if blocked is not None:
            return blocked
        assert self.docker is not None
        if not container.running:
            return Unobservable(f"{container.location} is {container.status}: no running process", container.location)
        return self.docker.top_user(container.id, container.pid)
